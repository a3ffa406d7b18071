//! Listings (`-L`), save (`-S`) and their exact text (ipvsadm-spec §7).

use std::fmt::Write;
use std::net::IpAddr;

use super::command::{
    sched_flags, ListFormat, ListOpts, ListWhat, Method, Protocol, ServiceKey, Timeouts,
    TunnelCsum, TunnelType,
};
use super::error::{message, Errno, Failure, Op, EXIT_LIST};
use super::live::{ConnEntry, Counters, LiveCounters};
use super::names::Names;
use super::sort::{cmp_dests, cmp_services, msort};
use crate::model::{Dest, Service, State};

/// How addresses and ports become text (ipvsadm-spec §7.1).
struct View<'a> {
    names: &'a dyn Names,
    numeric: bool,
}

/// C `snprintf(buf, 60, ...)`: at most 59 bytes.
fn cut59(mut s: String) -> String {
    s.truncate(59);
    s
}

impl View<'_> {
    /// `host:port` or `[host]:port`; names only without `-n`, ports only for a protocol.
    fn addrport(&self, addr: IpAddr, port: u16, proto: Option<Protocol>) -> String {
        let host = match self.numeric {
            true => None,
            false => self.names.host_by_addr(addr),
        }
        .unwrap_or_else(|| addr.to_string());
        let port = match (self.numeric, proto) {
            (false, Some(p)) => self.names.port_name(port, p),
            _ => None,
        }
        .unwrap_or_else(|| port.to_string());
        match addr {
            IpAddr::V4(_) => cut59(format!("{host}:{port}")),
            IpAddr::V6(_) => cut59(format!("[{host}]:{port}")),
        }
    }

    /// One `-L -c` line: `%-3s %-6s %-11s %-18s %-18s %s`, the expiry as `MM:SS` with the
    /// minutes never capped (ipvsadm-spec §7.9).
    /// One `-L -c` line; with `--persistent-conn` (`pe_columns`) a template's engine and
    /// data follow, the destination then padded to 16 (ipvsadm-spec §7.9).
    fn connection_line(&self, out: &mut String, c: &ConnEntry, pe_columns: bool) {
        let p = c.protocol;
        let expire = format!("{:02}:{:02}", c.expires / 60, c.expires % 60);
        let _ = write!(
            out,
            "{:<3} {:<6} {:<11} {:<18} {:<18} ",
            p.map_or("IP", Protocol::list_name),
            expire,
            c.state,
            self.addrport(c.client.0, c.client.1, p),
            self.addrport(c.virtual_service.0, c.virtual_service.1, p),
        );
        let dest = self.addrport(c.dest.0, c.dest.1, p);
        let _ = match c.pe.as_ref().filter(|_| pe_columns) {
            Some((name, data)) => {
                let shown = pe_data_shown(name, data, c.client.0.is_ipv6());
                writeln!(out, "{dest:<16} {name:<18} {shown}")
            }
            None => writeln!(out, "{dest}"),
        };
    }

    /// The service field S of listings: `TCP  addr:port` (IPv4 cut to 33) or `FWM  mark`.
    fn service_field(&self, key: &ServiceKey) -> String {
        match *key {
            ServiceKey::Addr { proto, addr, port } => {
                let mut s = format!(
                    "{:<4} {}",
                    proto.list_name(),
                    self.addrport(addr, port, Some(proto))
                );
                if addr.is_ipv4() {
                    s.truncate(33);
                }
                s
            }
            // The mark prints as a signed 32-bit number (ipvsadm-spec §7.2).
            ServiceKey::Fwmark { mark, ipv6: false } => format!("FWM  {}", mark as i32),
            ServiceKey::Fwmark { mark, ipv6: true } => format!("FWM  {} IPv6", mark as i32),
        }
    }

    /// The service part of `-S` rules: `-t addr:port` or `-f mark [-6]`.
    fn service_rule(&self, key: &ServiceKey) -> String {
        match *key {
            ServiceKey::Addr { proto, addr, port } => {
                format!(
                    "{} {}",
                    proto.save_option(),
                    self.addrport(addr, port, Some(proto))
                )
            }
            ServiceKey::Fwmark { mark, ipv6: false } => format!("-f {}", mark as i32),
            ServiceKey::Fwmark { mark, ipv6: true } => format!("-f {} -6", mark as i32),
        }
    }

    /// A real server's address text; IPv4 cut to 28 in listings (not in rules).
    fn dest_field(&self, svc: &ServiceKey, d: &Dest, rule: bool) -> String {
        let mut s = self.addrport(d.spec.addr, d.spec.port, svc.protocol());
        if !rule && d.spec.addr.is_ipv4() {
            s.truncate(28);
        }
        s
    }
}

/// Scheduler flag names as ipvsadm prints them: sh/mh have their own names
/// ([`dataplane::sched::Scheduler::flag_names`]) and none for 0x20, the others `flag-N`.
pub(super) fn flag_names(scheduler: &str, flags: u32) -> String {
    let names = dataplane::sched::by_name(scheduler)
        .map(|s| s.flag_names())
        .filter(|n| !n.is_empty())
        .unwrap_or(sched_flags::GENERIC_NAMES);
    let set: Vec<&str> = names
        .iter()
        .filter(|(b, _)| flags & b != 0)
        .map(|n| n.1)
        .collect();
    set.join(",")
}

/// The persistence mask text, or `None` for a full mask.
fn mask_text(key: &ServiceKey, netmask: u32) -> Option<String> {
    match key.is_ipv6() {
        false => (netmask != 0xffff_ffff).then(|| std::net::Ipv4Addr::from(netmask).to_string()),
        true => (netmask != 128).then(|| netmask.to_string()),
    }
}

fn method_name(m: Method) -> &'static str {
    match m {
        Method::Masq => "Masq",
        Method::Local => "Local",
        Method::Tunnel => "Tunnel",
        Method::Route => "Route",
    }
}

/// `print_largenum` (ipvsadm-spec §7.3 N(x)).
fn largenum(x: u64, exact: bool) -> String {
    if exact {
        let s = x.to_string();
        return if s.len() <= 8 {
            format!("{s:>9}")
        } else {
            format!(" {s}")
        };
    }
    match x {
        0..=99_999_999 => format!("{x:9}"),
        100_000_000..=999_999_999 => format!("{:8}K", x / 1_000),
        1_000_000_000..=99_999_999_999 => format!("{:8}M", x / 1_000_000),
        100_000_000_000..=99_999_999_999_999 => format!("{:8}G", x / 1_000_000_000),
        _ => format!("{:8}T", x / 1_000_000_000_000),
    }
}

fn largenums(c: Counters, exact: bool) -> String {
    c.0.iter().map(|&x| largenum(x, exact)).collect()
}

/// The two title lines of a format (ipvsadm-spec §7.2-§7.4).
fn title(format: ListFormat) -> &'static str {
    match format {
        ListFormat::Default => concat!(
            "Prot LocalAddress:Port Scheduler Flags\n",
            "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
        ),
        ListFormat::TunInfo => concat!(
            "Prot LocalAddress:Port Scheduler Flags\n",
            "  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n"
        ),
        ListFormat::Stats => concat!(
            "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n",
            "  -> RemoteAddress:Port\n"
        ),
        ListFormat::Rate => concat!(
            "Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS\n",
            "  -> RemoteAddress:Port\n"
        ),
        ListFormat::Thresholds => concat!(
            "Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn \n",
            "  -> RemoteAddress:Port\n"
        ),
        ListFormat::PersistentConn => concat!(
            "Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn \n",
            "  -> RemoteAddress:Port\n"
        ),
    }
}

/// The default service line: S, scheduler, flags, persistence, mask, pe, ops.
fn service_line(view: &View, svc: &Service) -> String {
    let spec = &svc.spec;
    let mut line = format!("{} {}", view.service_field(&spec.key), spec.scheduler);
    if spec.flags & sched_flags::ALL != 0 {
        let _ = write!(line, " ({})", flag_names(&spec.scheduler, spec.flags));
    }
    if let Some(timeout) = spec.persistent {
        let _ = write!(line, " persistent {timeout}");
        if let Some(mask) = mask_text(&spec.key, spec.netmask) {
            let _ = write!(line, " mask {mask}");
        }
        // pe is shown only for persistent services (ipvsadm-spec §7.2).
        if let Some(pe) = &spec.pe {
            let _ = write!(line, " pe {pe}");
        }
    }
    if spec.ops {
        line.push_str(" ops");
    }
    line
}

/// TunnelInfo column: `n/a`, `ipip`, `gue:PORT:C`, `gre:C` (ipvsadm-spec §7.4).
fn tunnel_info(d: &Dest) -> String {
    if d.spec.method != Method::Tunnel {
        return "n/a".to_string();
    }
    let t = d.spec.tunnel;
    let c = match t.csum {
        TunnelCsum::NoCsum => "-c",
        TunnelCsum::Csum => "+c",
        TunnelCsum::RemCsum => "r+c",
    };
    match t.kind {
        TunnelType::Ipip => "ipip".to_string(),
        TunnelType::Gue => format!("gue:{}:{c}", t.port),
        TunnelType::Gre => format!("gre:{c}"),
    }
}

/// Everything a listing needs besides the model.
struct Lister<'a> {
    view: View<'a>,
    live: &'a dyn LiveCounters,
    opts: &'a ListOpts,
}

impl Lister<'_> {
    fn service(&self, out: &mut String, svc: &Service) {
        let exact = self.opts.exact;
        let s = match self.opts.format {
            ListFormat::Stats | ListFormat::Rate => {
                let values = match self.opts.format {
                    ListFormat::Stats => self.live.service_stats(svc.id),
                    _ => self.live.service_rates(svc.id),
                };
                let field = self.view.service_field(&svc.spec.key);
                format!("{field:<33}{}", largenums(values, exact))
            }
            _ => service_line(&self.view, svc),
        };
        out.push_str(&s);
        out.push('\n');
        for d in dests_in_order(svc, self.opts.nosort) {
            self.dest(out, svc, d);
        }
    }

    /// One real-server line in the chosen format (ipvsadm-spec §7.2-§7.4).
    fn dest(&self, out: &mut String, svc: &Service, d: &Dest) {
        let name = self.view.dest_field(&svc.spec.key, d, false);
        let (active, inactive) = self.live.conns(d.slot);
        let w = d.spec.weight;
        let fwd = method_name(d.spec.method);
        let exact = self.opts.exact;
        let _ = match self.opts.format {
            ListFormat::Default => writeln!(
                out,
                "  -> {name:<28} {fwd:<7} {w:<6} {active:<10} {inactive:<10}"
            ),
            ListFormat::TunInfo => {
                let t = tunnel_info(d);
                writeln!(
                    out,
                    "  -> {name:<28} {fwd:<7} {t:<13} {w:<6} {active:<10} {inactive:<10}"
                )
            }
            ListFormat::Stats => {
                let c = self.live.dest_stats(d.slot);
                writeln!(out, "  -> {name:<28}{}", largenums(c, exact))
            }
            ListFormat::Rate => {
                // cps, inpps, outpps are never humanised (ipvsadm-spec §7.3).
                let r = self.live.dest_rates(d.slot).0;
                let bps = format!("{}{}", largenum(r[3], exact), largenum(r[4], exact));
                writeln!(out, "  -> {name:<28} {:8} {:8} {:8}{bps}", r[0], r[1], r[2])
            }
            ListFormat::Thresholds => {
                let (u, l) = (d.spec.u_threshold, d.spec.l_threshold);
                writeln!(
                    out,
                    "  -> {name:<28} {u:<10} {l:<10} {active:<10} {inactive:<10}"
                )
            }
            ListFormat::PersistentConn => {
                let p = self.live.persistent_conns(d.slot);
                writeln!(
                    out,
                    "  -> {name:<28} {w:<9} {p:<11} {active:<10} {inactive:<10}"
                )
            }
        };
    }
}

/// Services in listing order: sorted by libipvs's comparator unless `--nosort`.
pub(super) fn ordered(state: &State, nosort: bool) -> Vec<&Service> {
    let mut services: Vec<&Service> = state.services.iter().collect();
    if !nosort {
        msort(&mut services, &|a, b| {
            cmp_services(&a.spec.key, &b.spec.key)
        });
    }
    services
}

/// A service's real servers in listing order: sorted unless `--nosort`.
pub(super) fn dests_in_order(svc: &Service, nosort: bool) -> Vec<&Dest> {
    let mut dests: Vec<&Dest> = svc.dests.iter().collect();
    if !nosort {
        msort(&mut dests, &|a, b| cmp_dests(&a.spec, &b.spec));
    }
    dests
}

/// `-L`/`-l`: stdout text, or the listing failure (exit 1).
pub fn list(
    state: &State,
    live: &dyn LiveCounters,
    names: &dyn Names,
    opts: &ListOpts,
) -> Result<String, Failure> {
    let lister = Lister {
        view: View {
            names,
            numeric: opts.numeric,
        },
        live,
        opts,
    };
    let mut out = String::new();
    match opts.what {
        ListWhat::Services(None) => {
            // ipvsadm-spec §1.2: rvs prints its own connection-table capacity.
            let size = live.table_size();
            let _ = writeln!(out, "IP Virtual Server version 1.2.1 (size={size})");
            out.push_str(title(opts.format));
            for svc in ordered(state, opts.nosort) {
                lister.service(&mut out, svc);
            }
        }
        ListWhat::Services(Some(key)) => {
            let svc = state
                .find(&key)
                .ok_or_else(|| Failure::new(EXIT_LIST, message(Op::GetService, Errno::Esrch)))?;
            out.push_str(title(opts.format));
            lister.service(&mut out, svc);
        }
        ListWhat::Connections { persistent_conn } => {
            out.push_str(connections_title(persistent_conn));
            live.for_each_connection(&mut |c| {
                lister.view.connection_line(&mut out, c, persistent_conn)
            });
        }
        ListWhat::Timeout => out.push_str(&timeout_line(state.timeouts)),
        // rvs runs no sync daemon: nothing to list, exit 0 (ipvsadm-spec §7.8).
        ListWhat::Daemon => {}
    }
    Ok(out)
}

/// The part of a template's pe data ipvsadm shows: its first word, cut where the kernel's
/// connection line reaches the 255 bytes ipvsadm reads of a line (the fixed fields take 65
/// bytes for IPv4, 158 for IPv6, then ` NAME `). Oracle: 6.12 listed 185 bytes of a 200-byte
/// Call-ID. ipvsadm then reads the rest of that line as a line of its own and prints garbage
/// or stops; rvsadm does not imitate that.
fn pe_data_shown<'d>(name: &str, data: &'d str, ipv6: bool) -> &'d str {
    const LINE: usize = 255;
    let fixed = if ipv6 { 158 } else { 65 };
    let room = LINE.saturating_sub(fixed + name.len() + 2);
    let word = data.split_whitespace().next().unwrap_or("");
    let mut end = word.len().min(room);
    while !word.is_char_boundary(end) {
        end -= 1;
    }
    &word[..end]
}

/// `-L -c` title (ipvsadm-spec §7.9).
fn connections_title(persistent_conn: bool) -> &'static str {
    match persistent_conn {
        false => concat!(
            "IPVS connection entries\n",
            "pro expire state       source             virtual            destination\n"
        ),
        true => concat!(
            "IPVS connection entries\n",
            "pro expire state       source             virtual            destination",
            "        pe name          pe_data\n"
        ),
    }
}

fn timeout_line(t: Timeouts) -> String {
    format!(
        "Timeout (tcp tcpfin udp): {} {} {}\n",
        t.tcp, t.tcp_fin, t.udp
    )
}

/// `-S`: one `-A` rule per service, each followed by its `-a` rules (ipvsadm-spec §7.6).
pub fn save(state: &State, names: &dyn Names, numeric: bool) -> String {
    let view = View { names, numeric };
    let mut out = String::new();
    for svc in ordered(state, false) {
        let svc_rule = view.service_rule(&svc.spec.key);
        out.push_str(&service_rule(&svc_rule, svc));
        let mut dests: Vec<&Dest> = svc.dests.iter().collect();
        msort(&mut dests, &|a, b| cmp_dests(&a.spec, &b.spec));
        for d in dests {
            let name = view.dest_field(&svc.spec.key, d, true);
            out.push_str(&dest_rule(&svc_rule, &name, d));
        }
    }
    out
}

fn service_rule(svc_rule: &str, svc: &Service) -> String {
    let spec = &svc.spec;
    let mut line = format!("-A {svc_rule} -s {}", spec.scheduler);
    if let Some(timeout) = spec.persistent {
        let _ = write!(line, " -p {timeout}");
        if let Some(mask) = mask_text(&spec.key, spec.netmask) {
            let _ = write!(line, " -M {mask}");
        }
    }
    // pe is saved even when not persistent (ipvsadm-spec §7.6).
    if let Some(pe) = &spec.pe {
        let _ = write!(line, " --pe {pe}");
    }
    if spec.ops {
        line.push_str(" -o");
    }
    if spec.flags & sched_flags::ALL != 0 {
        let _ = write!(line, " -b {}", flag_names(&spec.scheduler, spec.flags));
    }
    line.push('\n');
    line
}

fn dest_rule(svc_rule: &str, name: &str, d: &Dest) -> String {
    let method = match d.spec.method {
        Method::Masq => "-m",
        Method::Tunnel => "-i",
        Method::Route | Method::Local => "-g",
    };
    let mut line = format!("-a {svc_rule} -r {name} {method} -w {}", d.spec.weight);
    if d.spec.method == Method::Tunnel {
        let t = d.spec.tunnel;
        let csum = match t.csum {
            TunnelCsum::NoCsum => "--tun-nocsum",
            TunnelCsum::Csum => "--tun-csum",
            TunnelCsum::RemCsum => "--tun-remcsum",
        };
        let _ = match t.kind {
            TunnelType::Ipip => write!(line, " --tun-type ipip"),
            TunnelType::Gue => write!(line, " --tun-type gue --tun-port {} {csum}", t.port),
            TunnelType::Gre => write!(line, " --tun-type gre {csum}"),
        };
    }
    line.push('\n');
    line
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn largenum_boundaries() {
        let rows: &[(u64, &str)] = &[
            (99999999, " 99999999"),
            (100000000, "  100000K"),
            (999999999, "  999999K"),
            (1000000000, "    1000M"),
            (99999999999, "   99999M"),
            (100000000000, "     100G"),
            (99999999999999, "   99999G"),
            (100000000000000, "     100T"),
            (18446744073709551615, "18446744T"),
        ];
        for (x, text) in rows {
            assert_eq!(largenum(*x, false), *text, "{x}");
        }
        assert_eq!(largenum(u64::MAX, true), " 18446744073709551615");
        assert_eq!(largenum(12, true), "       12");
    }

    #[test]
    fn flag_name_quirks() {
        assert_eq!(flag_names("sh", 0x20), "");
        assert_eq!(flag_names("mh", 0x30), "mh-port");
        assert_eq!(flag_names("rr", 0x38), "flag-1,flag-2,flag-3");
    }
}
