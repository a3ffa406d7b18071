//! Benchmark tools: the data plane the criterion benchmarks (`benches/`) and `per-packet`
//! drive ([`fixture`]), and rvs-gen, the harness's traffic generator ([`gen`]).

pub mod fixture;
pub mod gen;
