//! The scenarios, written once against `backend.rs` and driven by the model
//! harnesses (loom and shuttle, through each algorithm's table of models)
//! and by the std stress tests on real threads. Each harness crate loads this
//! module once (`mod scenarios;`, or `#[path]` to this file from `tests/`).
//!
//! A scenario also counts its coverage facts: how often each event it exists
//! for was reached (a wrap with padding, a CAS that had to retry, a return
//! refused as pool-full, ...). The facts are a ghost outside the model (a
//! `std` mutex: no synchronisation the checker sees, so counting them adds
//! no interleaving), summed over every execution of one model run; the model
//! harness takes them after the run, prints them and fails on a zero.
#![allow(dead_code)] // each harness uses a subset

pub mod backend;
/// User-kind and `try_get` scenarios of the pool row.
pub mod kinds;
pub mod pool;
pub mod ring;
pub mod stacks;
pub mod tls;

/// The facts counted since the last [`take_facts`], in first-seen order.
static FACTS: std::sync::Mutex<Vec<(&'static str, usize)>> = std::sync::Mutex::new(Vec::new());

/// Counts one occurrence of `name` if `happened`; a fact that never happens
/// is still listed (with 0), so the harness names it.
pub fn fact(name: &'static str, happened: bool) {
    fact_n(name, usize::from(happened));
}

/// Adds `n` occurrences of `name` (listed even when `n` is 0).
pub fn fact_n(name: &'static str, n: usize) {
    let mut facts = FACTS.lock().unwrap_or_else(|e| e.into_inner());
    match facts.iter_mut().find(|(f, _)| *f == name) {
        Some((_, c)) => *c += n,
        None => facts.push((name, n)),
    }
}

/// The facts counted since the last call, in first-seen order.
pub fn take_facts() -> Vec<(&'static str, usize)> {
    std::mem::take(&mut *FACTS.lock().unwrap_or_else(|e| e.into_inner()))
}
