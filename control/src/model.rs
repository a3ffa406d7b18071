//! The mutable service model: virtual services in creation order, each with its real servers in
//! IPVS list order (newest first), and the `--set` timeouts.
//!
//! Every change goes through a [`Transaction`] on a working copy: a command first checks all the
//! conditions the kernel checks, in the kernel's order (ipvsadm-spec §6.3), then changes the copy;
//! the copy replaces the model only when everything succeeded. A failed command, or a failed line
//! of an atomic `-R`, changes nothing, and slots taken meanwhile go back to the allocator.

use std::collections::HashMap;
use std::net::IpAddr;

use dataplane::conn::state::MAX_TIMEOUT_SECS;
use dataplane::persist::Engine;

use crate::ipvsadm::command::{
    Command, DestKey, DestSpec, Method, ServiceKey, ServiceSpec, Timeouts, TunnelType,
};
use crate::ipvsadm::error::{Errno, Failure, Op};

/// IPVS's default timeouts: tcp, tcpfin, udp (ipvsadm-spec §7.7).
pub const DEFAULT_TIMEOUTS: Timeouts = Timeouts {
    tcp: 900,
    tcp_fin: 120,
    udp: 300,
};

/// Hands out the slots that identify a real server's live counters in the data plane.
pub trait SlotAllocator {
    fn alloc(&mut self) -> Option<u32>;
    fn release(&mut self, slot: u32);
    /// Takes back a released slot that still waits in the trash (connections count on it),
    /// for its real server re-added (ipvs-schedulers §8). False if it is no longer there.
    fn revive(&mut self, _slot: u32) -> bool {
        false
    }
}

/// A plain allocator: released slots first, then the next unused one, up to `capacity`.
#[derive(Clone, Debug)]
pub struct SequentialSlots {
    next: u32,
    capacity: u32,
    free: Vec<u32>,
}

impl SequentialSlots {
    pub fn new(capacity: u32) -> SequentialSlots {
        SequentialSlots {
            next: 0,
            capacity,
            free: Vec::new(),
        }
    }
}

impl SlotAllocator for SequentialSlots {
    fn alloc(&mut self) -> Option<u32> {
        if let Some(slot) = self.free.pop() {
            return Some(slot);
        }
        (self.next < self.capacity).then(|| {
            self.next += 1;
            self.next - 1
        })
    }

    fn release(&mut self, slot: u32) {
        self.free.push(slot);
    }
}

/// A real server and the slot of its live counters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dest {
    pub spec: DestSpec,
    pub slot: u32,
    /// The weight it was added with, then its last non-zero weight (ipvs-schedulers §1.4).
    pub last_weight: u32,
}

/// A virtual service and its real servers, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    pub spec: ServiceSpec,
    pub dests: Vec<Dest>,
    /// Unique for the model's life: a service deleted and added again is another one.
    pub id: u64,
    /// What happened to `dests` and the scheduler since the publisher last looked
    /// ([`Model::take_changes`]), in order.
    pub changes: Vec<Change>,
}

/// One change of a service as the scheduler hooks see it (ipvs-schedulers §1.3); the
/// publisher turns them into `dataplane::sched::history` events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// `-a`: the real server, inserted at the head.
    Added(Dest),
    /// `-d` of the real server at `index`.
    Deleted { index: usize },
    /// `-e` of the real server at `index`, which now reads `dest`.
    Edited { index: usize, dest: Dest },
    /// `-E` to another scheduler.
    Rescheduled,
}

impl Service {
    fn dest_index(&self, addr: IpAddr, port: u16) -> Option<usize> {
        self.dests
            .iter()
            .position(|d| d.spec.addr == addr && d.spec.port == port)
    }
}

/// What the model holds; cheap to clone for a transaction's working copy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    /// In creation order.
    pub services: Vec<Service>,
    pub timeouts: Timeouts,
    /// The next service's [`Service::id`].
    next_id: u64,
    /// Deleted real servers by identity (service, address, port) → their slot, so that one
    /// re-added while its slot is still in the trash gets it back, with its counters and
    /// connections (ipvs-schedulers §8). At most one identity per slot.
    trashed: HashMap<(ServiceKey, IpAddr, u16), u32>,
}

impl State {
    pub fn find(&self, key: &ServiceKey) -> Option<&Service> {
        self.services.iter().find(|s| s.spec.key == *key)
    }

    fn index(&self, key: &ServiceKey) -> Option<usize> {
        self.services.iter().position(|s| s.spec.key == *key)
    }
}

/// The service model the control thread owns.
pub struct Model {
    state: State,
    table_size: u32,
    slots: Box<dyn SlotAllocator + Send>,
}

impl Model {
    /// An empty model with a [`SequentialSlots`] allocator of `u32::MAX` slots.
    pub fn new(table_size: u32) -> Model {
        Model::with_slots(table_size, Box::new(SequentialSlots::new(u32::MAX)))
    }

    /// An empty model that takes real-server slots from `slots`.
    pub fn with_slots(table_size: u32, slots: Box<dyn SlotAllocator + Send>) -> Model {
        Model {
            state: State {
                services: Vec::new(),
                timeouts: DEFAULT_TIMEOUTS,
                next_id: 1,
                trashed: HashMap::new(),
            },
            table_size,
            slots,
        }
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    pub fn services(&self) -> &[Service] {
        &self.state.services
    }

    pub fn timeouts(&self) -> Timeouts {
        self.state.timeouts
    }

    /// Connection-table capacity given at creation.
    pub fn table_size(&self) -> u32 {
        self.table_size
    }

    /// Each service's changes since the last call, by [`Service::id`].
    pub fn take_changes(&mut self) -> HashMap<u64, Vec<Change>> {
        self.state
            .services
            .iter_mut()
            .map(|s| (s.id, std::mem::take(&mut s.changes)))
            .collect()
    }

    /// Applies one command: all of it or, on failure, nothing.
    pub fn apply(&mut self, cmd: &Command) -> Result<(), Failure> {
        self.transaction(|tx| tx.apply(cmd))
    }

    /// Runs `f` on a working copy; keeps the copy only if `f` succeeds.
    pub fn transaction<T, E>(
        &mut self,
        f: impl FnOnce(&mut Transaction) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut tx = Transaction {
            state: self.state.clone(),
            slots: &mut *self.slots,
            taken: Vec::new(),
            freed: Vec::new(),
        };
        match f(&mut tx) {
            Ok(value) => {
                let Transaction { state, freed, .. } = tx;
                self.state = state;
                freed.into_iter().for_each(|s| self.slots.release(s));
                Ok(value)
            }
            Err(e) => {
                let Transaction { taken, .. } = tx;
                taken.into_iter().for_each(|s| self.slots.release(s));
                Err(e)
            }
        }
    }
}

/// A working copy of the model. Slots freed in it go back to the allocator only on commit, so
/// that a rollback never hands out a slot the live model still uses.
pub struct Transaction<'a> {
    state: State,
    slots: &'a mut dyn SlotAllocator,
    taken: Vec<u32>,
    freed: Vec<u32>,
}

fn kernel(op: Op, errno: Errno) -> Failure {
    Failure::kernel(op, errno)
}

impl Transaction<'_> {
    /// The working copy as changed so far (for listings inside `-R`).
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Applies one command to the working copy; a failure leaves the copy as it was.
    pub fn apply(&mut self, cmd: &Command) -> Result<(), Failure> {
        match cmd {
            Command::AddService(spec) => self.add_service(spec),
            Command::EditService(spec) => self.edit_service(spec),
            Command::DeleteService(key) => self.delete_service(key),
            Command::Clear => {
                self.clear();
                Ok(())
            }
            Command::Zero(Some(key)) => self.service_index(key, Op::ZeroService).map(|_| ()),
            Command::AddDest { svc, dest } => self.add_dest(svc, dest),
            Command::EditDest { svc, dest } => self.edit_dest(svc, dest),
            Command::DeleteDest { svc, dest } => self.delete_dest(svc, dest),
            Command::SetTimeouts(t) => self.set_timeouts(t),
            // rvs has no sync daemon and no sync interface: the kernel's answer for a missing
            // interface (ipvsadm-spec §6.3) and for stopping a daemon that is not running.
            Command::StartDaemon(_) => Err(kernel(Op::StartDaemon, Errno::Enodev)),
            Command::StopDaemon { .. } => Err(kernel(Op::StopDaemon, Errno::Esrch)),
            Command::Zero(None)
            | Command::List(_)
            | Command::Restore
            | Command::Save { .. }
            | Command::Help
            | Command::Version => Ok(()),
        }
    }

    fn service_index(&self, key: &ServiceKey, op: Op) -> Result<usize, Failure> {
        self.state.index(key).ok_or(kernel(op, Errno::Esrch))
    }

    /// Scheduler (one of the data plane's, `dataplane::sched::SCHEDULERS`), then persistence
    /// engine (`dataplane::persist::ENGINES`; ipvsadm-spec §6.3).
    fn check_engines(&self, spec: &ServiceSpec, op: Op) -> Result<(), Failure> {
        if dataplane::sched::by_name(&spec.scheduler).is_none() {
            return Err(kernel(op, Errno::Enoent));
        }
        match &spec.pe {
            Some(pe) if Engine::by_name(pe).is_none() => Err(kernel(op, Errno::Enoent)),
            _ => Ok(()),
        }
    }

    /// `-A`: EEXIST, ENOENT (scheduler, pe), EINVAL (IPv6 prefix).
    fn add_service(&mut self, spec: &ServiceSpec) -> Result<(), Failure> {
        if self.state.index(&spec.key).is_some() {
            return Err(kernel(Op::AddService, Errno::Eexist));
        }
        self.check_engines(spec, Op::AddService)?;
        if spec.key.is_ipv6() && !(1..=128).contains(&spec.netmask) {
            return Err(kernel(Op::AddService, Errno::Einval));
        }
        self.state.services.push(Service {
            spec: spec.clone(),
            dests: Vec::new(),
            id: self.state.next_id,
            changes: Vec::new(),
        });
        self.state.next_id += 1;
        Ok(())
    }

    /// `-E`: ESRCH, ENOENT; the whole entry is replaced, the real servers stay.
    fn edit_service(&mut self, spec: &ServiceSpec) -> Result<(), Failure> {
        let i = self.service_index(&spec.key, Op::UpdateService)?;
        self.check_engines(spec, Op::UpdateService)?;
        let svc = &mut self.state.services[i];
        // The same scheduler keeps its state (ipvs-schedulers §1.3).
        if svc.spec.scheduler != spec.scheduler {
            svc.changes.push(Change::Rescheduled);
        }
        svc.spec = spec.clone();
        Ok(())
    }

    fn delete_service(&mut self, key: &ServiceKey) -> Result<(), Failure> {
        let i = self.service_index(key, Op::DelService)?;
        let svc = self.state.services.remove(i);
        svc.dests.iter().for_each(|d| self.trash(key, d));
        Ok(())
    }

    fn clear(&mut self) {
        let services = std::mem::take(&mut self.state.services);
        for s in &services {
            s.dests.iter().for_each(|d| self.trash(&s.spec.key, d));
        }
    }

    /// Real server `d` of service `key` is gone: its slot goes back to the allocator on
    /// commit, and is remembered for a re-add ([`Transaction::reclaim`]).
    fn trash(&mut self, key: &ServiceKey, d: &Dest) {
        self.freed.push(d.slot);
        let trashed = &mut self.state.trashed;
        trashed.retain(|_, slot| *slot != d.slot);
        trashed.insert((*key, d.spec.addr, d.spec.port), d.slot);
    }

    /// The slot for real server `dest` added to `key`: its old one if it was deleted and the
    /// slot is still in the trash, so its connections resume (ipvs-schedulers §8: the kernel
    /// revives the destination with its counters), else a new one.
    fn reclaim(&mut self, key: &ServiceKey, dest: &DestSpec) -> Option<u32> {
        if let Some(slot) = self.state.trashed.remove(&(*key, dest.addr, dest.port)) {
            // Deleted in this same transaction: not released yet.
            if let Some(k) = self.freed.iter().position(|&s| s == slot) {
                self.freed.swap_remove(k);
                return Some(slot);
            }
            if self.slots.revive(slot) {
                self.taken.push(slot);
                return Some(slot);
            }
        }
        let slot = self.slots.alloc()?;
        self.taken.push(slot);
        Some(slot)
    }

    /// Checks shared by `-a` and `-e`, in the kernel's order: family, weight, thresholds,
    /// GUE port (ipvsadm-spec §6.3 `-a` items 2-5).
    fn check_dest(svc: &Service, dest: &DestSpec, op: Op) -> Result<(), Failure> {
        let tunnel = dest.method == Method::Tunnel;
        if dest.addr.is_ipv6() != svc.spec.key.is_ipv6() && !tunnel {
            return Err(kernel(op, Errno::Einval));
        }
        if dest.weight > i32::MAX as u32 {
            return Err(kernel(op, Errno::Erange));
        }
        if dest.l_threshold > dest.u_threshold {
            return Err(kernel(op, Errno::Erange));
        }
        if tunnel && dest.tunnel.kind == TunnelType::Gue && dest.tunnel.port == 0 {
            return Err(kernel(op, Errno::Einval));
        }
        Ok(())
    }

    /// `-a`: ESRCH, the shared checks, EEXIST, EINVAL (not unicast), then ENOMEM if no slot.
    fn add_dest(&mut self, key: &ServiceKey, dest: &DestSpec) -> Result<(), Failure> {
        let i = self.service_index(key, Op::AddDest)?;
        let svc = &self.state.services[i];
        Self::check_dest(svc, dest, Op::AddDest)?;
        if svc.dest_index(dest.addr, dest.port).is_some() {
            return Err(kernel(Op::AddDest, Errno::Eexist));
        }
        if !is_unicast(dest.addr) {
            return Err(kernel(Op::AddDest, Errno::Einval));
        }
        let slot = self
            .reclaim(key, dest)
            .ok_or(kernel(Op::AddDest, Errno::Enomem))?;
        let dest = Dest {
            spec: dest.clone(),
            slot,
            last_weight: dest.weight,
        };
        // IPVS list order: the newest real server first (rvs decision for --nosort).
        let svc = &mut self.state.services[i];
        svc.changes.push(Change::Added(dest.clone()));
        svc.dests.insert(0, dest);
        Ok(())
    }

    /// `-e`: ESRCH, the shared checks, ENOENT; the entry is replaced in place.
    fn edit_dest(&mut self, key: &ServiceKey, dest: &DestSpec) -> Result<(), Failure> {
        let i = self.service_index(key, Op::UpdateDest)?;
        let svc = &self.state.services[i];
        Self::check_dest(svc, dest, Op::UpdateDest)?;
        let j = svc
            .dest_index(dest.addr, dest.port)
            .ok_or(kernel(Op::UpdateDest, Errno::Enoent))?;
        let svc = &mut self.state.services[i];
        let d = &mut svc.dests[j];
        d.spec = dest.clone();
        if dest.weight != 0 {
            d.last_weight = dest.weight;
        }
        let dest = d.clone();
        svc.changes.push(Change::Edited { index: j, dest });
        Ok(())
    }

    /// `-d`: ESRCH, ENOENT.
    fn delete_dest(&mut self, key: &ServiceKey, dest: &DestKey) -> Result<(), Failure> {
        let i = self.service_index(key, Op::DelDest)?;
        let j = self.state.services[i]
            .dest_index(dest.addr, dest.port)
            .ok_or(kernel(Op::DelDest, Errno::Enoent))?;
        let svc = &mut self.state.services[i];
        let removed = svc.dests.remove(j);
        svc.changes.push(Change::Deleted { index: j });
        self.trash(key, &removed);
        Ok(())
    }

    /// `--set`: 0 leaves a value unchanged (ipvsadm-spec §5.4).
    /// `--set`: rvs refuses a timeout its data plane cannot hold (above
    /// `MAX_TIMEOUT_SECS`, 24.8 days) as a kernel with HZ=1000 refuses one above
    /// INT_MAX/HZ: EINVAL, nothing changed.
    fn set_timeouts(&mut self, t: &Timeouts) -> Result<(), Failure> {
        if [t.tcp, t.tcp_fin, t.udp]
            .iter()
            .any(|&v| v > MAX_TIMEOUT_SECS)
        {
            return Err(kernel(Op::SetTimeout, Errno::Einval));
        }
        let cur = &mut self.state.timeouts;
        for (new, old) in [
            (t.tcp, &mut cur.tcp),
            (t.tcp_fin, &mut cur.tcp_fin),
            (t.udp, &mut cur.udp),
        ] {
            if new != 0 {
                *old = new;
            }
        }
        Ok(())
    }
}

/// The kernel's unicast test for a new real server (ipvsadm-spec §6.3 `-a` item 7): IPv4
/// 0.0.0.0/8, broadcast and multicast are refused; IPv6 unspecified, multicast and
/// link-local (rvs owns no link-local address) are refused.
fn is_unicast(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(a) => !(a.octets()[0] == 0 || a.is_broadcast() || a.is_multicast()),
        IpAddr::V6(a) => {
            let link_local = a.segments()[0] & 0xffc0 == 0xfe80;
            !(a.is_unspecified() || a.is_multicast() || link_local)
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::ipvsadm::names::test::DebianNames;
    use crate::ipvsadm::parse_with;

    fn cmd(line: &str) -> Command {
        let args: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        parse_with(&DebianNames, "ipvsadm", &args).expect("parses")
    }

    #[test]
    fn dests_are_newest_first_with_slots() {
        let mut m = Model::new(4096);
        m.apply(&cmd("-A -t 10.0.0.1:80 -s rr")).unwrap();
        m.apply(&cmd("-a -t 10.0.0.1:80 -r 10.0.1.1 -m")).unwrap();
        m.apply(&cmd("-a -t 10.0.0.1:80 -r 10.0.1.2 -m")).unwrap();
        let dests = &m.services()[0].dests;
        assert_eq!(dests[0].spec.addr.to_string(), "10.0.1.2");
        assert_eq!((dests[0].slot, dests[1].slot), (1, 0));
    }

    #[test]
    fn last_weight_is_the_last_non_zero_weight() {
        // ipvs-schedulers §1.4: set on add (even 0) and by edits to a non-zero weight.
        let mut m = Model::new(4096);
        let last = |m: &Model| m.state().services[0].dests[0].last_weight;
        m.apply(&cmd("-A -t 10.0.0.1:80 -s mh")).unwrap();
        m.apply(&cmd("-a -t 10.0.0.1:80 -r 10.0.1.1 -g -w 0"))
            .unwrap();
        assert_eq!(last(&m), 0);
        m.apply(&cmd("-e -t 10.0.0.1:80 -r 10.0.1.1 -g -w 3"))
            .unwrap();
        assert_eq!(last(&m), 3);
        m.apply(&cmd("-e -t 10.0.0.1:80 -r 10.0.1.1 -g -w 0"))
            .unwrap();
        assert_eq!(last(&m), 3);
    }

    #[test]
    fn failed_commands_change_nothing() {
        let mut m = Model::new(4096);
        m.apply(&cmd("-A -t 10.0.0.1:80 -s rr")).unwrap();
        m.apply(&cmd("-a -t 10.0.0.1:80 -r 10.0.1.1 -m")).unwrap();
        let before = m.state().clone();
        for line in [
            "-A -t 10.0.0.1:80 -s rr",
            "-A -t 10.0.0.2:80 -s nosuch",
            "-E -t 10.0.0.1:80 -s nosuch",
            "-a -t 10.0.0.1:80 -r 10.0.1.1 -m",
            "-a -t 10.0.0.1:80 -r 10.0.1.5 -m -y 10",
            "-a -t 10.0.0.1:80 -r 224.0.0.1 -m",
            "-e -t 10.0.0.1:80 -r 10.0.1.9 -m",
            "-d -t 10.0.0.2:80 -r 10.0.1.1",
            "-D -t 10.0.0.2:80",
            "--start-daemon master",
        ] {
            assert!(m.apply(&cmd(line)).is_err(), "{line}");
            assert_eq!(m.state(), &before, "{line}");
        }
    }

    #[test]
    fn out_of_slots_is_enomem_and_rollback_returns_slots() {
        let mut m = Model::with_slots(4096, Box::new(SequentialSlots::new(1)));
        m.apply(&cmd("-A -t 10.0.0.1:80 -s rr")).unwrap();
        m.apply(&cmd("-a -t 10.0.0.1:80 -r 10.0.1.1 -m")).unwrap();
        let before = m.state().clone();
        let f = m
            .apply(&cmd("-a -t 10.0.0.1:80 -r 10.0.1.2 -m"))
            .unwrap_err();
        assert_eq!(
            (f.stderr.as_str(), f.code),
            ("Memory allocation problem\n", 255)
        );
        assert_eq!(m.state(), &before);
        // Deleting then re-adding inside one failed transaction must not leak or reuse.
        let r: Result<(), Failure> = m.transaction(|tx| {
            tx.apply(&cmd("-d -t 10.0.0.1:80 -r 10.0.1.1"))?;
            assert!(tx.apply(&cmd("-a -t 10.0.0.1:80 -r 10.0.1.3 -m")).is_err());
            Err(Failure::usage("abort"))
        });
        assert!(r.is_err());
        assert_eq!(m.state(), &before);
        m.apply(&cmd("-d -t 10.0.0.1:80 -r 10.0.1.1")).unwrap();
        m.apply(&cmd("-a -t 10.0.0.1:80 -r 10.0.1.3 -m")).unwrap();
        assert_eq!(m.services()[0].dests[0].slot, 0);
    }

    /// Slots released while "connections" count on them (`busy`) wait in a trash.
    struct Trash {
        plain: SequentialSlots,
        busy: Vec<u32>,
        trash: Vec<u32>,
    }

    impl SlotAllocator for Trash {
        fn alloc(&mut self) -> Option<u32> {
            self.plain.alloc()
        }
        fn release(&mut self, slot: u32) {
            match self.busy.contains(&slot) {
                true => self.trash.push(slot),
                false => self.plain.release(slot),
            }
        }
        fn revive(&mut self, slot: u32) -> bool {
            let k = self.trash.iter().position(|&s| s == slot);
            k.map(|k| self.trash.remove(k)).is_some()
        }
    }

    /// ipvs-schedulers §8: a real server re-added while its connections live is the same
    /// destination (its slot, hence its counters and connections), after `-d` or after its
    /// service was deleted; one whose slot left the trash gets a new one.
    #[test]
    fn a_re_added_real_server_gets_its_slot_back_from_the_trash() {
        let trash = Trash {
            plain: SequentialSlots::new(100),
            busy: vec![0],
            trash: Vec::new(),
        };
        let mut m = Model::with_slots(4096, Box::new(trash));
        let slot = |m: &Model| m.services()[0].dests[0].slot;
        m.apply(&cmd("-A -t 10.0.0.1:80 -s rr")).unwrap();
        m.apply(&cmd("-a -t 10.0.0.1:80 -r 10.0.1.1 -m")).unwrap();
        m.apply(&cmd("-a -t 10.0.0.1:80 -r 10.0.1.2 -m")).unwrap();
        m.apply(&cmd("-d -t 10.0.0.1:80 -r 10.0.1.1")).unwrap();
        m.apply(&cmd("-a -t 10.0.0.1:80 -r 10.0.1.1 -m -w 2"))
            .unwrap();
        assert_eq!(slot(&m), 0, "revived");
        m.apply(&cmd("-C")).unwrap();
        m.apply(&cmd("-A -t 10.0.0.1:80 -s rr")).unwrap();
        m.apply(&cmd("-a -t 10.0.0.1:80 -r 10.0.1.1 -m")).unwrap();
        assert_eq!(slot(&m), 0, "revived after -C");
        // 10.0.1.2 (slot 1) had no connection: its slot was freed, it gets the next free one.
        m.apply(&cmd("-a -t 10.0.0.1:80 -r 10.0.1.2 -m")).unwrap();
        assert_eq!(slot(&m), 1);
        // Another service's real server at the same address is another destination.
        m.apply(&cmd("-A -t 10.0.0.1:81 -s rr")).unwrap();
        m.apply(&cmd("-d -t 10.0.0.1:80 -r 10.0.1.1")).unwrap();
        m.apply(&cmd("-a -t 10.0.0.1:81 -r 10.0.1.1 -m")).unwrap();
        assert_ne!(m.services()[1].dests[0].slot, 0);
    }

    #[test]
    fn timeouts_zero_keeps_value() {
        let mut m = Model::new(4096);
        m.apply(&cmd("--set 1800 0 600")).unwrap();
        let t = m.timeouts();
        assert_eq!((t.tcp, t.tcp_fin, t.udp), (1800, 120, 600));
    }

    /// What the data plane cannot hold is refused, not clamped behind the listing's back.
    #[test]
    fn timeouts_beyond_the_timers_are_refused() {
        let mut m = Model::new(4096);
        m.apply(&cmd("--set 2147483 0 0")).unwrap();
        let err = m.apply(&cmd("--set 0 2147484 0")).unwrap_err();
        assert_eq!(err.code, 255);
        assert!(
            err.stderr.starts_with("Invalid operation."),
            "{}",
            err.stderr
        );
        let t = m.timeouts();
        assert_eq!((t.tcp, t.tcp_fin, t.udp), (2147483, 120, 300));
    }
}
