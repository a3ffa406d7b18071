//! `rvsadm --reload` and `rvsd --check-config` through the real binaries (on a net_null port):
//! a reload applies the file's services, says what changed, and refuses a bad file without
//! changing anything; `--reload` with anything else is ipvsadm's unknown option; a check
//! judges the whole file without starting EAL.

mod common;
use common::*;
use std::process::Command;

fn save(d: &Rvsd) -> String {
    text(&d.adm(&["-S", "-n"]).stdout)
}

/// `rvsadm --reload`: (exit code, stdout, stderr).
fn reload(d: &Rvsd) -> (i32, String, String) {
    let o = d.adm(&["--reload"]);
    (o.status.code().unwrap(), text(&o.stdout), text(&o.stderr))
}

const START: [&str; 3] = [
    "-A -t 10.0.0.100:80 -s wrr",
    "-a -t 10.0.0.100:80 -r 10.0.0.11:80 -m -w 1",
    "-a -t 10.0.0.100:80 -r 10.0.0.12:80 -m -w 1",
];

#[test]
fn rvsadm_reload_applies_the_file_and_refuses_a_bad_one() {
    let dir = TempDir::new("reload");
    let file = dir.path("rvsd.json");
    let d = Rvsd::start(&dir, &null_config(&START), None);
    let mut next = START.to_vec();
    next[1] = "-a -t 10.0.0.100:80 -r 10.0.0.11:80 -m -w 3";
    next.push("-a -t 10.0.0.100:80 -r 10.0.0.13:80 -m -w 1");
    next.push("-A -u 10.0.0.100:53 -s rr");
    std::fs::write(&file, null_config(&next)).unwrap();
    let said = format!(
        "rvsd: reloaded {}: 1 service added, 1 real server added, 1 real server edited\n",
        file.display()
    );
    assert_eq!(reload(&d), (0, said, String::new()));
    let want = "-A -t 10.0.0.100:80 -s wrr\n\
                -a -t 10.0.0.100:80 -r 10.0.0.11:80 -m -w 3\n\
                -a -t 10.0.0.100:80 -r 10.0.0.12:80 -m -w 1\n\
                -a -t 10.0.0.100:80 -r 10.0.0.13:80 -m -w 1\n\
                -A -u 10.0.0.100:53 -s rr\n";
    assert_eq!(save(&d), want);
    let (code, out, _) = reload(&d);
    assert_eq!(
        (code, out.ends_with(": services unchanged\n")),
        (0, true),
        "{out}"
    );

    let bad_service = null_config(&[
        "-A -t 10.0.0.100:80 -s rr",
        "-a -t 10.0.0.9:80 -r 10.0.0.11",
    ]);
    let bad_mark = null_config(&[]).replacen(
        "\"services\"",
        r#""marks": [{"mark": 0, "proto": "tcp", "dst": "10.0.0.100"}], "services""#,
        1,
    );
    for (content, why) in [
        ("{\"ports\": [", "EOF while parsing"),
        (
            bad_service.as_str(),
            "Service not defined\nrvsadm -R: line 2 failed",
        ),
        (bad_mark.as_str(), "mark 0: bad mark"),
        ("", "cannot read"),
    ] {
        match content {
            "" => std::fs::remove_file(&file).unwrap(),
            c => std::fs::write(&file, c).unwrap(),
        }
        let (code, out, err) = reload(&d);
        assert_eq!((code, out.as_str()), (1, ""), "{why}");
        assert!(
            err.starts_with("rvsd: reload refused, nothing changed: ") && err.contains(why),
            "{why}: {err}"
        );
        assert_eq!(save(&d), want, "{why}");
    }

    // ipvsadm's options are untouched: with anything else, --reload is an unknown option.
    let answer = |args: &[&str]| {
        let o = d.adm(args);
        (o.status.code(), text(&o.stdout), text(&o.stderr))
    };
    assert_eq!(answer(&["--reload", "-n"]), answer(&["--frobnicate", "-n"]));
    let unknown = (
        Some(255),
        String::new(),
        "--reload: unknown option\n".into(),
    );
    assert_eq!(answer(&["-L", "--reload"]), unknown);

    let (code, _, log) = d.stop();
    assert_eq!(code, 0);
    assert_eq!(
        log.matches("WARN").count(),
        4,
        "one warning per refusal:\n{log}"
    );
}

/// `rvsd --check-config FILE`: (exit code, stdout, stderr).
fn check(path: &std::path::Path) -> (i32, String, String) {
    let o = Command::new(RVSD)
        .arg("--check-config")
        .arg(path)
        .output()
        .unwrap();
    (o.status.code().unwrap(), text(&o.stdout), text(&o.stderr))
}

#[test]
fn check_config_judges_the_whole_file_without_starting() {
    let dir = TempDir::new("check-config");
    let file = dir.path("rvsd.json");
    // A PCI port that is not there: EAL would fail on it, the check does not start EAL.
    let good = null_config(&START).replace("net_null0", "0000:7f:1f.7");
    std::fs::write(&file, &good).unwrap();
    let ok = format!("rvsd: {}: configuration OK\n", file.display());
    assert_eq!(check(&file), (0, ok, String::new()));
    for (content, why) in [
        ("{\"ports\": [", "EOF while parsing"),
        (r#"{"ports": []}"#, "no ports configured"),
        (
            &good.replace("\"addresses\"", "\"mtu\": 20, \"addresses\""),
            "mtu 20",
        ),
        (&good.replace("10.0.0.1/24", "10.0.0.1/33"), "bad prefix"),
        (
            &good.replace("-s wrr", "-s nosuch"),
            "Scheduler or persistence engine not found",
        ),
        (
            &good.replace(
                "-m -w 1\"]",
                "-m -w 1\", \"-d -t 10.0.0.100:80 -r 10.0.0.99\"]",
            ),
            "line 4 failed",
        ),
        (
            &good.replace("\"eal\"", "\"workerz\": 1, \"eal\""),
            "unknown field `workerz`",
        ),
    ] {
        std::fs::write(&file, content).unwrap();
        let (code, out, err) = check(&file);
        assert_eq!((code, out.as_str()), (2, ""), "{why}: {err}");
        assert!(
            err.starts_with("rvsd: ") && err.contains(why),
            "{why}: {err}"
        );
    }
    std::fs::remove_file(&file).unwrap();
    let (code, _, err) = check(&file);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read"), "{err}");
}
