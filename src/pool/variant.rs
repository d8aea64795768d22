//! Which free list backs each kind of a [`BufferPool`](super::BufferPool).
//!
//! A variant is a marker type whose generic associated type names the list
//! for any buffer type. Every variant's list is bounded by the pool's count:
//! natively for [`Tagged`], through [`Capped`] for the other two.

use super::capped::Capped;
use super::lend::Lend;
use crate::stack::{EpochStack, PointerNodeStack, TaggedStack};

/// A choice of free list for the pool. Sealed: the pool's bound and the
/// thread-local front rely on the list keeping the [`FreeList`](crate::FreeList) contract, so
/// only these three lists, each checked by the models, can back a pool.
pub trait Variant: sealed::Sealed + 'static {
    /// The list holding buffers of type `T`.
    type List<T: Send + 'static>: Lend<T> + Send + Sync;

    /// A short name for reports and benches.
    const NAME: &'static str;
}

/// The default: [`TaggedStack`] — a fixed arena, no allocation after
/// construction, bounded by its own capacity (at most
/// [`MAX_INDEXED`](crate::stack::MAX_INDEXED) buffers per kind).
#[derive(Debug, Clone, Copy, Default)]
pub struct Tagged;

/// [`EpochStack`] under a [`Capped`] bound; allocates a node per return.
/// For audits and benches.
#[derive(Debug, Clone, Copy, Default)]
pub struct Epoch;

/// The seed's [`PointerNodeStack`] under a [`Capped`] bound; allocates a node
/// per return and serialises pops. For audits and benches.
#[derive(Debug, Clone, Copy, Default)]
pub struct PointerNode;

impl Variant for Tagged {
    type List<T: Send + 'static> = TaggedStack<T>;
    const NAME: &'static str = "tagged";
}

impl Variant for Epoch {
    type List<T: Send + 'static> = Capped<EpochStack<T>>;
    const NAME: &'static str = "epoch";
}

impl Variant for PointerNode {
    type List<T: Send + 'static> = Capped<PointerNodeStack<T>>;
    const NAME: &'static str = "pointer-node";
}

mod sealed {
    /// Seals [`Variant`](super::Variant).
    pub trait Sealed {}
    impl Sealed for super::Tagged {}
    impl Sealed for super::Epoch {}
    impl Sealed for super::PointerNode {}
}
