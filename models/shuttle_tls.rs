//! The tls models under shuttle: random and PCT schedules of the table in
//! `tls.rs` (`models/tier shuttle test --release --test shuttle_tls --
//! --nocapture`).
#![cfg(shuttle)]

mod scenarios;
mod support;
mod tls;
