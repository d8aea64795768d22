//! The free lists under shuttle: random and PCT schedules of the table in
//! `stacks.rs` (`models/tier shuttle test --release --test shuttle_stacks --
//! --nocapture`). A failure prints its seed and a schedule that
//! `shuttle::replay` reproduces (see README.md).
#![cfg(shuttle)]

mod scenarios;
mod stacks;
mod support;
