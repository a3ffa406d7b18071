//! DR ("Route", `-g`): the request leaves unchanged but for the TTL, addressed at layer 2 to
//! the real server, which holds the VIP on a loopback and answers the client directly
//! (ipvs-forwarding §3.2, vector 7.7). Nothing at layer 3 is rewritten, so the only rule
//! this method owns is where the frame may go: the real server itself must be the next
//! hop. Through a gateway the frame would reach the gateway still addressed to the VIP,
//! which routes it by the VIP (back here, or nowhere): IPVS sends it anyway; rvs drops it
//! and counts `dr_not_connected`, and the control plane warns when such a server is added.

use crate::route::NextHop;
use crate::stats::DropReason;

/// Checks that `hop` (the route towards the real server) delivers to the real server itself.
pub fn check_next_hop<A>(hop: &NextHop<A>) -> Result<(), DropReason> {
    if hop.connected {
        Ok(())
    } else {
        Err(DropReason::DrNotConnected)
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn only_a_connected_real_server_is_reachable() {
        let mut hop = NextHop::<std::net::Ipv4Addr> {
            port: 1,
            ip: [10, 0, 0, 21].into(),
            src: [10, 0, 0, 1].into(),
            connected: true,
        };
        assert_eq!(check_next_hop(&hop), Ok(()));
        hop.connected = false;
        assert_eq!(check_next_hop(&hop), Err(DropReason::DrNotConnected));
    }
}
