//! Ethernet ports: configure, start, burst RX/TX, stop and close.

use super::{DpdkError, Mbuf, Mempool};
use serde::Serialize;
use std::ffi::{CStr, CString};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering::*};

/// How to set a port up.
pub struct PortConfig<'a> {
    /// The EAL device name: a PCI address or the name part of a `--vdev`.
    pub name: &'a str,
    /// RX and TX queues (one pair per worker).
    pub queues: u16,
    pub rx_desc: u16,
    pub tx_desc: u16,
    pub pool: Mempool,
    /// Receive frames for any MAC. Otherwise the port takes its own MAC's,
    /// broadcast and every multicast group (all-multicast: the Neighbour
    /// Solicitations for any VIP must come in; the data plane keeps only
    /// what ND needs).
    pub promiscuous: bool,
}

/// Counters DPDK keeps for a port (`rte_eth_stats`).
#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct PortStats {
    pub ipackets: u64,
    pub opackets: u64,
    pub ibytes: u64,
    pub obytes: u64,
    pub imissed: u64,
    pub ierrors: u64,
    pub oerrors: u64,
    pub rx_nombuf: u64,
}

/// One of the driver's extended counters (`rte_eth_xstats`): its name and value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct XStat {
    pub name: String,
    pub value: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkStatus {
    Up,
    Down,
}

/// A started port. [`EthPort::close`] stops and closes it; the bursts take
/// `&self` so that every worker can use its own queue of a shared port.
pub struct EthPort {
    id: u16,
    name: String,
    queues: u16,
    mac: [u8; 6],
    /// The thread that owns each queue pair (0: none yet). DPDK's bursts
    /// are not thread-safe per queue; the first thread to burst on a queue
    /// claims it, and any other thread's burst on it does nothing.
    owners: Box<[AtomicUsize]>,
}

thread_local! {
    static THREAD_TOKEN: u8 = const { 0 };
}

/// A number unique among live threads: the address of a thread-local.
fn this_thread() -> usize {
    THREAD_TOKEN.with(|t| t as *const u8 as usize)
}

/// The RSS hash functions rvs asks for: spread by addresses and ports.
const RSS_HF: u64 =
    (dpdk_sys::RTE_ETH_RSS_IP | dpdk_sys::RTE_ETH_RSS_TCP | dpdk_sys::RTE_ETH_RSS_UDP) as u64;

impl EthPort {
    /// Finds the port EAL probed under `cfg.name`, configures its queues
    /// (RSS where the PMD supports it, plain single-queue mode otherwise) and
    /// starts it.
    pub fn open(cfg: &PortConfig) -> Result<EthPort, DpdkError> {
        let id = port_id(cfg.name)?;
        let info = dev_info(id)?;
        let queues = cfg
            .queues
            .min(info.max_rx_queues)
            .min(info.max_tx_queues)
            .max(1);
        if queues < cfg.queues {
            log::warn!(
                "{}: only {queues} queue pair(s), asked {}",
                cfg.name,
                cfg.queues
            );
        }
        let key = crate::rss::random_key(key_len(&info));
        let conf = eth_conf(&info, queues, &key);
        // SAFETY: conf is a valid rte_eth_conf for the duration of the call; its RSS key
        // points into `key`, alive until after the call (the PMD copies it).
        let ret = unsafe { dpdk_sys::rte_eth_dev_configure(id, queues, queues, &conf) };
        check(ret, || format!("rte_eth_dev_configure {}", cfg.name))?;
        setup_queues(id, cfg, queues)?;
        // SAFETY: the port is configured with all its queues set up.
        let ret = unsafe { dpdk_sys::rte_eth_dev_start(id) };
        check(ret, || format!("rte_eth_dev_start {}", cfg.name))?;
        set_receive_filter(id, cfg);
        let mac = mac_addr(id)?;
        let rss = match conf.rx_adv_conf.rss_conf.rss_hf {
            0 => "off",
            hf if ensure_rss_key(id, hf, &key) => "on (random symmetric key)",
            _ => "on (the driver's own key)",
        };
        log::info!(
            "port {} (id {id}) started: {queues} queue(s), rss {rss}, mac {}",
            cfg.name,
            fmt_mac(&mac)
        );
        Ok(EthPort {
            id,
            name: cfg.name.to_owned(),
            queues,
            mac,
            owners: (0..queues).map(|_| AtomicUsize::new(0)).collect(),
        })
    }

    /// The names of the ports EAL probed (what [`PortConfig::name`] takes), in port-id order.
    pub fn probed() -> Vec<String> {
        let mut names = Vec::new();
        // SAFETY: reads EAL's port table; 0 asks for the first valid port.
        let mut id = unsafe { dpdk_sys::rte_eth_find_next(0) };
        while u32::from(id) < dpdk_sys::RTE_MAX_ETHPORTS {
            let mut name = [0; dpdk_sys::RTE_ETH_NAME_MAX_LEN as usize];
            // SAFETY: name has room for RTE_ETH_NAME_MAX_LEN bytes, the most DPDK writes (NUL
            // included); id is a valid port.
            if unsafe { dpdk_sys::rte_eth_dev_get_name_by_port(id, name.as_mut_ptr()) } == 0 {
                // SAFETY: on success DPDK wrote a NUL-terminated name into name.
                let name = unsafe { CStr::from_ptr(name.as_ptr()) };
                names.push(name.to_string_lossy().into_owned());
            }
            // SAFETY: as above; the id after the last port is RTE_MAX_ETHPORTS at most.
            id = unsafe { dpdk_sys::rte_eth_find_next(id + 1) };
        }
        names
    }

    /// The RSS key the port hashes with, if the driver tells.
    pub fn rss_key(&self) -> Option<Vec<u8>> {
        rss_key(self.id)
    }

    pub fn id(&self) -> u16 {
        self.id
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn queues(&self) -> u16 {
        self.queues
    }

    pub fn mac(&self) -> [u8; 6] {
        self.mac
    }

    /// Receives up to `out.len()` frames from `queue`; returns how many
    /// slots of `out` it filled (from the front).
    pub fn rx_burst(&self, queue: u16, out: &mut [Option<Mbuf>]) -> usize {
        let mut raw = [std::ptr::null_mut(); 64];
        let want = out.len().min(raw.len()) as u16;
        if !self.owns(queue) {
            return 0;
        }
        // SAFETY: raw has room for `want` pointers; the queue exists and
        // this thread alone bursts on it.
        let n = unsafe { dpdk_sys::rvs_rx_burst(self.id, queue, raw.as_mut_ptr(), want) } as usize;
        for (slot, p) in out.iter_mut().zip(&raw[..n]) {
            // rx_burst returns only valid mbufs whose ownership passes to us.
            *slot = NonNull::new(*p).map(Mbuf::from_raw);
        }
        n
    }

    /// Sends the frames in `frames` (taking them out); those the driver did
    /// not accept are dropped (freed). Returns how many were sent.
    pub fn tx_burst(&self, queue: u16, frames: &mut [Option<Mbuf>]) -> usize {
        if !self.owns(queue) {
            frames.iter_mut().for_each(|f| drop(f.take()));
            return 0;
        }
        let mut raw = [std::ptr::null_mut(); 64];
        let mut n = 0;
        for m in frames.iter_mut().filter_map(Option::take).take(raw.len()) {
            raw[n] = m.into_raw();
            n += 1;
        }
        // SAFETY: raw[..n] are owned mbufs; the queue exists and this thread
        // alone bursts on it; the driver takes those it sends.
        let sent = unsafe { dpdk_sys::rvs_tx_burst(self.id, queue, raw.as_mut_ptr(), n as u16) };
        let unsent = &mut raw[sent as usize..n];
        if !unsent.is_empty() {
            // SAFETY: the driver left these owned mbufs to us; freed once, in bulk.
            unsafe { dpdk_sys::rvs_pktmbuf_free_bulk(unsent.as_mut_ptr(), unsent.len() as u32) };
        }
        sent as usize
    }

    /// Whether the calling thread may burst on `queue`: the queue exists
    /// (DPDK does not check in release builds) and is this thread's, or
    /// nobody's yet and now claimed. One load per burst once claimed.
    fn owns(&self, queue: u16) -> bool {
        let Some(owner) = self.owners.get(usize::from(queue)) else {
            return false;
        };
        let me = this_thread();
        match owner.load(Relaxed) {
            o if o == me => true,
            0 => owner.compare_exchange(0, me, Acquire, Relaxed).is_ok(),
            _ => false,
        }
    }

    pub fn link(&self) -> LinkStatus {
        let mut link = dpdk_sys::rte_eth_link::default();
        // SAFETY: link is a valid out-parameter; the port exists.
        let ret = unsafe { dpdk_sys::rte_eth_link_get_nowait(self.id, &mut link) };
        if ret == 0 && link.link_status() != 0 {
            LinkStatus::Up
        } else {
            LinkStatus::Down
        }
    }

    pub fn stats(&self) -> PortStats {
        let mut s = dpdk_sys::rte_eth_stats::default();
        // SAFETY: s is a valid out-parameter; the port exists.
        unsafe { dpdk_sys::rte_eth_stats_get(self.id, &mut s) };
        PortStats {
            ipackets: s.ipackets,
            opackets: s.opackets,
            ibytes: s.ibytes,
            obytes: s.obytes,
            imissed: s.imissed,
            ierrors: s.ierrors,
            oerrors: s.oerrors,
            rx_nombuf: s.rx_nombuf,
        }
    }

    /// The driver's extended counters, in its order; empty when it has none or they
    /// changed in number while being read.
    pub fn xstats(&self) -> Vec<XStat> {
        // SAFETY: a null array of size 0 asks only for the count; the port exists.
        let n = unsafe { dpdk_sys::rte_eth_xstats_get_names(self.id, std::ptr::null_mut(), 0) };
        let Ok(n) = usize::try_from(n) else {
            return Vec::new();
        };
        let mut names = vec![dpdk_sys::rte_eth_xstat_name::default(); n];
        let mut values = vec![dpdk_sys::rte_eth_xstat::default(); n];
        // SAFETY: both arrays hold n elements, the size passed; the port exists.
        let (got_names, got_values) = unsafe {
            (
                dpdk_sys::rte_eth_xstats_get_names(self.id, names.as_mut_ptr(), n as u32),
                dpdk_sys::rte_eth_xstats_get(self.id, values.as_mut_ptr(), n as u32),
            )
        };
        if got_names != n as i32 || got_values != n as i32 {
            return Vec::new();
        }
        values
            .iter()
            .filter_map(|v| {
                let name = &names.get(v.id as usize)?.name;
                // SAFETY: DPDK writes NUL-terminated names into the 64-byte field.
                let name = unsafe { CStr::from_ptr(name.as_ptr()) };
                Some(XStat {
                    name: name.to_string_lossy().into_owned(),
                    value: v.value,
                })
            })
            .collect()
    }

    /// Stops and starts the port again: a memif client connects anew (a server that refused
    /// it, not started yet when it first connected, is not asked again otherwise). `&mut`:
    /// nobody bursts on the port meanwhile.
    pub fn restart(&mut self) -> Result<(), DpdkError> {
        // SAFETY: the port exists and is started; &mut self excludes every burst on it.
        let ret = unsafe { dpdk_sys::rte_eth_dev_stop(self.id) };
        check(ret, || format!("rte_eth_dev_stop {}", self.name))?;
        // SAFETY: the port is configured and stopped.
        let ret = unsafe { dpdk_sys::rte_eth_dev_start(self.id) };
        check(ret, || format!("rte_eth_dev_start {}", self.name))
    }

    /// Stops and closes the port. Every worker must have stopped bursting
    /// on it first (memif segfaults otherwise).
    pub fn close(self) {
        // SAFETY: the port exists; no lcore uses it any more (contract above).
        unsafe {
            if dpdk_sys::rte_eth_dev_stop(self.id) < 0 {
                log::warn!("{}: stop failed", self.name);
            }
            dpdk_sys::rte_eth_dev_close(self.id);
        }
        log::info!("port {} closed", self.name);
    }
}

fn check(ret: i32, what: impl FnOnce() -> String) -> Result<(), DpdkError> {
    if ret < 0 {
        Err(DpdkError::from_ret(what(), ret))
    } else {
        Ok(())
    }
}

fn port_id(name: &str) -> Result<u16, DpdkError> {
    let cname = CString::new(name)
        .map_err(|_| DpdkError::from_ret(format!("port name {name:?}"), libc::EINVAL))?;
    let mut id = 0u16;
    // SAFETY: cname is valid C string, id a valid out-parameter.
    let ret = unsafe { dpdk_sys::rte_eth_dev_get_port_by_name(cname.as_ptr(), &mut id) };
    check(ret, || format!("no DPDK port named {name}"))?;
    Ok(id)
}

/// Port `id`'s RSS key as the driver reports it.
fn rss_key(id: u16) -> Option<Vec<u8>> {
    let mut key = vec![0u8; key_len(&dev_info(id).ok()?)];
    let mut conf = dpdk_sys::rte_eth_rss_conf {
        rss_key: key.as_mut_ptr(),
        rss_key_len: u8::try_from(key.len()).ok()?,
        ..Default::default()
    };
    // SAFETY: conf's key points to rss_key_len writable bytes, alive for the call; id was
    // returned by EAL.
    let ret = unsafe { dpdk_sys::rte_eth_dev_rss_hash_conf_get(id, &mut conf) };
    (ret == 0).then_some(key)
}

/// Whether port `id` hashes with `key`: some drivers (net_null, ...) keep their own key at
/// configure time and take one only by update.
fn ensure_rss_key(id: u16, hf: u64, key: &[u8]) -> bool {
    if rss_key(id).as_deref() == Some(key) {
        return true;
    }
    let mut key = key.to_vec();
    let mut conf = dpdk_sys::rte_eth_rss_conf {
        rss_key: key.as_mut_ptr(),
        rss_key_len: u8::try_from(key.len()).unwrap_or(u8::MAX),
        rss_hf: hf,
    };
    // SAFETY: conf's key points to rss_key_len readable bytes, alive for the call; id was
    // returned by EAL and the port is configured.
    let ret = unsafe { dpdk_sys::rte_eth_dev_rss_hash_update(id, &mut conf) };
    ret == 0 && rss_key(id).as_deref() == Some(&key[..])
}

/// The RSS key length the driver takes.
fn key_len(info: &dpdk_sys::rte_eth_dev_info) -> usize {
    match info.hash_key_size {
        0 => crate::rss::DEFAULT_KEY_LEN,
        n => usize::from(n),
    }
}

fn dev_info(id: u16) -> Result<dpdk_sys::rte_eth_dev_info, DpdkError> {
    let mut info = dpdk_sys::rte_eth_dev_info::default();
    // SAFETY: info is a valid out-parameter; id was returned by EAL.
    let ret = unsafe { dpdk_sys::rte_eth_dev_info_get(id, &mut info) };
    check(ret, || format!("rte_eth_dev_info_get {id}"))?;
    Ok(info)
}

/// RSS on IP/TCP/UDP restricted to what the PMD offers, with `key` (`crate::rss`: random,
/// symmetric); no RSS with one queue or when the PMD offers none of them (net_pcap, memif,
/// ...). The configuration points into `key`.
fn eth_conf(info: &dpdk_sys::rte_eth_dev_info, queues: u16, key: &[u8]) -> dpdk_sys::rte_eth_conf {
    let mut conf = dpdk_sys::rte_eth_conf::default();
    let hf = RSS_HF & info.flow_type_rss_offloads;
    if queues > 1 && hf != 0 {
        conf.rxmode.mq_mode = dpdk_sys::rte_eth_rx_mq_mode_RTE_ETH_MQ_RX_RSS;
        let rss = &mut conf.rx_adv_conf.rss_conf;
        rss.rss_hf = hf;
        // The PMD only reads the key (rte_eth_dev_configure copies it).
        rss.rss_key = key.as_ptr().cast_mut();
        rss.rss_key_len = u8::try_from(key.len()).unwrap_or(u8::MAX);
    }
    conf
}

fn setup_queues(id: u16, cfg: &PortConfig, queues: u16) -> Result<(), DpdkError> {
    // SAFETY: id is valid; memif and pcap report -1, which means "any".
    let socket = unsafe { dpdk_sys::rte_eth_dev_socket_id(id) }.max(0) as u32;
    for q in 0..queues {
        // SAFETY: the port is configured for `queues` queues; a null conf
        // selects the PMD's defaults; the pool outlives the port.
        let ret = unsafe {
            dpdk_sys::rte_eth_rx_queue_setup(
                id,
                q,
                cfg.rx_desc,
                socket,
                std::ptr::null(),
                cfg.pool.as_ptr(),
            )
        };
        check(ret, || format!("rx queue {q} of {}", cfg.name))?;
        // SAFETY: as above.
        let ret = unsafe {
            dpdk_sys::rte_eth_tx_queue_setup(id, q, cfg.tx_desc, socket, std::ptr::null())
        };
        check(ret, || format!("tx queue {q} of {}", cfg.name))?;
    }
    Ok(())
}

/// Opens the started port `id` to every MAC (promiscuous) or to its own, broadcast and all
/// multicast. A driver that cannot leave promiscuous mode receives more than asked, which
/// the data plane's destination check drops (logged at info); one that cannot take all
/// multicast may lose Neighbour Solicitations for the VIPs (warned).
fn set_receive_filter(id: u16, cfg: &PortConfig) {
    let name = cfg.name;
    if cfg.promiscuous {
        // SAFETY: id is a valid, started port.
        let ret = unsafe { dpdk_sys::rte_eth_promiscuous_enable(id) };
        if ret < 0 {
            log::warn!("{name}: promiscuous mode not supported ({ret})");
        }
        return;
    }
    // SAFETY: id is a valid, started port.
    let ret = unsafe { dpdk_sys::rte_eth_promiscuous_disable(id) };
    if ret < 0 {
        log::info!("{name}: stays promiscuous ({ret}); frames for other MACs dropped by rvsd");
    }
    // SAFETY: id is a valid, started port.
    let ret = unsafe { dpdk_sys::rte_eth_allmulticast_enable(id) };
    if ret < 0 {
        log::warn!(
            "{name}: all-multicast mode not supported ({ret}): Neighbour Solicitations for \
             the VIPs may not arrive unless the port is promiscuous"
        );
    }
}

fn mac_addr(id: u16) -> Result<[u8; 6], DpdkError> {
    let mut mac = dpdk_sys::rte_ether_addr::default();
    // SAFETY: mac is a valid out-parameter.
    let ret = unsafe { dpdk_sys::rte_eth_macaddr_get(id, &mut mac) };
    check(ret, || format!("rte_eth_macaddr_get {id}"))?;
    Ok(mac.addr_bytes)
}

/// `aa:bb:cc:dd:ee:ff`.
pub fn fmt_mac(mac: &[u8; 6]) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}
