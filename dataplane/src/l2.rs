//! A port's link layer: its MAC, its VLAN and whether it takes frames for other MACs; which
//! frames it admits ([`PortL2::admit`], asked by `classify`) and the Ethernet header of a frame
//! leaving by it ([`PortL2::fit`], [`PortL2::address`]).
//!
//! The rules (issue 15):
//! * a port with a `vlan` takes only frames tagged with that VLAN, and every frame it sends
//!   carries the tag; a port without one takes only untagged frames (a priority tag, VLAN 0,
//!   is a tag) and sends untagged frames. A forwarded frame's tag is inserted, rewritten or
//!   removed on its way out (PCP 0, as a Linux VLAN device's default egress map); an answer
//!   leaves by the port its question came in on, with the tag it came with;
//! * a port that is not promiscuous takes unicast frames to its own MAC, and of the group
//!   addressed ones only what ARP and Neighbour Discovery need: broadcast ARP, and ICMPv6 to
//!   the all-nodes or a solicited-node group on the MAC that group maps to. The rest is
//!   `not_our_mac`: a frame unicast to another host must not be balanced or answered.
//!
//! On the fast path this costs one compare of the destination MAC and one of the tag, both in
//! the header `classify` reads anyway.

use std::net::Ipv6Addr;

use crate::classify::Class;
use crate::port::Frame;
use crate::stats::DropReason;
use crate::wire::ethernet::{self, ipv6_multicast_mac, is_multicast, BROADCAST};
use crate::wire::ipv6::is_solicited_node;
use crate::wire::{vlan, IpProtocol, MacAddr};

/// The 802.1Q tag protocol identifier, the EtherType in front of a tag.
const TPID: [u8; 2] = [0x81, 0x00];
/// Where the 4 tag bytes (TPID, TCI) sit in a tagged frame.
const TAG: std::ops::Range<usize> = 12..16;
/// The two MAC addresses at a frame's front.
const MACS: usize = 12;

/// One port's link layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortL2 {
    pub mac: MacAddr,
    /// The port's VLAN (1..=4094): every frame in and out carries its tag. None: untagged.
    pub vlan: Option<u16>,
    /// Takes frames to any MAC (no destination check).
    pub promiscuous: bool,
}

/// To whom an admitted frame was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addressed {
    /// The port's MAC (or anything, on a promiscuous port).
    Us,
    /// A broadcast or multicast group: kept only if [`wants_group`].
    Group,
}

impl PortL2 {
    /// An untagged, non-promiscuous port with MAC `mac`.
    pub fn new(mac: MacAddr) -> PortL2 {
        PortL2 {
            mac,
            vlan: None,
            promiscuous: false,
        }
    }

    /// The length of the Ethernet header of the port's frames: 14, 18 with its tag.
    pub fn header_len(&self) -> usize {
        match self.vlan {
            Some(_) => ethernet::HEADER_LEN + vlan::HEADER_LEN,
            None => ethernet::HEADER_LEN,
        }
    }

    /// Whether the port takes a frame to `dst` tagged with VLAN `tag` (None: untagged), by the
    /// module's rules; a group-addressed frame's class decides the rest ([`wants_group`]).
    #[inline]
    pub fn admit(&self, dst: MacAddr, tag: Option<u16>) -> Result<Addressed, DropReason> {
        match (self.vlan, tag) {
            (None, None) => {}
            (Some(ours), Some(vid)) if ours == vid => {}
            (Some(_), Some(_)) => return Err(DropReason::VlanMismatch),
            (Some(_), None) => return Err(DropReason::VlanUntagged),
            (None, Some(_)) => return Err(DropReason::VlanTagged),
        }
        if dst == self.mac || self.promiscuous {
            Ok(Addressed::Us)
        } else if is_multicast(dst) {
            Ok(Addressed::Group)
        } else {
            Err(DropReason::NotOurMac)
        }
    }

    /// Fits the Ethernet header of `frame`, `l3` bytes long (14, or 18 with a tag), to this
    /// port: its tag inserted (4 bytes of headroom), rewritten or removed; the MACs and the
    /// EtherType stay.
    pub fn fit<F: Frame>(&self, frame: &mut F, l3: usize) -> Result<(), DropReason> {
        let tagged = l3 > ethernet::HEADER_LEN;
        match self.vlan {
            None if !tagged => {}
            None => {
                frame.data_mut().copy_within(..MACS, vlan::HEADER_LEN);
                if !frame.adj(vlan::HEADER_LEN) {
                    return Err(DropReason::VlanTruncated);
                }
            }
            Some(vid) => {
                if !tagged {
                    if !frame.prepend(vlan::HEADER_LEN) {
                        return Err(DropReason::NoHeadroom);
                    }
                    frame
                        .data_mut()
                        .copy_within(vlan::HEADER_LEN..vlan::HEADER_LEN + MACS, 0);
                }
                let tag = &mut frame.data_mut()[TAG];
                tag[..2].copy_from_slice(&TPID);
                tag[2..].copy_from_slice(&vid.to_be_bytes());
            }
        }
        Ok(())
    }

    /// Makes `frame` (its Ethernet header `l3` bytes long) leave by this port to `dst`: the
    /// port's tag ([`PortL2::fit`]), `dst` and the port's MAC.
    #[inline]
    pub fn address<F: Frame>(
        &self,
        frame: &mut F,
        l3: usize,
        dst: MacAddr,
    ) -> Result<(), DropReason> {
        self.fit(frame, l3)?;
        let data = frame.data_mut();
        data[..6].copy_from_slice(&dst);
        data[6..MACS].copy_from_slice(&self.mac);
        Ok(())
    }
}

/// Whether a frame of class `class` sent to group address `dst` is one rvs needs: broadcast
/// ARP, or ICMPv6 to the all-nodes or a solicited-node group (Neighbour Discovery) on the MAC
/// that group maps to (RFC 2464 §7).
pub fn wants_group(dst: MacAddr, class: &Class) -> bool {
    match class {
        Class::Arp { .. } => dst == BROADCAST,
        Class::Ipv6(p) => {
            let group = p.key.daddr;
            p.protocol == IpProtocol::Icmpv6
                && (group == ALL_NODES || is_solicited_node(group))
                && dst == ipv6_multicast_mac(group)
        }
        _ => false,
    }
}

/// ff02::1, where unsolicited Neighbor Advertisements go (RFC 4861 §7.2.6).
const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);

#[cfg(test)]
mod test {
    use super::*;
    use crate::wire::testutil::hex;

    const MAC: MacAddr = [2, 0, 0, 0, 0, 1];
    const OTHER: MacAddr = [2, 0, 0, 0, 0, 9];

    fn port(vlan: Option<u16>, promiscuous: bool) -> PortL2 {
        PortL2 {
            vlan,
            promiscuous,
            ..PortL2::new(MAC)
        }
    }

    #[test]
    fn admits_its_vlan_and_its_mac() {
        use DropReason::*;
        let (untagged, tagged) = (port(None, false), port(Some(100), false));
        let cases = [
            (untagged, MAC, None, Ok(Addressed::Us)),
            (untagged, MAC, Some(100), Err(VlanTagged)),
            (untagged, MAC, Some(0), Err(VlanTagged)),
            (tagged, MAC, Some(100), Ok(Addressed::Us)),
            (tagged, MAC, Some(101), Err(VlanMismatch)),
            (tagged, MAC, None, Err(VlanUntagged)),
            (untagged, OTHER, None, Err(NotOurMac)),
            (tagged, OTHER, Some(100), Err(NotOurMac)),
            (untagged, BROADCAST, None, Ok(Addressed::Group)),
            (port(None, true), OTHER, None, Ok(Addressed::Us)),
            (port(Some(100), true), OTHER, Some(7), Err(VlanMismatch)),
        ];
        for (p, dst, tag, want) in cases {
            assert_eq!(p.admit(dst, tag), want, "{p:?} {dst:02x?} {tag:?}");
        }
    }

    /// The same frame leaving an untagged and a tagged port, from either kind of header.
    #[test]
    fn fits_the_tag_to_the_port_and_keeps_the_rest() {
        let plain = hex("020000000002 020000000001 0800 4500");
        let tagged = |vid: &str| hex(&format!("020000000002 020000000001 8100 {vid} 0800 4500"));
        for (p, want) in [
            (port(None, false), plain.clone()),
            (port(Some(100), false), tagged("0064")),
            (port(Some(4094), false), tagged("0ffe")),
        ] {
            for (input, l3) in [(plain.clone(), 14), (tagged("e0c8"), 18)] {
                let mut f = input;
                p.fit(&mut f, l3).unwrap();
                assert_eq!(f, want, "{p:?} from l3 {l3}");
            }
        }
    }

    #[test]
    fn addresses_a_frame_from_the_port() {
        let mut f = hex("ffffffffffff ffffffffffff 8100 0064 86dd 60");
        port(Some(200), false).address(&mut f, 18, OTHER).unwrap();
        assert_eq!(f, hex("020000000009 020000000001 8100 00c8 86dd 60"));
    }
}
