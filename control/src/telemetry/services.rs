//! The virtual services as `/rvs/services` answers: read from the snapshot the control
//! thread last published to the workers, with each real server's live connection counts,
//! so the telemetry thread needs nothing of the control thread's.

use dataplane::dest::DestTable;
use dataplane::service::{Service, Snapshot};
use serde::Serialize;
use std::net::IpAddr;

#[derive(Debug, Clone, Serialize)]
pub struct ServiceInfo {
    /// `TCP`, `UDP` or `FWM` (a fwmark service).
    pub protocol: &'static str,
    /// The VIP and port; a fwmark service has its mark instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fwmark: Option<u32>,
    pub scheduler: &'static str,
    /// `-p`, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persistent: Option<u32>,
    pub real_servers: Vec<RealServerInfo>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RealServerInfo {
    pub address: String,
    pub port: u16,
    pub forward: &'static str,
    pub weight: u32,
    pub active_conns: u32,
    pub inactive_conns: u32,
}

/// Every service of `snap`, in the snapshot's order.
pub fn list(snap: &Snapshot, dests: &DestTable) -> Vec<ServiceInfo> {
    snap.services.iter().map(|s| service(s, dests)).collect()
}

fn service(s: &Service, dests: &DestTable) -> ServiceInfo {
    let k = &s.key;
    let fwmark = k.is_fwmark().then(|| match k.addr {
        IpAddr::V4(a) => a.to_bits(),
        IpAddr::V6(a) => a.to_bits() as u32,
    });
    ServiceInfo {
        protocol: match k.proto {
            6 => "TCP",
            17 => "UDP",
            _ => "FWM",
        },
        address: fwmark.is_none().then(|| k.addr.to_string()),
        port: fwmark.is_none().then_some(k.port),
        fwmark,
        scheduler: s.sched.name(),
        persistent: s.persistence.map(|p| p.timeout_ms / 1000),
        real_servers: s
            .dests
            .iter()
            .map(|d| {
                let (active_conns, inactive_conns) = dests.counts(d.slot);
                RealServerInfo {
                    address: d.params.addr.to_string(),
                    port: d.params.port,
                    forward: d.params.method.name(),
                    weight: d.weight,
                    active_conns,
                    inactive_conns,
                }
            })
            .collect(),
    }
}
