//! The worker loop, and nothing else: receive a burst on every port,
//! classify it and prefetch what it will look up, let
//! [`process_classified`] decide each frame's fate, transmit grouped by
//! port, send the ARP requests the burst asked for, and expire a slice of
//! this worker's connections. Run-to-completion: no locks, no
//! allocation (but when the configuration changes), no syscalls (but the
//! pauses of an idle worker, with [`crate::idle`] configured).

use crate::classify::{classify_on, Class};
use crate::ctx::Ctx;
use crate::frag::HOLD_MS;
use crate::fwd::fragment::fragment;
use crate::fwd::{self, Forward};
use crate::idle::{Backoff, IdleBackoff};
use crate::lb;
use crate::nd::{self, NS_FRAME_LEN};
use crate::port::{Frame, PortIo, BURST};
use crate::process::{process, process_classified};
use crate::reply::{build_arp_request, MIN_FRAME_LEN};
use crate::service::Snapshot;
use crate::shared::{Dataplane, Mode, Owners};
use crate::stats::{Counters, DropReason};
use crate::txbuf::TxBuffers;
use crate::verdict::Verdict;
use crate::wire::ethernet;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Instant;

use arc_swap::Guard;

/// Milliseconds between link checks (reading link state is a driver call,
/// af_packet's an ioctl; memif must not be polled while its peer is gone):
/// paced by the clock, so that a worker pausing when idle checks as often.
const LINK_CHECK_MS: u64 = 10;
/// Expiry visits this worker's whole partition once per this many ms,
/// paced by the clock: a fixed number of entries per loop would stream the
/// table through the cache at busy loop rates and evict the hot flows.
const EXPIRE_SWEEP_MS: u64 = 1000;
/// Later fragments a worker holds while their first is missing (`crate::frag`).
const HOLD: usize = 64;

/// A later fragment waiting for its first.
struct Held<F> {
    frame: F,
    in_port: usize,
    class: Class,
    since: u64,
}

/// Runs until `halt` is set, using queue `queue` of every port and the
/// connection-table shares `conns`; with `idle`, pausing when there is
/// nothing to do ([`crate::idle`]), busy-polling without.
pub fn run<P: PortIo>(
    dp: &Dataplane<P>,
    queue: u16,
    counters: &Counters,
    conns: Owners,
    halt: &AtomicBool,
    idle: Option<IdleBackoff>,
) {
    log::info!("worker on queue {queue} started");
    let mut worker = Worker::new(dp, queue, counters, conns);
    let mut backoff = idle.map(Backoff::new);
    while !halt.load(Relaxed) {
        let busy = worker.poll();
        let Some(b) = &mut backoff else { continue };
        if let Some(pause) = b.after_poll(busy, Instant::now) {
            counters.add_pause();
            std::thread::sleep(pause);
        }
    }
    worker.stop();
    log::info!("worker on queue {queue} stopped");
}

/// One worker's loop state, stepped one poll at a time by [`run`] (and by tests and fuzz
/// harnesses that need a deterministic loop).
pub struct Worker<'a, P: PortIo> {
    dp: &'a Dataplane<P>,
    ctx: Ctx<'a>,
    tx: TxBuffers<P::Frame>,
    burst: [Option<P::Frame>; BURST],
    up: Vec<bool>,
    /// When the links are checked next ([`LINK_CHECK_MS`]).
    link_check: u64,
    swept: u64,
    held: Vec<Held<P::Frame>>,
    firsts: u64,
}

impl<'a, P: PortIo> Worker<'a, P> {
    /// A worker on queue `queue` of every port with the connection-table shares `conns`.
    pub fn new(dp: &'a Dataplane<P>, queue: u16, counters: &'a Counters, conns: Owners) -> Self {
        let ctx = Ctx::new(queue, counters, conns, dp.now_ms());
        Worker {
            dp,
            swept: ctx.now,
            link_check: ctx.now + LINK_CHECK_MS,
            ctx,
            tx: TxBuffers::new(dp.ports.len()),
            burst: std::array::from_fn(|_| None),
            up: dp.ports.iter().map(PortIo::link_up).collect(),
            held: Vec::with_capacity(HOLD),
            firsts: 0,
        }
    }

    /// Later fragments waiting for their first.
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// One turn of the loop: a burst from every port, the held fragments, the neighbour
    /// requests, transmission and a slice of expiry. Whether a port had a frame.
    pub fn poll(&mut self) -> bool {
        let (dp, ctx) = (self.dp, &mut self.ctx);
        ctx.now = dp.now_ms();
        // Idle too: a new configuration's real servers get resolved before traffic comes.
        drop(current(dp, ctx));
        let mut received = 0;
        for (in_port, port) in dp.ports.iter().enumerate() {
            if self.up[in_port] {
                let n = port.rx_burst(ctx.queue, &mut self.burst);
                received += n;
                if n > 0 {
                    // Loaded after the burst arrived: a packet sent once an admin command
                    // has returned meets the configuration that command made.
                    let snap = current(dp, ctx);
                    let frames = &mut self.burst[..n];
                    handle_burst(
                        dp,
                        ctx,
                        &snap,
                        in_port,
                        frames,
                        &mut self.tx,
                        &mut self.held,
                    );
                }
            }
        }
        ctx.counters.add_poll(received > 0);
        if !self.held.is_empty() {
            let snap = current(dp, ctx);
            let fresh = std::mem::replace(&mut self.firsts, ctx.frags.firsts) != ctx.frags.firsts;
            retry_held(dp, ctx, &snap, fresh, &mut self.tx, &mut self.held);
        }
        send_neighbour_requests(dp, ctx, &mut self.tx);
        self.tx.flush(&dp.ports, ctx.queue, ctx.counters);
        if ctx.now > self.swept {
            ctx.conns
                .expire_paced(ctx.now, ctx.now - self.swept, EXPIRE_SWEEP_MS);
            self.swept = ctx.now;
        }
        if ctx.now >= self.link_check {
            self.link_check = ctx.now + LINK_CHECK_MS;
            self.up
                .iter_mut()
                .zip(&dp.ports)
                .for_each(|(u, p)| *u = p.link_up());
        }
        received > 0
    }

    /// The loop's end: what is queued is sent; fragments still waiting will never see their
    /// first: dropped and counted, as a timeout would have, so that every frame received is
    /// accounted for.
    pub fn stop(mut self) {
        let ctx = &self.ctx;
        self.tx.flush(&self.dp.ports, ctx.queue, ctx.counters);
        let held = self.held.len() as u64;
        ctx.counters.add_drops(DropReason::FragmentTimeout, held);
    }
}

/// The configuration as it is now, this worker's scheduler cursors matched to it; the first
/// worker asks for the MACs of a new configuration's real servers.
fn current<P: PortIo>(dp: &Dataplane<P>, ctx: &mut Ctx) -> Guard<Arc<Snapshot>> {
    let snap = dp.services.load();
    if ctx.cursors.refresh(&snap) && ctx.queue == 0 {
        resolve_real_servers(dp, ctx, &snap);
    }
    snap
}

/// Classifies the burst and prefetches the connection buckets it will look
/// up, then decides each frame's fate: the buckets load while earlier
/// frames are processed.
fn handle_burst<P: PortIo>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    snap: &Snapshot,
    in_port: usize,
    burst: &mut [Option<P::Frame>],
    tx: &mut TxBuffers<P::Frame>,
    held: &mut Vec<Held<P::Frame>>,
) {
    if burst.is_empty() {
        return;
    }
    let bytes: usize = burst.iter().flatten().map(|f| f.data().len()).sum();
    ctx.counters.add_rx(burst.len() as u64, bytes as u64);
    let mut classes = [(Class::Drop(DropReason::EthernetTruncated), None); BURST];
    if dp.mode == Mode::Balance {
        let port = &dp.l2[in_port];
        for ((class, look), slot) in classes.iter_mut().zip(burst.iter()) {
            let Some(frame) = slot else { continue };
            *class = classify_on(frame.data(), port);
            *look = match class {
                Class::Ipv4(p) if p.is_tcp_udp() => Some(lb::look(dp, snap, p)),
                Class::Ipv6(p) if p.is_tcp_udp() => Some(lb::look(dp, snap, p)),
                _ => None,
            };
        }
    }
    for (slot, (class, look)) in burst.iter_mut().zip(&classes) {
        let Some(mut frame) = slot.take() else {
            continue;
        };
        let verdict = match dp.mode {
            Mode::Balance => process_classified(dp, ctx, snap, in_port, &mut frame, (class, *look)),
            Mode::L2Fwd => process(dp, ctx, snap, in_port, &mut frame),
        };
        if verdict == Verdict::Hold {
            hold(
                ctx,
                held,
                Held {
                    frame,
                    in_port,
                    class: *class,
                    since: ctx.now,
                },
            );
        } else {
            act(dp, ctx, tx, frame, verdict);
        }
    }
}

/// Carries out a verdict other than [`Verdict::Hold`].
fn act<P: PortIo>(
    dp: &Dataplane<P>,
    ctx: &Ctx,
    tx: &mut TxBuffers<P::Frame>,
    frame: P::Frame,
    verdict: Verdict,
) {
    match verdict {
        Verdict::Tx { port } => tx.push(&dp.ports, port, ctx.queue, frame, ctx.counters),
        Verdict::TxFragmented { port, l3, mtu, id } => {
            let (queue, counters) = (ctx.queue, ctx.counters);
            let sent = fragment(&dp.ports[port], frame.data(), l3, (mtu, id), |f| {
                tx.push(&dp.ports, port, queue, f, counters)
            });
            if let Err(reason) = sent {
                counters.add_drop(reason);
            }
        }
        // Dropping the frame frees it.
        Verdict::Drop(reason) => ctx.counters.add_drop(reason),
        Verdict::Consumed | Verdict::Hold => {}
    }
}

/// Keeps a later fragment for its first, if there is room.
fn hold<F>(ctx: &Ctx, held: &mut Vec<Held<F>>, h: Held<F>) {
    if held.len() < HOLD {
        held.push(h);
    } else {
        ctx.counters.add_drop(DropReason::FragmentHoldFull);
    }
}

/// Gives the held fragments another chance when first fragments came (`fresh`), and drops
/// those that waited too long. Each is looked at once per call: the ones processed move
/// below the index, the ones held again go to the end.
fn retry_held<P: PortIo>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    snap: &Snapshot,
    fresh: bool,
    tx: &mut TxBuffers<P::Frame>,
    held: &mut Vec<Held<P::Frame>>,
) {
    for i in (0..held.len()).rev() {
        let timed_out = ctx.now >= held[i].since + HOLD_MS;
        if !timed_out && !fresh {
            continue;
        }
        let mut h = held.swap_remove(i);
        if timed_out {
            ctx.counters.add_drop(DropReason::FragmentTimeout);
            continue;
        }
        match process_classified(dp, ctx, snap, h.in_port, &mut h.frame, (&h.class, None)) {
            Verdict::Hold => held.push(h),
            v => act(dp, ctx, tx, h.frame, v),
        }
    }
}

/// Asks for the MACs of real servers' next hops when the services change,
/// so that a new server's first packets do not wait for resolution (the
/// kernel's neighbour queue does that job for IPVS). One worker is enough.
fn resolve_real_servers<P: PortIo>(dp: &Dataplane<P>, ctx: &mut Ctx, snap: &Snapshot) {
    for d in snap.services.iter().flat_map(|s| &s.dests) {
        match d.params.addr {
            IpAddr::V4(a) => resolve(dp, ctx, a),
            IpAddr::V6(a) => resolve(dp, ctx, a),
        }
    }
}

/// Asks for the MAC of the next hop towards `addr`, if a request is due.
fn resolve<P: PortIo, A: Forward>(dp: &Dataplane<P>, ctx: &mut Ctx, addr: A) {
    let net = A::net(dp);
    if let Some(hop) = net.routes.lookup(addr) {
        if net.neigh[hop.port].lookup(hop.ip, ctx.now).ask {
            fwd::ask(dp, ctx, hop.port, hop.ip);
        }
    }
}

/// Sends the neighbour requests the burst claimed, from the output port's first address of
/// the family: ARP requests and Neighbor Solicitations, broadcast (multicast) to resolve,
/// unicast to probe a STALE entry.
fn send_neighbour_requests<P: PortIo>(
    dp: &Dataplane<P>,
    ctx: &mut Ctx,
    tx: &mut TxBuffers<P::Frame>,
) {
    for (port, ip, to) in ctx.arp.drain() {
        let Some(src) = dp.v4.port_addr(port) else {
            continue;
        };
        let mac = dp.ports[port].mac();
        send_built(dp, ctx.queue, ctx.counters, tx, port, |buf| {
            build_arp_request(buf, mac, src, ip, to)
        });
    }
    for (port, ip, to) in ctx.nd.drain() {
        let Some(src) = dp.v6.port_addr(port) else {
            continue;
        };
        let mac = dp.ports[port].mac();
        send_built(dp, ctx.queue, ctx.counters, tx, port, |buf| {
            nd::build_ns(buf, mac, src, ip, to)
        });
    }
}

/// Sends on `port` a frame `build` writes into a new buffer (returning its length), with the
/// port's VLAN tag.
fn send_built<P: PortIo>(
    dp: &Dataplane<P>,
    queue: u16,
    counters: &Counters,
    tx: &mut TxBuffers<P::Frame>,
    port: usize,
    build: impl FnOnce(&mut [u8]) -> usize,
) {
    let Some(mut frame) = dp.ports[port].alloc(NS_FRAME_LEN.max(MIN_FRAME_LEN)) else {
        return;
    };
    let len = build(frame.data_mut());
    frame.truncate(len);
    if let Err(reason) = dp.l2[port].fit(&mut frame, ethernet::HEADER_LEN) {
        counters.add_drop(reason);
        return;
    }
    counters.add_neigh_request();
    tx.push(&dp.ports, port, queue, frame, counters);
}
