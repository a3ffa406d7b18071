//! Why frames are dropped, and the per-worker counters.
//!
//! Contract:
//! * Every drop on the packet path names a [`DropReason`]; the reason *is* the counter slot
//!   (`reason as usize`), so nobody keeps slot numbers by hand. `control` prints and exports by
//!   iterating [`DropReason::ALL`] and [`DropReason::name`].
//! * [`Counters`] belongs to one worker, which is its only writer. Fields are atomics written
//!   with `Relaxed` load + store (no read-modify-write bus lock, since there is one writer), so
//!   the control thread may read them at any time without `unsafe`; a [`CountersSnapshot`] is a
//!   plain copy that adds up across workers (`Add`, `Sum`).

use core::fmt;
use core::iter::Sum;
use core::ops::{Add, AddAssign};
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crossbeam::utils::CachePadded;

/// Declares [`DropReason`] once: variant, printed name and doc, so `ALL`, `COUNT` and `name`
/// cannot disagree.
macro_rules! drop_reasons {
    ($( $(#[doc = $doc:literal])+ $variant:ident => $name:literal, )+) => {
        /// Why a frame was dropped. `reason as usize` indexes [`Counters`]' drop slots.
        #[repr(usize)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum DropReason {
            $( $(#[doc = $doc])+ $variant, )+
        }

        impl DropReason {
            /// Number of reasons (the length of [`DropReason::ALL`]).
            pub const COUNT: usize = [$($name),+].len();
            /// Every reason, in slot order: `ALL[r as usize] == r`.
            pub const ALL: [DropReason; Self::COUNT] = [$(DropReason::$variant),+];

            /// The snake_case name used when printing and exporting counters.
            pub const fn name(&self) -> &'static str {
                match self { $(DropReason::$variant => $name,)+ }
            }
        }
    };
}

drop_reasons! {
    /// Frame shorter than the 14-byte Ethernet header.
    EthernetTruncated => "ethernet_truncated",
    /// 802.1Q tag cut short.
    VlanTruncated => "vlan_truncated",
    /// More than one VLAN tag (QinQ is not handled).
    VlanStacked => "vlan_stacked",
    /// Untagged frame on a port with a `vlan`: the port's frames carry its tag.
    VlanUntagged => "vlan_untagged",
    /// Frame tagged with another VLAN than its port's `vlan`.
    VlanMismatch => "vlan_mismatch",
    /// Tagged frame (any VLAN, 0 too) on a port without a `vlan`.
    VlanTagged => "vlan_tagged",
    /// Unicast to another MAC than the port's, or a broadcast or multicast frame that is
    /// not ARP or Neighbour Discovery, on a port that is not `promiscuous`.
    NotOurMac => "not_our_mac",
    /// EtherType that is neither IPv4, IPv6 nor ARP.
    UnknownEtherType => "unknown_ethertype",
    /// ARP packet shorter than the 28-byte Ethernet/IPv4 form.
    ArpTruncated => "arp_truncated",
    /// ARP for another hardware or protocol type, or bad address lengths.
    BadArp => "bad_arp",
    /// ARP that is not a request (replies are learned, then dropped).
    ArpNotRequest => "arp_not_request",
    /// ARP request for an address that is not ours.
    ArpNotForUs => "arp_not_for_us",
    /// IPv4 packet shorter than its fixed or announced header.
    Ipv4TooShort => "ipv4_too_short",
    /// IPv4 version field is not 4.
    Ipv4BadVersion => "ipv4_bad_version",
    /// IPv4 IHL below 5.
    Ipv4BadIhl => "ipv4_bad_ihl",
    /// IPv4 total length below the header length or beyond the frame.
    Ipv4BadTotalLen => "ipv4_bad_total_len",
    /// IPv4 header checksum does not verify.
    Ipv4BadChecksum => "ipv4_bad_checksum",
    /// IPv4 fragment addressed to the box itself (rvs answers whole pings only).
    Ipv4Fragment => "ipv4_fragment",
    /// TTL (IPv6: hop limit) would reach 0 on forwarding (ipvs-forwarding §3.0 step 3).
    TtlExceeded => "ttl_exceeded",
    /// IPv6 packet shorter than the 40-byte fixed header.
    Ipv6TooShort => "ipv6_too_short",
    /// IPv6 version field is not 6.
    Ipv6BadVersion => "ipv6_bad_version",
    /// IPv6 payload length beyond the frame.
    Ipv6BadPayloadLen => "ipv6_bad_payload_len",
    /// IPv6 extension headers rvs does not forward through: a Routing header with segments
    /// left, a Hop-by-Hop header not first, too many headers (`wire::ipv6::Ipv6Packet::chain`).
    Ipv6ExtensionHeader => "ipv6_extension_header",
    /// An IPv6 extension header runs past the payload.
    Ipv6ExtensionTruncated => "ipv6_extension_truncated",
    /// TCP segment shorter than 20 bytes.
    TcpTruncated => "tcp_truncated",
    /// TCP data offset below 5 or beyond the segment.
    TcpBadDataOffset => "tcp_bad_data_offset",
    /// UDP datagram shorter than 8 bytes.
    UdpTruncated => "udp_truncated",
    /// UDP length field below 8 or beyond the IP payload.
    UdpBadLength => "udp_bad_length",
    /// ICMP message shorter than 8 bytes.
    IcmpTruncated => "icmp_truncated",
    /// ICMP checksum does not verify.
    IcmpBadChecksum => "icmp_bad_checksum",
    /// ICMP or ICMPv6 to us that is not a request we answer (an echo request, or for
    /// ICMPv6 a Neighbor Solicitation).
    IcmpNotEchoToUs => "icmp_not_echo_to_us",
    /// ICMPv6 message shorter than 8 bytes: the RFC 4443 §2.1 header and the word every
    /// message type has after it.
    Icmpv6Truncated => "icmpv6_truncated",
    /// ICMPv6 checksum (over the IPv6 pseudo-header, RFC 4443 §2.3) does not verify.
    Icmpv6BadChecksum => "icmpv6_bad_checksum",
    /// Neighbor Discovery message with a hop limit other than 255: it may come from off-link
    /// (RFC 4861 §7.1.1, §7.1.2).
    NdBadHopLimit => "nd_bad_hop_limit",
    /// Neighbor Solicitation or Advertisement shorter than 24 bytes.
    NdTruncated => "nd_truncated",
    /// ND option of length 0 or past the message's end, or a link-layer address option that
    /// is not one Ethernet address (RFC 4861 §4.6.1, RFC 2464 §6).
    NdBadOption => "nd_bad_option",
    /// ND message failing another RFC 4861 §7.1 check: code not 0, multicast target, an NA
    /// to a multicast group with S set, a DAD probe not to a solicited-node group or with a
    /// source link-layer address option.
    NdInvalid => "nd_invalid",
    /// Neighbor Solicitation for an address that is not ours, or to a destination that is
    /// neither ours nor the target's solicited-node group.
    NdNotForUs => "nd_not_for_us",
    /// Not a Neighbor Solicitation where one was expected (advertisements are learned, then
    /// dropped).
    NdNotSolicitation => "nd_not_solicitation",
    /// L4 protocol that the rewrite does not handle.
    UnsupportedProtocol => "unsupported_protocol",
    /// Source address we must not answer (broadcast, multicast, unspecified, loopback).
    BadSrcAddr => "bad_src_addr",
    /// Packet addressed neither to us nor to a service.
    NotForUs => "not_for_us",
    /// Output buffer too small to build a frame.
    BufferTooSmall => "buffer_too_small",
    /// TX queue and TX buffer full.
    TxFull => "tx_full",
    /// No route to the destination.
    NoRoute => "no_route",
    /// No neighbour (MAC) for the next hop.
    NoNeighbour => "no_neighbour",
    /// Connection table full: new connection refused.
    TableFull => "table_full",
    /// To a VIP but no matching service.
    NoService => "no_service",
    /// Service has no usable destination (ipvs-forwarding §7.10).
    NoDestination => "no_destination",
    /// Non-SYN segment with no connection entry (ipvs-forwarding §7.9).
    NoConnection => "no_connection",
    /// New connection from a source no client can have: unspecified, loopback, multicast,
    /// broadcast, reserved, one of the box's own addresses or a VIP.
    MartianSource => "martian_source",
    /// New connection to a `--pe sip` service, or a flow its real server starts, whose
    /// packet has no usable SIP Call-ID or is not UDP (ipvs-schedulers §5.6).
    PeNoData => "pe_no_data",
    /// Client packet of a connection whose real server was deleted from its service:
    /// dropped silently, the entry left to its timer (ipvs-forwarding §2.6,
    /// expire_nodest_conn 0).
    DestUnavailable => "dest_unavailable",
    /// DF packet larger than the path MTU (ipvs-forwarding §3.0 step 5); answered with
    /// ICMP Fragmentation Needed.
    MtuExceeded => "mtu_exceeded",
    /// No headroom in the buffer to prepend a header (tunnel, ICMP error).
    NoHeadroom => "no_headroom",
    /// DR real server not on a connected prefix of any port (ipvs-forwarding §3.2).
    DrNotConnected => "dr_not_connected",
    /// Real server is the director itself: rvs has no host stack (ipvs-forwarding §3.4).
    LocalRealServer => "local_real_server",
    /// Route MTU minus the tunnel overhead below 68 (ipvs-forwarding §3.0 step 4).
    TunMtuTooSmall => "tun_mtu_too_small",
    /// No buffer for a fragment of an oversize packet.
    NoFragmentBuffer => "no_fragment_buffer",
    /// ICMP error whose quoted packet is not a whole IPv4 header with ports (ipvs-forwarding
    /// §4.1).
    IcmpQuoteInvalid => "icmp_quote_invalid",
    /// ICMP error about a packet of no connection (ipvs-forwarding §4.2, §4.4).
    IcmpUnrelated => "icmp_unrelated",
    /// A later fragment whose first fragment did not come in time (`frag::HOLD_MS`, or before
    /// its worker stopped).
    FragmentTimeout => "fragment_timeout",
    /// A later fragment that found the worker's hold full.
    FragmentHoldFull => "fragment_hold_full",
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One worker's counters. Only the owning worker calls the `add_*` methods.
#[derive(Debug, Default)]
pub struct Counters {
    inner: CachePadded<Fields>,
}

#[derive(Debug)]
struct Fields {
    rx_packets: AtomicU64,
    rx_bytes: AtomicU64,
    tx_packets: AtomicU64,
    tx_bytes: AtomicU64,
    busy_polls: AtomicU64,
    idle_polls: AtomicU64,
    pauses: AtomicU64,
    arp_replies: AtomicU64,
    arp_learned: AtomicU64,
    icmp_echo_replies: AtomicU64,
    nd_replies: AtomicU64,
    nd_learned: AtomicU64,
    icmp_errors_sent: AtomicU64,
    icmp_errors_limited: AtomicU64,
    neigh_requests: AtomicU64,
    neigh_requests_limited: AtomicU64,
    neigh_refused: AtomicU64,
    neigh_table_full: AtomicU64,
    drops: [AtomicU64; DropReason::COUNT],
}

impl Default for Fields {
    fn default() -> Self {
        Fields {
            rx_packets: AtomicU64::new(0),
            rx_bytes: AtomicU64::new(0),
            tx_packets: AtomicU64::new(0),
            tx_bytes: AtomicU64::new(0),
            busy_polls: AtomicU64::new(0),
            idle_polls: AtomicU64::new(0),
            pauses: AtomicU64::new(0),
            arp_replies: AtomicU64::new(0),
            arp_learned: AtomicU64::new(0),
            icmp_echo_replies: AtomicU64::new(0),
            nd_replies: AtomicU64::new(0),
            nd_learned: AtomicU64::new(0),
            icmp_errors_sent: AtomicU64::new(0),
            icmp_errors_limited: AtomicU64::new(0),
            neigh_requests: AtomicU64::new(0),
            neigh_requests_limited: AtomicU64::new(0),
            neigh_refused: AtomicU64::new(0),
            neigh_table_full: AtomicU64::new(0),
            drops: core::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

/// Single-writer increment: a plain load and store, which compiles to ordinary moves on x86
/// (a `fetch_add` would be a locked instruction the single writer does not need).
fn bump(counter: &AtomicU64, n: u64) {
    counter.store(counter.load(Relaxed).wrapping_add(n), Relaxed);
}

impl Counters {
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts `packets` received, `bytes` in total.
    pub fn add_rx(&self, packets: u64, bytes: u64) {
        bump(&self.inner.rx_packets, packets);
        bump(&self.inner.rx_bytes, bytes);
    }

    /// Counts `packets` handed to the NIC, `bytes` in total.
    pub fn add_tx(&self, packets: u64, bytes: u64) {
        bump(&self.inner.tx_packets, packets);
        bump(&self.inner.tx_bytes, bytes);
    }

    /// Counts one poll of every port: busy when it received at least one frame, idle when
    /// none. Their ratio is the worker's utilisation (a busy-polling worker never sleeps;
    /// one that pauses when idle polls less often while idle, so the ratio overstates it).
    pub fn add_poll(&self, busy: bool) {
        bump(
            if busy {
                &self.inner.busy_polls
            } else {
                &self.inner.idle_polls
            },
            1,
        );
    }

    /// Counts one pause of an idle worker (`crate::idle`).
    pub fn add_pause(&self) {
        bump(&self.inner.pauses, 1);
    }

    /// Counts one dropped frame under its reason.
    pub fn add_drop(&self, reason: DropReason) {
        self.add_drops(reason, 1);
    }

    /// Counts `n` dropped frames under one reason (e.g. a TX burst that did not fit).
    pub fn add_drops(&self, reason: DropReason, n: u64) {
        bump(&self.inner.drops[reason as usize], n);
    }

    /// An ARP reply for us: its sender was learned, nothing is sent.
    pub fn add_arp_learned(&self) {
        bump(&self.inner.arp_learned, 1);
    }

    pub fn add_arp_reply(&self) {
        bump(&self.inner.arp_replies, 1);
    }

    pub fn add_icmp_echo_reply(&self) {
        bump(&self.inner.icmp_echo_replies, 1);
    }

    /// An IPv6 answer to the box's neighbours (Neighbor Advertisement, echo reply).
    pub fn add_nd_reply(&self) {
        bump(&self.inner.nd_replies, 1);
    }

    /// A Neighbor Advertisement for us: its sender was learned, nothing is sent.
    pub fn add_nd_learned(&self) {
        bump(&self.inner.nd_learned, 1);
    }

    /// An ICMP error the box sent about a packet it could not forward (TTL, MTU).
    pub fn add_icmp_error_sent(&self) {
        bump(&self.inner.icmp_errors_sent, 1);
    }

    /// An ICMP error the rate limit kept from being sent (its packet counts as a drop).
    pub fn add_icmp_error_limited(&self) {
        bump(&self.inner.icmp_errors_limited, 1);
    }

    /// A neighbour request sent (ARP request, Neighbor Solicitation).
    pub fn add_neigh_request(&self) {
        bump(&self.inner.neigh_requests, 1);
    }

    /// A due neighbour request the limits kept back (the data plane's token bucket, or the worker's pending list full).
    pub fn add_neigh_request_limited(&self) {
        bump(&self.inner.neigh_requests_limited, 1);
    }

    /// A neighbour lesson the rules refused: another MAC for a static entry, a sender off the port's prefixes or one of ours, a tagged frame, an NA without Override for another MAC.
    pub fn add_neigh_refused(&self) {
        bump(&self.inner.neigh_refused, 1);
    }

    /// A neighbour that found no free slot in its window of the port's table (a lesson or an unresolved next hop): not stored.
    pub fn add_neigh_table_full(&self) {
        bump(&self.inner.neigh_table_full, 1);
    }

    /// A copy of the counters, readable from any thread. Fields are read one by one, so a
    /// snapshot taken while the worker runs may mix values from adjacent instants.
    pub fn snapshot(&self) -> CountersSnapshot {
        let f = &*self.inner;
        CountersSnapshot {
            rx_packets: f.rx_packets.load(Relaxed),
            rx_bytes: f.rx_bytes.load(Relaxed),
            tx_packets: f.tx_packets.load(Relaxed),
            tx_bytes: f.tx_bytes.load(Relaxed),
            busy_polls: f.busy_polls.load(Relaxed),
            idle_polls: f.idle_polls.load(Relaxed),
            pauses: f.pauses.load(Relaxed),
            arp_replies: f.arp_replies.load(Relaxed),
            arp_learned: f.arp_learned.load(Relaxed),
            icmp_echo_replies: f.icmp_echo_replies.load(Relaxed),
            nd_replies: f.nd_replies.load(Relaxed),
            nd_learned: f.nd_learned.load(Relaxed),
            icmp_errors_sent: f.icmp_errors_sent.load(Relaxed),
            icmp_errors_limited: f.icmp_errors_limited.load(Relaxed),
            neigh_requests: f.neigh_requests.load(Relaxed),
            neigh_requests_limited: f.neigh_requests_limited.load(Relaxed),
            neigh_refused: f.neigh_refused.load(Relaxed),
            neigh_table_full: f.neigh_table_full.load(Relaxed),
            drops: core::array::from_fn(|i| f.drops[i].load(Relaxed)),
        }
    }
}

/// Plain copy of [`Counters`]; sums across workers with `+` or `.sum()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountersSnapshot {
    pub rx_packets: u64,
    pub rx_bytes: u64,
    pub tx_packets: u64,
    pub tx_bytes: u64,
    /// Polls of every port that received at least one frame ([`Counters::add_poll`]).
    pub busy_polls: u64,
    /// Polls of every port that received nothing.
    pub idle_polls: u64,
    /// See [`Counters::add_pause`].
    pub pauses: u64,
    pub arp_replies: u64,
    pub arp_learned: u64,
    pub icmp_echo_replies: u64,
    pub nd_replies: u64,
    pub nd_learned: u64,
    pub icmp_errors_sent: u64,
    pub icmp_errors_limited: u64,
    /// See [`Counters::add_neigh_request`].
    pub neigh_requests: u64,
    /// See [`Counters::add_neigh_request_limited`].
    pub neigh_requests_limited: u64,
    /// See [`Counters::add_neigh_refused`].
    pub neigh_refused: u64,
    /// See [`Counters::add_neigh_table_full`].
    pub neigh_table_full: u64,
    /// Indexed by `DropReason as usize`; see [`CountersSnapshot::drop_count`].
    pub drops: [u64; DropReason::COUNT],
}

impl Default for CountersSnapshot {
    fn default() -> Self {
        CountersSnapshot {
            rx_packets: 0,
            rx_bytes: 0,
            tx_packets: 0,
            tx_bytes: 0,
            busy_polls: 0,
            idle_polls: 0,
            pauses: 0,
            arp_replies: 0,
            arp_learned: 0,
            icmp_echo_replies: 0,
            nd_replies: 0,
            nd_learned: 0,
            icmp_errors_sent: 0,
            icmp_errors_limited: 0,
            neigh_requests: 0,
            neigh_requests_limited: 0,
            neigh_refused: 0,
            neigh_table_full: 0,
            drops: [0; DropReason::COUNT],
        }
    }
}

impl CountersSnapshot {
    pub fn drop_count(&self, reason: DropReason) -> u64 {
        self.drops[reason as usize]
    }

    /// Every reason with its count, in slot order (for printing and export).
    pub fn drops_by_reason(&self) -> impl Iterator<Item = (DropReason, u64)> + '_ {
        DropReason::ALL.iter().map(|&r| (r, self.drop_count(r)))
    }

    pub fn total_drops(&self) -> u64 {
        self.drops.iter().fold(0u64, |a, &b| a.wrapping_add(b))
    }
}

impl AddAssign for CountersSnapshot {
    fn add_assign(&mut self, o: Self) {
        self.rx_packets = self.rx_packets.wrapping_add(o.rx_packets);
        self.rx_bytes = self.rx_bytes.wrapping_add(o.rx_bytes);
        self.tx_packets = self.tx_packets.wrapping_add(o.tx_packets);
        self.tx_bytes = self.tx_bytes.wrapping_add(o.tx_bytes);
        self.busy_polls = self.busy_polls.wrapping_add(o.busy_polls);
        self.idle_polls = self.idle_polls.wrapping_add(o.idle_polls);
        self.pauses = self.pauses.wrapping_add(o.pauses);
        self.arp_replies = self.arp_replies.wrapping_add(o.arp_replies);
        self.arp_learned = self.arp_learned.wrapping_add(o.arp_learned);
        self.icmp_echo_replies = self.icmp_echo_replies.wrapping_add(o.icmp_echo_replies);
        self.nd_replies = self.nd_replies.wrapping_add(o.nd_replies);
        self.nd_learned = self.nd_learned.wrapping_add(o.nd_learned);
        self.icmp_errors_sent = self.icmp_errors_sent.wrapping_add(o.icmp_errors_sent);
        self.icmp_errors_limited = self.icmp_errors_limited.wrapping_add(o.icmp_errors_limited);
        self.neigh_requests = self.neigh_requests.wrapping_add(o.neigh_requests);
        self.neigh_requests_limited = self
            .neigh_requests_limited
            .wrapping_add(o.neigh_requests_limited);
        self.neigh_refused = self.neigh_refused.wrapping_add(o.neigh_refused);
        self.neigh_table_full = self.neigh_table_full.wrapping_add(o.neigh_table_full);
        for (a, b) in self.drops.iter_mut().zip(o.drops) {
            *a = a.wrapping_add(b);
        }
    }
}

impl Add for CountersSnapshot {
    type Output = Self;
    fn add(mut self, o: Self) -> Self {
        self += o;
        self
    }
}

impl Sum for CountersSnapshot {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::default(), Add::add)
    }
}

impl<'a> Sum<&'a CountersSnapshot> for CountersSnapshot {
    fn sum<I: Iterator<Item = &'a Self>>(iter: I) -> Self {
        iter.copied().sum()
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn all_is_in_slot_order() {
        for (i, r) in DropReason::ALL.iter().enumerate() {
            assert_eq!(*r as usize, i);
        }
    }

    #[test]
    fn names_are_unique_snake_case() {
        let mut names: Vec<_> = DropReason::ALL.iter().map(|r| r.name()).collect();
        for n in &names {
            assert!(n
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'));
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), DropReason::COUNT);
    }

    #[test]
    fn snapshots_sum_across_workers() {
        let workers = [Counters::new(), Counters::new()];
        workers[0].add_rx(2, 128);
        workers[1].add_rx(1, 64);
        workers[0].add_tx(1, 60);
        workers[1].add_drop(DropReason::TableFull);
        workers[1].add_drops(DropReason::TxFull, 3);
        workers[0].add_arp_reply();
        workers[1].add_icmp_echo_reply();
        workers[0].add_poll(true);
        workers[0].add_poll(false);
        workers[1].add_poll(false);
        workers[1].add_pause();
        let total: CountersSnapshot = workers.iter().map(Counters::snapshot).sum();
        assert_eq!(total.rx_packets, 3);
        assert_eq!(total.rx_bytes, 192);
        assert_eq!(total.tx_packets, 1);
        assert_eq!(total.tx_bytes, 60);
        assert_eq!(total.arp_replies, 1);
        assert_eq!(total.icmp_echo_replies, 1);
        assert_eq!(
            (total.busy_polls, total.idle_polls, total.pauses),
            (1, 2, 1)
        );
        assert_eq!(total.drop_count(DropReason::TableFull), 1);
        assert_eq!(total.drop_count(DropReason::TxFull), 3);
        assert_eq!(total.total_drops(), 4);
        assert_eq!(total.drops_by_reason().count(), DropReason::COUNT);
    }

    #[test]
    fn control_thread_reads_while_worker_writes() {
        let c = std::sync::Arc::new(Counters::new());
        let worker = {
            let c = c.clone();
            std::thread::spawn(move || {
                for _ in 0..10_000 {
                    c.add_rx(1, 64);
                }
            })
        };
        let mut last = 0;
        while !worker.is_finished() {
            let now = c.snapshot().rx_packets;
            assert!(now >= last, "a single writer's counter never goes back");
            last = now;
        }
        worker.join().unwrap();
        assert_eq!(c.snapshot().rx_packets, 10_000);
        assert_eq!(c.snapshot().rx_bytes, 640_000);
    }

    #[test]
    fn counters_are_cache_padded() {
        assert!(core::mem::align_of::<Counters>() >= 64);
    }
}
