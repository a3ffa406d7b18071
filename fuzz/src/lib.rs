//! What the fuzz targets share: the director the `process` target drives and the frames it
//! builds (docs/reliability.md, "Fuzzing").

pub mod frames;
pub mod lab;
