//! Which client sends each packet: `--flows N` cycles over N clients (established traffic
//! after the first pass; TCP: a SYN per flow first, then ACK segments whose sequence numbers
//! advance), `--new` sends every packet from a client never seen before (TCP: all SYNs).
//!
//! Flow k's client is source address k mod A (A addresses of the source network, at most
//! 2^24) and source port [`PORT_BASE`] + (k / A) mod [`PORTS`]. The generator steps a
//! [`Cursor`] instead of dividing per packet.

use super::frame::Fields;
use std::net::IpAddr;

/// The first source port.
pub const PORT_BASE: u16 = 10000;
/// Source ports per address.
pub const PORTS: u32 = 50000;
/// Source addresses used at most (of a larger network).
pub const MAX_ADDRS: u32 = 1 << 24;
/// Every flow's initial sequence number.
const ISN: u32 = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Cycle over this many flows.
    Cycle(u64),
    /// A new flow every packet.
    New,
}

/// How flows are numbered and what their packets carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowSpec {
    pub mode: Mode,
    /// TCP: sequence numbers advance by the payload per pass.
    pub payload_len: u32,
    /// The low 32 bits of the first source address.
    first_addr: u32,
    /// Source addresses in use.
    addrs: u32,
}

/// Where the generator is in its sequence of packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cursor {
    addr: u32,
    port: u32,
    /// `--flows`: the flow within the pass, and the pass.
    flow: u64,
    pass: u64,
}

impl FlowSpec {
    /// Flows from the addresses of `net/len` (the network and, from 4 addresses up, its
    /// all-ones address left out); an error when `mode` asks for more flows than there are.
    pub fn new(mode: Mode, net: IpAddr, len: u8, payload_len: usize) -> Result<FlowSpec, String> {
        let host_bits = u32::from(if net.is_ipv4() { 32 } else { 128 } - len);
        let (first, addrs) = match host_bits {
            0 | 1 => (0, 1 << host_bits),
            b if b > 24 => (1, MAX_ADDRS),
            b => (1, (1 << b) - 2),
        };
        let low = match net {
            IpAddr::V4(a) => u32::from(a),
            IpAddr::V6(a) => u128::from(a) as u32,
        };
        let spec = FlowSpec {
            mode,
            payload_len: payload_len as u32,
            first_addr: low + first,
            addrs,
        };
        match mode {
            Mode::Cycle(n) if n == 0 || n > spec.capacity() => Err(format!(
                "--flows {n}: between 1 and {} ({addrs} addresses × {PORTS} ports)",
                spec.capacity()
            )),
            _ => Ok(spec),
        }
    }

    /// Distinct flows there are.
    pub fn capacity(&self) -> u64 {
        u64::from(self.addrs) * u64::from(PORTS)
    }

    /// Distinct flows `sent` packets came from.
    pub fn distinct(&self, sent: u64) -> u64 {
        match self.mode {
            Mode::Cycle(n) => sent.min(n),
            Mode::New => sent.min(self.capacity()),
        }
    }

    /// The first packet's cursor.
    pub fn start(&self) -> Cursor {
        Cursor::default()
    }

    /// The packet at `c`, stamped `stamp`.
    pub fn fields(&self, c: &Cursor, stamp: u64) -> Fields {
        let syn = c.pass == 0;
        let seq = match c.pass {
            0 => ISN,
            // The SYN took one number, and each packet its payload.
            p => ISN
                .wrapping_add(1)
                .wrapping_add((p as u32).wrapping_mul(self.payload_len)),
        };
        Fields {
            src_low: self.first_addr.wrapping_add(c.addr),
            src_port: PORT_BASE + c.port as u16,
            seq,
            syn,
            stamp,
        }
    }

    /// Moves `c` to the next packet.
    pub fn step(&self, c: &mut Cursor) {
        c.addr += 1;
        if c.addr == self.addrs {
            c.addr = 0;
            c.port += 1;
            if c.port == PORTS {
                c.port = 0;
            }
        }
        if let Mode::Cycle(n) = self.mode {
            c.flow += 1;
            if c.flow == n {
                *c = Cursor {
                    pass: c.pass + 1,
                    ..Cursor::default()
                };
            }
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use std::collections::HashSet;

    fn spec(mode: Mode, net: &str, len: u8) -> FlowSpec {
        FlowSpec::new(mode, net.parse().unwrap(), len, 18).unwrap()
    }

    fn packets(s: &FlowSpec, n: usize) -> Vec<Fields> {
        let mut c = s.start();
        (0..n)
            .map(|_| {
                let f = s.fields(&c, 0);
                s.step(&mut c);
                f
            })
            .collect()
    }

    #[test]
    fn cycle_sends_syn_then_acks_with_advancing_seq() {
        let s = spec(Mode::Cycle(300), "10.0.0.0", 8);
        let p = packets(&s, 900);
        let clients: HashSet<_> = p.iter().map(|f| (f.src_low, f.src_port)).collect();
        assert_eq!(clients.len(), 300);
        assert_eq!(s.distinct(900), 300);
        for (k, f) in p.iter().enumerate() {
            let (flow, pass) = (k % 300, (k / 300) as u32);
            assert_eq!(
                (f.src_low, f.src_port),
                (0x0a00_0001 + flow as u32, PORT_BASE)
            );
            assert_eq!(f.syn, pass == 0, "packet {k}");
            let seq = if pass == 0 { ISN } else { ISN + 1 + pass * 18 };
            assert_eq!(f.seq, seq, "packet {k}");
        }
    }

    #[test]
    fn new_flows_never_repeat_and_spread_over_ports() {
        // A /29: 6 addresses (the network's and the all-ones one left out).
        let s = spec(Mode::New, "192.0.2.8", 29);
        let p = packets(&s, 600);
        let clients: HashSet<_> = p.iter().map(|f| (f.src_low, f.src_port)).collect();
        assert_eq!(clients.len(), 600);
        assert!(p.iter().all(|f| f.syn && f.seq == ISN));
        let addrs: HashSet<_> = p.iter().map(|f| f.src_low).collect();
        let want: HashSet<_> = (0xc000_0209..=0xc000_020e).collect();
        assert_eq!(addrs, want);
        assert_eq!(p[6].src_port, PORT_BASE + 1);
        assert_eq!(s.distinct(600), 600);
    }

    #[test]
    fn closed_form_matches_the_cursor() {
        let s = spec(Mode::New, "fd00::", 120);
        assert_eq!(s.addrs, 254);
        let p = packets(&s, 254 * 3 + 5);
        for (k, f) in p.iter().enumerate() {
            let k = k as u32;
            assert_eq!(f.src_low, 1 + k % 254);
            assert_eq!(f.src_port, PORT_BASE + (k / 254) as u16);
        }
        let wide = spec(Mode::New, "fd00::", 16);
        assert_eq!((wide.addrs, wide.first_addr), (MAX_ADDRS, 1));
    }

    #[test]
    fn the_port_range_wraps() {
        let s = spec(Mode::New, "10.0.0.1", 32);
        let mut c = s.start();
        for _ in 0..PORTS {
            s.step(&mut c);
        }
        assert_eq!(s.fields(&c, 0).src_port, PORT_BASE);
        assert_eq!(s.capacity(), u64::from(PORTS));
        assert_eq!(s.distinct(u64::from(PORTS) + 7), u64::from(PORTS));
    }

    #[test]
    fn too_many_flows() {
        let net = "10.0.0.0".parse().unwrap();
        assert!(FlowSpec::new(Mode::Cycle(0), net, 24, 18).is_err());
        assert!(FlowSpec::new(Mode::Cycle(254 * 50000), net, 24, 18).is_ok());
        assert!(FlowSpec::new(Mode::Cycle(254 * 50000 + 1), net, 24, 18).is_err());
    }
}
