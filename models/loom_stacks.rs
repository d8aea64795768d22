//! The free lists under loom: every interleaving within the row's bound of
//! the table in `stacks.rs` (`models/tier loom test --release --test
//! loom_stacks -- --nocapture`).
#![cfg(loom)]

mod scenarios;
mod stacks;
mod support;
