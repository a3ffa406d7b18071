//! ipvsadm, reimplemented: parsing (`parse`), the exact texts (`error`, `help`) and printing
//! (`format`), driven through one entry point (`exec`). The behaviour is `ipvsadm-spec.md`.
//!
//! ```
//! use control::ipvsadm::{execute_with, LiveCounters};
//! use control::ipvsadm::names::SystemNames;
//! use control::model::Model;
//!
//! struct NoTraffic;
//! impl LiveCounters for NoTraffic {
//!     fn conns(&self, _slot: u32) -> (u32, u32) { (0, 0) }
//!     fn table_size(&self) -> u32 { 4096 }
//! }
//!
//! let mut model = Model::new(4096);
//! let args: Vec<String> = ["-A", "-t", "10.0.0.1:80", "-s", "rr"].map(String::from).to_vec();
//! let out = execute_with(&SystemNames::default(), "rvsadm", &args, &mut model, &NoTraffic);
//! assert_eq!((out.code, out.changed), (0, true));
//! ```

pub mod command;
pub mod error;
pub mod exec;
pub mod format;
pub mod help;
pub mod json;
pub mod live;
pub mod names;
pub mod options;
pub mod parse;
pub mod popt;
pub mod sort;
pub mod values;

pub use command::Command;
pub use error::Failure;
pub use exec::{
    execute, execute_json, execute_restore, execute_restore_with, execute_with, Outcome,
};
pub use live::{Counters, LiveCounters};
pub use parse::{parse, parse_with};
