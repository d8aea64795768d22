//! The pool models under loom: every interleaving within the row's bound of
//! the table in `pool.rs` (`models/tier loom test --release --test
//! loom_pool -- --nocapture`).
#![cfg(loom)]

mod pool;
mod scenarios;
mod support;
