//! Frames on either port of a director with live services and connections, clock moves and
//! configuration changes between them, through the real worker loop: no panic, every frame
//! sent or dropped for a reason (or taught a neighbour, or held for its first fragment),
//! every frame sent well formed, the counters consistent with the frames and the
//! connection table (`rvs_fuzz::lab`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rvs_fuzz::lab::{with_lab, Input};

fuzz_target!(|data: &[u8]| {
    with_lab(|lab| {
        let mut input = Input(data);
        while !input.is_empty() {
            lab.step(&mut input);
        }
    });
});
