//! `rvsadm --json` (rvs's own): what a list command shows, as one JSON document for
//! programs. Addresses are always numeric; services and real servers come in the listing's
//! order; every service and server carries its statistics and rates whatever the format
//! option. The field names are the README's ("Machine-readable output").

use serde_json::{json, Value};

use super::command::{ListOpts, ListWhat, Method, ServiceKey, TunnelCsum, TunnelType};
use super::error::{message, Errno, Failure, Op, EXIT_LIST};
use super::format::{dests_in_order, flag_names, ordered};
use super::live::{ConnEntry, Counters, LiveCounters};
use crate::model::{Dest, Service, State};

/// The document for list command `opts`, pretty-printed with a final newline; the listing's
/// failure (an unknown service) as the text listing gives it.
pub fn list(state: &State, live: &dyn LiveCounters, opts: &ListOpts) -> Result<String, Failure> {
    let doc = match opts.what {
        ListWhat::Services(None) => json!({
            "table_size": live.table_size(),
            "services": ordered(state, opts.nosort)
                .into_iter()
                .map(|s| service(s, live, opts.nosort))
                .collect::<Vec<_>>(),
        }),
        ListWhat::Services(Some(key)) => {
            let svc = state
                .find(&key)
                .ok_or_else(|| Failure::new(EXIT_LIST, message(Op::GetService, Errno::Esrch)))?;
            json!({ "services": [service(svc, live, opts.nosort)] })
        }
        ListWhat::Connections { .. } => {
            let mut conns = Vec::new();
            live.for_each_connection(&mut |c| conns.push(connection(c)));
            json!({ "connections": conns })
        }
        ListWhat::Timeout => json!({
            "timeouts": {
                "tcp": state.timeouts.tcp,
                "tcp_fin": state.timeouts.tcp_fin,
                "udp": state.timeouts.udp,
            }
        }),
        // rvs runs no sync daemon.
        ListWhat::Daemon => json!({ "daemons": [] }),
    };
    let mut text = serde_json::to_string_pretty(&doc).expect("a JSON value prints");
    text.push('\n');
    Ok(text)
}

fn service(svc: &Service, live: &dyn LiveCounters, nosort: bool) -> Value {
    let spec = &svc.spec;
    let (protocol, address, port, fwmark) = match spec.key {
        ServiceKey::Addr { proto, addr, port } => {
            (proto.db_name(), Some(addr.to_string()), Some(port), None)
        }
        ServiceKey::Fwmark { mark, .. } => ("fwmark", None, None, Some(mark)),
    };
    let netmask = match spec.key.is_ipv6() {
        true => json!(spec.netmask),
        false => json!(std::net::Ipv4Addr::from(spec.netmask).to_string()),
    };
    json!({
        "protocol": protocol,
        "address": address,
        "port": port,
        "fwmark": fwmark,
        "ipv6": spec.key.is_ipv6(),
        "scheduler": spec.scheduler,
        "flags": flag_names(&spec.scheduler, spec.flags),
        "persistent": spec.persistent,
        "netmask": netmask,
        "pe": spec.pe,
        "one_packet": spec.ops,
        "stats": stats(live.service_stats(svc.id)),
        "rates": rates(live.service_rates(svc.id)),
        "servers": dests_in_order(svc, nosort)
            .into_iter()
            .map(|d| server(d, live))
            .collect::<Vec<_>>(),
    })
}

fn server(d: &Dest, live: &dyn LiveCounters) -> Value {
    let spec = &d.spec;
    let (active, inactive) = live.conns(d.slot);
    let tunnel = (spec.method == Method::Tunnel).then(|| {
        json!({
            "type": match spec.tunnel.kind {
                TunnelType::Ipip => "ipip",
                TunnelType::Gue => "gue",
                TunnelType::Gre => "gre",
            },
            "port": spec.tunnel.port,
            "csum": match spec.tunnel.csum {
                TunnelCsum::NoCsum => "nocsum",
                TunnelCsum::Csum => "csum",
                TunnelCsum::RemCsum => "remcsum",
            },
        })
    });
    json!({
        "address": spec.addr.to_string(),
        "port": spec.port,
        "forward": match spec.method {
            Method::Masq => "masq",
            Method::Local => "local",
            Method::Tunnel => "tunnel",
            Method::Route => "route",
        },
        "weight": spec.weight,
        "upper_threshold": spec.u_threshold,
        "lower_threshold": spec.l_threshold,
        "tunnel": tunnel,
        "active_connections": active,
        "inactive_connections": inactive,
        "persistent_connections": live.persistent_conns(d.slot),
        "stats": stats(live.dest_stats(d.slot)),
        "rates": rates(live.dest_rates(d.slot)),
    })
}

fn stats(Counters(c): Counters) -> Value {
    json!({
        "conns": c[0],
        "in_packets": c[1],
        "out_packets": c[2],
        "in_bytes": c[3],
        "out_bytes": c[4],
    })
}

fn rates(Counters(r): Counters) -> Value {
    json!({
        "cps": r[0],
        "in_pps": r[1],
        "out_pps": r[2],
        "in_bps": r[3],
        "out_bps": r[4],
    })
}

fn endpoint((addr, port): (std::net::IpAddr, u16)) -> Value {
    json!({ "address": addr.to_string(), "port": port })
}

fn connection(c: &ConnEntry) -> Value {
    json!({
        "protocol": c.protocol.map_or("ip", |p| p.db_name()),
        "expires": c.expires,
        "state": c.state,
        "client": endpoint(c.client),
        "virtual": endpoint(c.virtual_service),
        "destination": endpoint(c.dest),
        "pe_name": c.pe.as_ref().map(|p| p.0),
        "pe_data": c.pe.as_ref().map(|p| p.1.as_str()),
    })
}
