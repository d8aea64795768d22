//! The one door to atomics, cells, threads and node memory.
//!
//! Every concurrent line of this crate goes through this module, so the same
//! algorithm code runs unchanged under three back ends:
//!
//! | build                                         | back end (file)                                  |
//! |-----------------------------------------------|--------------------------------------------------|
//! | default                                       | `std.rs`: `std` (and `crossbeam-epoch` as published) |
//! | `RUSTFLAGS="--cfg loom --cfg crossbeam_loom"` | `loom.rs`: exhaustive, C11-style weak memory     |
//! | `RUSTFLAGS="--cfg shuttle"`                   | `shuttle.rs`: random and PCT schedules           |
//!
//! This file is the one switch: it picks the back-end file and re-exports
//! it. No other file in `src/` names `std::sync::atomic`, `loom` or
//! `shuttle`. Each back end exports the same names: `Arc`, the atomics,
//! `Ordering`, `UnsafeCell` (loom's closure API), `thread_local!`,
//! [`spin_loop`] and [`Backoff`] (under the models both yield to the
//! scheduler, so a spinning thread cannot exhaust loom's branch limit or
//! shuttle's step budget); `fence`, `Mutex` and `thread` (with `park`,
//! `park_timeout`, `current`: the ring's `alloc_wait`; loom's lacks
//! `park_timeout`, so `loom.rs` adds one that parks without a clock); std
//! adds `compiler_fence`, and loom `Track` (a value whose leak loom
//! reports).
//!
//! Besides the switch, four helpers with their own files:
//!
//! * [`contention`]: the back-off every retry loop uses (`contention::Retry`),
//!   which counts retries per list when the cargo feature
//!   `contention-stats` is on and is the bare `Backoff` when it is off.
//! * [`mutation`]: named ordering sites. Under the models a test can weaken
//!   one site to `Relaxed` and assert the checker notices; under `std`
//!   [`mutation::ord`] is the identity. Every algorithm uses it.
//! * [`node`]: heap nodes that concurrent readers may still reach (the
//!   pointer-node and epoch stacks). Under the models a freed node is
//!   quarantined and poisoned, and any read of it panics with a message
//!   naming use-after-free — neither loom nor shuttle reports that on its own.
//! * [`epoch`]: how the epoch stack pins (a per-stack collector under shuttle).
//!
//! The tagged stack needs only this file, `mutation.rs`, `contention.rs`,
//! `cell.rs` and the back-end file: `node` and `epoch` are separate modules it never imports
//! (a vendored copy drops them and their `pub mod` lines below).
//!
//! In a normal build this module is private to the crate; under `--cfg loom`
//! or `--cfg shuttle` it is public, because the models (separate test
//! crates) drive its model-only items (`Track`, `thread`,
//! `mutation::with_mutant`, `node::USE_AFTER_FREE`, the ghost counters in
//! `model::ghost`, `epoch::collect_eagerly_here`).

#[cfg(all(loom, shuttle))]
compile_error!(
    "verified-pools: `--cfg loom` and `--cfg shuttle` are mutually exclusive; \
     build the loom tier and the shuttle tier separately (see README.md)"
);

#[cfg_attr(loom, path = "loom.rs")]
#[cfg_attr(all(shuttle, not(loom)), path = "shuttle.rs")]
#[cfg_attr(not(any(loom, shuttle)), path = "std.rs")]
mod back_end;
pub use back_end::*;

#[cfg(not(loom))]
mod cell;
#[cfg(any(loom, shuttle))]
pub mod model;

pub mod contention;
pub mod epoch;
pub mod mutation;
pub mod node;

/// True when the crate is built for a model checker (loom or shuttle).
pub const MODEL_BUILD: bool = cfg!(any(loom, shuttle));
