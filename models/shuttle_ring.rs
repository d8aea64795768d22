//! The ring models under shuttle: random and PCT schedules of the table in
//! `ring.rs` (`models/tier shuttle test --release --test shuttle_ring --
//! --nocapture`).
#![cfg(shuttle)]

mod ring;
mod scenarios;
mod support;
