//! rvsd's configuration loader on any text: errors, never a panic, through everything
//! `rvsd --check-config` runs (parse, addressing, routes, neighbours, marks, services).
#![no_main]

use control::config::Config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(cfg) = Config::parse(text) {
        let _ = cfg.check();
        assert!(cfg.only_reloadable_changes(&cfg));
        let _ = (cfg.telemetry(), cfg.conn_table_size_v6());
    }
});
