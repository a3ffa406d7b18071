//! ipvsadm, reimplemented: parsing (`parse`), the exact texts (`error`, `help`) and printing
//! (`format`), driven through one entry point (`exec`). The behaviour is `ipvsadm-spec.md`.

pub mod command;
pub mod error;
pub mod names;
pub mod options;
pub mod parse;
pub mod popt;
pub mod values;

pub use command::Command;
pub use error::Failure;
pub use parse::{parse, parse_with};
