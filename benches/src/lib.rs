//! Benchmark tools: the Criterion benchmarks live in `benches/`; this library is rvs-gen,
//! the harness's traffic generator ([`gen`]).

pub mod gen;
