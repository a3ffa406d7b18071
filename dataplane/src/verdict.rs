//! What happens to a frame: the answer every step of the packet's way
//! returns. A leaf module, so no step imports another to say it.

use crate::stats::DropReason;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Send the frame, as it now is (rewritten, grown or cut), on `port`.
    Tx { port: usize },
    /// Send the IP packet at `l3` of the frame on `port` in fragments of
    /// at most `mtu` bytes: IPVS lets an oversize packet without DF through
    /// and the director fragments it (ipvs-forwarding §3.0 step 5, §7.14);
    /// IPv6 fragments (of an IPv6 tunnel's packet) carry identification `id`.
    TxFragmented {
        port: usize,
        l3: usize,
        mtu: u16,
        id: u32,
    },
    /// Keep the frame and decide again shortly: a later fragment whose first has not come
    /// yet ([`crate::frag`]).
    Hold,
    /// Free the frame and count the reason.
    Drop(DropReason),
    /// The frame did its job here (an ARP reply taught us a neighbour):
    /// free it, nothing was dropped.
    Consumed,
}
