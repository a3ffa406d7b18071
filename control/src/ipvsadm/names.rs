//! Host and port names: what ipvsadm gets from the resolver and the services database
//! (ipvsadm-spec §5.2 for reading names, §7.1 for printing them).

use std::net::{IpAddr, Ipv4Addr, ToSocketAddrs};

use super::command::Protocol;

/// Name look-ups, behind a trait so tests can use the host of ipvsadm-spec §0.
pub trait Names {
    /// First IPv4 address of a host name (`gethostbyname`).
    fn host_v4(&self, name: &str) -> Option<Ipv4Addr>;
    /// Port of a service name for a protocol (`getservbyname`).
    fn port_by_name(&self, name: &str, proto: Protocol) -> Option<u16>;
    /// Primary name of an address (`gethostbyaddr`).
    fn host_by_addr(&self, addr: IpAddr) -> Option<String>;
    /// Official service name of a port for a protocol (`getservbyport`).
    fn port_name(&self, port: u16, proto: Protocol) -> Option<String>;
}

/// One `/etc/services` entry.
#[derive(Clone, Debug)]
struct ServiceEntry {
    name: String,
    aliases: Vec<String>,
    port: u16,
    proto: String,
}

/// The system's names: `/etc/services` for ports, `/etc/hosts` for reverse look-ups and
/// getaddrinfo for host names.
///
/// rvs decision: reverse look-ups read `/etc/hosts` only. A DNS PTR query could stall the
/// control thread for seconds; an address without a local name prints numerically, which is
/// ipvsadm's own fallback.
#[derive(Clone, Debug, Default)]
pub struct SystemNames {
    services: Vec<ServiceEntry>,
    hosts: Vec<(IpAddr, String)>,
}

impl SystemNames {
    /// Reads `/etc/services` and `/etc/hosts` once; missing files mean no names.
    pub fn load() -> SystemNames {
        let read = |path| std::fs::read_to_string(path).unwrap_or_default();
        SystemNames {
            services: parse_services(&read("/etc/services")),
            hosts: parse_hosts(&read("/etc/hosts")),
        }
    }
}

/// Text before a `#` comment.
fn uncommented(line: &str) -> &str {
    line.split('#').next().unwrap_or("")
}

fn parse_services(text: &str) -> Vec<ServiceEntry> {
    text.lines()
        .filter_map(|line| {
            let mut words = uncommented(line).split_whitespace();
            let name = words.next()?.to_string();
            let (port, proto) = words.next()?.split_once('/')?;
            Some(ServiceEntry {
                name,
                port: port.parse().ok()?,
                proto: proto.to_string(),
                aliases: words.map(str::to_string).collect(),
            })
        })
        .collect()
}

fn parse_hosts(text: &str) -> Vec<(IpAddr, String)> {
    text.lines()
        .filter_map(|line| {
            let mut words = uncommented(line).split_whitespace();
            let addr = words.next()?.parse().ok()?;
            Some((addr, words.next()?.to_string()))
        })
        .collect()
}

impl Names for SystemNames {
    fn host_v4(&self, name: &str) -> Option<Ipv4Addr> {
        (name, 0)
            .to_socket_addrs()
            .ok()?
            .find_map(|sa| match sa.ip() {
                IpAddr::V4(v4) => Some(v4),
                IpAddr::V6(_) => None,
            })
    }

    fn port_by_name(&self, name: &str, proto: Protocol) -> Option<u16> {
        self.services
            .iter()
            .find(|e| {
                e.proto == proto.db_name()
                    && (e.name == name || e.aliases.iter().any(|a| a == name))
            })
            .map(|e| e.port)
    }

    fn host_by_addr(&self, addr: IpAddr) -> Option<String> {
        self.hosts
            .iter()
            .find(|(a, _)| *a == addr)
            .map(|(_, n)| n.clone())
    }

    fn port_name(&self, port: u16, proto: Protocol) -> Option<String> {
        self.services
            .iter()
            .find(|e| e.port == port && e.proto == proto.db_name())
            .map(|e| e.name.clone())
    }
}

#[cfg(test)]
pub(crate) mod test {
    use super::*;

    /// The Debian 12 host of ipvsadm-spec §0: 127.0.0.1 is `localhost`; 80/tcp `http`,
    /// 8080/tcp `http-alt`, 443/tcp `https`, 53/udp `domain`, 5060/udp `sip`.
    pub(crate) struct DebianNames;

    const SERVICES: &[(&str, u16, Protocol)] = &[
        ("http", 80, Protocol::Tcp),
        ("http-alt", 8080, Protocol::Tcp),
        ("https", 443, Protocol::Tcp),
        ("domain", 53, Protocol::Udp),
        ("sip", 5060, Protocol::Udp),
    ];

    impl Names for DebianNames {
        fn host_v4(&self, name: &str) -> Option<Ipv4Addr> {
            (name == "localhost").then_some(Ipv4Addr::LOCALHOST)
        }
        fn port_by_name(&self, name: &str, proto: Protocol) -> Option<u16> {
            SERVICES
                .iter()
                .find(|(n, _, p)| *n == name && *p == proto)
                .map(|e| e.1)
        }
        fn host_by_addr(&self, addr: IpAddr) -> Option<String> {
            (addr == IpAddr::V4(Ipv4Addr::LOCALHOST)).then(|| "localhost".to_string())
        }
        fn port_name(&self, port: u16, proto: Protocol) -> Option<String> {
            SERVICES
                .iter()
                .find(|(_, n, p)| *n == port && *p == proto)
                .map(|e| e.0.to_string())
        }
    }

    #[test]
    fn services_file_format() {
        let db = SystemNames {
            services: parse_services("http\t80/tcp www # web\n# x\nhttp 80/udp\n"),
            hosts: parse_hosts("127.0.0.1 localhost\n::1 ip6-localhost # c\n"),
        };
        assert_eq!(db.port_by_name("www", Protocol::Tcp), Some(80));
        assert_eq!(db.port_by_name("http", Protocol::Sctp), None);
        assert_eq!(db.port_name(80, Protocol::Udp).as_deref(), Some("http"));
        let lo6: IpAddr = "::1".parse().unwrap();
        assert_eq!(db.host_by_addr(lo6).as_deref(), Some("ip6-localhost"));
    }
}
