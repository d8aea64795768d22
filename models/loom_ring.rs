//! The ring models under loom: every interleaving within the row's bound of
//! the table in `ring.rs` (`models/tier loom test --release --test
//! loom_ring -- --nocapture`).
#![cfg(loom)]

mod ring;
mod scenarios;
mod support;
