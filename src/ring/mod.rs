//! The ring-cursor pool: one producer carves runs of `f32` vectors out of a
//! region; each run is released by dropping its handle, on any thread, in any
//! order; the producer alone reclaims.
//!
//! # State
//! * `headers[i]` (one `AtomicU32` per vector, meaningful at the first vector
//!   of each span): `len << 1 | RELEASED`.
//! * Producer-private: monotonic positions `read ≤ write ≤ read + cap`
//!   (vectors), their region indices `read_idx`, `write_idx`, and counters.
//!
//! # Invariants
//! 1. `used = write − read ≤ cap`. The vectors from `read_idx` forward for
//!    `used` vectors (cyclically) are *in use*; all others are *free* and
//!    belong to the producer.
//! 2. The in-use vectors are tiled, in allocation order, by spans: slices and
//!    pads. Each span starts with a header holding its length and never
//!    crosses index `cap` (a request that does not fit in the tail is
//!    preceded by a pad covering the tail).
//! 3. A slice's header says LIVE from hand-out until its handle's drop stores
//!    RELEASED; a pad is RELEASED at birth.
//! 4. The read cursor moves only over a span whose header the producer has
//!    read as RELEASED, and only from the front: it covers a contiguous
//!    prefix of released spans. Hence a live slice is always in use, never
//!    free, and never handed out again.
//! 5. A vector is accessed only through the one slice covering it, or not at
//!    all while free (the producer does not write the region).
//! 6. When `used` reaches 0 the producer rewinds both indices to 0.
//!
//! # Cursor arithmetic
//! With `tail = cap − write_idx`, a request for `n` vectors pads
//! `pad = tail` vectors if `n > tail` (else `pad = 0`) and succeeds iff
//! `used + pad + n ≤ cap`. Equivalently, `n ≤ largest_fit`, where
//! `largest_fit` is `max(tail, read_idx)` when the in-use run does not wrap
//! (`write_idx ≥ read_idx`), `read_idx − write_idx` when it does, and 0 when
//! `used = cap`. By invariant 6 an empty ring serves any `n ≤ max_vectors`.
//!
//! # Linearization points
//! * alloc (success or `Full`): the producer's last `reclaim` header load;
//!   only one thread allocates.
//! * release: the drop's Release store of RELEASED.
//! * reclaim of a span: the producer's Acquire load that reads RELEASED.
//! * `alloc_wait`: as `alloc`, at the reclaim that finds room (success) or
//!   the last one before the deadline (`Timeout`).
//!
//! # Orderings
//! The only cross-thread hand-off is a slice's vectors going back from its
//! dropper to the producer: the drop's `Release` store of the header pairs
//! with the producer's `Acquire` load in reclaim. No thread other than the
//! producer moves a cursor, so no dropper reads another's flag: reclaim has
//! no store→load pattern. The one such pattern is `alloc_wait`'s wake-up
//! (producer: `waiting` store, then header loads; dropper: RELEASED store,
//! then `waiting` load), closed by the `SeqCst` fences `ring.wait.fence`
//! and `ring.wake.fence` (see `wake.rs`).

mod config;
mod error;
mod hold;
mod mapped;
mod pool;
mod slice;
mod storage;
mod wake;

pub use config::{HugePages, MAX_CAPACITY_VECTORS, RingConfig, Workload};
pub use error::{ConfigError, MemoryError, OldestLive, RingError};
pub use hold::RingRef;
#[cfg(any(loom, shuttle))]
pub use pool::fifo_mutant::FIFO_RELEASE;
pub use pool::{RingPool, RingProducer, RingStats};
pub use slice::Slice;
#[cfg(any(loom, shuttle))]
pub use storage::LIVE_OVERWRITE;

use crate::sync::Arc;

/// The producer whose slices borrow the pool (no reference counting).
pub type Producer<'ring> = RingProducer<&'ring RingPool>;
/// A slice that borrows the pool; `PoolSlice<'static>` for a pool in a
/// static or leaked.
pub type PoolSlice<'ring> = Slice<&'ring RingPool>;
/// The producer whose slices keep the pool alive, as the seed's `Arc`
/// slices do (they share one strong count of the pool's `Arc`: `hold.rs`).
pub type ArcProducer = RingProducer<Arc<RingPool>>;
/// A slice that keeps its pool alive (see [`ArcProducer`]).
pub type ArcPoolSlice = Slice<Arc<RingPool>>;

/// Header bit: the span is released.
pub(crate) const RELEASED: u32 = 1;

#[inline(always)]
pub(crate) fn header_len(h: u32) -> usize {
    (h >> 1) as usize
}
