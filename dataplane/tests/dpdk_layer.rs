//! The safe DPDK layer on a real EAL (`--no-huge`, net_null ports): one
//! EAL per process, so this file holds a single test.

use dataplane::dpdk::{lcore, Eal, EthPort, Mempool, PortConfig};
use dataplane::l2::PortL2;
use dataplane::port::Frame;
use dataplane::rss;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

#[test]
fn eal_mempool_mbuf_port_and_queue_ownership() {
    let prefix = format!("rvs-test-dpdk-{}", std::process::id());
    let args: Vec<String> = [
        "--no-huge",
        "-m",
        "128",
        "--no-pci",
        "--no-telemetry",
        "--log-level",
        "*:warning",
        "--vdev",
        "net_null0",
        "--vdev",
        "net_null1",
        "--file-prefix",
        &prefix,
        "--lcores",
        "0@(0-1),1@1",
    ]
    .map(String::from)
    .to_vec();
    let eal = Eal::init(&args).expect("EAL init");

    // Buffers: allocate, grow, write, read back, cut, and free on drop.
    let pool = Mempool::new("test_pool", 1023).unwrap();
    let before = pool.available();
    assert_eq!(
        (pool.name(), pool.size(), pool.in_use()),
        ("test_pool".into(), 1023, 0)
    );
    let mut m = pool.alloc().unwrap();
    assert_eq!(pool.available(), before - 1);
    assert_eq!(pool.in_use(), 1);
    m.append(60).unwrap().copy_from_slice(&[0xa5; 60]);
    m.data_mut()[0] = 1;
    assert_eq!(m.data().len(), 60);
    assert_eq!((m.data()[0], m.data()[59]), (1, 0xa5));
    m.truncate(14);
    assert_eq!(m.data().len(), 14);
    assert!(m.append(u16::MAX).is_none(), "no room: refused, unchanged");
    assert_eq!(m.data().len(), 14);
    // A VLAN tag in and out (issue 15): 4 bytes of headroom taken and given back, the MACs
    // and EtherType kept; more than the headroom or the packet holds is refused.
    let head: Vec<u8> = (0..14).collect();
    m.data_mut().copy_from_slice(&head);
    let (tagged, untagged) = (
        PortL2 {
            vlan: Some(100),
            ..PortL2::new([0; 6])
        },
        PortL2::new([0; 6]),
    );
    tagged.fit(&mut m, 14).unwrap();
    assert_eq!(
        m.data(),
        [&head[..12], &[0x81, 0, 0, 100], &head[12..]].concat()
    );
    untagged.fit(&mut m, 18).unwrap();
    assert_eq!(m.data(), head);
    assert!(!Frame::prepend(&mut m, 4096) && !Frame::adj(&mut m, 15));
    assert_eq!(m.data(), head, "refused, unchanged");
    drop(m);
    assert_eq!(pool.available(), before);

    // A port: null PMD receives zero-filled frames and swallows sends.
    let port = Arc::new(
        EthPort::open(&PortConfig {
            name: "net_null0",
            queues: 1,
            rx_desc: 256,
            tx_desc: 256,
            pool,
            promiscuous: false,
        })
        .unwrap(),
    );
    let mut burst: [Option<_>; 32] = std::array::from_fn(|_| None);
    let n = port.rx_burst(0, &mut burst);
    assert!(n > 0, "net_null delivers frames");
    assert_eq!(port.tx_burst(0, &mut burst[..n]), n);
    assert!(
        burst.iter().all(Option::is_none),
        "sent frames are handed over"
    );
    // DPDK's counters: the basic ones, and the extended ones that repeat them by name.
    let stats = port.stats();
    assert_eq!((stats.ipackets, stats.opackets), (n as u64, n as u64));
    let xstats = port.xstats();
    let xstat = |name: &str| xstats.iter().find(|x| x.name == name).map(|x| x.value);
    assert_eq!(xstat("rx_good_packets"), Some(n as u64), "{xstats:?}");
    assert_eq!(xstat("tx_good_packets"), Some(n as u64), "{xstats:?}");
    assert_eq!(
        port.rx_burst(7, &mut burst),
        0,
        "a queue that does not exist"
    );

    // The queue is this thread's now: another lcore's burst does nothing.
    let got = Arc::new(AtomicUsize::new(usize::MAX));
    let worker = lcore::workers()[0];
    let (p, g) = (port.clone(), got.clone());
    lcore::launch(worker, move || {
        let mut b: [Option<_>; 32] = std::array::from_fn(|_| None);
        g.store(p.rx_burst(0, &mut b), Ordering::SeqCst);
    })
    .unwrap();
    lcore::wait_all();
    assert_eq!(
        got.load(Ordering::SeqCst),
        0,
        "a second thread may not burst on a claimed queue"
    );
    assert!(port.rx_burst(0, &mut burst) > 0, "the owner still can");
    burst.iter_mut().for_each(|f| drop(f.take()));

    Arc::try_unwrap(port).ok().unwrap().close();

    // Two queues: RSS on, with rvsd's random key, symmetric (issue 15).
    let two = EthPort::open(&PortConfig {
        name: "net_null1",
        queues: 2,
        rx_desc: 256,
        tx_desc: 256,
        pool,
        promiscuous: false,
    })
    .unwrap();
    let key = two.rss_key().expect("net_null reports its RSS key");
    let tuple = |a: [u8; 4], b: [u8; 4], p: u16, q: u16| {
        [&a[..], &b, &p.to_be_bytes(), &q.to_be_bytes()].concat()
    };
    let (c, s) = ([203, 0, 113, 10], [10, 0, 2, 11]);
    assert_eq!(
        rss::toeplitz(&key, &tuple(c, s, 40000, 8080)),
        rss::toeplitz(&key, &tuple(s, c, 8080, 40000)),
        "{key:02x?}"
    );
    assert_ne!(
        key[..4],
        [0x6d, 0x5a, 0x56, 0xda],
        "not the drivers' default key"
    );
    two.close();
    drop(eal);
    let _ = std::fs::remove_dir_all(format!("/var/run/dpdk/{prefix}"));
}
