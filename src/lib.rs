//! Lock-free buffer pools whose every concurrent line is model-checked.
//!
//! All atomics, cells, threads and node memory go through one shim (the
//! crate-private module `sync`), so the same code runs under `std`, loom
//! (`RUSTFLAGS="--cfg loom --cfg crossbeam_loom"`) and shuttle
//! (`RUSTFLAGS="--cfg shuttle"`). See `DESIGN.md` for
//! each algorithm's invariants, linearization points and orderings, and
//! `README.md` for the commands that check them.
//!
//! The free lists:
//!
//! * [`TaggedStack`] — a fixed arena with a (generation, index) head; no
//!   allocation after construction. The recommended default.
//! * [`EpochStack`] — a node per push, reclaimed through crossbeam-epoch.
//! * [`PointerNodeStack`] — the seed's algorithm, kept as the audited
//!   baseline: sound with one popper at a time, and its unsafe multi-popper
//!   entry point is what the negative models catch.
//!
//! On top of them, [`pool::BufferPool`] is the typed buffer pool: three
//! kinds of pre-allocated buffers with per-kind bounds, acceptance windows,
//! RAII guards ([`PooledBuf`]) and exact statistics. Users pool their own
//! kinds ([`pool::BufferKind`]) the same way with a [`pool::KindPool`], and
//! [`tls::TlsPool`] / [`tls::KindTlsPool`] put a thread-local cache front
//! before either.
//!
//! ```
//! use verified_pools::{FreeList, TaggedStack};
//!
//! let stack: TaggedStack<Vec<u8>> = TaggedStack::with_capacity(2).unwrap();
//! stack.push(vec![1]).unwrap();
//! stack.push(vec![2]).unwrap();
//! assert_eq!(stack.push(vec![3]), Err(vec![3])); // full: handed back
//! assert_eq!(stack.pop(), Some(vec![2]));
//! ```
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

pub mod compat;
// The statistics counting shared by the pool and its thread-local front.
mod counters;
pub mod pool;
pub mod ring;
pub mod stack;
// The shim: private to the crate in a normal build; public under the model
// cfgs, where the models (separate test crates) drive its model-only items,
// and in the TSan tier's mutant build (`--cfg tsan_mutant`), whose negative
// row checks that its hook really weakens the site.
#[cfg(any(loom, shuttle, tsan_mutant))]
pub mod sync;
#[cfg(not(any(loom, shuttle, tsan_mutant)))]
pub(crate) mod sync;
pub mod tls;

pub use pool::{BufferPool, PoolConfig, PooledBuf};
pub use ring::{ArcPoolSlice, ArcProducer, PoolSlice, Producer, RingConfig, RingError, RingPool};
pub use stack::{CapacityError, EpochStack, FreeList, IndexStack, PointerNodeStack, TaggedStack};
pub use tls::{TlsConfig, TlsPool};

/// The crates behind the SIMD kind's buffer type, at the versions the pool
/// uses, so that `VecSimd<f64x4>` can be named without depending on them:
/// `verified_pools::simd_aligned::VecSimd<verified_pools::wide::f64x4>`.
pub use simd_aligned;
/// See [`simd_aligned`].
pub use wide;

/// The README's examples, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
