//! The admin socket's framing on any bytes: the daemon's request reader and the client's
//! reply reader never panic, and every request read travels again as itself (written by
//! the client's writer, read back by the daemon's reader), unless its JSON form is over the
//! line limit, which the reader then refuses.
#![no_main]

use control::admin::protocol::{
    read_reply, read_request, write_request, ReadError, Request, MAX_LINE,
};
use libfuzzer_sys::fuzz_target;
use std::io::Cursor;

fuzz_target!(|data: &[u8]| {
    let mut r = Cursor::new(data);
    while let Ok(Some(req)) = read_request(&mut r) {
        round_trip(&req);
    }
    let _ = read_reply(&mut Cursor::new(data));
});

fn round_trip(req: &Request) {
    let mut wire = Vec::new();
    write_request(&mut wire, req).expect("writes to memory");
    let again = read_request(&mut Cursor::new(&wire[..]));
    if wire.split(|&b| b == b'\n').next().map_or(0, <[u8]>::len) > MAX_LINE {
        assert!(matches!(again, Err(ReadError::TooLong)), "{again:?}");
        return;
    }
    assert_eq!(again.ok().flatten().as_ref(), Some(req), "{wire:02x?}");
}
