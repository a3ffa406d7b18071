//! The configuration's `services` lines in the model: applied at start as one `-R`, built on
//! the side by `rvsd --check-config` and by a reload, and on reload turned into the difference
//! from the running model. Applying the difference (not "clear, then add everything") keeps
//! every service and real server that did not change as it is: its model id, its slot, hence
//! its connections, counters, templates and the workers' scheduler cursors.

use crate::ipvsadm::command::{Command, DestKey};
use crate::ipvsadm::live::NoTraffic;
use crate::ipvsadm::{self};
use crate::model::{Dest, Model, Service, State};

/// The program name in the messages of the configuration's lines (restore's `ARGV0 -R: line N
/// failed`).
const ARGV0: &str = "rvsadm";

/// Applies the configuration's service lines to `model` as one `-R`: all or nothing. Listing
/// lines print nowhere.
pub fn apply_lines(model: &mut Model, lines: &[String]) -> Result<(), String> {
    let out = ipvsadm::execute_restore(ARGV0, lines, model, &NoTraffic);
    match out.code {
        0 => Ok(()),
        _ => Err(format!(
            "services in the configuration: {}",
            out.stderr.trim_end()
        )),
    }
}

/// The model the configuration's lines build from nothing, checked by the model's own code:
/// what a reload turns the running model into. Its slots are placeholders.
pub fn target(lines: &[String], table_size: u32) -> Result<Model, String> {
    let mut model = Model::new(table_size);
    apply_lines(&mut model, lines)?;
    Ok(model)
}

/// The commands that turn `live` into `want`, in an order the model takes them: services gone
/// from `want` first; then each service of `want` edited (`-E`, only if its entry changed) or
/// added, with its real servers deleted, edited (`-e`, only if changed) and added; the
/// timeouts last. A real server is the same one when its service, address and port are.
///
/// Services keep their places and new ones come last; real servers kept keep their places and
/// new ones go to the head of the list oldest first, as `-a` puts them, so a service built
/// anew gets `want`'s order.
pub fn difference(live: &State, want: &State) -> Vec<Command> {
    let gone = live
        .services
        .iter()
        .filter(|s| want.find(&s.spec.key).is_none());
    let mut cmds: Vec<Command> = gone.map(|s| Command::DeleteService(s.spec.key)).collect();
    for w in &want.services {
        let kept: &[Dest] = match live.find(&w.spec.key) {
            Some(s) if s.spec == w.spec => &s.dests,
            Some(s) => {
                cmds.push(Command::EditService(w.spec.clone()));
                &s.dests
            }
            None => {
                cmds.push(Command::AddService(w.spec.clone()));
                &[]
            }
        };
        dests_difference(kept, w, &mut cmds);
    }
    if live.timeouts != want.timeouts {
        cmds.push(Command::SetTimeouts(want.timeouts));
    }
    cmds
}

/// The real servers `live` of a service against those of `want`.
fn dests_difference(live: &[Dest], want: &Service, cmds: &mut Vec<Command>) {
    let svc = want.spec.key;
    let find = |list: &[Dest], d: &Dest| {
        let same = |x: &&Dest| x.spec.addr == d.spec.addr && x.spec.port == d.spec.port;
        list.iter().find(same).cloned()
    };
    for d in live.iter().filter(|d| find(&want.dests, d).is_none()) {
        let dest = DestKey {
            addr: d.spec.addr,
            port: d.spec.port,
        };
        cmds.push(Command::DeleteDest { svc, dest });
    }
    // `want` lists the newest first.
    for d in want.dests.iter().rev() {
        let dest = d.spec.clone();
        match find(live, d) {
            Some(l) if l.spec == d.spec => {}
            Some(_) => cmds.push(Command::EditDest { svc, dest }),
            None => cmds.push(Command::AddDest { svc, dest }),
        }
    }
}

/// What `cmds` do, for the log and `rvsadm --reload`: `2 real servers added, 1 edited`.
pub fn summary(cmds: &[Command]) -> String {
    let count = |f: fn(&Command) -> bool| cmds.iter().filter(|c| f(c)).count();
    let parts = [
        (
            count(|c| matches!(c, Command::AddService(_))),
            "service",
            "added",
        ),
        (
            count(|c| matches!(c, Command::EditService(_))),
            "service",
            "edited",
        ),
        (
            count(|c| matches!(c, Command::DeleteService(_))),
            "service",
            "deleted",
        ),
        (
            count(|c| matches!(c, Command::AddDest { .. })),
            "real server",
            "added",
        ),
        (
            count(|c| matches!(c, Command::EditDest { .. })),
            "real server",
            "edited",
        ),
        (
            count(|c| matches!(c, Command::DeleteDest { .. })),
            "real server",
            "deleted",
        ),
        (
            count(|c| matches!(c, Command::SetTimeouts(_))),
            "timeout setting",
            "changed",
        ),
    ];
    let said: Vec<String> = parts
        .iter()
        .filter(|(n, ..)| *n > 0)
        .map(|&(n, what, done)| format!("{n} {what}{} {done}", if n == 1 { "" } else { "s" }))
        .collect();
    match said.is_empty() {
        true => "services unchanged".into(),
        false => said.join(", "),
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::ipvsadm::command::ServiceKey;
    use crate::ipvsadm::format;
    use crate::ipvsadm::names::test::DebianNames;
    use crate::model::Change;
    use std::net::IpAddr;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(|l| l.trim().to_string()).collect()
    }

    fn model(text: &str) -> Model {
        target(&lines(text), 4096).unwrap()
    }

    /// `live` reloaded to `to`: the commands it took.
    fn reload(live: &mut Model, to: &str) -> Vec<Command> {
        let want = model(to);
        let cmds = difference(live.state(), want.state());
        live.transaction(|tx| cmds.iter().try_for_each(|c| tx.apply(c)))
            .unwrap();
        assert_eq!(save(live), save(&want), "reloaded to what the lines build");
        cmds
    }

    fn save(m: &Model) -> String {
        format::save(m.state(), &DebianNames, true)
    }

    fn addr(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    /// (service id, slot) of real server `rs` of the service on `vip`.
    fn identity(m: &Model, vip: &str, rs: &str) -> (u64, u32) {
        let s = m.services().iter().find(|s| match s.spec.key {
            ServiceKey::Addr { addr: a, .. } => a == addr(vip),
            ServiceKey::Fwmark { .. } => false,
        });
        let s = s.unwrap_or_else(|| panic!("no service on {vip}"));
        let d = s.dests.iter().find(|d| d.spec.addr == addr(rs)).unwrap();
        (s.id, d.slot)
    }

    const BEFORE: &str = "-A -t 10.0.0.1:80 -s rr
        -a -t 10.0.0.1:80 -r 10.0.1.1 -m -w 1
        -a -t 10.0.0.1:80 -r 10.0.1.2 -m -w 1
        -A -t 10.0.0.2:80 -s wlc
        -a -t 10.0.0.2:80 -r 10.0.1.3 -m";

    /// A real server added, one edited, one service deleted and one added: the rest keeps its
    /// service id and slot; nothing is re-created.
    #[test]
    fn what_did_not_change_keeps_its_identity() {
        let mut live = model(BEFORE);
        live.take_changes();
        let (rs1, rs2) = (
            identity(&live, "10.0.0.1", "10.0.1.1"),
            identity(&live, "10.0.0.1", "10.0.1.2"),
        );
        let cmds = reload(
            &mut live,
            "-A -t 10.0.0.1:80 -s rr
             -a -t 10.0.0.1:80 -r 10.0.1.1 -m -w 3
             -a -t 10.0.0.1:80 -r 10.0.1.2 -m -w 1
             -a -t 10.0.0.1:80 -r 10.0.1.4 -m -w 1
             -A -u 10.0.0.3:53 -s rr
             -a -u 10.0.0.3:53 -r 10.0.1.5 -m",
        );
        assert_eq!(
            summary(&cmds),
            "1 service added, 1 service deleted, 2 real servers added, 1 real server edited"
        );
        assert_eq!(
            identity(&live, "10.0.0.1", "10.0.1.1"),
            rs1,
            "edited in place"
        );
        assert_eq!(identity(&live, "10.0.0.1", "10.0.1.2"), rs2, "untouched");
        let svc = &live.services()[0];
        let order: Vec<String> = svc.dests.iter().map(|d| d.spec.addr.to_string()).collect();
        assert_eq!(
            order,
            ["10.0.1.4", "10.0.1.2", "10.0.1.1"],
            "-a puts new ones first"
        );
        // The scheduler cursors see exactly the two changes (ipvs-schedulers §1.3).
        let id = svc.id;
        let changes = live.take_changes().remove(&id).unwrap();
        assert!(matches!(
            changes[..],
            [Change::Edited { index: 1, .. }, Change::Added(_)]
        ));
    }

    #[test]
    fn the_same_lines_change_nothing() {
        let mut live = model(BEFORE);
        live.take_changes();
        let text = format!("# the same, saved differently\n{}", save(&live));
        let cmds = reload(&mut live, &text);
        assert_eq!(
            (cmds.len(), summary(&cmds).as_str()),
            (0, "services unchanged")
        );
        assert!(live.take_changes().values().all(Vec::is_empty));
    }

    /// Another scheduler is `-E` (the cursor restarts, as the kernel's would), `--set` lines
    /// count, and a service built anew gets the order its lines give.
    #[test]
    fn scheduler_timeouts_and_a_new_service_in_line_order() {
        let mut live = model("-A -t 10.0.0.1:80 -s rr\n--set 100 0 0");
        let cmds = reload(
            &mut live,
            "-A -t 10.0.0.1:80 -s wrr
             -A -f 7 -s sh -p 60
             -a -f 7 -r 10.0.1.1 -g
             -a -f 7 -r 10.0.1.2 -g
             -d -f 7 -r 10.0.1.1
             -a -f 7 -r 10.0.1.3 -g -w 2",
        );
        assert_eq!(
            summary(&cmds),
            "1 service added, 1 service edited, 2 real servers added, 1 timeout setting changed"
        );
        let id = live.services()[0].id;
        assert_eq!(live.take_changes()[&id], [Change::Rescheduled]);
        let order: Vec<String> = live.services()[1]
            .dests
            .iter()
            .map(|d| d.spec.addr.to_string())
            .collect();
        assert_eq!(order, ["10.0.1.3", "10.0.1.2"]);
        assert_eq!(live.timeouts(), crate::model::DEFAULT_TIMEOUTS);
    }

    #[test]
    fn a_bad_line_names_itself() {
        let bad = lines("-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.9:80 -r 10.0.1.1");
        let err = target(&bad, 4096).err().unwrap();
        assert_eq!(
            err,
            "services in the configuration: Service not defined\nrvsadm -R: line 2 failed, no line was applied"
        );
    }
}
