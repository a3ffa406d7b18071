//! `rvsadm --watch [SECONDS]` (rvs's own): a live view for a terminal, redrawn in place
//! like `watch` or `top`. Each frame shows the `-Ln --rate` table, each worker's busy share
//! and the drop reasons that grew most since the last frame, with their totals.

use serde_json::Value;

/// The default redraw interval: the statistics' own period (they change no faster).
pub const DEFAULT_SECS: u64 = 2;
/// Drop reasons shown, the fastest growing first.
const TOP_DROPS: usize = 8;
/// Home the cursor and clear the screen (ECMA-48 CUP and ED).
const CLEAR: &str = "\x1b[H\x1b[2J";

/// The interval `--watch` was given: nothing (the default) or whole seconds, 1 to 3600.
pub fn interval(args: &[String]) -> Result<u64, String> {
    match args {
        [] => Ok(DEFAULT_SECS),
        [n] => n
            .parse::<u64>()
            .ok()
            .filter(|s| (1..=3600).contains(s))
            .ok_or_else(|| format!("--watch takes whole seconds from 1 to 3600, not {n:?}")),
        _ => Err("--watch takes at most one argument, the seconds between frames".into()),
    }
}

/// One frame: `rates` is the text of `-Ln --rate`, `counters` the JSON of `--counters` now
/// and `before` the previous frame's, `secs` apart.
pub fn frame(
    title: &str,
    rates: &str,
    counters: &Value,
    before: Option<&Value>,
    secs: f64,
) -> String {
    let mut out = format!("{CLEAR}{title}\n\n{rates}\n");
    out.push_str(&workers(counters, before));
    out.push_str(&drops(counters, before, secs));
    out
}

fn u64_at(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or(0)
}

/// `Workers: 0 12.5% busy  1 3.0% busy`, from the polls since the last frame (since start
/// on the first).
fn workers(now: &Value, before: Option<&Value>) -> String {
    let list = |v: &Value| v["workers"].as_array().cloned().unwrap_or_default();
    let (now, before) = (list(now), before.map(list).unwrap_or_default());
    let mut line = String::from("Workers:");
    for (i, w) in now.iter().enumerate() {
        let prev = before.get(i);
        let delta = |k: &str| u64_at(w, k) - prev.map_or(0, |p| u64_at(p, k).min(u64_at(w, k)));
        let (busy, idle) = (delta("busy_polls"), delta("idle_polls"));
        let share = 100.0 * busy as f64 / (busy + idle).max(1) as f64;
        line.push_str(&format!("  {i} {share:.1}% busy"));
    }
    line.push('\n');
    line
}

/// The drop reasons that grew since the last frame, per second, with their totals.
fn drops(now: &Value, before: Option<&Value>, secs: f64) -> String {
    let Some(map) = now["drops"].as_object() else {
        return String::new();
    };
    let prev = |reason: &str| before.map_or(0, |b| u64_at(&b["drops"], reason));
    let mut grew: Vec<(&str, u64, u64)> = map
        .iter()
        .map(|(r, v)| {
            let total = v.as_u64().unwrap_or(0);
            (r.as_str(), total.saturating_sub(prev(r)), total)
        })
        .collect();
    grew.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)));
    let mut out = String::from("\nDrops                          per s        total\n");
    for (reason, delta, total) in grew.into_iter().take(TOP_DROPS) {
        let rate = delta as f64 / secs.max(f64::EPSILON);
        out.push_str(&format!("  {reason:<26} {rate:>9.1} {total:>12}\n"));
    }
    out
}

#[cfg(test)]
mod test {
    use super::*;
    use serde_json::json;

    #[test]
    fn intervals() {
        let s = |v: &[&str]| interval(&v.iter().map(|x| x.to_string()).collect::<Vec<_>>());
        assert_eq!(s(&[]), Ok(2));
        assert_eq!(s(&["5"]), Ok(5));
        for bad in [&["0"][..], &["3601"], &["1.5"], &["x"], &["1", "2"]] {
            assert!(s(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_frame_shows_rates_load_and_the_fastest_drops() {
        let before = json!({
            "workers": [{"busy_polls": 100, "idle_polls": 900}],
            "drops": {"no_service": 10, "no_connection": 5},
        });
        let now = json!({
            "workers": [{"busy_polls": 150, "idle_polls": 1100}],
            "drops": {"no_service": 12, "no_connection": 25, "ttl_exceeded": 1},
        });
        let f = frame("rvsd", "RATES\n", &now, Some(&before), 2.0);
        assert!(f.starts_with("\x1b[H\x1b[2Jrvsd\n\nRATES\n"), "{f:?}");
        assert!(f.contains("Workers:  0 20.0% busy\n"), "{f}");
        let drops: Vec<&str> = f.lines().skip_while(|l| !l.starts_with("Drops")).collect();
        assert_eq!(
            drops[1..],
            [
                "  no_connection                   10.0           25",
                "  no_service                       1.0           12",
                "  ttl_exceeded                     0.5            1",
            ]
        );
    }
}
