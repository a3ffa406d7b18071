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

    /// Sends one request and waits for its reply.
    pub fn call(&mut self, req: &Request) -> std::io::Result<Reply> {
        write_request(self.stream.get_mut(), req)?;
        read_reply(&mut self.stream)
    }
}
