//! The rvsadm side of the admin socket.

use super::protocol::{read_reply, write_request, Reply, Request};
use std::io::BufReader;
use std::os::unix::net::UnixStream;
use std::path::Path;

pub struct Client {
    stream: BufReader<UnixStream>,
}

impl Client {
    pub fn connect(path: &Path) -> std::io::Result<Client> {
        Ok(Client {
            stream: BufReader::new(UnixStream::connect(path)?),
        })
    }

    /// Sends one request and waits for its reply. A daemon that turns the connection away
    /// says why and closes it, maybe before the request is sent: its reply is read even
    /// when sending failed.
    pub fn call(&mut self, req: &Request) -> std::io::Result<Reply> {
        let sent = write_request(self.stream.get_mut(), req);
        read_reply(&mut self.stream).or_else(|e| sent.and(Err(e)))
    }
}
