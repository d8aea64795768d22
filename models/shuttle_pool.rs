//! The pool models under shuttle: random and PCT schedules of the table in
//! `pool.rs` (`models/tier shuttle test --release --test shuttle_pool --
//! --nocapture`).
#![cfg(shuttle)]

mod pool;
mod scenarios;
mod support;
