//! The tls models under loom: every interleaving within the row's bound of
//! the table in `tls.rs` (`models/tier loom test --release --test
//! loom_tls -- --nocapture`).
#![cfg(loom)]

mod scenarios;
mod support;
mod tls;
