//! The director the `process` target drives: two in-memory ports, NAT, DR and TUN services
//! of both families (persistence, `-o`, SIP, thresholds, a tunnel across families), a few
//! connections already made, and the real worker loop stepped one poll at a time. After
//! every step it checks what must always hold.

use crate::frames::{self, Flow, Shape, TCP, UDP};
use control::ipvsadm::{execute_with, names::SystemNames, LiveCounters};
use control::model::Model;
use control::publish::Publisher;
use control::slots::DestSlots;
use dataplane::classify::{classify, Class};
use dataplane::conn::{state, ConnView};
use dataplane::mark::Marks;
use dataplane::port::MemPort;
use dataplane::shared::{Dataplane, Mode, Net, Owners, Sizes};
use dataplane::stats::{Counters, CountersSnapshot};
use dataplane::worker::Worker;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

const OUT_MAC: [u8; 6] = [2, 0, 0, 0, 0, 1];
const IN_MAC: [u8; 6] = [2, 0, 0, 0, 0, 2];
/// The outside router's MAC, and every inside host's.
const PEER_MAC: [u8; 6] = [2, 0, 0, 0, 0, 0xfe];

const C: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 10);
const GW: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 254);
const PORT1: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
const GW_IN: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 254);
const R1: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 11);
const R1B: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 12);
const RS: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 13);
const R2: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 21);
const R3: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 31);
const C6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0xc, 0, 0, 0, 0, 0x10);
const GW6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 0xfe);
const R6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 2, 0, 0, 0, 0, 0x11);

fn vip(n: u8) -> Ipv4Addr {
    Ipv4Addr::new(198, 51, 100, n)
}

const V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0x100, 0, 0, 0, 0, 1);

/// The services, as an operator would type them.
const SERVICES: &[&str] = &[
    "-A -t 198.51.100.1:80 -s wlc",
    "-a -t 198.51.100.1:80 -r 10.0.0.11:8080 -m",
    "-a -t 198.51.100.1:80 -r 10.0.0.12:8080 -m -w 2 -x 3 -y 1",
    "-A -u 198.51.100.1:53 -s rr -o",
    "-a -u 198.51.100.1:53 -r 10.0.0.11:53 -m",
    "-A -t 198.51.100.2:80 -s sh",
    "-a -t 198.51.100.2:80 -r 10.0.0.21 -g",
    "-A -t 198.51.100.3:80 -s rr -p 60",
    "-a -t 198.51.100.3:80 -r 192.0.2.31 -i --tun-type gre --tun-csum",
    "-a -t 198.51.100.3:80 -r 192.0.2.32 -i",
    "-A -u 198.51.100.4:5060 -s rr -p 60 --pe sip",
    "-a -u 198.51.100.4:5060 -r 10.0.0.13:5060 -m",
    "-A -t [2001:db8:100::1]:80 -s mh",
    "-a -t [2001:db8:100::1]:80 -r [2001:db8:2::11]:8080 -m",
    "-a -t [2001:db8:100::1]:80 -r 192.0.2.33 -i --tun-type gue --tun-port 6080",
];

/// Configuration changes the fuzzer may make between packets.
const CHANGES: &[&str] = &[
    "-e -t 198.51.100.1:80 -r 10.0.0.11:8080 -m -w 0",
    "-e -t 198.51.100.1:80 -r 10.0.0.11:8080 -m -w 3",
    "-d -t 198.51.100.1:80 -r 10.0.0.11:8080",
    "-a -t 198.51.100.1:80 -r 10.0.0.11:8080 -m",
    "-E -t 198.51.100.1:80 -s lc",
    "-d -t 198.51.100.3:80 -r 192.0.2.31",
    "-a -t 198.51.100.3:80 -r 192.0.2.31 -i --tun-type ipip",
    "-D -t 198.51.100.2:80",
    "-A -t 198.51.100.2:80 -s dh",
    "-a -t 198.51.100.2:80 -r 10.0.0.21 -g",
    "-d -u 198.51.100.4:5060 -r 10.0.0.13:5060",
    "-a -u 198.51.100.4:5060 -r 10.0.0.13:5060 -m",
    "--set 2 2 2",
    "--set 900 120 300",
    "-C",
];

/// The flows packets are built for, by the fuzzer's choice; the client's port is
/// 40000 + a fuzzed offset. The last of each family are packets as the director sends them,
/// for ICMP errors to quote.
fn flows(cport: u16) -> [Flow; 15] {
    let f = |port, proto, src: IpAddr, sport, dst: IpAddr, dport| Flow {
        port,
        proto,
        src: (src, sport),
        dst: (dst, dport),
    };
    let (c, c6) = (IpAddr::V4(C), IpAddr::V6(C6));
    let (v1, v6, r6) = (IpAddr::V4(vip(1)), IpAddr::V6(V6), IpAddr::V6(R6));
    [
        f(0, TCP, c, cport, v1, 80),
        f(1, TCP, R1.into(), 8080, c, cport),
        f(1, TCP, R1B.into(), 8080, c, cport),
        f(0, TCP, c, cport, vip(2).into(), 80),
        f(0, TCP, c, cport, vip(3).into(), 80),
        f(0, UDP, c, cport, v1, 53),
        f(1, UDP, R1.into(), 53, c, cport),
        f(0, UDP, c, cport, vip(4).into(), 5060),
        f(1, UDP, RS.into(), 5060, c, cport),
        f(0, TCP, c6, cport, v6, 80),
        f(1, TCP, r6, 8080, c6, cport),
        f(1, TCP, c, cport, R1.into(), 8080),
        f(0, TCP, v1, 80, c, cport),
        f(1, TCP, c6, cport, r6, 8080),
        f(0, TCP, v6, 80, c6, cport),
    ]
}

/// Listings are not fuzzed here: no live counters needed.
struct NoLive;

impl LiveCounters for NoLive {
    fn conns(&self, _slot: u32) -> (u32, u32) {
        (0, 0)
    }
    fn table_size(&self) -> u32 {
        0
    }
}

/// The control side: the model and what publishes it.
struct Control {
    model: Model,
    publisher: Publisher,
}

impl Control {
    /// Runs `line`; on success publishes the model as the control thread does.
    fn run(&mut self, dp: &Dataplane<MemPort>, line: &str) {
        let words: Vec<String> = line.split_whitespace().map(String::from).collect();
        let out = execute_with(
            &SystemNames::default(),
            "rvsadm",
            &words,
            &mut self.model,
            &NoLive,
        );
        if !out.changed {
            return;
        }
        let t = self.model.timeouts();
        dp.conns.timeouts().set(t.tcp, t.tcp_fin, t.udp);
        let snap = self.publisher.snapshot(&mut self.model, dp.conns.dests());
        dp.services.publish(snap);
    }
}

/// The director's data plane: its ports, addresses, routes and static neighbours.
fn director() -> (Dataplane<MemPort>, Vec<Owners>) {
    let ports = vec![MemPort::new(OUT_MAC), MemPort::new(IN_MAC)];
    let v4 = vec![vec![(Ipv4Addr::new(198, 18, 0, 1), 24)], vec![(PORT1, 24)]];
    let routes = [
        (Ipv4Addr::UNSPECIFIED, 0, GW),
        (Ipv4Addr::new(192, 0, 2, 0), 24, GW_IN),
    ];
    let net = Net::new(v4, &routes).expect("lab addresses");
    // Small tables, so that runs fill them.
    let sizes = Sizes {
        workers: 1,
        conns: CONNS,
        conns_v6: 16,
    };
    let (mut dp, owners) = Dataplane::new(ports, net, Mode::Balance, sizes).expect("lab");
    let p1 = Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 1);
    let p2 = Ipv6Addr::new(0x2001, 0xdb8, 2, 0, 0, 0, 0, 1);
    let v6 = Net::new(
        vec![vec![(p1, 64)], vec![(p2, 64)]],
        &[(Ipv6Addr::UNSPECIFIED, 0, GW6)],
    );
    dp.set_v6(v6.expect("lab v6 addresses"));
    for (port, ip) in [(0, GW), (1, R1), (1, R2), (1, GW_IN)] {
        dp.v4
            .add_static(port, ip, PEER_MAC)
            .expect("static neighbour");
    }
    for (port, ip) in [(0, GW6), (1, R6)] {
        dp.v6
            .add_static(port, ip, PEER_MAC)
            .expect("static neighbour");
    }
    (dp, owners)
}

/// One fuzz input's run: the lab, its loop, and what was fed and sent so far.
pub struct Lab<'a> {
    dp: &'a Dataplane<MemPort>,
    worker: Worker<'a, MemPort>,
    counters: &'a Counters,
    control: Control,
    fed: (u64, u64),
    sent: (u64, u64),
}

/// Runs `f` with a fresh lab (the data plane outlives the worker that borrows it).
pub fn with_lab(f: impl FnOnce(&mut Lab)) {
    let (dp, mut owners) = director();
    let counters = Counters::new();
    let mut control = Control {
        model: Model::with_slots(
            CONNS as u32,
            Box::new(DestSlots::new(dp.conns.dests().clone())),
        ),
        publisher: Publisher::new(Marks::default()),
    };
    SERVICES.iter().for_each(|l| control.run(&dp, l));
    let worker = Worker::new(&dp, 0, &counters, owners.pop().expect("one worker"));
    let mut lab = Lab {
        dp: &dp,
        worker,
        counters: &counters,
        control,
        fed: (0, 0),
        sent: (0, 0),
    };
    lab.establish();
    f(&mut lab);
}

/// A cursor over the fuzz input; zeros past its end.
pub struct Input<'a>(pub &'a [u8]);

impl<'a> Input<'a> {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn u8(&mut self) -> u8 {
        let (&b, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        b
    }

    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }

    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.0.split_at(n.min(self.0.len()));
        self.0 = rest;
        head
    }
}

impl Lab<'_> {
    /// The connections every run starts with: a NAT handshake, DR, TUN and IPv6 SYNs, a
    /// SIP call.
    fn establish(&mut self) {
        let syn = Shape {
            flags: 0x02,
            ttl: 64,
            ..Shape::default()
        };
        let syn_ack = Shape { flags: 0x12, ..syn };
        for (flow, shape) in [(0, syn), (1, syn_ack), (3, syn), (4, syn), (9, syn)] {
            self.feed_flow(flow, 0, &shape, &[]);
        }
        let sip = b"INVITE sip:a@b SIP/2.0\r\nCall-ID: fuzz@lab\r\n\r\n";
        let dgram = Shape {
            ttl: 64,
            payload_len: sip.len() as u8,
            ..Shape::default()
        };
        self.feed_flow(7, 0, &dgram, sip);
        // NAT, DR, TUN and its template, the call and its template; the IPv6 one.
        let made = (self.dp.conns.v4.len(), self.dp.conns.v6.len());
        assert_eq!(made, (6, 1), "the lab's first connections");
    }

    /// Decodes and applies one operation of the input. Its first byte's low three bits say
    /// which; the others are the operation's flags: bit 3 the port and bit 4 "fix the
    /// checksums" of a raw frame, bit 5 "tunnelled" and bits 6-7 the tunnel of an ICMP
    /// error's quote.
    pub fn step(&mut self, input: &mut Input) {
        let op = input.u8();
        match op & 7 {
            0 => {
                let len = usize::from(input.u16());
                let mut frame = input.take(len).to_vec();
                if op & 0x10 != 0 {
                    frames::fix_checksums(&mut frame);
                }
                self.feed(usize::from(op >> 3 & 1), frame);
            }
            2 => self.icmp_error(op, input),
            3 => self.advance(u64::from(input.u16()) * 64),
            4 => {
                let line = CHANGES[usize::from(input.u8()) % CHANGES.len()];
                self.control.run(self.dp, line);
                self.poll();
            }
            // The most common: a packet of a flow.
            _ => {
                let sel = input.u8();
                let shape = self.shape(input);
                let payload = input.take(shape.payload_bytes());
                self.feed_flow(usize::from(sel & 0xf), sel >> 4, &shape, payload);
            }
        }
    }

    fn shape(&self, input: &mut Input) -> Shape {
        Shape {
            flags: input.u8(),
            ttl: input.u8(),
            opts: input.u8(),
            payload_len: input.u8(),
        }
    }

    fn packet(&self, sel: u8, offset: u8, shape: &Shape, payload: &[u8]) -> (Flow, Vec<u8>) {
        let flows = flows(40000 + u16::from(offset));
        let flow = flows[usize::from(sel) % flows.len()];
        (flow, frames::packet(&flow, shape, payload))
    }

    fn feed_flow(&mut self, sel: usize, offset: u8, shape: &Shape, payload: &[u8]) {
        let (flow, ip) = self.packet(sel as u8, offset, shape, payload);
        let mac = self.dp.ports[flow.port].mac;
        self.feed(flow.port, frames::ethernet(mac, PEER_MAC, shape, &ip));
    }

    /// An ICMP error about a flow's packet (or, for IPv4, about it inside the director's
    /// tunnel), sent back towards that packet's source.
    fn icmp_error(&mut self, op: u8, input: &mut Input) {
        let (sel, kind, cut, mtu) = (input.u8(), input.u8(), input.u8(), input.u16());
        let quoted = Shape {
            flags: 0x12,
            ttl: 63,
            ..Shape::default()
        };
        let (flow, mut ip) = self.packet(sel & 0xf, sel >> 4, &quoted, &[]);
        let (mut port, mut to) = (flow.port, flow.src.0);
        if op & 0x20 != 0 && to.is_ipv4() {
            ip = frames::tunnelled(PORT1, R3, op >> 6, &ip);
            (port, to) = (1, PORT1.into());
        }
        let from = match (to, port) {
            (IpAddr::V4(_), 0) => IpAddr::V4(GW),
            (IpAddr::V4(_), _) => IpAddr::V4(GW_IN),
            (IpAddr::V6(_), 0) => IpAddr::V6(GW6),
            (IpAddr::V6(_), _) => IpAddr::V6(R6),
        };
        let err = frames::icmp_error(from, to, kind, mtu, &ip, cut);
        let mac = self.dp.ports[port].mac;
        self.feed(
            port,
            frames::ethernet(mac, PEER_MAC, &Shape::default(), &err),
        );
    }

    /// Moves the clock and lets the loop expire what is due.
    fn advance(&mut self, ms: u64) {
        self.dp.advance_clock(ms);
        self.poll();
    }

    /// Sends `frame` in on `port` and runs one poll: the frame must have gone somewhere.
    fn feed(&mut self, port: usize, frame: Vec<u8>) {
        self.fed = (self.fed.0 + 1, self.fed.1 + frame.len() as u64);
        self.dp.ports[port].push_rx(&frame);
        let before = Fates::of(&self.counters.snapshot(), self.worker.held());
        self.poll();
        let after = Fates::of(&self.counters.snapshot(), self.worker.held());
        assert!(
            after.total() > before.total(),
            "a frame vanished: {frame:02x?}"
        );
    }

    fn poll(&mut self) {
        self.worker.poll();
        self.check();
    }

    /// What holds after every poll.
    fn check(&mut self) {
        let s = self.counters.snapshot();
        assert_eq!(
            (s.rx_packets, s.rx_bytes),
            self.fed,
            "received what was fed"
        );
        self.check_sent(&s);
        self.check_dest_counters();
    }

    /// Every frame sent is counted, leaves with its port's MAC and parses.
    fn check_sent(&mut self, s: &CountersSnapshot) {
        for (port, p) in self.dp.ports.iter().enumerate() {
            for f in p.take_tx() {
                self.sent = (self.sent.0 + 1, self.sent.1 + f.len() as u64);
                assert_eq!(f.get(6..12), Some(&p.mac[..]), "port {port} sent {f:02x?}");
                let class = classify(&f);
                assert!(!matches!(class, Class::Drop(_)), "sent {class:?}: {f:02x?}");
            }
        }
        assert_eq!(
            (s.tx_packets, s.tx_bytes),
            self.sent,
            "sent what was counted"
        );
    }

    /// Each real server's active, inactive and template counts are those of the live
    /// entries bound to it.
    fn check_dest_counters(&self) {
        let now = self.dp.now_ms();
        let mut live = Vec::new();
        self.dp.conns.v4.for_each_live(now, |v| live.push(bound(v)));
        self.dp.conns.v6.for_each_live(now, |v| live.push(bound(v)));
        let mut want: HashMap<u32, [u32; 3]> = HashMap::new();
        for (dest, kind) in live {
            want.entry(dest).or_default()[kind] += 1;
        }
        assert!(want.keys().all(|&s| s < SLOTS), "{want:?}");
        let dests = self.dp.conns.dests();
        for slot in 0..SLOTS {
            let ((active, inactive), templates) = (dests.counts(slot), dests.templates(slot));
            let have = [active, inactive, templates];
            let want = want.get(&slot).copied().unwrap_or_default();
            assert_eq!(have, want, "slot {slot}: counters against live entries");
        }
    }
}

const CONNS: usize = 64;

/// Real-server slots the lab's configurations can use.
const SLOTS: u32 = 64;

/// The real server an entry is bound to and what it counts as there: 0 active, 1 inactive,
/// 2 template.
fn bound<A>(v: &ConnView<A>) -> (u32, usize) {
    let kind = match (v.template, state::is_active(v.conn.proto, v.state)) {
        (true, _) => 2,
        (false, true) => 0,
        (false, false) => 1,
    };
    (v.conn.dest, kind)
}

/// Everything that can become of a frame fed in: sent, dropped for a reason, taught us a
/// neighbour, or held for its first fragment.
struct Fates {
    /// Not counting the neighbour requests the loop sends of its own.
    sent: u64,
    dropped: u64,
    learned: u64,
    held: u64,
}

impl Fates {
    fn of(s: &CountersSnapshot, held: usize) -> Fates {
        Fates {
            sent: s.tx_packets - s.neigh_requests,
            dropped: s.total_drops(),
            learned: s.arp_learned + s.nd_learned,
            held: held as u64,
        }
    }

    fn total(&self) -> u64 {
        self.sent + self.dropped + self.learned + self.held
    }
}
