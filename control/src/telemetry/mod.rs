//! rvs's commands on DPDK's telemetry socket, next to DPDK's own (`/ethdev/stats`,
//! `/ethdev/xstats`, ... which cover the ports):
//!
//! - `/rvs/counters`: what rvs counts itself ([`crate::counters::OwnCounters`]: workers,
//!   drops, connection tables, mbufs), the same figures as `rvsadm --counters`;
//! - `/rvs/services`: the virtual services and their real servers ([`services`]).
//!
//! DPDK's telemetry thread runs the answers: they read the data plane as the control thread
//! does (loads only). Each answer is a serializable value, turned into DPDK's telemetry data
//! here, once for every command.

mod services;

use crate::counters;
use dataplane::dpdk::telemetry::{self, Command, Value};
use dataplane::dpdk::DpdkPort;
use dataplane::shared::Dataplane;
use dataplane::stats::Counters;
use serde::Serialize;
use std::sync::Arc;

/// rvs's telemetry commands: they answer while this lives (drop it before the data plane
/// goes away).
pub struct Telemetry {
    _commands: [Command; 2],
}

/// Registers rvs's commands, answering from `dp` and its workers' `workers` counters.
pub fn serve(
    dp: Arc<Dataplane<DpdkPort>>,
    workers: Arc<Vec<Counters>>,
) -> Result<Telemetry, String> {
    let answers = dp.clone();
    let counters = telemetry::register(
        "/rvs/counters",
        "rvs workers, drops, connection tables and mbufs",
        move || value(&counters::own(&answers, &workers)),
    )
    .map_err(|e| e.to_string())?;
    let services = telemetry::register(
        "/rvs/services",
        "rvs virtual services and real servers",
        move || value(&services::list(&dp.services.load(), dp.conns.dests())),
    )
    .map_err(|e| e.to_string())?;
    Ok(Telemetry {
        _commands: [counters, services],
    })
}

/// `x` as a telemetry answer, through its JSON form.
fn value(x: &impl Serialize) -> Value {
    serde_json::to_value(x).map_or(Value::Str("unserializable".into()), |v| from_json(&v))
}

/// JSON → telemetry: numbers as DPDK's u64 or 32-bit int (text beyond), booleans as 0 or
/// 1 (DPDK has none), nulls left out of objects.
fn from_json(v: &serde_json::Value) -> Value {
    use serde_json::Value as J;
    match v {
        J::Null => Value::Str("null".into()),
        J::Bool(b) => Value::U64(u64::from(*b)),
        J::Number(n) => match (n.as_u64(), n.as_i64().and_then(|i| i32::try_from(i).ok())) {
            (Some(u), _) => Value::U64(u),
            (None, Some(i)) => Value::Int(i),
            (None, None) => Value::Str(n.to_string()),
        },
        J::String(s) => Value::Str(s.clone()),
        J::Array(items) => Value::List(items.iter().map(from_json).collect()),
        J::Object(map) => Value::Dict(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), from_json(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn json_becomes_what_dpdk_writes() {
        let v = serde_json::json!({"a": 1, "b": -2, "c": [true, false], "d": null,
                                   "e": {"f": "x"}, "g": 1.5});
        assert_eq!(
            from_json(&v),
            Value::Dict(vec![
                ("a".into(), Value::U64(1)),
                ("b".into(), Value::Int(-2)),
                ("c".into(), Value::List(vec![Value::U64(1), Value::U64(0)])),
                (
                    "e".into(),
                    Value::Dict(vec![("f".into(), Value::Str("x".into()))])
                ),
                ("g".into(), Value::Str("1.5".into())),
            ])
        );
    }
}
