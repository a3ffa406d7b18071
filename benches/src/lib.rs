//! Shared by the criterion benchmarks (`benches/`) and the tools in `src/bin/`.

pub mod fixture;
