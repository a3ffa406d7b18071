//! The statistics `--stats` and `--rate` show (ipvs-schedulers §6, §7), per real server, per
//! service and in total, derived by the control thread from the workers' per-slot counters
//! (`dataplane::traffic`).
//!
//! Only real servers are counted on the packet path; a service's counts are its current
//! servers' plus what its deleted servers had made (kept as `retired`), so that, as in IPVS,
//! a service's totals survive its servers' deletion and the total survives a service's. A
//! slot is reused for new servers: a new server's counters start from the slot's values at
//! its creation (`origin`); one taken back from the trash (same service, same address and
//! port, same slot) keeps its counts.
//!
//! As the kernel shows them: every 2 s ([`PERIOD_SECS`]) each object takes a snapshot of its
//! counters and its estimator moves; listings print the snapshot less the values at the last
//! `-Z`, so `--stats` lags the traffic by up to one period as on Linux (§6.4).

use std::collections::HashMap;
use std::net::IpAddr;

use crate::estimator::Estimator;
pub use crate::estimator::PERIOD_SECS;
use crate::model::Model;

type Five = [u64; 5];

fn add(a: Five, b: Five) -> Five {
    std::array::from_fn(|i| a[i].wrapping_add(b[i]))
}

fn sub(a: Five, b: Five) -> Five {
    std::array::from_fn(|i| a[i].wrapping_sub(b[i]))
}

/// One counted object: its snapshot, its values at the last `-Z`, its estimator.
#[derive(Default)]
struct Shown {
    snapshot: Five,
    zero: Five,
    est: Estimator,
}

impl Shown {
    fn tick(&mut self, now: Five) {
        self.snapshot = now;
        self.est.update(now);
    }

    /// `-Z`: counters from the current snapshot on, rates from 0 (§6.4).
    fn zero_out(&mut self) {
        self.zero = self.snapshot;
        self.est = Estimator::starting_at(self.snapshot);
    }

    fn counters(&self) -> Five {
        sub(self.snapshot, self.zero)
    }
}

/// A real server's identity for its counters: its service and its address and port.
type Owner = (u64, IpAddr, u16);

struct DestStats {
    owner: Owner,
    /// The slot's counters when this server was created.
    origin: Five,
    /// What it had made when it left its service, while it sits in the trash.
    retired: Option<Five>,
    shown: Shown,
}

#[derive(Default)]
struct ServiceStats {
    /// What its deleted real servers had made.
    retired: Five,
    /// Its real servers' slots now.
    slots: Vec<u32>,
    shown: Shown,
}

/// Every object's statistics. `live(slot)` reads a slot's counters summed over the workers.
#[derive(Default)]
pub struct Stats {
    dests: HashMap<u32, DestStats>,
    services: HashMap<u64, ServiceStats>,
    /// What deleted services had made.
    retired: Five,
    global: Shown,
}

impl Stats {
    /// Follows the model after a change: new services and servers start counting, deleted
    /// ones hand their counts to their service (or the total).
    pub fn sync(&mut self, model: &Model, live: &dyn Fn(u32) -> Five) {
        let mut gone: Vec<u64> = self.services.keys().copied().collect();
        for svc in model.services() {
            gone.retain(|&id| id != svc.id);
            let slots: Vec<(u32, Owner)> = svc
                .dests
                .iter()
                .map(|d| (d.slot, (svc.id, d.spec.addr, d.spec.port)))
                .collect();
            self.sync_service(svc.id, &slots, live);
        }
        for id in gone {
            let total = self.service_value(id, live);
            self.retired = add(self.retired, total);
            if let Some(s) = self.services.remove(&id) {
                for slot in s.slots {
                    self.leave(slot, live);
                }
            }
        }
    }

    fn sync_service(&mut self, id: u64, slots: &[(u32, Owner)], live: &dyn Fn(u32) -> Five) {
        let old = self.services.entry(id).or_default().slots.clone();
        for &slot in old.iter().filter(|s| !slots.iter().any(|(n, _)| n == *s)) {
            let value = self.leave(slot, live);
            let s = self.services.get_mut(&id).expect("entered above");
            s.retired = add(s.retired, value);
        }
        for &(slot, owner) in slots.iter().filter(|(s, _)| !old.contains(s)) {
            let back = self.join(slot, owner, live);
            let s = self.services.get_mut(&id).expect("entered above");
            s.retired = sub(s.retired, back);
        }
        let s = self.services.get_mut(&id).expect("entered above");
        s.slots = slots.iter().map(|&(slot, _)| slot).collect();
    }

    /// Real server `slot` left its service: what it made, kept while it is in the trash.
    fn leave(&mut self, slot: u32, live: &dyn Fn(u32) -> Five) -> Five {
        let Some(d) = self.dests.get_mut(&slot) else {
            return [0; 5];
        };
        let value = sub(live(slot), d.origin);
        d.retired = Some(value);
        value
    }

    /// Real server `slot` joined a service as `owner`: a new server counts from zero; one
    /// back from the trash keeps its counts, which its service no longer keeps as retired
    /// (returned).
    fn join(&mut self, slot: u32, owner: Owner, live: &dyn Fn(u32) -> Five) -> Five {
        if let Some(d) = self.dests.get_mut(&slot).filter(|d| d.owner == owner) {
            return d.retired.take().unwrap_or_default();
        }
        let fresh = DestStats {
            owner,
            origin: live(slot),
            retired: None,
            shown: Shown::default(),
        };
        self.dests.insert(slot, fresh);
        [0; 5]
    }

    fn dest_value(&self, slot: u32, live: &dyn Fn(u32) -> Five) -> Five {
        self.dests
            .get(&slot)
            .map_or([0; 5], |d| sub(live(slot), d.origin))
    }

    fn service_value(&self, id: u64, live: &dyn Fn(u32) -> Five) -> Five {
        let Some(s) = self.services.get(&id) else {
            return [0; 5];
        };
        s.slots.iter().fold(s.retired, |acc, &slot| {
            add(acc, self.dest_value(slot, live))
        })
    }

    /// The 2-s estimation: every service, its servers and the total take their snapshot
    /// and move their rates. Servers in the trash are not estimated (§7.2).
    pub fn tick(&mut self, live: &dyn Fn(u32) -> Five) {
        let mut total = self.retired;
        let ids: Vec<u64> = self.services.keys().copied().collect();
        for id in ids {
            let value = self.service_value(id, live);
            total = add(total, value);
            let s = self.services.get_mut(&id).expect("listed above");
            s.shown.tick(value);
            for slot in s.slots.clone() {
                let v = self.dest_value(slot, live);
                if let Some(d) = self.dests.get_mut(&slot) {
                    d.shown.tick(v);
                }
            }
        }
        self.global.tick(total);
    }

    /// `-Z`: service `id` and its real servers, or (`None`) every service, every real server
    /// in one and the total (§6.4).
    pub fn zero(&mut self, id: Option<u64>) {
        let ids: Vec<u64> = match id {
            Some(id) => vec![id],
            None => {
                self.global.zero_out();
                self.services.keys().copied().collect()
            }
        };
        for id in ids {
            let Some(s) = self.services.get_mut(&id) else {
                continue;
            };
            s.shown.zero_out();
            for slot in &s.slots {
                if let Some(d) = self.dests.get_mut(slot) {
                    d.shown.zero_out();
                }
            }
        }
    }

    /// `--stats` of real server `slot`: Conns, InPkts, OutPkts, InBytes, OutBytes.
    pub fn dest_counters(&self, slot: u32) -> Five {
        self.dests.get(&slot).map_or([0; 5], |d| d.shown.counters())
    }

    /// `--rate` of real server `slot`: CPS, InPPS, OutPPS, InBPS, OutBPS.
    pub fn dest_rates(&self, slot: u32) -> Five {
        self.dests
            .get(&slot)
            .map_or([0; 5], |d| d.shown.est.rates())
    }

    pub fn service_counters(&self, id: u64) -> Five {
        self.services
            .get(&id)
            .map_or([0; 5], |s| s.shown.counters())
    }

    pub fn service_rates(&self, id: u64) -> Five {
        self.services
            .get(&id)
            .map_or([0; 5], |s| s.shown.est.rates())
    }

    /// The total of every service, deleted ones included (`/proc/net/ip_vs_stats`).
    pub fn total_counters(&self) -> Five {
        self.global.counters()
    }

    pub fn total_rates(&self) -> Five {
        self.global.est.rates()
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::ipvsadm::parse::parse;
    use std::cell::RefCell;

    /// A model driven by ipvsadm lines, and the workers' counters by slot.
    struct Lab {
        model: Model,
        stats: Stats,
        live: RefCell<HashMap<u32, Five>>,
    }

    impl Lab {
        fn new() -> Lab {
            Lab {
                model: Model::new(4096),
                stats: Stats::default(),
                live: RefCell::default(),
            }
        }

        fn run(&mut self, line: &str) {
            let words: Vec<String> = line.split_whitespace().map(String::from).collect();
            let cmd = parse("ipvsadm", &words).unwrap();
            self.model.apply(&cmd).unwrap();
            let live = self.live.borrow().clone();
            self.stats
                .sync(&self.model, &|s| live.get(&s).copied().unwrap_or_default());
        }

        /// Traffic on the real server in `slot`.
        fn traffic(&self, slot: u32, more: Five) {
            let mut live = self.live.borrow_mut();
            let v = live.entry(slot).or_default();
            *v = add(*v, more);
        }

        fn tick(&mut self) {
            let live = self.live.borrow().clone();
            self.stats
                .tick(&|s| live.get(&s).copied().unwrap_or_default());
        }

        fn id(&self, n: usize) -> u64 {
            self.model.services()[n].id
        }
    }

    #[test]
    fn services_sum_their_servers_and_keep_deleted_ones() {
        let mut lab = Lab::new();
        lab.run("-A -t 10.0.0.1:80 -s rr");
        lab.run("-a -t 10.0.0.1:80 -r 10.0.1.1 -m");
        lab.run("-a -t 10.0.0.1:80 -r 10.0.1.2 -m");
        let svc = lab.id(0);
        lab.traffic(0, [1, 5, 3, 300, 1120]);
        lab.traffic(1, [1, 3, 1, 130, 40]);
        assert_eq!(
            lab.stats.service_counters(svc),
            [0; 5],
            "not before the tick"
        );
        lab.tick();
        assert_eq!(lab.stats.service_counters(svc), [2, 8, 4, 430, 1160]);
        assert_eq!(lab.stats.dest_counters(1), [1, 3, 1, 130, 40]);
        lab.run("-d -t 10.0.0.1:80 -r 10.0.1.2");
        lab.tick();
        assert_eq!(lab.stats.service_counters(svc), [2, 8, 4, 430, 1160]);
        // Its slot goes to a new server elsewhere: counted from zero.
        lab.run("-A -u 10.0.0.1:53 -s rr");
        lab.run("-a -u 10.0.0.1:53 -r 10.0.1.9 -m");
        lab.traffic(1, [1, 1, 0, 50, 0]);
        lab.tick();
        let udp = lab.id(1);
        assert_eq!(lab.stats.service_counters(udp), [1, 1, 0, 50, 0]);
        assert_eq!(lab.stats.service_counters(svc), [2, 8, 4, 430, 1160]);
        assert_eq!(lab.stats.total_counters(), [3, 9, 4, 480, 1160]);
        // A deleted service stays in the total.
        lab.run("-D -u 10.0.0.1:53");
        lab.tick();
        assert_eq!(lab.stats.total_counters(), [3, 9, 4, 480, 1160]);
    }

    #[test]
    fn a_server_back_from_the_trash_keeps_its_counts() {
        let mut lab = Lab::new();
        lab.run("-A -t 10.0.0.1:80 -s rr");
        lab.run("-a -t 10.0.0.1:80 -r 10.0.1.1 -m");
        let svc = lab.id(0);
        lab.traffic(0, [1, 2, 2, 100, 100]);
        lab.run("-d -t 10.0.0.1:80 -r 10.0.1.1");
        lab.run("-a -t 10.0.0.1:80 -r 10.0.1.1 -m");
        lab.traffic(0, [1, 1, 0, 40, 0]);
        lab.tick();
        assert_eq!(lab.stats.dest_counters(0), [2, 3, 2, 140, 100]);
        assert_eq!(lab.stats.service_counters(svc), [2, 3, 2, 140, 100]);
    }

    /// §6.4: `-Z` of one service leaves the others and the total; `-Z` of all zeroes
    /// everything, rates too; counting goes on from there.
    #[test]
    fn zero_one_and_all() {
        let mut lab = Lab::new();
        lab.run("-A -t 10.0.0.1:80 -s rr");
        lab.run("-a -t 10.0.0.1:80 -r 10.0.1.1 -m");
        lab.run("-A -u 10.0.0.1:53 -s rr");
        lab.run("-a -u 10.0.0.1:53 -r 10.0.1.1 -m");
        let (tcp, udp) = (lab.id(0), lab.id(1));
        lab.traffic(0, [2000, 2000, 0, 80000, 0]);
        lab.traffic(1, [1, 1, 0, 60, 0]);
        lab.tick();
        assert_eq!(lab.stats.service_rates(tcp)[0], 250);
        lab.stats.zero(Some(tcp));
        assert_eq!(lab.stats.service_counters(tcp), [0; 5]);
        assert_eq!(lab.stats.dest_counters(0), [0; 5]);
        assert_eq!(lab.stats.service_rates(tcp), [0; 5]);
        assert_eq!(lab.stats.service_counters(udp), [1, 1, 0, 60, 0]);
        assert_eq!(lab.stats.total_counters(), [2001, 2001, 0, 80060, 0]);
        lab.traffic(0, [1, 1, 0, 40, 0]);
        lab.tick();
        assert_eq!(lab.stats.service_counters(tcp), [1, 1, 0, 40, 0]);
        lab.stats.zero(None);
        assert_eq!(lab.stats.total_counters(), [0; 5]);
        assert_eq!(lab.stats.service_counters(udp), [0; 5]);
        assert_eq!(lab.stats.total_rates(), [0; 5]);
    }
}
