//! The transcripts of ipvsadm-spec §10, copied verbatim and checked byte for byte (stdout,
//! stderr, exit status) through [`execute_with`] on one model per transcript.
//!
//! The oracle's kernel has the `sip` engine, so these run on a model that knows it too
//! ([`Model::with_pes`]); what rvs itself offers is tested in `exec.rs`.

use super::exec::execute_with;
use super::live::LiveCounters;
use super::names::test::DebianNames;
use crate::model::Model;

/// The persistence engines of the oracle's kernel (ipvsadm-spec §9 PE_LIST).
pub(crate) const KERNEL_PES: &[&str] = &["sip"];

/// No traffic: every counter is zero, the table has the kernel's default size.
pub(crate) struct Idle;

impl LiveCounters for Idle {
    fn conns(&self, _slot: u32) -> (u32, u32) {
        (0, 0)
    }
    fn table_size(&self) -> u32 {
        4096
    }
}

/// One command of a transcript and what it must print.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Step {
    pub args: Vec<String>,
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

/// Reads the §10 notation: `$ ipvsadm ARGS`, then `[stdout]`/`[stderr]` lines ending in `$`
/// (the `$` is not output), then `[exit N]`.
pub(crate) fn steps(text: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut to_stderr = false;
    for line in text.lines() {
        if let Some(cmd) = line.strip_prefix("$ ipvsadm") {
            let args = cmd.split_whitespace().map(str::to_string).collect();
            steps.push(Step {
                args,
                ..Step::default()
            });
            continue;
        }
        let step = steps.last_mut().expect("a command comes first");
        match line {
            "[stdout]" => to_stderr = false,
            "[stderr]" => to_stderr = true,
            _ => {
                if let Some(code) = line.strip_prefix("[exit ") {
                    step.code = code.trim_end_matches(']').parse().expect("exit code");
                } else {
                    let text = line.strip_suffix('$').expect("output lines end in $");
                    let stream = if to_stderr {
                        &mut step.stderr
                    } else {
                        &mut step.stdout
                    };
                    stream.push_str(text);
                    stream.push('\n');
                }
            }
        }
    }
    steps
}

/// Runs every step on a fresh model like the oracle's kernel and compares byte for byte.
pub(crate) fn check(text: &str) {
    check_with(text, &Idle)
}

/// [`check`] with given live counters.
pub(crate) fn check_with(text: &str, live: &dyn LiveCounters) {
    let mut model = Model::new(4096).with_pes(KERNEL_PES);
    let all = steps(text);
    assert!(!all.is_empty());
    for step in all {
        let out = execute_with(&DebianNames, "ipvsadm", &step.args, &mut model, live);
        let got = Step {
            args: step.args.clone(),
            stdout: out.stdout,
            stderr: out.stderr,
            code: out.code,
        };
        assert_eq!(got, step, "ipvsadm {}", step.args.join(" "));
    }
}

/// ipvsadm-spec §10 T02, verbatim.
const T02: &str = r#"$ ipvsadm -L -n
[stdout]
IP Virtual Server version 1.2.1 (size=4096)$
Prot LocalAddress:Port Scheduler Flags$
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn$
[exit 0]
$ ipvsadm
[stdout]
IP Virtual Server version 1.2.1 (size=4096)$
Prot LocalAddress:Port Scheduler Flags$
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn$
[exit 0]
"#;

#[test]
fn t02_empty_table() {
    check(T02);
}

/// ipvsadm-spec §10 T03, verbatim.
const T03: &str = r#"$ ipvsadm -A -t 207.175.44.110:80 -s rr
[exit 0]
$ ipvsadm -a -t 207.175.44.110:80 -r 192.168.10.1:80 -m
[exit 0]
$ ipvsadm -a -t 207.175.44.110:80 -r 192.168.10.2:80 -m -w 2
[exit 0]
$ ipvsadm -a -t 207.175.44.110:80 -r 192.168.10.3:8080 -m -w 0
[exit 0]
$ ipvsadm -L -n
[stdout]
IP Virtual Server version 1.2.1 (size=4096)$
Prot LocalAddress:Port Scheduler Flags$
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn$
TCP  207.175.44.110:80 rr$
  -> 192.168.10.1:80              Masq    1      0          0         $
  -> 192.168.10.2:80              Masq    2      0          0         $
  -> 192.168.10.3:8080            Masq    0      0          0         $
[exit 0]
$ ipvsadm -l
[stdout]
IP Virtual Server version 1.2.1 (size=4096)$
Prot LocalAddress:Port Scheduler Flags$
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn$
TCP  207.175.44.110:http rr$
  -> 192.168.10.1:http            Masq    1      0          0         $
  -> 192.168.10.2:http            Masq    2      0          0         $
  -> 192.168.10.3:http-alt        Masq    0      0          0         $
[exit 0]
$ ipvsadm -S -n
[stdout]
-A -t 207.175.44.110:80 -s rr$
-a -t 207.175.44.110:80 -r 192.168.10.1:80 -m -w 1$
-a -t 207.175.44.110:80 -r 192.168.10.2:80 -m -w 2$
-a -t 207.175.44.110:80 -r 192.168.10.3:8080 -m -w 0$
[exit 0]
$ ipvsadm -S
[stdout]
-A -t 207.175.44.110:http -s rr$
-a -t 207.175.44.110:http -r 192.168.10.1:http -m -w 1$
-a -t 207.175.44.110:http -r 192.168.10.2:http -m -w 2$
-a -t 207.175.44.110:http -r 192.168.10.3:http-alt -m -w 0$
[exit 0]
"#;

#[test]
fn t03_nat_service() {
    check(T03);
}

/// ipvsadm-spec §10 T04, verbatim.
const T04: &str = r#"$ ipvsadm -A -t 10.0.0.1:443 -p
[exit 0]
$ ipvsadm -A -t 10.0.0.1:0 -s lc -p 600 -M 255.255.255.0
[exit 0]
$ ipvsadm -A -u 10.0.0.1:53 -s wrr -o -p 30 --pe sip
[exit 0]
$ ipvsadm -L -n
[stdout]
IP Virtual Server version 1.2.1 (size=4096)$
Prot LocalAddress:Port Scheduler Flags$
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn$
TCP  10.0.0.1:0 lc persistent 600 mask 255.255.255.0$
TCP  10.0.0.1:443 wlc persistent 360$
UDP  10.0.0.1:53 wrr persistent 30 pe sip ops$
[exit 0]
$ ipvsadm -S -n
[stdout]
-A -t 10.0.0.1:0 -s lc -p 600 -M 255.255.255.0$
-A -t 10.0.0.1:443 -s wlc -p 360$
-A -u 10.0.0.1:53 -s wrr -p 30 --pe sip -o$
[exit 0]
"#;

#[test]
fn t04_persistence() {
    check(T04);
}

/// ipvsadm-spec §10 T05, verbatim.
const T05: &str = r#"$ ipvsadm -A -f 1 -s rr
[exit 0]
$ ipvsadm -a -f 1 -r 192.168.10.1 -m
[exit 0]
$ ipvsadm -a -f 1 -r 192.168.10.2:8080 -g
[exit 0]
$ ipvsadm -A -f 2 -6 -p 100 -M 64
[exit 0]
$ ipvsadm -a -f 2 -6 -r [2001:db8::5]:80 -m
[exit 0]
$ ipvsadm -L -n
[stdout]
IP Virtual Server version 1.2.1 (size=4096)$
Prot LocalAddress:Port Scheduler Flags$
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn$
FWM  1 rr$
  -> 192.168.10.1:0               Masq    1      0          0         $
  -> 192.168.10.2:8080            Route   1      0          0         $
FWM  2 IPv6 wlc persistent 100 mask 64$
  -> [2001:db8::5]:80             Masq    1      0          0         $
[exit 0]
$ ipvsadm -S -n
[stdout]
-A -f 1 -s rr$
-a -f 1 -r 192.168.10.1:0 -m -w 1$
-a -f 1 -r 192.168.10.2:8080 -g -w 1$
-A -f 2 -6 -s wlc -p 100 -M 64$
-a -f 2 -6 -r [2001:db8::5]:80 -m -w 1$
[exit 0]
$ ipvsadm -L -n -f 2
[stderr]
No such service$
[exit 1]
$ ipvsadm -L -n -f 2 -6
[stdout]
Prot LocalAddress:Port Scheduler Flags$
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn$
FWM  2 IPv6 wlc persistent 100 mask 64$
  -> [2001:db8::5]:80             Masq    1      0          0         $
[exit 0]
"#;

#[test]
fn t05_fwmark() {
    check(T05);
}

/// ipvsadm-spec §10 T06, verbatim.
const T06: &str = r#"$ ipvsadm -A -t [2001:db8::80]:80 -s rr
[exit 0]
$ ipvsadm -a -t [2001:db8::80]:80 -r [2001:db8::a0a0]:80 -m
[exit 0]
$ ipvsadm -A -t [2001:db8:aaaa:bbbb:cccc:dddd:eeee:1]:443
[exit 0]
$ ipvsadm -a -t [2001:db8:aaaa:bbbb:cccc:dddd:eeee:1]:443 -r [2001:db8:aaaa:bbbb:cccc:dddd:ffff:2]:8443 -m -w 3
[exit 0]
$ ipvsadm -a -t [2001:db8:aaaa:bbbb:cccc:dddd:eeee:1]:443 -r 192.0.2.7 -i
[exit 0]
$ ipvsadm -L -n
[stdout]
IP Virtual Server version 1.2.1 (size=4096)$
Prot LocalAddress:Port Scheduler Flags$
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn$
TCP  [2001:db8:aaaa:bbbb:cccc:dddd:eeee:1]:443 wlc$
  -> 192.0.2.7:443                Tunnel  1      0          0         $
  -> [2001:db8:aaaa:bbbb:cccc:dddd:ffff:2]:8443 Masq    3      0          0         $
TCP  [2001:db8::80]:80 rr$
  -> [2001:db8::a0a0]:80          Masq    1      0          0         $
[exit 0]
$ ipvsadm -S -n
[stdout]
-A -t [2001:db8:aaaa:bbbb:cccc:dddd:eeee:1]:443 -s wlc$
-a -t [2001:db8:aaaa:bbbb:cccc:dddd:eeee:1]:443 -r 192.0.2.7:443 -i -w 1 --tun-type ipip$
-a -t [2001:db8:aaaa:bbbb:cccc:dddd:eeee:1]:443 -r [2001:db8:aaaa:bbbb:cccc:dddd:ffff:2]:8443 -m -w 3$
-A -t [2001:db8::80]:80 -s rr$
-a -t [2001:db8::80]:80 -r [2001:db8::a0a0]:80 -m -w 1$
[exit 0]
"#;

#[test]
fn t06_ipv6() {
    check(T06);
}

/// ipvsadm-spec §10 T07, verbatim.
const T07: &str = r#"$ ipvsadm -A -t 10.0.0.1:80
[exit 0]
$ ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:8080
[exit 0]
$ ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.2:8080 -i
[exit 0]
$ ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.3:8080 -m
[exit 0]
$ ipvsadm -L -n
[stdout]
IP Virtual Server version 1.2.1 (size=4096)$
Prot LocalAddress:Port Scheduler Flags$
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn$
TCP  10.0.0.1:80 wlc$
  -> 10.0.1.1:80                  Route   1      0          0         $
  -> 10.0.1.2:80                  Tunnel  1      0          0         $
  -> 10.0.1.3:8080                Masq    1      0          0         $
[exit 0]
"#;

#[test]
fn t07_default_forwarding() {
    check(T07);
}

/// ipvsadm-spec §10 T08, verbatim.
const T08: &str = r#"$ ipvsadm -A -t 10.0.0.1
[stderr]
Zero port specified for non-persistent service$
[exit 2]
$ ipvsadm -A -t 10.0.0.1:80 -o
[stderr]
One-Packet Scheduling is only for UDP virtual services$
[exit 2]
$ ipvsadm -A -6 -f 3
[stderr]
-6 used before -f$
$
[exit 2]
$ ipvsadm -A -t 10.0.0.1:80 -p 0
[stderr]
invalid timeout value `0' specified$
[exit 2]
$ ipvsadm -A -t 10.0.0.1:80 -M 255.255.0.x
[stderr]
illegal virtual server persistent mask specified$
[exit 2]
$ ipvsadm -A -t [2001:db8::1]:80 -p -M 129
[stderr]
illegal ipv6 netmask specified$
[exit 2]
$ ipvsadm -A -f 0
[stderr]
invalid fwmark value `0' specified$
[exit 2]
$ ipvsadm -A -u 10.0.0.1:53 -b sh-port
[stderr]
incompatible scheduler flag `sh-port'$
[exit 2]
$ ipvsadm -A -u 10.0.0.1:53 -s rr -b bogus
[stderr]
invalid scheduler flag `bogus'$
[exit 2]
"#;

#[test]
fn t08_semantic_errors() {
    check(T08);
}

/// ipvsadm-spec §10 T09, verbatim (set-up lines from its prose).
const T09: &str = r#"$ ipvsadm -A -t 10.0.0.1:80
[exit 0]
$ ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1 -m
[exit 0]
$ ipvsadm -A -t 10.0.0.1:80
[stderr]
Service already exists$
[exit 255]
$ ipvsadm -A -t 10.0.0.2:80 -s nosuch
[stderr]
Scheduler or persistence engine not found$
[exit 255]
$ ipvsadm -E -t 10.0.0.2:80
[stderr]
No such service$
[exit 255]
$ ipvsadm -D -t 10.0.0.2:80
[stderr]
No such service$
[exit 255]
$ ipvsadm -Z -t 10.0.0.2:80
[stderr]
No such service$
[exit 255]
$ ipvsadm -L -n -t 10.0.0.2:80
[stderr]
No such service$
[exit 1]
$ ipvsadm -a -t 10.0.0.2:80 -r 10.0.1.1
[stderr]
Service not defined$
[exit 255]
$ ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1 -m
[stderr]
Destination already exists$
[exit 255]
$ ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.9 -m
[stderr]
No such destination$
[exit 255]
$ ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.9
[stderr]
No such destination$
[exit 255]
$ ipvsadm -d -t 10.0.0.2:80 -r 10.0.1.9
[stderr]
Service not defined$
[exit 255]
$ ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.5 -m -y 10
[stderr]
Numerical result out of range$
[exit 255]
$ ipvsadm -a -t 10.0.0.1:80 -r 224.0.0.1 -m
[stderr]
Invalid operation.  Possibly wrong module version, address not unicast, ...$
[exit 255]
"#;

#[test]
fn t09_kernel_errors() {
    check(T09);
}

/// ipvsadm-spec §10 T10, verbatim.
const T10: &str = r#"$ ipvsadm -n -L
[stderr]
Try `ipvsadm -h' or 'ipvsadm --help' for more information.$
[exit 255]
$ ipvsadm --foo
[stderr]
Try `ipvsadm -h' or 'ipvsadm --help' for more information.$
[exit 255]
$ ipvsadm -L --foo
[stderr]
--foo: unknown option$
[exit 255]
$ ipvsadm -L --stats=1
[stderr]
--stats=1: option does not take an argument$
[exit 255]
$ ipvsadm -A -t
[stderr]
-t: missing argument$
[exit 255]
$ ipvsadm -L -A
[stderr]
invalid option `-A'$
[exit 2]
$ ipvsadm -LA
[stderr]
invalid option `-LA'$
[exit 2]
$ ipvsadm -L -h
[stderr]
invalid option `-h'$
[exit 2]
$ ipvsadm -L -n -n
[stderr]
multiple 'numeric' options specified$
[exit 2]
$ ipvsadm -A -t 10.0.0.1:80 -u 10.0.0.1:80
[stderr]
multiple 'service-address' options specified$
[exit 2]
$ ipvsadm -A
[stderr]
You need to supply the 'service-address' option for the 'add-service' command$
[exit 2]
$ ipvsadm -a -t 10.0.0.1:80
[stderr]
You need to supply the 'real-server' option for the 'add-server' command$
[exit 2]
$ ipvsadm -A -t 10.0.0.1:80 -r 10.0.1.1
[stderr]
Illegal 'real-server' option with the 'add-service' command$
[exit 2]
$ ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.1 -m
[stderr]
Illegal 'forwarding-method' option with the 'delete-server' command$
[exit 2]
$ ipvsadm -C -n
[stderr]
Illegal 'numeric' option with the 'flush' command$
[exit 2]
$ ipvsadm -C now
[stderr]
unexpected argument now$
[exit 2]
$ ipvsadm -S -t 10.0.0.1:80
[stderr]
Illegal 'service-address' option with the 'save' command$
[exit 2]
$ ipvsadm -L -c -t 10.0.0.1:80
[stderr]
The option 'service-address' conflicts with the 'connection' option in the 'list' command$
[exit 2]
$ ipvsadm -L --timeout --daemon
[stderr]
The option 'daemon' conflicts with the 'timeout' option in the 'list' command$
[exit 2]
$ ipvsadm -L -c --stats
[stderr]
options conflicts in the list command$
[exit 2]
$ ipvsadm -L --daemon --persistent-conn
[stderr]
options conflicts in the list command$
[exit 2]
$ ipvsadm -R -n
[stderr]
Illegal 'numeric' option with the 'restore' command$
[exit 2]
$ ipvsadm --start-daemon primary
[stderr]
illegal start-daemon parameter specified$
[exit 2]
$ ipvsadm --stop-daemon primary
[stderr]
illegal start_daemon specified$
[exit 2]
$ ipvsadm -list
[stderr]
Illegal 'scheduler' option with the 'list' command$
[exit 2]
"#;

#[test]
fn t10_grammar_errors() {
    check(T10);
}

/// ipvsadm-spec §10 T11, verbatim (set-up lines from its prose).
const T11: &str = r#"$ ipvsadm -A -t 10.0.0.1:80
[exit 0]
$ ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1 -w 2147483648
[stderr]
illegal weight specified$
[exit 2]
$ ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1 -w -1
[stderr]
illegal weight specified$
[exit 2]
$ ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1 -x 2147483648
[stderr]
illegal u_threshold specified$
[exit 2]
$ ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1 -y abc
[stderr]
illegal l_threshold specified$
[exit 2]
$ ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:
[stderr]
illegal real server address[:port] specified$
[exit 2]
$ ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:99999
[stderr]
illegal real server address[:port] specified$
[exit 2]
$ ipvsadm -a -t 10.0.0.1:80 -r nosuchhost.invalid
[stderr]
illegal real server address[:port] specified$
[exit 2]
$ ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1 -m -g
[stderr]
multiple 'forwarding-method' options specified$
[exit 2]
$ ipvsadm -A -t 10.0.0.1:80:81
[stderr]
illegal virtual server address[:port] specified$
[exit 2]
$ ipvsadm -A -t 80
[stderr]
illegal virtual server address[:port] specified$
[exit 2]
$ ipvsadm -A -t [2001:db8::1]
[stderr]
illegal virtual server address[:port] specified$
[exit 2]
$ ipvsadm -A -f 4294967296
[stderr]
invalid fwmark value `4294967296' specified$
[exit 2]
$ ipvsadm -a -t 10.0.0.1:80 -r [2001:db8::9]:80 -m
[stderr]
Different address family is allowed only for tunneling servers$
[exit 2]
"#;

#[test]
fn t11_value_errors() {
    check(T11);
}

/// ipvsadm-spec §10 T12, verbatim (set-up lines from its prose).
const T12: &str = r#"$ ipvsadm -A -t 10.0.0.1:80
[exit 0]
$ ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1 --tun-type gue --tun-port 6080
[stderr]
Tunnel options conflict with forward method$
[exit 2]
$ ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1 -i --tun-type gue
[stderr]
You need to supply the 'tun-port' option for the 'gue' tunnel type$
[exit 2]
$ ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1 -i --tun-type vxlan
[stderr]
illegal tunnel type specified$
[exit 2]
$ ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1 -i --tun-csum
[stderr]
Illegal 'tun-csum' option with the 'ipip' tunnel type$
[exit 2]
$ ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1 -i --tun-type gre --tun-remcsum
[stderr]
Illegal 'tun-remcsum' option with the 'gre' tunnel type$
[exit 2]
$ ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1 -i --tun-type gue --tun-port 6080 --tun-csum --tun-remcsum
[stderr]
The option 'tun-remcsum' conflicts with the 'tun-csum' option in the 'gue' tunnel type$
[exit 2]
$ ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1 -i --tun-type gue --tun-port 6080 --tun-remcsum
[exit 0]
$ ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.2 -i --tun-type gre --tun-csum
[exit 0]
$ ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.3 -i
[exit 0]
$ ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.4 -m
[exit 0]
$ ipvsadm -L -n --tun-info
[stdout]
IP Virtual Server version 1.2.1 (size=4096)$
Prot LocalAddress:Port Scheduler Flags$
  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn$
TCP  10.0.0.1:80 wlc$
  -> 10.0.1.1:80                  Tunnel  gue:6080:r+c  1      0          0         $
  -> 10.0.1.2:80                  Tunnel  gre:+c        1      0          0         $
  -> 10.0.1.3:80                  Tunnel  ipip          1      0          0         $
  -> 10.0.1.4:80                  Masq    n/a           1      0          0         $
[exit 0]
$ ipvsadm -S -n
[stdout]
-A -t 10.0.0.1:80 -s wlc$
-a -t 10.0.0.1:80 -r 10.0.1.1:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-remcsum$
-a -t 10.0.0.1:80 -r 10.0.1.2:80 -i -w 1 --tun-type gre --tun-csum$
-a -t 10.0.0.1:80 -r 10.0.1.3:80 -i -w 1 --tun-type ipip$
-a -t 10.0.0.1:80 -r 10.0.1.4:80 -m -w 1$
[exit 0]
"#;

#[test]
fn t12_tunnels() {
    check(T12);
}

/// ipvsadm-spec §10 T13, verbatim.
const T13: &str = r#"$ ipvsadm -L --timeout
[stdout]
Timeout (tcp tcpfin udp): 900 120 300$
[exit 0]
$ ipvsadm --set 1800 0 600
[exit 0]
$ ipvsadm -L --timeout
[stdout]
Timeout (tcp tcpfin udp): 1800 120 600$
[exit 0]
$ ipvsadm --set 10 20
[stderr]
--set option requires 3 timeout values$
[exit 2]
$ ipvsadm --set 10 20 30 40
[stderr]
unexpected argument 40$
[exit 2]
$ ipvsadm --set 10 x 30
[stderr]
invalid timeout value `x' specified$
[exit 2]
$ ipvsadm --set 10 2678401 30
[stderr]
invalid timeout value `2678401' specified$
[exit 2]
$ ipvsadm --set 100 -1 1
[stderr]
-1: unknown option$
[exit 255]
"#;

#[test]
fn t13_timeouts() {
    check(T13);
}

/// ipvsadm-spec §10 T15, verbatim.
const T15: &str = r#"$ ipvsadm -A -t 10.0.0.1:80 -s sh -b sh-fallback,sh-port -p 120
[exit 0]
$ ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1 -m -w 5 -x 100 -y 10
[exit 0]
$ ipvsadm -L -n
[stdout]
IP Virtual Server version 1.2.1 (size=4096)$
Prot LocalAddress:Port Scheduler Flags$
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn$
TCP  10.0.0.1:80 sh (sh-fallback,sh-port) persistent 120$
  -> 10.0.1.1:80                  Masq    5      0          0         $
[exit 0]
$ ipvsadm -S -n
[stdout]
-A -t 10.0.0.1:80 -s sh -p 120 -b sh-fallback,sh-port$
-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 5$
[exit 0]
$ ipvsadm -E -t 10.0.0.1:80
[exit 0]
$ ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1
[exit 0]
$ ipvsadm -L -n
[stdout]
IP Virtual Server version 1.2.1 (size=4096)$
Prot LocalAddress:Port Scheduler Flags$
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn$
TCP  10.0.0.1:80 wlc$
  -> 10.0.1.1:80                  Route   1      0          0         $
[exit 0]
"#;

#[test]
fn t15_sched_flags_and_edit() {
    check(T15);
}

/// ipvsadm-spec §10 T16, verbatim (set-up lines from its prose).
const T16: &str = r#"$ ipvsadm -A -t 192.168.0.1:80
[exit 0]
$ ipvsadm -A -t 10.0.0.1:80
[exit 0]
$ ipvsadm -A -t 172.16.0.1:80
[exit 0]
$ ipvsadm -A -u 10.0.0.1:80
[exit 0]
$ ipvsadm -A -f 5
[exit 0]
$ ipvsadm -A -t 10.0.0.1:8080
[exit 0]
$ ipvsadm -L -n
[stdout]
IP Virtual Server version 1.2.1 (size=4096)$
Prot LocalAddress:Port Scheduler Flags$
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn$
TCP  172.16.0.1:80 wlc$
TCP  192.168.0.1:80 wlc$
TCP  10.0.0.1:80 wlc$
TCP  10.0.0.1:8080 wlc$
UDP  10.0.0.1:80 wlc$
FWM  5 wlc$
[exit 0]
"#;

#[test]
fn t16_sort_order() {
    check(T16);
}

/// ipvsadm-spec §10 T22, verbatim.
const T22: &str = r#"$ ipvsadm --add-service --tcp-service=1.2.3.4:80 --scheduler=rr --persistent=600
[exit 0]
$ ipvsadm -A -t1.2.3.5:80 -p700
[exit 0]
$ ipvsadm -A -t 1.2.3.7:80 --persistent 800
[exit 0]
$ ipvsadm -Lnt 1.2.3.4:80
[stdout]
Prot LocalAddress:Port Scheduler Flags$
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn$
TCP  1.2.3.4:80 rr persistent 600$
[exit 0]
$ ipvsadm 900 --set 120 300
[exit 0]
"#;

#[test]
fn t22_syntax_variants() {
    check(T22);
}

/// ipvsadm-spec §10 T23, verbatim (set-up lines from its prose).
const T23: &str = r#"$ ipvsadm -A -t 10.0.0.1:80
[exit 0]
$ ipvsadm -a -t 10.0.0.1:80 -r 10.2 -m
[exit 0]
$ ipvsadm -a -t 10.0.0.1:80 -r 0x0a000003 -m
[exit 0]
$ ipvsadm -a -t 10.0.0.1:80 -r [10.0.0.4]:99 -m
[exit 0]
$ ipvsadm -a -t 10.0.0.1:80 -r 2001:db8::1:80 -i
[exit 0]
$ ipvsadm -a -t 10.0.0.1:80 -r localhost:https -m
[exit 0]
$ ipvsadm -L -n
[stdout]
IP Virtual Server version 1.2.1 (size=4096)$
Prot LocalAddress:Port Scheduler Flags$
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn$
TCP  10.0.0.1:80 wlc$
  -> 10.0.0.2:80                  Masq    1      0          0         $
  -> 10.0.0.3:80                  Masq    1      0          0         $
  -> 10.0.0.4:80                  Masq    1      0          0         $
  -> [2001:db8::1:80]:80          Tunnel  1      0          0         $
  -> 127.0.0.1:443                Masq    1      0          0         $
[exit 0]
"#;

#[test]
fn t23_address_quirks() {
    check(T23);
}

/// ipvsadm-spec §10 T25, verbatim.
const T25: &str = r#"$ ipvsadm -A -t 10.0.0.2:80 -s sh -b flag-3
[exit 0]
$ ipvsadm -Ln -t 10.0.0.2:80
[stdout]
Prot LocalAddress:Port Scheduler Flags$
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn$
TCP  10.0.0.2:80 sh ()$
[exit 0]
$ ipvsadm -S -n
[stdout]
-A -t 10.0.0.2:80 -s sh -b $
[exit 0]
"#;

#[test]
fn t25_flag_quirks() {
    check(T25);
}

/// ipvsadm-spec §10 T20, verbatim, with the set-up and counters of T19's preconditions
/// (10.0.1.1 is added first and gets slot 0).
const T20: &str = r#"$ ipvsadm -A -t 10.0.0.1:80 -p 300
[exit 0]
$ ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1 -m -w 3 -x 1000 -y 800
[exit 0]
$ ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.2 -m -w 1
[exit 0]
$ ipvsadm -L -n --thresholds
[stdout]
IP Virtual Server version 1.2.1 (size=4096)$
Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn $
  -> RemoteAddress:Port$
TCP  10.0.0.1:80 wlc persistent 300$
  -> 10.0.1.1:80                  1000       800        42         17        $
  -> 10.0.1.2:80                  0          0          40         20        $
[exit 0]
$ ipvsadm -L -n --persistent-conn
[stdout]
IP Virtual Server version 1.2.1 (size=4096)$
Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn $
  -> RemoteAddress:Port$
TCP  10.0.0.1:80 wlc persistent 300$
  -> 10.0.1.1:80                  3         9           42         17        $
  -> 10.0.1.2:80                  1         8           40         20        $
[exit 0]
$ ipvsadm -L -n
[stdout]
IP Virtual Server version 1.2.1 (size=4096)$
Prot LocalAddress:Port Scheduler Flags$
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn$
TCP  10.0.0.1:80 wlc persistent 300$
  -> 10.0.1.1:80                  Masq    3      42         17        $
  -> 10.0.1.2:80                  Masq    1      40         20        $
[exit 0]
"#;

/// T19/T20 preconditions: active, inactive and persistent connections per slot.
struct T20Counters;

impl LiveCounters for T20Counters {
    fn conns(&self, slot: u32) -> (u32, u32) {
        [(42, 17), (40, 20)][slot as usize]
    }
    fn table_size(&self) -> u32 {
        4096
    }
    fn persistent_conns(&self, slot: u32) -> u32 {
        [9, 8][slot as usize]
    }
}

#[test]
fn t20_thresholds_persistent_conn_counters() {
    check_with(T20, &T20Counters);
}

/// ipvsadm-spec §10 T05's prose: fwmark ports stay numeric without `-n`, hosts resolve.
const T05_NAMES: &str = r#"$ ipvsadm -A -t 10.0.0.1:80
[exit 0]
$ ipvsadm -A -f 1 -s rr
[exit 0]
$ ipvsadm -a -f 1 -r 192.168.10.2:8080 -g
[exit 0]
$ ipvsadm -a -f 1 -r 127.0.0.1:80 -m
[exit 0]
$ ipvsadm -L
[stdout]
IP Virtual Server version 1.2.1 (size=4096)$
Prot LocalAddress:Port Scheduler Flags$
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn$
TCP  10.0.0.1:http wlc$
FWM  1 rr$
  -> localhost:80                 Masq    1      0          0         $
  -> 192.168.10.2:8080            Route   1      0          0         $
[exit 0]
"#;

#[test]
fn t05_fwmark_ports_numeric_without_n() {
    check(T05_NAMES);
}

/// ipvsadm-spec §10 T16's prose: the circular real-server order and `FWM  -1` first.
const T16_MORE: &str = r#"$ ipvsadm -A -f 4294967295 -s rr
[exit 0]
$ ipvsadm -A -t 10.0.0.1:80 -s rr
[exit 0]
$ ipvsadm -a -t 10.0.0.1:80 -r 192.168.0.10 -m
[exit 0]
$ ipvsadm -a -t 10.0.0.1:80 -r 1.0.0.10 -m
[exit 0]
$ ipvsadm -a -t 10.0.0.1:80 -r 10.0.0.10 -m
[exit 0]
$ ipvsadm -L -n
[stdout]
IP Virtual Server version 1.2.1 (size=4096)$
Prot LocalAddress:Port Scheduler Flags$
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn$
FWM  -1 rr$
TCP  10.0.0.1:80 rr$
  -> 192.168.0.10:80              Masq    1      0          0         $
  -> 1.0.0.10:80                  Masq    1      0          0         $
  -> 10.0.0.10:80                 Masq    1      0          0         $
[exit 0]
$ ipvsadm -S -n
[stdout]
-A -f -1 -s rr$
-A -t 10.0.0.1:80 -s rr$
-a -t 10.0.0.1:80 -r 192.168.0.10:80 -m -w 1$
-a -t 10.0.0.1:80 -r 1.0.0.10:80 -m -w 1$
-a -t 10.0.0.1:80 -r 10.0.0.10:80 -m -w 1$
[exit 0]
"#;

#[test]
fn t16_circular_dest_order_and_high_fwmark() {
    check(T16_MORE);
}
