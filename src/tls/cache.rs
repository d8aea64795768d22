//! One kind's share of the cache front: the shared `Front` (depot of full
//! magazines, free-place counter, window, stats baseline) and each thread's
//! `KindCache` (a bounded stack of buffers plus owner-written counters).
//!
//! # Places
//! The pool keeps at most `count` buffers of a kind, cached or not. That
//! bound is kept with *places*: `count` tokens, each one either holding a
//! pooled buffer or free. Every place is, at every instant, in exactly one of
//!
//! * a pooled buffer in the depot or the loose list (the shelf's free list),
//! * a thread cache's `places` (holding one of its `items`, or free there),
//! * `room`, the shared counter of free places,
//! * the hands of one thread moving it between two of the above.
//!
//! # Invariants
//! 1. `room + Σ places + depot buffers + loose buffers + in transit = count`;
//!    hence pooled buffers (depot + loose + Σ items) never exceed `count`.
//! 2. A cache holds `items.len() ≤ places ≤ per_thread` and only its owner
//!    thread reads or writes its `Local` (ownership moves only through the
//!    slot's state word, see `mod.rs`).
//! 3. Every buffer in a cache, the depot or the loose list has a size inside
//!    the kind's window (returns are judged before they are stored).
//! 4. `items` never reallocates: its capacity is `per_thread` and it never
//!    holds more than `places ≤ per_thread` (teardown, which frees it,
//!    sets `places` to 0 with it), so a push after the check `len <
//!    places` needs no capacity check.
//!
//! # Linearization points
//! * get from the cache / return into a free cached place: the owner's own
//!   step on `items` — no other thread can observe the cache, so the pool's
//!   state changes atomically with respect to everyone else.
//! * get refilled from the depot: the depot pop's CAS; from the loose list:
//!   its pop; a miss: the loose pop that finds the list empty.
//! * return needing a place: the `room` CAS that grants it (accepted) or the
//!   load that finds `room == 0` (pool full); a flush before it linearizes at
//!   the depot push's CAS.
//! * window rejections: none needed (decided from the buffer alone).
//!
//! Counters are owner-written atomics (a `Relaxed` load and store of the
//! owner's own running total, no RMW), read by `stats()` with `Relaxed`
//! loads; like the pool's, they are exact at quiescence. `accepted` and
//! each cache's `in_use` are derived (from `returned`), not stored.

use crate::pool::{BufferKind, ReturnOutcome};
use crate::stack::FreeList;
use crate::sync::{AtomicUsize, Backoff, Ordering::Relaxed, UnsafeCell};
use crossbeam_utils::CachePadded;

use super::depot::Depot;

/// Running totals of one cache (owner's copy) or their sum (a snapshot).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Counts {
    pub(crate) gets: usize,
    pub(crate) misses: usize,
    pub(crate) accepted: usize,
    pub(crate) too_small: usize,
    pub(crate) too_large: usize,
    pub(crate) full: usize,
    pub(crate) taken_out: usize,
    /// Buffers moved from the depot or loose list into this cache.
    pub(crate) moved_in: usize,
    /// Buffers moved from this cache to the depot or loose list.
    pub(crate) moved_out: usize,
}

impl Counts {
    pub(crate) fn add(&mut self, o: &Counts) {
        self.gets = self.gets.wrapping_add(o.gets);
        self.misses = self.misses.wrapping_add(o.misses);
        self.accepted = self.accepted.wrapping_add(o.accepted);
        self.too_small = self.too_small.wrapping_add(o.too_small);
        self.too_large = self.too_large.wrapping_add(o.too_large);
        self.full = self.full.wrapping_add(o.full);
        self.taken_out = self.taken_out.wrapping_add(o.taken_out);
        self.moved_in = self.moved_in.wrapping_add(o.moved_in);
        self.moved_out = self.moved_out.wrapping_add(o.moved_out);
    }

    pub(crate) fn hits(&self) -> usize {
        self.gets.wrapping_sub(self.misses)
    }

    pub(crate) fn rejected(&self) -> usize {
        self.too_small
            .wrapping_add(self.too_large)
            .wrapping_add(self.full)
    }

    /// Buffers out minus buffers back (signed, two's complement).
    pub(crate) fn in_use(&self) -> usize {
        self.gets
            .wrapping_sub(self.accepted)
            .wrapping_sub(self.rejected())
            .wrapping_sub(self.taken_out)
    }

    /// Buffers in this cache now (exact for the owner, or at quiescence).
    pub(crate) fn cached(&self) -> usize {
        self.moved_in
            .wrapping_sub(self.moved_out)
            .wrapping_add(self.accepted)
            .wrapping_sub(self.hits())
    }
}

/// The owner's private state. Only the owner touches it (invariant 2).
struct Local<T> {
    items: Vec<T>,
    places: usize,
}

/// The owner's running totals, for `stats()`. Only the owner writes them
/// (with [`add`]: a load and a store, no RMW), except `peak`, which
/// `reset_stats` also stores.
///
/// `accepted` is not stored: every return of any outcome and every
/// take-out adds one to `returned`, and `accepted` is `returned` minus the
/// other outcomes and take-outs (see [`KindCache::read`]). So a hit and an
/// accepted return each store one total, and this cache's `in_use` (gets
/// minus returns and take-outs by its owners; negative when they return
/// buffers other threads got) is `gets − returned`, with no copy of its own.
#[derive(Default)]
struct Published {
    gets: AtomicUsize,
    misses: AtomicUsize,
    /// Returns of every outcome plus take-outs.
    returned: AtomicUsize,
    too_small: AtomicUsize,
    too_large: AtomicUsize,
    full: AtomicUsize,
    taken_out: AtomicUsize,
    moved_in: AtomicUsize,
    moved_out: AtomicUsize,
    places: AtomicUsize,
    /// This cache's high-water mark of `in_use` since the last reset.
    peak: AtomicUsize,
}

/// Adds `n` to an owner-written total: a plain load and store, no RMW.
/// Returns the new total.
///
/// Only the slot's owner calls it (invariant 2), and a new owner is
/// synchronised with the previous one by the slot's hand-over (claim /
/// release), so the load sees the latest total and no update is lost.
#[inline(always)]
fn add(total: &AtomicUsize, n: usize) -> usize {
    // Relaxed (both): statistics only; the owner is the only writer.
    let new = total.load(Relaxed).wrapping_add(n);
    total.store(new, Relaxed);
    new
}

macro_rules! bump {
    ($public:expr, $field:ident) => {
        add(&$public.$field, 1)
    };
    ($public:expr, $field:ident, $n:expr) => {
        add(&$public.$field, $n)
    };
}

/// One thread's cache of one kind.
pub struct KindCache<K: BufferKind> {
    local: UnsafeCell<Local<K::Buffer>>,
    public: Published,
}

/// What `stats()` reads from one cache.
pub(crate) struct CacheReading {
    pub(crate) counts: Counts,
    pub(crate) places: usize,
    pub(crate) peak: usize,
}

impl<K: BufferKind> KindCache<K> {
    pub(crate) fn new(per_thread: usize) -> Self {
        Self {
            local: UnsafeCell::new(Local {
                items: Vec::with_capacity(per_thread),
                places: 0,
            }),
            public: Published::default(),
        }
    }

    /// Runs `f` on the owner's state.
    ///
    /// # Safety
    /// The caller owns this cache's slot (invariant 2): it is the thread the
    /// slot was claimed by (or the one that won the slot's state CAS), and
    /// no other call on this cache is in progress on this thread.
    #[inline(always)]
    unsafe fn with_local<R>(&self, f: impl FnOnce(&mut Local<K::Buffer>) -> R) -> R {
        self.local.with_mut(|local| {
            // SAFETY: exclusive by the caller's contract.
            f(unsafe { &mut *local })
        })
    }

    /// The published totals (any thread).
    pub(crate) fn read(&self) -> CacheReading {
        let p = &self.public;
        // Relaxed (every load here): statistics only; exact at quiescence.
        let too_small = p.too_small.load(Relaxed);
        let too_large = p.too_large.load(Relaxed);
        let full = p.full.load(Relaxed);
        let taken_out = p.taken_out.load(Relaxed);
        // `returned ≥` the other four at quiescence (each of their steps
        // also adds one to `returned`); while the owner runs, a reading may
        // see one of a pair of stores without the other, so saturate rather
        // than wrap to a huge figure.
        let accepted = p
            .returned
            .load(Relaxed)
            .saturating_sub(too_small)
            .saturating_sub(too_large)
            .saturating_sub(full)
            .saturating_sub(taken_out);
        CacheReading {
            counts: Counts {
                gets: p.gets.load(Relaxed),
                misses: p.misses.load(Relaxed),
                accepted,
                too_small,
                too_large,
                full,
                taken_out,
                moved_in: p.moved_in.load(Relaxed),
                moved_out: p.moved_out.load(Relaxed),
            },
            places: p.places.load(Relaxed),
            peak: p.peak.load(Relaxed),
        }
    }

    /// Restarts this cache's peak at `peak` (`reset_stats`, any thread).
    /// Racing the owner's own peak store, one of the two wins: exact when
    /// the reset is made at quiescence, as documented.
    pub(crate) fn reset_peak(&self, peak: usize) {
        // Relaxed: statistics only.
        self.public.peak.store(peak, Relaxed);
    }
}

/// Resets baseline of one kind (see `TlsPool::reset_stats`).
#[derive(Default)]
pub(crate) struct Baseline {
    pub(crate) hits: AtomicUsize,
    pub(crate) misses: AtomicUsize,
    pub(crate) accepted: AtomicUsize,
    pub(crate) too_small: AtomicUsize,
    pub(crate) too_large: AtomicUsize,
    pub(crate) full: AtomicUsize,
    pub(crate) taken_out: AtomicUsize,
    /// 1 until the first reset: whether `fresh_allocations` still counts the
    /// pre-allocation.
    pub(crate) reset: AtomicUsize,
}

/// The shared part of one kind.
pub struct Front<K: BufferKind> {
    pub(crate) depot: Depot<K::Buffer>,
    /// Free places not reserved by any cache (invariant 1).
    room: CachePadded<AtomicUsize>,
    pub(crate) size: usize,
    accept_min: usize,
    accept_max: usize,
    pub(crate) count: usize,
    per_thread: usize,
    pub(crate) base: Baseline,
}

impl<K: BufferKind> Front<K> {
    pub(crate) fn new(
        depot: Depot<K::Buffer>,
        size: usize,
        count: usize,
        per_thread: usize,
    ) -> Self {
        Self {
            depot,
            room: CachePadded::new(AtomicUsize::new(0)),
            size,
            accept_min: size.div_ceil(2),
            accept_max: size.saturating_mul(2),
            count,
            per_thread,
            base: Baseline::default(),
        }
    }

    /// Takes up to `want` free places from `room`; returns how many.
    fn take_room(&self, want: usize) -> usize {
        let backoff = Backoff::new();
        // Relaxed: a bound counter; RMWs on it are totally ordered anyway and
        // it publishes no data (the depot and loose list do).
        let mut now = self.room.load(Relaxed);
        loop {
            if now == 0 {
                return 0;
            }
            let take = now.min(want);
            // Relaxed (both): as above.
            match self
                .room
                .compare_exchange_weak(now, now - take, Relaxed, Relaxed)
            {
                Ok(_) => return take,
                Err(current) => {
                    now = current;
                    backoff.spin();
                }
            }
        }
    }

    /// Gives `n` free places back to `room`.
    fn give_room(&self, n: usize) {
        if n > 0 {
            // Relaxed: a bound counter (see `take_room`).
            self.room.fetch_add(n, Relaxed);
        }
    }

    /// A cleared buffer for the owner of `cache`.
    ///
    /// The hot path is a pop from the owner's `items`, a clear, one owner
    /// store of the `gets` total and a compare of `gets − returned` (this
    /// cache's `in_use`) with the cache's peak. The
    /// cold path (`refill_or_miss`) leaves a buffer in `items` rather than
    /// returning one, so the buffer is never written through a return slot
    /// on the hot path (which would cost a store-forwarding stall per get).
    ///
    /// # Safety
    /// The calling thread owns `cache` (see [`KindCache::with_local`]).
    #[inline(always)]
    pub(crate) unsafe fn get<L: FreeList<K::Buffer>>(
        &self,
        cache: &KindCache<K>,
        loose: &L,
    ) -> K::Buffer {
        let public = &cache.public;
        // SAFETY: forwarded from the caller.
        unsafe {
            cache.with_local(|l| {
                if l.items.is_empty() {
                    self.refill_or_miss(l, public, loose);
                }
                let Some(mut buffer) = l.items.pop() else {
                    unreachable!("refill_or_miss leaves a buffer in the cache")
                };
                K::reset(&mut buffer);
                let gets = bump!(public, gets);
                // Relaxed: statistics only; the owner is the only writer.
                let in_use = gets.wrapping_sub(public.returned.load(Relaxed)) as isize;
                // Relaxed: statistics only (`reset_peak` may store it too).
                if in_use > public.peak.load(Relaxed) as isize {
                    note_peak(in_use, public);
                }
                buffer
            })
        }
    }

    /// Puts one buffer in the (empty) cache: a batch from the depot, else
    /// one from the loose list, else a fresh one (a miss, which holds no
    /// place: it is pushed and popped at once by `get`).
    #[cold]
    #[inline(never)]
    fn refill_or_miss<L: FreeList<K::Buffer>>(
        &self,
        l: &mut Local<K::Buffer>,
        public: &Published,
        loose: &L,
    ) {
        debug_assert!(l.items.is_empty());
        if let Some(n) = self.depot.pop_batch(&mut l.items) {
            bump!(public, moved_in, n);
            // The batch's places come with it; keep at most `per_thread`.
            self.set_places(l, public, l.places + n);
        } else if let Some(buffer) = loose.pop() {
            // Counted as moved in; once `get` pops it, the place it held is
            // a free place of this cache.
            bump!(public, moved_in);
            self.set_places(l, public, l.places + 1);
            l.items.push(buffer);
        } else {
            bump!(public, misses);
            // Within capacity: `items` is empty and holds `per_thread ≥ 1`.
            l.items.push(K::fresh(self.size));
        }
    }

    /// Sets the cache's places to `places`, returning any above
    /// `per_thread` to `room`.
    fn set_places(&self, l: &mut Local<K::Buffer>, public: &Published, places: usize) {
        let extra = places.saturating_sub(self.per_thread);
        self.give_room(extra);
        l.places = places - extra;
        // Relaxed: statistics only; the owner is the only writer.
        public.places.store(l.places, Relaxed);
    }

    /// Offers `buffer` back through the owner of `cache`.
    ///
    /// # Safety
    /// The calling thread owns `cache` (see [`KindCache::with_local`]).
    #[inline(always)]
    pub(crate) unsafe fn give_back<L: FreeList<K::Buffer>>(
        &self,
        cache: &KindCache<K>,
        loose: &L,
        buffer: K::Buffer,
    ) -> ReturnOutcome {
        let size = K::size_of(&buffer);
        // SAFETY: forwarded from the caller.
        unsafe {
            cache.with_local(|l| {
                let public = &cache.public;
                if size < self.accept_min {
                    reject(public, &public.too_small);
                    ReturnOutcome::TooSmall
                } else if size > self.accept_max {
                    reject(public, &public.too_large);
                    ReturnOutcome::TooLarge
                } else if l.items.len() < l.places {
                    push_within_capacity(&mut l.items, buffer);
                    bump!(public, returned);
                    ReturnOutcome::Accepted
                } else {
                    self.return_needing_place(l, public, loose, buffer)
                }
            })
        }
    }

    #[cold]
    #[inline(never)]
    fn return_needing_place<L: FreeList<K::Buffer>>(
        &self,
        l: &mut Local<K::Buffer>,
        public: &Published,
        loose: &L,
        buffer: K::Buffer,
    ) -> ReturnOutcome {
        if l.items.len() >= self.per_thread {
            // Full: the bottom batch goes to the depot with its places.
            let batch = self.depot.batch();
            if !self.depot.push_batch(&mut l.items, batch) {
                // No vacant magazine (the place count rules it out, see
                // design-tls.md; kept for robustness): one by one instead.
                for b in l.items.drain(..batch) {
                    push_loose(loose, b);
                }
            }
            bump!(public, moved_out, batch);
            l.places -= batch;
        }
        let want = self.depot.batch().min(self.per_thread - l.places);
        let got = self.take_room(want);
        if got == 0 {
            reject(public, &public.full);
            // `buffer` is dropped here: freed, not leaked.
            return ReturnOutcome::PoolFull;
        }
        self.set_places(l, public, l.places + got);
        push_within_capacity(&mut l.items, buffer);
        bump!(public, returned);
        ReturnOutcome::Accepted
    }

    /// A guard's buffer left the pool for good.
    ///
    /// # Safety
    /// The calling thread owns `cache` (see [`KindCache::with_local`]).
    pub(crate) unsafe fn note_taken_out(&self, cache: &KindCache<K>) {
        // SAFETY: forwarded from the caller.
        unsafe {
            cache.with_local(|_| {
                reject(&cache.public, &cache.public.taken_out);
            })
        }
    }

    /// Empties `cache`: into the depot and loose list with its places (free
    /// places back to `room`), or, if the pool is `closed`, by dropping the
    /// buffers.
    ///
    /// # Safety
    /// The calling thread owns `cache` (won the slot's state CAS).
    pub(crate) unsafe fn flush<L: FreeList<K::Buffer>>(
        &self,
        cache: &KindCache<K>,
        loose: &L,
        closed: bool,
    ) {
        // SAFETY: forwarded from the caller.
        unsafe {
            cache.with_local(|l| {
                let public = &cache.public;
                if closed {
                    // Nobody will read these stats again; the buffers are
                    // freed here (`places` with them: invariant 4).
                    l.items = Vec::new();
                    l.places = 0;
                    return;
                }
                let n = l.items.len();
                let batch = self.depot.batch();
                // Bottom first, so the top of the cache ends on top of the
                // depot (LIFO order kept).
                while !l.items.is_empty() {
                    let m = l.items.len().min(batch);
                    if !self.depot.push_batch(&mut l.items, m) {
                        break;
                    }
                }
                for b in l.items.drain(..) {
                    push_loose(loose, b);
                }
                bump!(public, moved_out, n);
                self.give_room(l.places - n);
                l.places = 0;
                // Relaxed: statistics only; the owner is the only writer.
                public.places.store(0, Relaxed);
            })
        }
    }

    /// Drops every buffer `cache` holds (pool teardown).
    ///
    /// # Safety
    /// The calling thread owns `cache` (won the slot's state CAS).
    pub(crate) unsafe fn discard(&self, cache: &KindCache<K>) {
        // SAFETY: forwarded from the caller.
        unsafe {
            cache.with_local(|l| {
                // `places` with the buffers: invariant 4.
                l.items = Vec::new();
                l.places = 0;
            })
        }
    }
}

/// A new high-water mark of this cache's `in_use` (positive here).
#[cold]
#[inline(never)]
fn note_peak(in_use: isize, public: &Published) {
    // Relaxed: statistics only.
    public.peak.store(in_use as usize, Relaxed);
}

/// Counts a return that the cache did not keep (or a take-out) in `total`
/// and in `returned`. Owner only, like [`add`].
#[cold]
#[inline(never)]
fn reject(public: &Published, total: &AtomicUsize) {
    add(total, 1);
    add(&public.returned, 1);
}

/// Pushes onto a cache's `items` without `Vec::push`'s capacity check.
///
/// The caller has checked `items.len() < places` (`give_back`), or made it
/// so (`return_needing_place`: flush if full, then a place grant), and
/// `places ≤ items.capacity()` (invariant 4).
#[inline(always)]
fn push_within_capacity<T>(items: &mut Vec<T>, value: T) {
    let len = items.len();
    debug_assert!(len < items.capacity());
    // SAFETY: `len < places ≤ capacity` (the caller's check and invariant
    // 4), so the element at `len` is allocated and uninitialised; after the
    // write, `set_len(len + 1)` covers exactly the initialised elements.
    unsafe {
        items.as_mut_ptr().add(len).write(value);
        items.set_len(len + 1);
    }
}

/// Pushes onto the loose list. The place count guarantees a place (invariant
/// 1); a `Capped` list may still refuse for a moment while another call is
/// between its reservation and its push, so retry until it takes it.
fn push_loose<T, L: FreeList<T>>(loose: &L, mut value: T) {
    let backoff = Backoff::new();
    loop {
        match loose.push(value) {
            Ok(()) => return,
            Err(back) => {
                value = back;
                backoff.spin();
            }
        }
    }
}
