//! ipvsadm command lines on a model: parse and execute never panic; a command that fails
//! changes nothing, one that changes the model succeeds; a whole `-R` restore is applied
//! or not at all; and whatever the model became, `-S -n` writes it so that `-R` restores
//! the same services.
//!
//! Input: lines of words separated by single spaces (so that empty words occur). A first
//! byte `R` makes the rest one `-R` restore instead of commands one by one.
#![no_main]

use control::ipvsadm::command::Protocol;
use control::ipvsadm::names::Names;
use control::ipvsadm::{execute_restore_with, execute_with, LiveCounters};
use control::model::Model;
use libfuzzer_sys::fuzz_target;
use std::net::{IpAddr, Ipv4Addr};

/// One host and one service name, without the resolver (a DNS query per input would make
/// the fuzzer crawl).
struct Names1;

impl Names for Names1 {
    fn host_v4(&self, name: &str) -> Option<Ipv4Addr> {
        (name == "localhost").then_some(Ipv4Addr::LOCALHOST)
    }
    fn port_by_name(&self, name: &str, _proto: Protocol) -> Option<u16> {
        (name == "http").then_some(80)
    }
    fn host_by_addr(&self, addr: IpAddr) -> Option<String> {
        (addr == Ipv4Addr::LOCALHOST).then(|| "localhost".into())
    }
    fn port_name(&self, port: u16, _proto: Protocol) -> Option<String> {
        (port == 80).then(|| "http".into())
    }
}

struct NoLive;

impl LiveCounters for NoLive {
    fn conns(&self, _slot: u32) -> (u32, u32) {
        (0, 0)
    }
    fn table_size(&self) -> u32 {
        4096
    }
}

const ARGV0: &str = "rvsadm";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut model = Model::new(4096);
    match text.strip_prefix('R') {
        Some(rest) => restore(&mut model, rest),
        None => text.lines().for_each(|l| command(&mut model, l)),
    }
    saved_restores(&mut model);
});

fn command(model: &mut Model, line: &str) {
    let words: Vec<String> = line.split(' ').map(String::from).collect();
    let before = model.state().clone();
    let out = execute_with(&Names1, ARGV0, &words, model, &NoLive);
    if out.code != 0 {
        assert!(!out.changed, "{line:?}: {out:?}");
        assert!(
            *model.state() == before,
            "{line:?} failed ({out:?}) but changed the model"
        );
    }
    if out.changed {
        assert_eq!(out.code, 0, "{line:?}");
    }
}

fn restore(model: &mut Model, text: &str) {
    let lines: Vec<String> = text.lines().map(String::from).collect();
    let before = model.state().clone();
    let out = execute_restore_with(&Names1, ARGV0, &lines, model, &NoLive);
    if out.code != 0 {
        assert!(
            *model.state() == before,
            "a failed -R changed the model: {out:?}"
        );
    }
}

/// `-S -n` of `model`, restored into an empty model, saves the same lines. Not always in
/// the same order: ipvsadm sorts with libipvs's wrapping comparisons, which are not
/// transitive, so the order depends on the order the services were made in.
fn saved_restores(model: &mut Model) {
    let save = |m: &mut Model| {
        let words = ["-S".to_string(), "-n".to_string()];
        let out = execute_with(&Names1, ARGV0, &words, m, &NoLive);
        assert_eq!(out.code, 0, "{out:?}");
        out.stdout
    };
    let text = save(model);
    let lines: Vec<String> = text.lines().map(String::from).collect();
    let mut copy = Model::new(4096);
    let out = execute_restore_with(&Names1, ARGV0, &lines, &mut copy, &NoLive);
    assert_eq!(out.code, 0, "-R of -S failed: {out:?}\n{text}");
    let sorted = |t: &str| {
        let mut lines: Vec<String> = t.lines().map(String::from).collect();
        lines.sort();
        lines
    };
    assert_eq!(sorted(&save(&mut copy)), sorted(&text), "-S, -R, -S again");
}
