//! The generator on DPDK: EAL, the first port (one queue pair), a pool of pre-built frames,
//! and one loop on the main lcore that receives, paces and sends until the time is up or a
//! signal asks to stop.

use super::args::Plan;
use super::flows::{Cursor, FlowSpec};
use super::frame::{self, Template, STAMP_MASK};
use super::hist::Histogram;
use super::pace::{Pacer, BURST};
use super::report::{Meter, Summary};
use control::runtime_dir::RuntimeDir;
use dataplane::dpdk::{rdtsc, tsc_hz, Eal, EthPort, LinkStatus, Mbuf, Mempool, PortConfig};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Buffers of each pool: the receive ring's and the frames in flight, with room to spare.
const POOL: u32 = 4095;
const DESCRIPTORS: u16 = 1024;
/// How long the link may take to come up (memif: the peer connecting).
const LINK_WAIT: Duration = Duration::from_secs(10);
/// How long the link may stay down before the port is restarted to connect again.
const RECONNECT: Duration = Duration::from_secs(1);
/// A stamp further back than this is not one of ours.
const MAX_LATENCY_S: u64 = 10;

/// Runs `plan` until its time is up or `stop` is set; what it sent and received.
pub fn run(mut plan: Plan, stop: &AtomicBool) -> Result<Summary, String> {
    // Declared before the EAL: EAL's directory goes after its cleanup, on every way out.
    let _runtime_dir = RuntimeDir::of(&plan.eal);
    let eal = Eal::init(&plan.eal).map_err(|e| e.to_string())?;
    let name = EthPort::probed()
        .into_iter()
        .next()
        .ok_or("no DPDK port: give one with --vdev or -a before --")?;
    // Frames sent come from a pool of their own, every buffer pre-built (`prefill`); frames
    // received go to the other one.
    let rx_pool = Mempool::new("gen_rx", POOL).map_err(|e| e.to_string())?;
    let tx_pool = Mempool::new("gen_tx", POOL).map_err(|e| e.to_string())?;
    let mut port = EthPort::open(&PortConfig {
        name: &name,
        queues: 1,
        rx_desc: DESCRIPTORS,
        tx_desc: DESCRIPTORS,
        pool: rx_pool,
        promiscuous: true,
    })
    .map_err(|e| e.to_string())?;
    plan.frame.src_mac = port.mac();
    let result = wait_link(&mut port, stop).map(|()| {
        let template = Template::new(&plan.frame, &plan.flows.fields(&plan.flows.start(), 0));
        prefill(tx_pool, &template);
        Generator::new(&plan, &port, tx_pool, &template).run(stop)
    });
    port.close();
    drop(eal);
    result
}

/// Waits for the link (or a signal to stop), restarting the port every [`RECONNECT`] it stays
/// down: a memif server whose port was not started yet refuses the client, which does not
/// try again by itself.
fn wait_link(port: &mut EthPort, stop: &AtomicBool) -> Result<(), String> {
    let start = Instant::now();
    let mut restart = start + RECONNECT;
    while port.link() != LinkStatus::Up && !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        if now > start + LINK_WAIT {
            return Err(format!("{}: link down after {LINK_WAIT:?}", port.name()));
        }
        if now > restart {
            log::info!("{}: link still down, connecting again", port.name());
            port.restart().map_err(|e| e.to_string())?;
            restart = now + RECONNECT;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(())
}

/// Writes the template into every buffer of `pool` (all taken, then all given back): a
/// buffer taken later already holds the frame, and sending it needs only the varying fields
/// patched. Drivers copy or read what they send (memif, pcap, af_packet), and received
/// frames land in the other pool, so a buffer's bytes stay as the generator left them.
fn prefill(pool: Mempool, template: &Template) {
    let bytes = template.bytes();
    let mut all = Vec::with_capacity(pool.size() as usize);
    while let Some(mut m) = pool.alloc() {
        let room = m
            .append(bytes.len() as u16)
            .expect("a pool buffer holds a frame");
        room.copy_from_slice(bytes);
        all.push(m);
    }
    log::info!("{} frames of {} bytes pre-built", all.len(), bytes.len());
}

/// The loop's state.
struct Generator<'a> {
    port: &'a EthPort,
    pool: Mempool,
    template: &'a Template,
    flows: &'a FlowSpec,
    frame_len: u16,
    cursor: Cursor,
    pacer: Pacer,
    hist: Histogram,
    meter: Meter,
    tx: u64,
    rx: u64,
    hz: u64,
    /// ns per TSC cycle × 2^32.
    ns_per_cycle: u64,
    /// The end of the current second, in TSC cycles.
    next_second: u64,
    /// Seconds to run (warm-up included).
    seconds: usize,
}

impl<'a> Generator<'a> {
    fn new(plan: &'a Plan, port: &'a EthPort, pool: Mempool, template: &'a Template) -> Self {
        let hz = tsc_hz();
        let now = rdtsc();
        let seconds = (plan.warmup + plan.seconds) as usize;
        Generator {
            port,
            pool,
            template,
            flows: &plan.flows,
            frame_len: plan.frame.len as u16,
            cursor: plan.flows.start(),
            pacer: Pacer::new(plan.rate, hz, now),
            hist: Histogram::default(),
            meter: Meter::new(plan.warmup as usize, seconds),
            tx: 0,
            rx: 0,
            hz,
            ns_per_cycle: (1_000_000_000 << 32) / hz,
            next_second: now + hz,
            seconds,
        }
    }

    fn run(mut self, stop: &AtomicBool) -> Summary {
        while !stop.load(Ordering::Relaxed) {
            let now = rdtsc();
            if now >= self.next_second && !self.second() {
                break;
            }
            self.receive(now);
            let want = self.pacer.grant(now);
            if want > 0 {
                let sent = self.send(want, now);
                self.pacer.spend(sent);
            }
        }
        let flows = self.flows.distinct(self.tx);
        Summary::new(self.tx, self.rx, flows, &self.meter, &self.hist)
    }

    /// Closes a second: prints its rates; false when the run is over.
    fn second(&mut self) -> bool {
        self.next_second += self.hz;
        let (tx, rx) = self.meter.tick(self.tx, self.rx);
        println!("t={} tx_pps={tx} rx_pps={rx}", self.meter.seconds());
        self.meter.seconds() < self.seconds
    }

    /// Counts what came back and records its latency.
    fn receive(&mut self, now: u64) {
        let mut frames: [Option<Mbuf>; BURST] = Default::default();
        let n = self.port.rx_burst(0, &mut frames);
        let max = MAX_LATENCY_S * self.hz;
        for m in frames[..n].iter().flatten() {
            if let Some(stamp) = frame::stamp(m.data()) {
                let cycles = now.wrapping_sub(stamp) & STAMP_MASK;
                if cycles < max {
                    let ns = (u128::from(cycles) * u128::from(self.ns_per_cycle)) >> 32;
                    self.hist.record(ns as u64);
                }
            }
        }
        self.rx += n as u64;
        Mbuf::free_bulk(&mut frames[..n]);
    }

    /// Sends up to `want` packets stamped `now`; returns how many the port took. The flow
    /// cursor moves past those only: a flow whose packet was refused sends it next time (a
    /// TCP flow's SYN is never skipped).
    fn send(&mut self, want: usize, now: u64) -> usize {
        let mut frames: [Option<Mbuf>; BURST] = Default::default();
        let n = self.pool.alloc_bulk(&mut frames[..want]);
        let mut after = [self.cursor; BURST];
        let mut c = self.cursor;
        let stamp = now & STAMP_MASK;
        for (m, next) in frames[..n].iter_mut().flatten().zip(&mut after) {
            let frame = m
                .append(self.frame_len)
                .expect("a pool buffer holds a frame");
            self.template.patch(frame, &self.flows.fields(&c, stamp));
            self.flows.step(&mut c);
            *next = c;
        }
        let sent = self.port.tx_burst(0, &mut frames[..n]);
        if sent > 0 {
            self.cursor = after[sent - 1];
        }
        self.tx += sent as u64;
        sent
    }
}
