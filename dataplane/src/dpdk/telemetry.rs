//! rvs's own commands on DPDK's telemetry socket (`rte_telemetry_register_cmd`).
//!
//! DPDK 22.11 calls a command's C function with no user data and cannot unregister one, so
//! every rvs command goes through one callback, [`answer`], that finds the Rust closure
//! registered under the command's name in [`COMMANDS`]. A [`Command`] handle removes its
//! closure when dropped; the command then answers `null`, as an unknown one does. The lock
//! is held while a closure runs, so once the drop returns no answer is using what the
//! closure captured.
//!
//! What DPDK 22.11 can write ([`Value`] is written within it): dictionaries nest to any
//! depth; arrays hold scalars of one kind; keys are `[A-Za-z0-9_/]` (other characters
//! become `_`); a dictionary holds at most 256 entries, an array 512, a string 127 bytes,
//! and a whole answer 16 KiB (DPDK cuts what does not fit). A list that is not all
//! numbers or all strings is written as a dictionary keyed by position (`"0"`, `"1"`, ...).

use super::DpdkError;
use dpdk_sys::rte_tel_data;
use std::ffi::{c_char, c_int, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, PoisonError};

/// An answer, as DPDK will write it in JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    U64(u64),
    /// DPDK's integers are 32-bit.
    Int(i32),
    Str(String),
    Dict(Vec<(String, Value)>),
    List(Vec<Value>),
}

type Answer = Box<dyn Fn() -> Value + Send + Sync>;

/// A command's closure and the registration that put it there.
struct Registered {
    name: CString,
    id: u64,
    answer: Answer,
}

/// The live rvs commands.
static COMMANDS: Mutex<Vec<Registered>> = Mutex::new(Vec::new());
/// Names already registered with DPDK (once each: it cannot forget one).
static KNOWN: Mutex<Vec<CString>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A registered command: it answers with its closure until this is dropped.
pub struct Command {
    name: CString,
    id: u64,
}

/// Makes command `name` (`/rvs/...`) answer with `answer()`, replacing an earlier closure
/// of the same name. EAL must be initialised; telemetry may be off (`--no-telemetry`), in
/// which case nobody asks.
pub fn register(
    name: &str,
    help: &str,
    answer: impl Fn() -> Value + Send + Sync + 'static,
) -> Result<Command, DpdkError> {
    let bad = || DpdkError::from_ret(format!("telemetry command {name:?}"), libc::EINVAL);
    let cname = CString::new(name).map_err(|_| bad())?;
    let chelp = CString::new(help).map_err(|_| bad())?;
    let mut known = KNOWN.lock().unwrap_or_else(PoisonError::into_inner);
    if !known.contains(&cname) {
        // SAFETY: both strings are NUL-terminated and DPDK copies them; `answer` has the
        // telemetry_cb signature and lives for the whole process.
        let ret = unsafe {
            dpdk_sys::rte_telemetry_register_cmd(cname.as_ptr(), Some(answer_c), chelp.as_ptr())
        };
        if ret < 0 {
            return Err(DpdkError::from_ret(
                format!("rte_telemetry_register_cmd {name}"),
                ret,
            ));
        }
        known.push(cname.clone());
    }
    let id = NEXT_ID.fetch_add(1, Relaxed);
    let mut commands = COMMANDS.lock().unwrap_or_else(PoisonError::into_inner);
    commands.retain(|c| c.name != cname);
    commands.push(Registered {
        name: cname.clone(),
        id,
        answer: Box::new(answer),
    });
    Ok(Command { name: cname, id })
}

impl Drop for Command {
    fn drop(&mut self) {
        let mut commands = COMMANDS.lock().unwrap_or_else(PoisonError::into_inner);
        commands.retain(|c| c.name != self.name || c.id != self.id);
    }
}

/// The one `telemetry_cb` of every rvs command, run on DPDK's telemetry thread.
extern "C" fn answer_c(cmd: *const c_char, _params: *const c_char, d: *mut rte_tel_data) -> c_int {
    // SAFETY: DPDK passes the NUL-terminated command it matched.
    let cmd = unsafe { CStr::from_ptr(cmd) };
    // A panic must not cross into C: it answers `null` instead.
    catch_unwind(AssertUnwindSafe(|| {
        let commands = COMMANDS.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(c) = commands.iter().find(|c| c.name.as_c_str() == cmd) else {
            return -1;
        };
        write_top(d, &(c.answer)());
        0
    }))
    .unwrap_or(-1)
}

/// Writes `v` as the whole answer into DPDK's empty `d`.
fn write_top(d: *mut rte_tel_data, v: &Value) {
    match v {
        // An answer is a string, a dictionary or an array: a lone number travels as text.
        Value::U64(n) => write_string(d, &n.to_string()),
        Value::Int(n) => write_string(d, &n.to_string()),
        Value::Str(s) => write_string(d, s),
        Value::Dict(_) | Value::List(_) => write_container(d, v),
    }
}

fn write_string(d: *mut rte_tel_data, s: &str) {
    let s = c_text(s);
    // SAFETY: d is DPDK's answer, ours during the callback; DPDK copies the string.
    unsafe { dpdk_sys::rte_tel_data_string(d, s.as_ptr()) };
}

/// Writes a dictionary, or a list as an array of one scalar kind or else as a dictionary
/// keyed by position, into `d` (DPDK's answer or a container of ours).
fn write_container(d: *mut rte_tel_data, v: &Value) {
    let positional;
    let entries = match v {
        Value::List(items) => match scalar_kind(items) {
            Some(kind) => return write_array(d, kind, items),
            None => {
                positional = items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (i.to_string(), v.clone()))
                    .collect::<Vec<_>>();
                &positional
            }
        },
        Value::Dict(entries) => entries,
        _ => unreachable!("write_container is given containers"),
    };
    // SAFETY: d is an answer or container in our hands.
    unsafe { dpdk_sys::rte_tel_data_start_dict(d) };
    for (key, v) in entries {
        add_entry(d, &c_key(key), v);
    }
}

/// The array type of `items` when they are all numbers or all strings (an empty list is
/// an empty array of numbers).
fn scalar_kind(items: &[Value]) -> Option<dpdk_sys::rte_tel_value_type> {
    let kind = |v: &Value| match v {
        Value::U64(_) => Some(dpdk_sys::rte_tel_value_type_RTE_TEL_U64_VAL),
        Value::Int(_) => Some(dpdk_sys::rte_tel_value_type_RTE_TEL_INT_VAL),
        Value::Str(_) => Some(dpdk_sys::rte_tel_value_type_RTE_TEL_STRING_VAL),
        _ => None,
    };
    let first = items
        .first()
        .map_or(Some(dpdk_sys::rte_tel_value_type_RTE_TEL_U64_VAL), kind)?;
    items
        .iter()
        .all(|v| kind(v) == Some(first))
        .then_some(first)
}

fn write_array(d: *mut rte_tel_data, kind: dpdk_sys::rte_tel_value_type, items: &[Value]) {
    // SAFETY: d is an answer or container in our hands; every item has the array's kind
    // (scalar_kind), and DPDK refuses items past its limit without writing them.
    unsafe {
        dpdk_sys::rte_tel_data_start_array(d, kind);
        for v in items {
            match v {
                Value::U64(n) => dpdk_sys::rte_tel_data_add_array_u64(d, *n),
                Value::Int(n) => dpdk_sys::rte_tel_data_add_array_int(d, *n),
                Value::Str(s) => dpdk_sys::rte_tel_data_add_array_string(d, c_text(s).as_ptr()),
                _ => unreachable!("scalar_kind admits scalars only"),
            };
        }
    }
}

/// Adds `key: v` to dictionary `d`; a container goes in a new `rte_tel_data` that DPDK
/// frees after writing it (keep = 0), or that we free when DPDK refuses it (a full
/// dictionary).
fn add_entry(d: *mut rte_tel_data, key: &CStr, v: &Value) {
    // SAFETY: d is a dictionary in our hands; DPDK copies keys and strings.
    unsafe {
        match v {
            Value::U64(n) => dpdk_sys::rte_tel_data_add_dict_u64(d, key.as_ptr(), *n),
            Value::Int(n) => dpdk_sys::rte_tel_data_add_dict_int(d, key.as_ptr(), *n),
            Value::Str(s) => {
                dpdk_sys::rte_tel_data_add_dict_string(d, key.as_ptr(), c_text(s).as_ptr())
            }
            Value::Dict(_) | Value::List(_) => {
                let child = dpdk_sys::rte_tel_data_alloc();
                if child.is_null() {
                    return;
                }
                write_container(child, v);
                let ret = dpdk_sys::rte_tel_data_add_dict_container(d, key.as_ptr(), child, 0);
                if ret < 0 {
                    dpdk_sys::rte_tel_data_free(child);
                }
                ret
            }
        };
    }
}

/// A dictionary key DPDK accepts: `[A-Za-z0-9_/]`, at most 127 bytes.
fn c_key(key: &str) -> CString {
    let key: String = key
        .chars()
        .take(RTE_TEL_MAX_STRING_LEN - 1)
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '_' | '/' => c,
            _ => '_',
        })
        .collect();
    CString::new(key).expect("no NUL left")
}

/// A string value: without NULs, cut to what a dictionary or array entry holds.
fn c_text(s: &str) -> CString {
    let mut end = s.len().min(RTE_TEL_MAX_STRING_LEN - 1);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    CString::new(s[..end].replace('\0', "")).expect("NULs removed")
}

const RTE_TEL_MAX_STRING_LEN: usize = dpdk_sys::RTE_TEL_MAX_STRING_LEN as usize;

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn keys_and_strings_fit_dpdk() {
        assert_eq!(c_key("net_pcap0").to_str(), Ok("net_pcap0"));
        assert_eq!(c_key("0000:01:00.0").to_str(), Ok("0000_01_00_0"));
        assert_eq!(c_key(&"k".repeat(300)).as_bytes().len(), 127);
        let long = "é".repeat(100);
        assert!(c_text(&long).as_bytes().len() <= 127);
        assert_eq!(c_text("a\0b").to_str(), Ok("ab"));
    }

    #[test]
    fn lists_of_one_scalar_kind_are_arrays() {
        use Value::*;
        let u64s = dpdk_sys::rte_tel_value_type_RTE_TEL_U64_VAL;
        assert_eq!(scalar_kind(&[]), Some(u64s));
        assert_eq!(scalar_kind(&[U64(1), U64(2)]), Some(u64s));
        assert_eq!(scalar_kind(&[U64(1), Str("x".into())]), None);
        assert_eq!(scalar_kind(&[Dict(vec![])]), None);
    }
}
