//! Prometheus metrics: the services' and the data plane's counters in the text exposition
//! format (0.0.4), served over HTTP at `/metrics` on the configuration's `metrics` address.
//!
//! The control thread renders ([`render`]): it owns the model and the statistics, and reads
//! the data plane's counters as `rvsadm --counters` does; the HTTP thread ([`http`]) asks it
//! with a [`Request::Metrics`](crate::admin::protocol::Request::Metrics) on the same channel
//! as the admin socket's requests, so a scrape shares nothing with the control thread and
//! costs it one rendering.

mod family;
pub mod http;
mod ipvs;
mod runtime;

use crate::counters::RuntimeCounters;
use crate::ipvsadm::{Counters, LiveCounters};
use crate::model::Service;

/// Every series: node_exporter's IPVS ones and rvs's per service and real server, from the
/// model's `services` read through `live`, with `total` the counters of all ever served; then
/// rvs's own from `runtime`.
pub fn render(
    services: &[Service],
    live: &dyn LiveCounters,
    total: Counters,
    runtime: &RuntimeCounters,
) -> String {
    let mut families = ipvs::families(services, live, total);
    families.extend(runtime::families(runtime));
    family::encode(families)
}
