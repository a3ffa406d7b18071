//! The metrics endpoint: HTTP/1 on the configured address, `GET /metrics` answered with what
//! the control thread renders, 404 for any other path, 405 for another method.
//!
//! One thread of its own runs it (hyper on a single-threaded tokio runtime), never a worker
//! nor the control thread. No client can hold rvsd: each connection has [`DEADLINE`] to send
//! its request and take the answer, after which it is closed; at most [`MAX_CONNECTIONS`] are
//! open at once (more are closed at once); a connection carries one request. A scrape waits
//! for the control thread at most [`WAIT`], on a blocking-pool thread, and gets 503 if it is
//! busy for longer.

use crate::admin::protocol::Request;
use crate::admin::server::Pending;
use crossbeam::channel::{bounded, Sender};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{ALLOW, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

pub const PATH: &str = "/metrics";
/// Prometheus's default scrape timeout is 10 s: an answer later than that is of no use.
pub const DEADLINE: Duration = Duration::from_secs(10);
pub const MAX_CONNECTIONS: usize = 8;
/// How long a scrape waits to hand its request to the control thread, and again for the answer.
pub const WAIT: Duration = Duration::from_secs(4);

/// Listens on `addr` (an error if it cannot) and serves from a thread of its own; scrapes go to
/// the control thread through `control`.
pub fn serve(addr: SocketAddr, control: Sender<Pending>) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("metrics on {addr}: {e}");
    let listener = std::net::TcpListener::bind(addr).map_err(fail)?;
    listener.set_nonblocking(true).map_err(fail)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .max_blocking_threads(MAX_CONNECTIONS)
        .build()
        .map_err(fail)?;
    std::thread::Builder::new()
        .name("rvs-metrics".into())
        .spawn(move || runtime.block_on(accept_loop(listener, control)))
        .map_err(fail)?;
    log::info!("Prometheus metrics at http://{addr}{PATH}");
    Ok(())
}

async fn accept_loop(listener: std::net::TcpListener, control: Sender<Pending>) {
    let listener =
        TcpListener::from_std(listener).expect("a non-blocking listener, in the runtime");
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Out of descriptors, say: wait for some to close rather than spin.
                log::warn!("metrics: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            log::warn!("metrics: connection from {peer} closed: {MAX_CONNECTIONS} already open");
            continue;
        };
        let control = control.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| answer(req, control.clone()));
            let conn = http1::Builder::new()
                .keep_alive(false)
                .serve_connection(TokioIo::new(stream), service);
            if tokio::time::timeout(DEADLINE, conn).await.is_err() {
                log::warn!("metrics: connection from {peer} closed: not done in {DEADLINE:?}");
            }
            drop(slot);
        });
    }
}

async fn answer(
    req: hyper::Request<Incoming>,
    control: Sender<Pending>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.uri().path() != PATH {
        return Ok(plain(StatusCode::NOT_FOUND, "404 page not found\n"));
    }
    if req.method() != Method::GET {
        let mut r = plain(StatusCode::METHOD_NOT_ALLOWED, "only GET\n");
        r.headers_mut()
            .insert(ALLOW, "GET".parse().expect("a header value"));
        return Ok(r);
    }
    let scraped = tokio::task::spawn_blocking(move || scrape(&control)).await;
    Ok(match scraped {
        Ok(Ok(text)) => {
            let mut r = Response::new(Full::new(Bytes::from(text)));
            let kind = prometheus::TEXT_FORMAT.parse().expect("a header value");
            r.headers_mut().insert(CONTENT_TYPE, kind);
            r
        }
        Ok(Err(why)) => plain(StatusCode::SERVICE_UNAVAILABLE, why),
        Err(_) => plain(StatusCode::INTERNAL_SERVER_ERROR, "scrape failed\n"),
    })
}

/// The control thread's rendering, or why there is none.
fn scrape(control: &Sender<Pending>) -> Result<String, &'static str> {
    let (reply, answer) = bounded(1);
    let busy = "rvsd's control thread is busy; try again\n";
    control
        .send_timeout(
            Pending {
                request: Request::Metrics,
                reply,
            },
            WAIT,
        )
        .map_err(|_| busy)?;
    answer
        .recv_timeout(WAIT)
        .map(|r| r.stdout)
        .map_err(|_| busy)
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *r.status_mut() = status;
    r
}
