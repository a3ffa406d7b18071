//! One metric family (a name, its help, its type and its labelled samples) in the model of
//! the `prometheus` crate, whose `TextEncoder` writes the text exposition format.

use prometheus::proto::{Counter, Gauge, LabelPair, Metric, MetricFamily, MetricType};
use prometheus::TextEncoder;

pub struct Family(MetricFamily);

impl Family {
    /// A counter: `name` ends in `_total`, as in the text format 0.0.4 node_exporter writes.
    pub fn counter(name: &str, help: &str) -> Family {
        Family::new(name, help, MetricType::COUNTER)
    }

    pub fn gauge(name: &str, help: &str) -> Family {
        Family::new(name, help, MetricType::GAUGE)
    }

    fn new(name: &str, help: &str, kind: MetricType) -> Family {
        let mut f = MetricFamily::default();
        f.set_name(name.into());
        f.set_help(help.into());
        f.set_field_type(kind);
        Family(f)
    }

    /// Adds the sample labelled `labels`. Prometheus values are doubles: a count past 2^53
    /// loses its last digits there as in every exporter.
    pub fn sample(&mut self, labels: &[(&str, &str)], value: u64) {
        let pairs = labels
            .iter()
            .map(|&(name, value)| {
                let mut p = LabelPair::default();
                p.set_name(name.into());
                p.set_value(value.into());
                p
            })
            .collect();
        let mut m = Metric::from_label(pairs);
        match self.0.get_field_type() {
            MetricType::COUNTER => {
                let mut c = Counter::default();
                c.set_value(value as f64);
                m.set_counter(c);
            }
            _ => {
                let mut g = Gauge::default();
                g.set_value(value as f64);
                m.set_gauge(g);
            }
        }
        self.0.mut_metric().push(m);
    }

    /// One unlabelled sample.
    pub fn single(mut self, value: u64) -> Family {
        self.sample(&[], value);
        self
    }
}

/// The families as the text format, in their order. A family without samples (no service
/// yet) is left out: the format has no way to write one.
pub fn encode(families: Vec<Family>) -> String {
    let families: Vec<MetricFamily> = families
        .into_iter()
        .map(|f| f.0)
        .filter(|f| !f.get_metric().is_empty())
        .collect();
    let mut out = String::new();
    TextEncoder::new()
        .encode_utf8(&families, &mut out)
        .expect("named, non-empty families encode");
    out
}
