//! The daemon side of the admin socket. One thread accepts: it lets in root and the socket's
//! owner only (SO_PEERCRED), at most [`MAX_CLIENTS`] at once, and serves each with a thread
//! of its own that reads requests. Every request goes to the control thread through a
//! channel (the control thread alone owns the service model; the metrics endpoint feeds the
//! same channel) and its reply comes back on a per-request channel.

use super::protocol::{read_request, write_reply, ReadError, Reply, Request};
use crossbeam::channel::{bounded, Sender};
use rustix::fs::Mode;
use std::io::{self, BufReader, Read};
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Most clients served at once; more are refused until one leaves.
pub const MAX_CLIENTS: usize = 16;
/// How long a client has to send a whole request, from connecting or from its last reply
/// (and to take a reply off the socket): an idle or trickling client frees its place then.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// A request waiting for the control thread, with where its reply goes.
pub struct Pending {
    pub request: Request,
    pub reply: Sender<Reply>,
}

/// The listening socket; removed from the file system on drop.
pub struct AdminSocket {
    path: PathBuf,
}

impl AdminSocket {
    /// Binds `path` with mode 0600 in a directory only its owner can write (created 0700
    /// when missing; replacing a stale socket) and starts accepting; requests go to
    /// `requests`.
    pub fn bind(path: &Path, requests: Sender<Pending>) -> io::Result<AdminSocket> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            private_dir(dir)?;
        }
        remove_stale(path)?;
        let listener = bind_0600(path)?;
        let owner = std::fs::metadata(path)?.uid();
        std::thread::Builder::new()
            .name("rvs-admin".into())
            .spawn(move || accept_loop(listener, requests, owner))?;
        log::info!("admin socket at {}", path.display());
        Ok(AdminSocket {
            path: path.to_owned(),
        })
    }
}

/// The socket's directory, created 0700 when missing. An existing one must be root's or
/// rvsd's user's and writable by no one else: whoever can write it can replace the socket
/// with one of their own, and rvsadm would talk to that.
fn private_dir(dir: &Path) -> io::Result<()> {
    if !dir.exists() {
        return std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir);
    }
    let meta = std::fs::metadata(dir)?;
    let me = rustix::process::geteuid().as_raw();
    let why = if meta.uid() != 0 && meta.uid() != me {
        format!(
            "is owned by uid {}, neither root nor rvsd's uid {me}",
            meta.uid()
        )
    } else if meta.mode() & 0o022 != 0 {
        format!("is writable by others (mode {:o})", meta.mode() & 0o7777)
    } else {
        return Ok(());
    };
    Err(io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!(
            "admin socket directory {} {why}: use one only its owner can write, such as /run/rvs",
            dir.display()
        ),
    ))
}

/// Binds under umask 0177, so the socket is 0600 from the moment it exists (a chmod after
/// bind would leave it open with the umask's mode for a while). The umask is the process's:
/// while rvsd starts no other thread creates files, and it could only make theirs more private.
fn bind_0600(path: &Path) -> io::Result<UnixListener> {
    let umask = rustix::process::umask(Mode::from_raw_mode(0o177));
    let bound = UnixListener::bind(path);
    rustix::process::umask(umask);
    bound
}

/// Removes a socket left by a daemon that died, but refuses to steal the
/// socket of one that still answers.
fn remove_stale(path: &Path) -> io::Result<()> {
    if UnixStream::connect(path).is_ok() {
        return Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            format!("{} is in use by a running daemon", path.display()),
        ));
    }
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

impl Drop for AdminSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Why a client or a request was turned away; each is counted for the log.
#[derive(Clone, Copy)]
enum Refusal {
    Peer,
    Busy,
    Timeout,
    Request,
}

static REFUSED: [AtomicU64; 4] = [const { AtomicU64::new(0) }; 4];

/// Logs a refusal with how many of its kind there have been.
fn warn(why: Refusal, what: &str) {
    let n = REFUSED[why as usize].fetch_add(1, Ordering::Relaxed) + 1;
    let kind = match why {
        Refusal::Peer => "refused peers",
        Refusal::Busy => "connections over the limit",
        Refusal::Timeout => "timeouts",
        Refusal::Request => "refused requests",
    };
    log::warn!("admin socket: {what} ({n} {kind} so far)");
}

/// Tells a client why it is turned away, then closes its connection.
fn refuse(mut conn: UnixStream, why: Refusal, what: &str) {
    warn(why, what);
    let reply = Reply {
        stderr: format!("rvsd: {what}\n"),
        code: 2,
        ..Reply::default()
    };
    // A few hundred bytes fit the socket's buffer; the timeout keeps a stuck client from
    // holding the accepting thread all the same.
    let _ = conn.set_write_timeout(Some(Duration::from_secs(1)));
    let _ = write_reply(&mut conn, &reply);
}

/// A served client's place among [`MAX_CLIENTS`], given back when its thread ends, even by
/// a panic.
struct Place(Arc<AtomicUsize>);

impl Place {
    fn take(served: &Arc<AtomicUsize>) -> Option<Place> {
        let more = |n: usize| (n < MAX_CLIENTS).then_some(n + 1);
        served
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, more)
            .ok()
            .map(|_| Place(served.clone()))
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Who may talk to the control plane: root and the socket's owner (the file's mode says the
/// same; this holds even if the mode or the directory is changed).
fn check_peer(conn: &UnixStream, owner: u32) -> Result<(), String> {
    let cred = rustix::net::sockopt::socket_peercred(conn)
        .map_err(|e| format!("connection refused: no peer credentials ({e})"))?;
    let uid = cred.uid.as_raw();
    if uid == 0 || uid == owner {
        return Ok(());
    }
    Err(format!(
        "connection refused: uid {uid} (pid {}) is neither root nor the admin socket's owner (uid {owner})",
        cred.pid.as_raw_nonzero()
    ))
}

fn accept_loop(listener: UnixListener, tx: Sender<Pending>, owner: u32) {
    let served = Arc::new(AtomicUsize::new(0));
    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        if let Err(why) = check_peer(&conn, owner) {
            refuse(conn, Refusal::Peer, &why);
            continue;
        }
        let Some(place) = Place::take(&served) else {
            let busy = format!(
                "connection refused: {MAX_CLIENTS} clients already connected, try again later"
            );
            refuse(conn, Refusal::Busy, &busy);
            continue;
        };
        let tx = tx.clone();
        let spawned = std::thread::Builder::new()
            .name("rvs-admin-conn".into())
            .spawn(move || serve(conn, tx, place));
        if let Err(e) = spawned {
            log::warn!("admin connection dropped: {e}");
        }
    }
}

/// The client's side of a connection while a request is read: the request must be whole by
/// `until`.
struct Deadline {
    conn: UnixStream,
    until: Instant,
}

impl Read for Deadline {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        self.conn.set_read_timeout(Some(left))?;
        self.conn.read(buf)
    }
}

/// Serves one connection until it closes, it sends something refused, it runs out of time
/// or the control thread goes away. A panic here ends this thread only (and gives its place
/// back): the daemon goes on.
fn serve(conn: UnixStream, tx: Sender<Pending>, _place: Place) {
    let Ok(mut out) = conn.try_clone() else {
        return;
    };
    let _ = out.set_write_timeout(Some(TIMEOUT));
    let until = Instant::now();
    let mut rd = BufReader::new(Deadline { conn, until });
    loop {
        rd.get_mut().until = Instant::now() + TIMEOUT;
        let request = match read_request(&mut rd) {
            Ok(Some(r)) => r,
            Ok(None) => return,
            Err(e) => return refuse_request(out, e),
        };
        let (reply_tx, reply_rx) = bounded(1);
        if tx
            .send(Pending {
                request,
                reply: reply_tx,
            })
            .is_err()
        {
            return;
        }
        match reply_rx.recv() {
            Ok(reply) if write_reply(&mut out, &reply).is_ok() => {}
            _ => return,
        }
    }
}

/// Answers a request that cannot run (nothing of it is done) and closes the connection.
fn refuse_request(out: UnixStream, e: ReadError) {
    match e {
        ReadError::Io(e) if is_timeout(&e) => {
            let what = format!(
                "no whole request within {} s: connection closed",
                TIMEOUT.as_secs()
            );
            refuse(out, Refusal::Timeout, &what);
        }
        ReadError::Io(_) => {}
        e => refuse(
            out,
            Refusal::Request,
            &format!("request refused, nothing was done: {e}"),
        ),
    }
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Answers `request` with `handle`; a panic on the way (a bug) answers an error instead of
/// unwinding through the caller, the control loop, which would stop the data plane with it.
/// A command changes a working copy of the model (`Model::transaction`), so a panic inside
/// one leaves the model as it was.
pub fn answer(request: Request, handle: impl FnOnce(Request) -> Reply) -> Reply {
    catch_unwind(AssertUnwindSafe(|| handle(request))).unwrap_or_else(|_| {
        log::error!("admin request panicked; it was answered with an error");
        Reply {
            stderr: "rvsd: internal error while running the request (see rvsd's log)\n".into(),
            code: 1,
            ..Reply::default()
        }
    })
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn a_panicking_request_is_answered_and_the_next_runs() {
        let boom = answer(Request::Counters, |_| panic!("bug"));
        assert_eq!(boom.code, 1);
        assert!(boom.stderr.contains("internal error"), "{}", boom.stderr);
        let ok = answer(Request::Counters, |_| Reply::default());
        assert_eq!(ok, Reply::default());
    }

    #[test]
    fn places_are_bounded_and_given_back() {
        let served = Arc::new(AtomicUsize::new(0));
        let places: Vec<Place> = (0..MAX_CLIENTS)
            .map_while(|_| Place::take(&served))
            .collect();
        assert_eq!(places.len(), MAX_CLIENTS);
        assert!(Place::take(&served).is_none());
        drop(places);
        assert_eq!(served.load(Ordering::Acquire), 0);
    }
}
