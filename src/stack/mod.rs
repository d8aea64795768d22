//! Treiber free lists behind one trait.
//!
//! Each implementation lives in its own file, which opens with its
//! invariants and linearization points.

mod epoch;
mod pointer_node;
mod tagged;
mod tagged_head;

pub use epoch::EpochStack;
pub use pointer_node::PointerNodeStack;
pub use tagged::{IndexStack, TaggedStack};
pub use tagged_head::{DEFAULT_TAG_BITS, INDEX_BITS, MAX_INDEXED};

use core::fmt;

pub use crate::sync::contention::ContentionStats;

/// A concurrent LIFO free list.
///
/// `push` and `pop` take `&self` and may be called from any number of threads
/// at once; every implementation here is safe to share. Bounded lists hand the
/// value back from `push` when full.
pub trait FreeList<T>: Sized {
    /// An empty list that can hold `capacity` items (unbounded lists may hold
    /// more).
    fn with_capacity(capacity: usize) -> Result<Self, CapacityError>;

    /// Adds `value`; `Err(value)` gives it back when the list is full.
    fn push(&self, value: T) -> Result<(), T>;

    /// Removes the most recently pushed value still present, if any.
    fn pop(&self) -> Option<T>;

    /// The most items the list can hold, or `None` if unbounded.
    fn capacity(&self) -> Option<usize>;

    /// Contention on the list's retry loops since it was built or last
    /// reset: `None` unless the cargo feature `contention-stats` is on (and
    /// for a list that does not count).
    fn contention(&self) -> Option<ContentionStats> {
        None
    }

    /// Restarts the counts [`contention`](Self::contention) reports.
    fn reset_contention(&self) {}
}

/// The requested capacity cannot be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapacityError {
    /// A capacity of zero was requested from a list that needs slots.
    Zero,
    /// More slots than the list's index width can name.
    TooLarge {
        /// What was asked for.
        requested: usize,
        /// The largest capacity this list supports.
        max: usize,
    },
}

impl fmt::Display for CapacityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Zero => write!(f, "capacity must be at least 1"),
            Self::TooLarge { requested, max } => {
                write!(f, "capacity {requested} exceeds the maximum of {max}")
            }
        }
    }
}

impl std::error::Error for CapacityError {}
