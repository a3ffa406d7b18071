//! Fragmentation of a packet the director lets through oversize (ipvs-forwarding §3.0 step 5:
//! DF clear, or a TUN packet whose outer header has DF clear, vector 7.14).
//!
//! * IPv4 (RFC 791 §3.2): fragment data in multiples of 8 bytes, MF on all but the last, the
//!   offset in 8-byte units, the ID of the original; options stay in the first fragment only
//!   (later fragments carry a plain 20-byte header).
//! * IPv6 (RFC 8200 §4.5), only ever an outer tunnel header the director built (an IPv4
//!   packet without DF in an IPv6 tunnel, as Linux sends it): a Fragment header after the
//!   fixed one, carrying the original next header, the offset and M flag and an ID of the
//!   director's; fragment data in multiples of 8 bytes.
//!
//! Every fragment is a new frame with a copy of the L2 header (a rare path: the allocation
//! buys simple code).

use crate::port::{Frame, PortIo};
use crate::stats::DropReason;
use crate::wire::{ipv4, ipv6, Ipv4Packet, Ipv6Packet};

/// Splits the IP packet at `l3` of `data` into fragments of at most `mtu` bytes, each a new
/// frame from `port`'s pool handed to `emit` in order (the caller frees the original). IPv4
/// keeps the packet's ID; IPv6 fragments carry `id`. A fragment that finds no buffer ends the
/// split with [`DropReason::NoFragmentBuffer`].
pub fn fragment<P: PortIo>(
    port: &P,
    data: &[u8],
    l3: usize,
    (mtu, id): (u16, u32),
    emit: impl FnMut(P::Frame),
) -> Result<(), DropReason> {
    match data.get(l3).map(|b| b >> 4) {
        Some(6) => fragment_v6(port, data, l3, (mtu, id), emit),
        _ => fragment_v4(port, data, l3, mtu, emit),
    }
}

fn fragment_v4<P: PortIo>(
    port: &P,
    data: &[u8],
    l3: usize,
    mtu: u16,
    mut emit: impl FnMut(P::Frame),
) -> Result<(), DropReason> {
    let ip = Ipv4Packet::new_checked(data.get(l3..).unwrap_or_default())?;
    let hlen = ip.header_len();
    let total = usize::from(ip.total_len());
    let (base, more) = (usize::from(ip.frag_offset()), ip.more_frags());
    let first = (usize::from(mtu).saturating_sub(hlen)) & !7;
    let rest = (usize::from(mtu).saturating_sub(ipv4::HEADER_LEN)) & !7;
    if first == 0 || rest == 0 {
        return Err(DropReason::MtuExceeded);
    }
    let payload = &data[l3 + hlen..l3 + total];
    let mut pos = 0;
    while pos < payload.len() {
        // Options travel in the first fragment only.
        let (h, room) = if pos == 0 {
            (hlen, first)
        } else {
            (ipv4::HEADER_LEN, rest)
        };
        let len = room.min(payload.len() - pos);
        let last = pos + len == payload.len();
        let mut f = port
            .alloc(l3 + h + len)
            .ok_or(DropReason::NoFragmentBuffer)?;
        let out = f.data_mut();
        out[..l3 + h].copy_from_slice(&data[..l3 + h]);
        out[l3 + h..].copy_from_slice(&payload[pos..pos + len]);
        let mut ip = Ipv4Packet::new_unchecked(&mut out[l3..]);
        let df = ip.dont_frag();
        ip.set_version_ihl(h);
        ip.set_total_len((h + len) as u16);
        ip.set_flags_offset(df, more || !last, (base + pos) as u16);
        ip.fill_checksum();
        emit(f);
        pos += len;
    }
    Ok(())
}

/// The IPv6 packet at `l3`, its whole payload fragmentable (no extension headers: a header
/// the director wrote itself).
fn fragment_v6<P: PortIo>(
    port: &P,
    data: &[u8],
    l3: usize,
    (mtu, id): (u16, u32),
    mut emit: impl FnMut(P::Frame),
) -> Result<(), DropReason> {
    let ip = Ipv6Packet::new_checked(data.get(l3..).unwrap_or_default())?;
    let next = u8::from(ip.next_header());
    let payload = ip.payload();
    let head = ipv6::HEADER_LEN + ipv6::FRAGMENT_HEADER_LEN;
    let room = usize::from(mtu).saturating_sub(head) & !7;
    if room == 0 {
        return Err(DropReason::MtuExceeded);
    }
    for (k, part) in payload.chunks(room).enumerate() {
        let offset = k * room;
        let more = offset + part.len() < payload.len();
        let mut f = port
            .alloc(l3 + head + part.len())
            .ok_or(DropReason::NoFragmentBuffer)?;
        let out = f.data_mut();
        out[..l3 + ipv6::HEADER_LEN].copy_from_slice(&data[..l3 + ipv6::HEADER_LEN]);
        let fh = &mut out[l3 + ipv6::HEADER_LEN..l3 + head];
        fh[0] = next;
        fh[1] = 0;
        fh[2..4].copy_from_slice(&(offset as u16 | u16::from(more)).to_be_bytes());
        fh[4..8].copy_from_slice(&id.to_be_bytes());
        out[l3 + head..].copy_from_slice(part);
        let mut h = Ipv6Packet::new_unchecked(&mut out[l3..]);
        h.set_payload_len((ipv6::FRAGMENT_HEADER_LEN + part.len()) as u16);
        h.set_next_header(ipv6::FRAGMENT.into());
        emit(f);
    }
    Ok(())
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::port::MemPort;
    use crate::wire::testutil::hex;

    /// A 1520-byte IPIP packet (the outer packet of §7.14) behind Ethernet.
    fn outer() -> Vec<u8> {
        let mut f = hex("020000000054 020000000002 0800");
        let mut ip = vec![0u8; 1520];
        for (i, b) in ip.iter_mut().enumerate().skip(20) {
            *b = i as u8;
        }
        let mut h = Ipv4Packet::new_unchecked(&mut ip[..]);
        h.set_version_ihl(20);
        h.set_total_len(1520);
        h.set_ident(0x4242);
        h.set_ttl(63);
        h.set_protocol(4.into());
        h.set_src_addr([10, 0, 0, 1].into());
        h.set_dst_addr([192, 0, 2, 31].into());
        h.fill_checksum();
        f.extend_from_slice(&ip);
        f
    }

    #[test]
    fn vector_7_14_two_fragments_of_1500_and_40() {
        let port = MemPort::new([2, 0, 0, 0, 0, 2]);
        let orig = outer();
        let mut frags = Vec::new();
        fragment(&port, &orig, 14, (1500, 0), |f| frags.push(f)).unwrap();
        assert_eq!(frags.len(), 2);
        let a = Ipv4Packet::new_checked(&frags[0][14..]).unwrap();
        let b = Ipv4Packet::new_checked(&frags[1][14..]).unwrap();
        assert_eq!(
            (a.total_len(), a.more_frags(), a.frag_offset()),
            (1500, true, 0)
        );
        assert_eq!(
            (b.total_len(), b.more_frags(), b.frag_offset()),
            (40, false, 1480)
        );
        assert!(a.verify_checksum() && b.verify_checksum());
        assert_eq!((a.ident(), b.ident()), (0x4242, 0x4242));
        assert_eq!((b.ttl(), u8::from(b.protocol())), (63, 4));
        assert_eq!(&frags[1][..14], &orig[..14]);
        let joined = [a.payload(), b.payload()].concat();
        assert_eq!(joined, &orig[34..]);
    }

    #[test]
    fn tiny_mtu_is_refused() {
        let port = MemPort::new([2, 0, 0, 0, 0, 2]);
        let f = outer();
        assert_eq!(
            fragment(&port, &f, 14, (27, 0), |_| {}),
            Err(DropReason::MtuExceeded)
        );
    }
}
