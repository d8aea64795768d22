//! Cache-front scenarios shared by the loom, shuttle and std-thread harnesses.
//!
//! Only `backend::{thread, Arc}` is used for concurrency, so the
//! same code runs under `loom::model`, shuttle's schedulers and real threads.
//!
//! Workers mark every buffer they hold with their id and check the mark
//! before letting go (two holders of one buffer would see each other's
//! mark). The hand-off scenarios (got on one thread, returned on
//! another) check the front's no-spurious-full and no-hoarding rules at
//! quiescence, `hand_off_through_depot` with batches of two, where a
//! cache may keep at most one free place (`spare`). Buffers cross threads: the main thread hands one to a worker that
//! returns it into its own cache, and batches flushed by one thread's cache
//! are refilled by another's. Workers exit with their caches full, so their
//! thread-local destructors must give the buffers back. At quiescence the
//! stats must match the tallies, and draining the pool from the main thread
//! must find exactly `pooled` distinct buffers, all hits: conservation.

use super::backend::{Arc, thread};
use super::{fact, fact_n};
use verified_pools::pool::{PoolConfig, ReturnOutcome, Serialization, Tagged};
use verified_pools::tls::{TlsConfig, TlsPool};

/// Fact: a get was served without allocating.
pub const HITS: &str = "hits";
/// Fact: a get found nothing cached or pooled and allocated.
pub const MISSES: &str = "misses";
/// Fact: a return was refused because the pool was at its bound.
pub const POOL_FULL: &str = "pool_full";
/// Fact: a return was accepted.
pub const ACCEPTED: &str = "accepted";
/// Fact: a slot given back by an exited thread was claimed again.
pub const SLOT_REUSED: &str = "slot_reused";
/// Fact: the last pool handle was dropped while the worker that cached for
/// it had let go of its handle but not yet exited.
pub const DROP_RACED_EXIT: &str = "drop_raced_exit";
/// Fact: two threads claimed slots at once while a free one existed (one
/// took it, the other had to make a new slot).
pub const CONCURRENT_CLAIMS: &str = "concurrent_claims";

/// Fact: a cache flushed a batch into the depot (model builds count it
/// with a ghost; real threads have none and count 0).
pub const DEPOT_FLUSHES: &str = "depot_flushes";
/// Fact: a cache refilled a batch from the depot (as above).
pub const DEPOT_REFILLS: &str = "depot_refills";

/// The front's depot moves so far: (flushes, refills), from the model
/// builds' ghost counters; (0, 0) on real threads.
fn depot_moves() -> (usize, usize) {
    #[cfg(any(loom, shuttle))]
    {
        use verified_pools::sync::model::ghost;
        (
            ghost::read(&ghost::DEPOT_FLUSHES),
            ghost::read(&ghost::DEPOT_REFILLS),
        )
    }
    #[cfg(not(any(loom, shuttle)))]
    (0, 0)
}

/// Values the front's depots took and gave back so far, from the model
/// builds' ghost counters; (0, 0) on real threads. Equal changes over a
/// whole model run (every execution ended, every depot dropped) mean no
/// depot kept a buffer past its pool's last reference.
pub fn depot_values() -> (usize, usize) {
    #[cfg(any(loom, shuttle))]
    {
        use verified_pools::sync::model::ghost;
        (
            ghost::read(&ghost::DEPOT_VALUES_IN),
            ghost::read(&ghost::DEPOT_VALUES_OUT),
        )
    }
    #[cfg(not(any(loom, shuttle)))]
    (0, 0)
}

/// Counts the depot moves since `before` (from [`depot_moves`]) as facts.
fn depot_facts(before: (usize, usize)) {
    let now = depot_moves();
    fact_n(DEPOT_FLUSHES, now.0 - before.0);
    fact_n(DEPOT_REFILLS, now.1 - before.1);
}

/// Tiny buffers, a bound of `count`, caches of two (batches of one).
pub fn tiny(count: usize) -> TlsConfig {
    TlsConfig {
        pool: PoolConfig {
            count,
            serialization_size: 8,
            compression_size: 8,
            simd_len: 4,
        },
        per_thread: 2,
    }
}

fn mark(buffer: &mut Vec<u8>, id: u8) {
    assert!(buffer.is_empty(), "a reused buffer was not cleared");
    buffer.push(id);
}

fn check(buffer: &[u8], id: u8) {
    assert_eq!(buffer, [id], "another thread wrote to a buffer we hold");
}

/// What the workers did, to compare with the stats.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub gets: usize,
    pub accepted: usize,
    pub full: usize,
}

impl Tally {
    fn note(&mut self, outcome: ReturnOutcome) {
        match outcome {
            ReturnOutcome::Accepted => self.accepted += 1,
            ReturnOutcome::PoolFull => self.full += 1,
            other => panic!("a right-sized buffer was rejected: {other:?}"),
        }
    }

    fn add(&mut self, o: Tally) {
        self.gets += o.gets;
        self.accepted += o.accepted;
        self.full += o.full;
    }
}

/// Gets `n` buffers at once, then returns them all: the cache ends full
/// (with `n` = per-thread capacity), and stays so.
fn fill_cache(pool: &TlsPool, id: u8, n: usize, t: &mut Tally) {
    let mut held = Vec::new();
    for _ in 0..n {
        let mut b = pool.get::<Serialization>();
        t.gets += 1;
        mark(&mut b, id);
        held.push(b);
    }
    for b in held {
        check(&b, id);
        t.note(pool.give_back::<Serialization>(b));
    }
}

/// [`fill_cache`], then the thread exits holding it.
fn hold_and_return(pool: &TlsPool, id: u8, n: usize, t: &mut Tally) {
    fill_cache(pool, id, n, t);
    // loom wakes a joiner *before* the exiting thread's thread-locals are
    // dropped (its `spawn` notifies, then runs `thread_done`), so a join
    // there does not order the exit flush. Give the cache back explicitly
    // under loom; std and shuttle exercise the destructor path itself.
    #[cfg(loom)]
    pool.flush_local();
}

/// Checks the stats against `tally` at quiescence, then drains the pool from
/// this thread: exactly `pooled` distinct hits, then a miss.
pub fn check_quiescent(pool: &TlsPool, tally: Tally, count: usize) {
    let stats = pool.stats();
    let s = stats.serialization;
    assert!(stats.threads <= 1, "an exited thread still owns a slot");
    assert_eq!(
        s.pool.hits + s.pool.misses,
        tally.gets,
        "hits + misses != gets"
    );
    assert_eq!(s.pool.returns_accepted, tally.accepted);
    assert_eq!(s.pool.rejected_pool_full, tally.full);
    assert_eq!(s.pool.in_use, 0, "every buffer was returned");
    assert!(s.pool.pooled <= count, "bound exceeded: {s:?}");
    // Conservation: every buffer made is pooled or was dropped as pool-full.
    assert_eq!(
        s.pool.pooled + s.pool.rejected_pool_full,
        count + s.pool.misses,
        "a buffer is unaccounted for: {s:?}"
    );
    // Ground truth: the pooled buffers are all reachable, once each.
    let misses = s.pool.misses;
    let mut seen: Vec<Vec<u8>> = (0..s.pool.pooled)
        .map(|_| pool.get::<Serialization>())
        .collect();
    assert_eq!(
        pool.stats().serialization.pool.misses,
        misses,
        "stats said pooled = {}, but fewer could be got",
        s.pool.pooled
    );
    seen.push(pool.get::<Serialization>());
    assert_eq!(
        pool.stats().serialization.pool.misses,
        misses + 1,
        "more buffers pooled than the stats said"
    );
    let mut ptrs: Vec<usize> = seen.iter().map(|b| b.as_ptr() as usize).collect();
    ptrs.sort_unstable();
    ptrs.dedup();
    assert_eq!(ptrs.len(), seen.len(), "one buffer handed out twice");
    fact(HITS, s.pool.hits > 0);
    fact(MISSES, s.pool.misses > 0);
    fact(POOL_FULL, s.pool.rejected_pool_full > 0);
    fact(ACCEPTED, s.pool.returns_accepted > 0);
}

/// Two workers each fill their cache and exit holding it; the main thread
/// hands the second worker a buffer it got itself (a cross-thread return).
/// Batches flushed by one cache are what the other refills from.
pub fn exit_with_full_cache(count: usize) {
    let moves = depot_moves();
    let pool = Arc::new(TlsPool::<Tagged>::new(tiny(count)).expect("tiny config is valid"));
    let mut main = Tally::default();
    let mut handed = pool.get::<Serialization>();
    main.gets += 1;
    mark(&mut handed, 9);
    let a = {
        let pool = Arc::clone(&pool);
        thread::spawn(move || {
            let mut t = Tally::default();
            hold_and_return(&pool, 1, 2, &mut t);
            t
        })
    };
    let b = {
        let pool = Arc::clone(&pool);
        thread::spawn(move || {
            let mut t = Tally::default();
            check(&handed, 9);
            handed.clear();
            t.note(pool.give_back::<Serialization>(handed));
            hold_and_return(&pool, 2, 1, &mut t);
            t
        })
    };
    let mut total = main;
    total.add(a.join().expect("worker a panicked"));
    total.add(b.join().expect("worker b panicked"));
    depot_facts(moves);
    check_quiescent(&pool, total, count);
}

/// A worker that returns every buffer in `buffers` (marked 9) and exits.
fn spawn_returner(pool: &Arc<TlsPool>, buffers: Vec<Vec<u8>>) -> thread::JoinHandle<Tally> {
    let pool = Arc::clone(pool);
    thread::spawn(move || {
        let mut t = Tally::default();
        return_all(&pool, buffers, &mut t);
        // See `hold_and_return`: loom needs the explicit give-back.
        #[cfg(loom)]
        pool.flush_local();
        t
    })
}

/// Returns every buffer in `buffers` (marked 9) through this thread.
fn return_all(pool: &TlsPool, buffers: Vec<Vec<u8>>, t: &mut Tally) {
    for b in buffers {
        check(&b, 9);
        t.note(pool.give_back::<Serialization>(b));
    }
}

/// The no-spurious-full rule after a hand-off, at quiescence: every
/// refused return is matched by a free place some other cache still holds
/// (here only this thread's), and no cache holds more than `spare` (`tiny`:
/// one) of free places.
fn check_refusals_within_slack(pool: &TlsPool, full: usize) {
    let s = pool.stats().serialization;
    assert!(
        s.reserved <= 1,
        "the getter's cache hoards {} free places (spare 1): {s:?}",
        s.reserved
    );
    assert!(
        s.pool.rejected_pool_full == full && full <= s.reserved,
        "spurious pool full: {full} returns refused while only {} places were held elsewhere: {s:?}",
        s.reserved
    );
}

/// Hand-off, got here, returned there: this thread gets every buffer, two
/// workers return them concurrently (one two, one one). Refusals must be
/// within the stated slack (the free places this thread's cache may hold),
/// which with single refills from the loose list is none.
pub fn hand_off_get_here(count: usize) {
    let pool = Arc::new(TlsPool::<Tagged>::new(tiny(count)).expect("tiny config is valid"));
    let mut main = Tally::default();
    let mut got: Vec<Vec<u8>> = (0..count)
        .map(|_| {
            main.gets += 1;
            let mut b = pool.get::<Serialization>();
            mark(&mut b, 9);
            b
        })
        .collect();
    let second = got.split_off(count.min(2));
    let (a, b) = (spawn_returner(&pool, got), spawn_returner(&pool, second));
    let mut total = main;
    total.add(a.join().expect("worker a panicked"));
    total.add(b.join().expect("worker b panicked"));
    check_refusals_within_slack(&pool, total.full);
    check_quiescent(&pool, total, count);
    check_no_spurious_full(&pool, count);
}

/// Hand-off, got there, returned here: two workers get buffers
/// concurrently and hand them to this thread, which returns them all. With
/// the workers gone, every place is free: no return may be refused, and this
/// thread, which only returned, holds at most a batch (one) of buffers.
pub fn hand_off_return_here(count: usize) {
    let pool = Arc::new(TlsPool::<Tagged>::new(tiny(count)).expect("tiny config is valid"));
    let spawn = |n: usize, id: u8| {
        let pool = Arc::clone(&pool);
        thread::spawn(move || {
            let mut t = Tally::default();
            let got: Vec<Vec<u8>> = (0..n)
                .map(|_| {
                    t.gets += 1;
                    let mut b = pool.get::<Serialization>();
                    mark(&mut b, id);
                    b
                })
                .collect();
            #[cfg(loom)]
            pool.flush_local();
            (t, got)
        })
    };
    let (a, b) = (spawn(count.min(2), 1), spawn(count - count.min(2), 2));
    let (ta, got_a) = a.join().expect("worker a panicked");
    let (tb, got_b) = b.join().expect("worker b panicked");
    let mut total = Tally::default();
    total.add(ta);
    total.add(tb);
    let handed = got_a
        .into_iter()
        .map(|b| (b, 1))
        .chain(got_b.into_iter().map(|b| (b, 2)));
    for (b, id) in handed {
        check(&b, id);
        total.note(pool.give_back::<Serialization>(b));
    }
    let s = pool.stats().serialization;
    assert_eq!(
        s.pool.rejected_pool_full, 0,
        "spurious pool full: a return refused with every place free: {s:?}"
    );
    assert!(
        s.cached <= 1,
        "a thread that only returns hoards {} buffers (batch 1): {s:?}",
        s.cached
    );
    check_quiescent(&pool, total, count);
    check_no_spurious_full(&pool, count);
}

/// Caches of four (batches of two, `spare` one free place): unlike `tiny`,
/// a getter's cache can hold more free places than the contract allows.
fn batches_of_two(count: usize) -> TlsConfig {
    TlsConfig {
        per_thread: 4,
        ..tiny(count)
    }
}

/// Hand-off through the depot, batches of two: this thread gets four
/// buffers, a worker returns them (two go to the depot as a batch, two with
/// its exit flush); this thread then refills a batch from the depot and
/// hands it out to a second worker, which returns it while this thread
/// refills the other batch. The tightened rule at quiescence: this thread's
/// cache gave back every free place past `spare` (one), so no return was
/// refused and at most one place is reserved.
pub fn hand_off_through_depot() {
    let moves = depot_moves();
    let count = 4;
    let pool = Arc::new(TlsPool::<Tagged>::new(batches_of_two(count)).expect("valid config"));
    let mut total = Tally::default();
    let get_marked = |t: &mut Tally| {
        t.gets += 1;
        let mut b = pool.get::<Serialization>();
        mark(&mut b, 9);
        b
    };
    let first: Vec<Vec<u8>> = (0..count).map(|_| get_marked(&mut total)).collect();
    total.add(
        spawn_returner(&pool, first)
            .join()
            .expect("worker a panicked"),
    );
    let batch: Vec<Vec<u8>> = (0..2).map(|_| get_marked(&mut total)).collect();
    let b = spawn_returner(&pool, batch);
    let mine: Vec<Vec<u8>> = (0..2).map(|_| get_marked(&mut total)).collect();
    total.add(b.join().expect("worker b panicked"));
    let s = pool.stats().serialization;
    assert!(
        s.reserved <= 1,
        "this thread's cache hoards {} free places (spare 1): {s:?}",
        s.reserved
    );
    assert_eq!(
        total.full, 0,
        "spurious pool full: the getter kept the places its batch freed: {s:?}"
    );
    return_all(&pool, mine, &mut total);
    depot_facts(moves);
    check_quiescent(&pool, total, count);
    check_no_spurious_full(&pool, count);
}

/// At quiescence with this thread the only user: it can return `count`
/// buffers (fresh ones: the pool was just drained) and the next is refused.
fn check_no_spurious_full(pool: &TlsPool, count: usize) {
    let pooled = pool.stats().serialization.pool.pooled;
    for i in pooled..count {
        let outcome = pool.give_back::<Serialization>(Vec::with_capacity(8));
        assert_eq!(
            outcome,
            ReturnOutcome::Accepted,
            "spurious pool full: return {} of {count} refused at quiescence",
            i + 1
        );
    }
    assert_eq!(
        pool.give_back::<Serialization>(Vec::with_capacity(8)),
        ReturnOutcome::PoolFull,
        "bound exceeded: a return beyond count accepted"
    );
}

/// A worker that registers, caches one buffer and exits (through
/// [`hold_and_return`]).
fn spawn_one_buffer_worker(pool: &Arc<TlsPool>, id: u8) -> thread::JoinHandle<Tally> {
    let pool = Arc::clone(pool);
    thread::spawn(move || {
        let mut t = Tally::default();
        hold_and_return(&pool, id, 1, &mut t);
        t
    })
}

/// A worker registers, caches and exits; a second worker starting after it
/// may reuse its slot (the slot's hand-over is what this exercises).
pub fn slot_reuse() {
    let pool = Arc::new(TlsPool::<Tagged>::new(tiny(2)).expect("tiny config is valid"));
    let spawn = |id: u8| spawn_one_buffer_worker(&pool, id);
    let a = spawn(1);
    let b = spawn(2);
    let mut total = Tally::default();
    total.add(a.join().expect("worker a panicked"));
    total.add(b.join().expect("worker b panicked"));
    fact(SLOT_REUSED, pool.stats().slots == 1);
    check_quiescent(&pool, total, 2);
}

/// The registry raced: a first worker takes a slot and gives it back (it
/// exits), then two claimers start together while that slot is FREE. At
/// most one may win it (two owners of one slot's caches would be a data
/// race loom reports), the other makes a new slot, and no slot is made while
/// a free one is left (registry invariant 4: at most 2 slots).
pub fn claim_race() {
    let pool = Arc::new(TlsPool::<Tagged>::new(tiny(2)).expect("tiny config is valid"));
    let spawn = |id: u8| spawn_one_buffer_worker(&pool, id);
    let mut total = Tally::default();
    total.add(spawn(1).join().expect("first worker panicked"));
    let (a, b) = (spawn(2), spawn(3));
    total.add(a.join().expect("claimer a panicked"));
    total.add(b.join().expect("claimer b panicked"));
    let slots = pool.stats().slots;
    assert!(
        slots <= 2,
        "{slots} slots for at most 2 threads at once: a slot was made while a free one was left"
    );
    fact(CONCURRENT_CLAIMS, slots == 2);
    check_quiescent(&pool, total, 2);
}

/// The pool's handle is dropped while a worker still caches for it: the
/// worker fills its cache, lets go of its handle and exits holding the
/// cache, while the main thread drops the last handle. Whichever runs the
/// pool's drop, it races the worker's exit flush (the slot's state CAS
/// decides who frees the cached buffers); neither may touch the cache
/// unsynchronised (loom's cell tracking), free memory twice, or leak the
/// shared state (loom's leak check). A worker that saw the pool open may
/// flush into the depot after the pool's drain; the depot's own drop frees
/// those buffers ([`depot_values`] checks it over the model's run: a
/// worker's thread-locals may outlive the join here). The main thread
/// never registers, so nothing of the pool outlives the execution.
pub fn drop_pool_while_cached() {
    // Ghost: whether the worker let go of its handle (it exits after).
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    let worker_let_go = std::sync::Arc::new(AtomicBool::new(false));
    let pool = Arc::new(TlsPool::<Tagged>::new(tiny(2)).expect("tiny config is valid"));
    let worker = {
        let pool = Arc::clone(&pool);
        let worker_let_go = worker_let_go.clone();
        thread::spawn(move || {
            let mut t = Tally::default();
            fill_cache(&pool, 1, 2, &mut t);
            drop(pool);
            worker_let_go.store(true, SeqCst);
            // Exits with a full cache: its thread-local table gives it back.
            t
        })
    };
    // Let the worker run first (a yield, not a preemption, under loom), so
    // the schedules where this drop is the last one — the pool's drop
    // racing the worker's exit flush — fit in the preemption bound.
    thread::yield_now();
    fact(DROP_RACED_EXIT, worker_let_go.load(SeqCst));
    drop(pool);
    let t = worker.join().expect("worker panicked");
    assert_eq!((t.gets, t.accepted, t.full), (2, 2, 0));
}
