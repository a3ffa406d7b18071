//! The packet views and the classifier on any bytes: no panic; what `new_checked` accepts,
//! every getter reads (the views' contract, `dataplane::wire`); what `classify` accepts lies
//! inside the frame, its L4 header after its L3 one.
#![no_main]

use dataplane::classify::{classify, Class, IpPacket};
use dataplane::wire::{
    ArpPacket, EthernetFrame, IcmpPacket, Icmpv6Packet, Ipv4Packet, Ipv6Packet, NdPacket,
    TcpPacket, UdpPacket, VlanPacket,
};
use libfuzzer_sys::fuzz_target;
use std::hint::black_box;

fuzz_target!(|data: &[u8]| {
    match classify(data) {
        Class::Ipv4(p) => within(data, &p),
        Class::Ipv6(p) => within(data, &p),
        Class::Arp { l3_offset } => assert!(l3_offset + 28 <= data.len()),
        Class::Drop(_) => {}
    }
    views(data);
});

fn within<A>(frame: &[u8], p: &IpPacket<A>) {
    assert!(
        p.l3 < p.l4 && p.l4 <= p.end && p.end <= frame.len(),
        "{frame:02x?}"
    );
}

/// Every view over the bytes, and every getter of those that accept them.
fn views(b: &[u8]) {
    if let Ok(e) = EthernetFrame::new_checked(b) {
        black_box((e.dst_addr(), e.src_addr(), e.ethertype(), e.payload()));
    }
    if let Ok(v) = VlanPacket::new_checked(b) {
        black_box((v.pcp(), v.dei(), v.vlan_id(), v.ethertype(), v.payload()));
    }
    if let Ok(a) = ArpPacket::new_checked(b) {
        black_box((a.operation(), a.sender_hw_addr(), a.sender_ip()));
        black_box((a.target_hw_addr(), a.target_ip()));
    }
    if let Ok(ip) = Ipv4Packet::new_checked(b) {
        black_box((
            ip.version(),
            ip.header_len(),
            ip.dscp_ecn(),
            ip.total_len(),
            ip.ident(),
        ));
        black_box((
            ip.dont_frag(),
            ip.more_frags(),
            ip.frag_offset(),
            ip.is_fragment(),
        ));
        black_box((
            ip.ttl(),
            ip.protocol(),
            ip.checksum(),
            ip.src_addr(),
            ip.dst_addr(),
        ));
        black_box((ip.header(), ip.verify_checksum(), ip.payload()));
    }
    if let Ok(ip) = Ipv6Packet::new_checked(b) {
        black_box((
            ip.version(),
            ip.traffic_class(),
            ip.flow_label(),
            ip.payload_len(),
        ));
        black_box((
            ip.next_header(),
            ip.hop_limit(),
            ip.src_addr(),
            ip.dst_addr(),
        ));
        let _ = black_box((ip.payload(), ip.chain()));
    }
    l4_views(b);
}

fn l4_views(b: &[u8]) {
    if let Ok(t) = TcpPacket::new_checked(b) {
        black_box((t.src_port(), t.dst_port(), t.seq_number(), t.ack_number()));
        black_box((
            t.header_len(),
            t.flags(),
            t.syn(),
            t.ack(),
            t.fin(),
            t.rst(),
        ));
        black_box((
            t.window_len(),
            t.checksum(),
            t.urgent_at(),
            t.options(),
            t.payload(),
        ));
    }
    if let Ok(u) = UdpPacket::new_checked(b) {
        black_box((
            u.src_port(),
            u.dst_port(),
            u.len(),
            u.is_empty(),
            u.checksum(),
        ));
        black_box((u.datagram(), u.payload()));
    }
    if let Ok(i) = IcmpPacket::new_checked(b) {
        black_box((
            i.msg_type(),
            i.msg_code(),
            i.checksum(),
            i.echo_ident(),
            i.echo_seq_no(),
        ));
        black_box((i.next_hop_mtu(), i.payload(), i.verify_checksum()));
    }
    if let Ok(i) = Icmpv6Packet::new_checked(b) {
        black_box((
            i.msg_type(),
            i.msg_code(),
            i.checksum(),
            i.echo_ident(),
            i.echo_seq_no(),
        ));
        let any = std::net::Ipv6Addr::LOCALHOST;
        black_box((i.body(), i.verify_checksum(any, any)));
    }
    if let Ok(n) = NdPacket::new_checked(b) {
        black_box((
            n.flags(),
            n.target_addr(),
            n.source_ll_addr(),
            n.target_ll_addr(),
        ));
    }
}
