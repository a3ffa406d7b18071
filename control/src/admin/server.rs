//! The daemon side of the admin socket. One thread accepts, one thread per
//! connection reads requests; every request goes to the control thread
//! through a channel (the control thread alone owns the service model; the
//! metrics endpoint feeds the same channel) and its reply comes back on a
//! per-request channel.

use super::protocol::{read_request, write_reply, ReadError, Reply, Request};
use crossbeam::channel::{bounded, Sender};
use std::io::BufReader;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

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
    /// Binds `path` with mode 0600 (creating its directory with 0700 when
    /// missing, replacing a stale socket) and starts accepting; requests
    /// go to `requests`.
    pub fn bind(path: &Path, requests: Sender<Pending>) -> std::io::Result<AdminSocket> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.exists() {
                std::fs::create_dir_all(dir)?;
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
            }
        }
        remove_stale(path)?;
        let listener = UnixListener::bind(path)?;
        // Only root may talk to the control plane (bind honours the umask,
        // so set the mode explicitly).
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        std::thread::Builder::new()
            .name("rvs-admin".into())
            .spawn(move || accept_loop(listener, requests))?;
        log::info!("admin socket at {}", path.display());
        Ok(AdminSocket {
            path: path.to_owned(),
        })
    }
}

/// Removes a socket left by a daemon that died, but refuses to steal the
/// socket of one that still answers.
fn remove_stale(path: &Path) -> std::io::Result<()> {
    if UnixStream::connect(path).is_ok() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            format!("{} is in use by a running daemon", path.display()),
        ));
    }
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

impl Drop for AdminSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn accept_loop(listener: UnixListener, tx: Sender<Pending>) {
    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        let tx = tx.clone();
        let spawned = std::thread::Builder::new()
            .name("rvs-admin-conn".into())
            .spawn(move || serve(conn, tx));
        if let Err(e) = spawned {
            log::warn!("admin connection dropped: {e}");
        }
    }
}

/// Serves one connection until it closes, it sends something unreadable or
/// the control thread goes away.
fn serve(conn: UnixStream, tx: Sender<Pending>) {
    let Ok(mut out) = conn.try_clone() else {
        return;
    };
    let mut rd = BufReader::new(conn);
    loop {
        let request = match read_request(&mut rd) {
            Ok(Some(r)) => r,
            Ok(None) | Err(ReadError::Io(_)) => return,
            Err(e) => {
                log::warn!("admin request refused: {e:?}");
                let reply = Reply {
                    stderr: "request refused: line too long or not UTF-8\n".into(),
                    code: 2,
                    ..Reply::default()
                };
                let _ = write_reply(&mut out, &reply);
                return;
            }
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
