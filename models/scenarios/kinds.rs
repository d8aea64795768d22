//! User-kind and `try_get` scenarios shared by the loom and shuttle
//! harnesses (`loom_pool.rs`, `shuttle_pool.rs`).
//!
//! Only `backend::{thread, Arc}` is used for concurrency, so the same code
//! runs under `loom::model`, shuttle's schedulers and real threads.
//!
//! * [`user_kind_pool`]: a kind defined here, outside the crate, through a
//!   [`KindPool`] shared by `threads` workers (guards, by-value gets and
//!   returns, a take-out, a foreign buffer of the wrong length). Each buffer
//!   is marked with its holder's id and checked before it goes back (two
//!   holders would see each other's mark). At quiescence: the stats equal
//!   the workers' tallies, the bound holds, and `try_get` drains exactly
//!   `pooled` distinct buffers (conservation).
//! * [`user_kind_front`]: the same kind through a [`KindTlsPool`] (the
//!   thread-local front): workers get and return, one returns a buffer
//!   another thread got. At quiescence (workers exited, so their caches
//!   flushed): the stats equal the tallies, nothing is cached, the bound
//!   holds and every buffer is accounted for.
//! * [`tls_try_get`]: `TlsPool::try_get` with fewer buffers than threads:
//!   a `None` never allocates (`fresh_allocations` stays at the
//!   pre-allocation, no miss), every `Some` is a hit, each `None` is
//!   counted, no buffer is handed to two threads at once, and at quiescence
//!   every buffer is back.

#![allow(dead_code)] // each harness uses a subset

use super::backend::{Arc, thread};
use super::fact;
use super::pool::{HITS, WRONG_SIZE};
use verified_pools::pool::{
    BufferKind, KindConfig, KindPool, PoolConfig, ReturnOutcome, Serialization, Tagged, Variant,
};
use verified_pools::tls::{KindTlsConfig, KindTlsPool, TlsConfig, TlsPool};

/// Tagged records: a `Vec<u32>` of exactly `size` slots, zeroed on reuse,
/// sized by length, and only that exact length comes back (a window
/// narrower than the default).
pub enum Records {}

impl BufferKind for Records {
    type Buffer = Vec<u32>;
    const NAME: &'static str = "records";
    const UNIT_BYTES: usize = 4;

    fn fresh(size: usize) -> Vec<u32> {
        vec![0; size]
    }

    fn try_fresh(size: usize) -> Option<Vec<u32>> {
        Some(vec![0; size])
    }

    fn reset(buffer: &mut Vec<u32>) {
        buffer.fill(0);
    }

    fn size_of(buffer: &Vec<u32>) -> usize {
        buffer.len()
    }

    fn acceptance_window(size: usize) -> core::ops::RangeInclusive<usize> {
        size..=size
    }
}

const RECORDS: usize = 2;

fn mark(buffer: &mut [u32], id: u32) {
    assert!(
        buffer.iter().all(|x| *x == 0),
        "a reused buffer was not reset"
    );
    buffer[0] = id;
}

fn check(buffer: &[u32], id: u32) {
    assert_eq!(buffer[0], id, "another thread wrote to a buffer we hold");
}

/// Runs a worker's exit flush explicitly under loom, which wakes a joiner
/// before the exiting thread's thread-locals are dropped (so a join there
/// does not order the exit flush); std and shuttle exercise the destructor
/// path itself.
fn exit_flush(flush: impl FnOnce()) {
    if cfg!(loom) {
        flush();
    }
}

/// `thread::spawn` with a larger stack under loom (whose model threads
/// have 32 KiB).
fn spawn_big<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> thread::JoinHandle<T> {
    #[cfg(loom)]
    return thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(f)
        .expect("spawn");
    #[cfg(not(loom))]
    thread::spawn(f)
}

/// What the workers did, summed.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    gets: usize,
    accepted: usize,
    full: usize,
    too_small: usize,
    taken_out: usize,
}

impl Tally {
    fn note(&mut self, outcome: ReturnOutcome) {
        match outcome {
            ReturnOutcome::Accepted => self.accepted += 1,
            ReturnOutcome::PoolFull => self.full += 1,
            ReturnOutcome::TooSmall => self.too_small += 1,
            ReturnOutcome::TooLarge => panic!("nothing above the window is offered"),
        }
    }

    fn add(&mut self, o: Tally) {
        self.gets += o.gets;
        self.accepted += o.accepted;
        self.full += o.full;
        self.too_small += o.too_small;
        self.taken_out += o.taken_out;
    }
}

fn records_pool<V: Variant>(count: usize) -> KindPool<Records, V> {
    KindPool::new(KindConfig {
        count,
        size: RECORDS,
    })
    .expect("a valid kind config")
}

/// One worker on the shared kind pool. `id` ≥ 1.
fn pool_worker<V: Variant>(pool: &KindPool<Records, V>, id: u32) -> Tally {
    let mut t = Tally::default();
    let mut guard = pool.guard();
    let mut value = pool.get();
    t.gets += 2;
    mark(&mut guard, id);
    mark(&mut value, id);
    check(&guard, id);
    check(&value, id);
    t.note(pool.give_back(value));
    t.note(guard.give_back());
    if id == 1 {
        // Out for good, and a foreign record of the wrong length.
        drop(pool.guard().into_inner());
        t.gets += 1;
        t.taken_out += 1;
        t.note(pool.give_back(vec![0; RECORDS - 1]));
    }
    t
}

/// Fact: another thread's record came back through this front.
pub const HANDED_BACK: &str = "handed_back";
/// Fact: a `try_get` found nothing and allocated nothing.
pub const TRY_GET_EMPTY: &str = "try_get_empty";

/// `threads` workers share a kind pool of `count` records.
pub fn user_kind_pool<V: Variant>(threads: u32, count: usize) {
    let pool = Arc::new(records_pool::<V>(count));
    let handles: Vec<_> = (1..=threads)
        .map(|id| {
            let pool = Arc::clone(&pool);
            thread::spawn(move || pool_worker(&*pool, id))
        })
        .collect();
    let mut t = Tally::default();
    for handle in handles {
        t.add(handle.join().expect("worker panicked"));
    }
    let s = pool.stats();
    assert_eq!(s.hits + s.misses, t.gets, "hits + misses != gets");
    assert_eq!(s.returns_accepted, t.accepted);
    assert_eq!(s.rejected_pool_full, t.full);
    assert_eq!(s.rejected_too_small, t.too_small);
    assert_eq!(s.taken_out, t.taken_out);
    assert_eq!(s.in_use, 0, "every record came back or was taken out");
    assert!(s.pooled <= count, "bound exceeded");
    // Conservation: pre-allocated + made on a miss = pooled + dropped by a
    // full pool + taken out (the foreign record was never the pool's).
    assert_eq!(
        s.pooled + s.rejected_pool_full + s.taken_out,
        count + s.misses
    );
    // Ground truth: `try_get` finds exactly `pooled` distinct records.
    let drained: Vec<Vec<u32>> = core::iter::from_fn(|| pool.try_get()).collect();
    assert_eq!(
        drained.len(),
        s.pooled,
        "the free list disagrees with `pooled`"
    );
    let mut seen: Vec<usize> = drained.iter().map(|b| b.as_ptr() as usize).collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), s.pooled, "one record pooled twice");
    assert_eq!(pool.stats().misses, s.misses, "draining allocated");
    fact(HITS, s.hits > 0);
    fact(WRONG_SIZE, s.rejected_too_small > 0);
}

/// `threads` workers share a thread-local front of `count` records,
/// `per_thread` per cache; worker 1 also returns a record this thread got.
pub fn user_kind_front(threads: u32, count: usize, per_thread: usize) {
    let pool = Arc::new(
        KindTlsPool::<Records, Tagged>::new(KindTlsConfig {
            kind: KindConfig {
                count,
                size: RECORDS,
            },
            per_thread,
        })
        .expect("a valid front config"),
    );
    let mut handed = pool.get();
    mark(&mut handed, 99);
    let mut handed = Some(handed);
    let handles: Vec<_> = (1..=threads)
        .map(|id| {
            let pool = Arc::clone(&pool);
            let extra = if id == 1 { handed.take() } else { None };
            thread::spawn(move || {
                let mut t = Tally::default();
                if let Some(b) = extra {
                    check(&b, 99);
                    t.note(pool.give_back(b));
                }
                let mut guard = pool.guard();
                t.gets += 1;
                mark(&mut guard, id);
                check(&guard, id);
                t.note(guard.give_back());
                exit_flush(|| pool.flush_local());
                t
            })
        })
        .collect();
    let mut t = Tally {
        gets: 1,
        ..Tally::default()
    };
    for handle in handles {
        t.add(handle.join().expect("worker panicked"));
    }
    let s = pool.stats();
    assert_eq!(s.pool.hits + s.pool.misses, t.gets, "hits + misses != gets");
    assert_eq!(s.pool.returns_accepted, t.accepted);
    assert_eq!(s.pool.rejected_pool_full, t.full);
    assert_eq!(s.pool.in_use, 0, "every record came back");
    assert_eq!(s.cached, 0, "exited workers keep nothing cached");
    assert!(s.pool.pooled <= count, "bound exceeded");
    assert_eq!(
        s.pool.pooled + s.pool.rejected_pool_full,
        count + s.pool.misses
    );
    // Ground truth: this thread's `try_get`s reach every pooled record.
    let drained: Vec<Vec<u32>> = core::iter::from_fn(|| pool.try_get()).collect();
    assert_eq!(
        drained.len(),
        s.pool.pooled,
        "a pooled record is out of reach"
    );
    assert_eq!(
        pool.stats().pool.misses,
        s.pool.misses,
        "draining allocated"
    );
    fact(HITS, s.pool.hits > 0);
    fact(HANDED_BACK, t.accepted > threads as usize);
}

/// `threads` workers `try_get` from a `TlsPool` of `count` buffers (fewer
/// than the threads), hold what they got, then return it.
pub fn tls_try_get(threads: u8, count: usize) {
    let pool = Arc::new(
        TlsPool::<Tagged>::new(TlsConfig {
            pool: PoolConfig {
                count,
                serialization_size: 4,
                compression_size: 4,
                simd_len: 4,
            },
            per_thread: 1,
        })
        .expect("a valid front config"),
    );
    let handles: Vec<_> = (1..=threads)
        .map(|id| {
            let pool = Arc::clone(&pool);
            spawn_big(move || {
                let got = pool.try_get::<Serialization>().map(|mut b| {
                    assert!(b.is_empty(), "a reused buffer was not cleared");
                    b.push(id);
                    assert_eq!(b, [id], "another thread holds our buffer");
                    assert_eq!(pool.give_back::<Serialization>(b), ReturnOutcome::Accepted);
                });
                exit_flush(|| pool.flush_local());
                if got.is_some() { (1, 0) } else { (0, 1) }
            })
        })
        .collect();
    let (mut some, mut none) = (0, 0);
    for handle in handles {
        let (s, n) = handle.join().expect("worker panicked");
        some += s;
        none += n;
    }
    let s = pool.stats().serialization;
    assert!(some >= 1, "the first try_get always finds a buffer");
    assert_eq!((s.pool.hits, s.pool.misses), (some, 0), "a try_get missed");
    assert_eq!(s.pool.try_get_empty, none, "a None went uncounted");
    assert_eq!(s.pool.fresh_allocations, count, "a try_get allocated");
    assert_eq!((s.pool.in_use, s.cached), (0, 0));
    assert_eq!(s.pool.pooled, count, "a buffer was lost");
    fact(HITS, some > 0);
    fact(TRY_GET_EMPTY, none > 0);
}
