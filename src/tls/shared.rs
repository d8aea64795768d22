//! The front's machinery, written once over the kinds it serves: the state
//! shared by a pool's handle and every thread caching for it (`Inner<S>`),
//! and the handle's operations (`Core<S>`). [`TlsPool`](super::TlsPool)
//! is a `Core` over the three provided kinds, [`KindTlsPool`](super::KindTlsPool)
//! a `Core` over one user kind; both get, return, flush, count and tear
//! down through the code below, so a user kind has the same front.
//!
//! Items here are nominally `pub` (the public handles' private fields and
//! the sealed traits' signatures name them) but in a private module: no
//! path outside `tls` reaches them.

use crate::counters::cache::Counts;
use crate::counters::non_negative;
use crate::pool::{BufferKind, KindStats, ReturnOutcome};
use crate::stack::{CapacityError, ContentionStats, FreeList};
use crate::sync::{Arc, AtomicBool, Ordering::Relaxed};

use super::cache::{Front, KindCache};
use super::depot::Depot;
use super::local::{self, Registration, SlotPtr};
use super::registry::{Registry, Slot, SlotCaches};
use super::stats::TlsKindStats;

/// Depot magazines beyond `count / batch`, for partial batches.
const PARTIAL_MAGAZINES: usize = 16;

/// The kinds a front serves, with their shared state (fronts and loose
/// lists) and a slot's caches of them.
pub trait Kinds: Send + Sync + Sized + 'static {
    /// One thread's caches of every kind.
    type Caches: SlotCaches + Send;

    /// The per-thread capacity.
    fn per_thread(&self) -> usize;

    /// Flushes (or, if `closed`, drops) every kind of `caches`.
    ///
    /// # Safety
    /// The caller owns the slot holding `caches` (won its state CAS).
    unsafe fn flush(&self, caches: &Self::Caches, closed: bool);

    /// Drops every buffer `caches` holds (pool teardown).
    ///
    /// # Safety
    /// As [`flush`](Self::flush).
    unsafe fn discard(&self, caches: &Self::Caches);

    /// Frees every buffer in the depots and loose lists now.
    fn drain(&self);
}

/// Kind `K`'s part of the kinds `Self` serves.
pub trait Serves<K: BufferKind>: Kinds {
    /// The loose list (the kind pool's own free list).
    type Loose: FreeList<K::Buffer>;

    /// `K`'s shared front.
    fn front(&self) -> &Front<K>;

    /// `K`'s loose list.
    fn loose(&self) -> &Self::Loose;

    /// `K`'s cache in a slot.
    fn cache(caches: &Self::Caches) -> &KindCache<K>;
}

/// Flushes `K`'s cache of a slot (see [`Kinds::flush`]).
///
/// # Safety
/// As [`Kinds::flush`].
pub(super) unsafe fn flush_kind<K: BufferKind, S: Serves<K>>(
    kinds: &S,
    caches: &S::Caches,
    closed: bool,
) {
    // SAFETY: forwarded from the caller.
    unsafe { kinds.front().flush(S::cache(caches), kinds.loose(), closed) }
}

/// Drops `K`'s cached buffers of a slot (see [`Kinds::discard`]).
///
/// # Safety
/// As [`Kinds::flush`].
pub(super) unsafe fn discard_kind<K: BufferKind, S: Serves<K>>(kinds: &S, caches: &S::Caches) {
    // SAFETY: forwarded from the caller.
    unsafe { kinds.front().discard(S::cache(caches)) }
}

/// Frees the buffers in `K`'s depot and loose list now, rather than when the
/// last thread holding a reference exits.
pub(super) fn drain_kind<K: BufferKind, S: Serves<K>>(kinds: &S) {
    let front = kinds.front();
    let mut out = Vec::with_capacity(front.depot.batch());
    while front.depot.pop_batch(&mut out).is_some() {
        out.clear();
    }
    let loose = kinds.loose();
    while loose.pop().is_some() {}
}

/// A kind's front for `count` buffers of `size`, `per_thread` per cache.
/// The pre-allocation stays on the kind pool's free list (the loose list):
/// a thread's first get takes one buffer from it, not a batch.
pub(super) fn new_front<K: BufferKind>(
    size: usize,
    count: usize,
    per_thread: usize,
) -> Result<Front<K>, CapacityError> {
    let batch = per_thread.div_ceil(2);
    // Whole batches of the count, plus room for a few partial magazines
    // (a cache given back at thread exit); past those, the loose list.
    let slots = count / batch + count.min(PARTIAL_MAGAZINES);
    Ok(Front::new(
        Depot::new(slots, batch)?,
        size,
        count,
        per_thread,
    ))
}

/// The state shared by a pool's handle and every thread caching for it.
/// `repr(C)` with the kinds first: the hot path reaches them at the start
/// of the allocation, with no offset to add.
#[repr(C)]
pub struct Inner<S: Kinds> {
    pub(super) kinds: S,
    pub(super) registry: Registry<S::Caches>,
    /// Set when the handle is dropped: late flushes free their buffers.
    closed: AtomicBool,
}

impl<S: Kinds> Inner<S> {
    fn is_closed(&self) -> bool {
        // Relaxed: a stale `false` only sends a late flush to the depot,
        // whose buffers are freed with the last reference (invariant 4).
        self.closed.load(Relaxed)
    }

    /// Gives a slot back: flush, then FREE.
    fn release_slot(&self, slot: &Slot<S::Caches>) {
        if Registry::begin_release(slot) {
            // SAFETY: `begin_release` moved the slot OWNED → EXITING for us.
            unsafe { self.kinds.flush(&slot.caches, self.is_closed()) };
            Registry::end_release(slot);
        }
    }
}

impl<S: Kinds> Registration for Arc<Inner<S>> {
    unsafe fn release(&self, slot: SlotPtr) {
        // SAFETY: the caller passes the slot this pool handed out (a
        // `Slot<S::Caches>` of its registry, erased by `Core::register`),
        // alive while `self` is.
        self.release_slot(unsafe { &*slot.cast::<Slot<S::Caches>>() });
    }

    fn closed(&self) -> bool {
        self.is_closed()
    }
}

/// A front's handle over the kinds `S`.
pub struct Core<S: Kinds> {
    pub(super) inner: Arc<Inner<S>>,
}

impl<S: Kinds> Core<S> {
    /// Always inlined, so `kinds` is built straight into the `Arc`'s
    /// allocation rather than copied there: a model thread's stack (32 KiB
    /// under loom) cannot hold many copies of the provided kinds' state.
    #[inline(always)]
    pub(super) fn new(kinds: S) -> Self {
        let registry = Registry::new(kinds.per_thread());
        Self {
            inner: Arc::new(Inner {
                kinds,
                registry,
                closed: AtomicBool::new(false),
            }),
        }
    }

    pub(super) fn kinds(&self) -> &S {
        &self.inner.kinds
    }

    #[inline(always)]
    fn key(&self) -> *const () {
        Arc::as_ptr(&self.inner).cast()
    }

    /// Runs `f` on this thread's slot (registering on first use). When the
    /// thread's table is gone (thread-local destructors running), borrows a
    /// slot for the one call and gives it straight back, out of line: the
    /// hot path is the table lookup and `f`, with no flag to test after it.
    #[inline(always)]
    fn with_slot<R>(&self, f: impl FnOnce(&S, &S::Caches) -> R) -> R {
        match local::slot_of(self.key(), || self.register()) {
            Some(slot) => {
                let slot = slot.cast::<Slot<S::Caches>>();
                // SAFETY: the slot is this thread's: its table entry, which
                // lives while the entry's `Arc` does (at least as long as
                // `&self`), registered by `register` as a `Slot<S::Caches>`
                // of this pool.
                f(&self.inner.kinds, unsafe { &(*slot).caches })
            }
            None => self.with_borrowed_slot(f),
        }
    }

    /// `with_slot` for a thread whose table is gone: claims a slot for the
    /// one call, runs `f` on it and gives it back.
    #[cold]
    #[inline(never)]
    fn with_borrowed_slot<R>(&self, f: impl FnOnce(&S, &S::Caches) -> R) -> R {
        let inner = &*self.inner;
        let slot = inner.registry.claim();
        let r = f(&inner.kinds, &slot.caches);
        inner.release_slot(slot);
        r
    }

    /// Claims a slot for this thread's table entry (first use).
    #[cold]
    #[inline(never)]
    fn register(&self) -> (SlotPtr, Box<dyn Registration>) {
        let slot: *const Slot<S::Caches> = self.inner.registry.claim();
        (slot.cast(), Box::new(Arc::clone(&self.inner)))
    }

    #[inline(always)]
    pub(super) fn get<K: BufferKind>(&self) -> K::Buffer
    where
        S: Serves<K>,
    {
        self.with_slot(
            #[inline(always)]
            |kinds, caches| {
                // SAFETY: `with_slot` hands us a slot this thread owns.
                unsafe { kinds.front().get(S::cache(caches), kinds.loose()) }
            },
        )
    }

    #[inline(always)]
    pub(super) fn try_get<K: BufferKind>(&self) -> Option<K::Buffer>
    where
        S: Serves<K>,
    {
        self.with_slot(
            #[inline(always)]
            |kinds, caches| {
                // SAFETY: `with_slot` hands us a slot this thread owns.
                unsafe { kinds.front().try_get(S::cache(caches), kinds.loose()) }
            },
        )
    }

    #[inline(always)]
    pub(super) fn give_back<K: BufferKind>(&self, buffer: K::Buffer) -> ReturnOutcome
    where
        S: Serves<K>,
    {
        self.with_slot(
            #[inline(always)]
            |kinds, caches| {
                // SAFETY: `with_slot` hands us a slot this thread owns.
                unsafe {
                    kinds
                        .front()
                        .give_back(S::cache(caches), kinds.loose(), buffer)
                }
            },
        )
    }

    pub(super) fn note_taken_out<K: BufferKind>(&self)
    where
        S: Serves<K>,
    {
        self.with_slot(
            #[inline(always)]
            |kinds, caches| {
                // SAFETY: `with_slot` hands us a slot this thread owns.
                unsafe { kinds.front().note_taken_out(S::cache(caches)) }
            },
        )
    }

    pub(super) fn flush_local(&self) {
        local::release(self.key());
    }

    /// Threads owning a slot now, and slots ever made.
    pub(super) fn threads_and_slots(&self) -> (usize, usize) {
        let (mut threads, mut slots) = (0, 0);
        for slot in self.inner.registry.iter() {
            slots += 1;
            threads += usize::from(slot.is_owned());
        }
        (threads, slots)
    }

    /// Raw totals of kind `K` over every slot: counts, cached, places, and
    /// the sum of the slots' peaks.
    fn totals<K: BufferKind>(&self) -> (Counts, usize, usize, usize)
    where
        S: Serves<K>,
    {
        let (mut sum, mut cached, mut places, mut peak) =
            (Counts::default(), 0usize, 0usize, 0usize);
        for slot in self.inner.registry.iter() {
            let r = S::cache(&slot.caches).read();
            sum.add(&r.counts);
            cached = cached.wrapping_add(r.counts.cached());
            places = places.wrapping_add(r.places);
            peak = peak.wrapping_add(r.peak);
        }
        (sum, cached, places, peak)
    }

    pub(super) fn kind_stats<K: BufferKind>(&self) -> TlsKindStats
    where
        S: Serves<K>,
    {
        let front = self.kinds().front();
        let (raw, cached, places, peak) = self.totals::<K>();
        let in_use = non_negative(raw.in_use());
        // One slot: every call went through one cache, whose high-water mark
        // is the pool's. Several: the sum of the caches' marks bounds the
        // peak from above, and so does every buffer ever made (the
        // pre-allocation plus every miss, counted from the start, not since
        // a reset): nothing can be out that was never made.
        let peak_in_use_exact = self.threads_and_slots().1 <= 1;
        let peak_in_use = if peak_in_use_exact {
            peak.max(in_use)
        } else {
            peak.min(front.count.saturating_add(raw.totals.misses))
                .max(in_use)
        };
        let pooled = non_negative(
            front
                .count
                .wrapping_add(raw.totals.accepted)
                .wrapping_sub(raw.totals.hits),
        );
        let contention =
            ContentionStats::sum(front.contention(), self.kinds().loose().contention());
        TlsKindStats {
            pool: KindStats {
                contention,
                ..front.base.since(&raw.totals).kind_stats(
                    front.base.preallocated(),
                    pooled,
                    in_use,
                    peak_in_use,
                )
            },
            peak_in_use_exact,
            cached: non_negative(cached),
            reserved: non_negative(places.wrapping_sub(cached)),
        }
    }

    pub(super) fn reset_kind<K: BufferKind>(&self)
    where
        S: Serves<K>,
    {
        let (raw, ..) = self.totals::<K>();
        self.kinds().front().base.record(&raw.totals);
        self.kinds().front().reset_contention();
        self.kinds().loose().reset_contention();
        for slot in self.inner.registry.iter() {
            let cache = S::cache(&slot.caches);
            cache.reset_peak(non_negative(cache.read().counts.in_use()));
        }
    }
}

impl<S: Kinds> Drop for Core<S> {
    fn drop(&mut self) {
        let inner = &*self.inner;
        // Relaxed: threads that see it late flush into the depot, which the
        // last reference frees (invariant 4).
        inner.closed.store(true, Relaxed);
        for slot in inner.registry.iter() {
            if Registry::reclaim(slot) {
                // SAFETY: `reclaim` moved the slot to RECLAIMED for us; its
                // owner will never touch it again.
                unsafe { inner.kinds.discard(&slot.caches) };
            }
        }
        inner.kinds.drain();
    }
}
