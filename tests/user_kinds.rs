//! User-defined kinds through the single-kind pool, its guards (borrowed and
//! owned) and the thread-local front; `TlsPool::try_get`; typed errors for
//! bad kind configs. Std threads; the models are in
//! `models/scenarios/kinds.rs`.

#[path = "common/user_kinds.rs"]
mod user_kinds;

use std::sync::Arc;

use user_kinds::{Features, Mismeasured, UserBytes};
use verified_pools::pool::{
    BufferPool, ConfigError, KindConfig, KindPool, PoolConfig, ReturnOutcome, Serialization,
};
use verified_pools::tls::{KindTlsConfig, KindTlsPool, TlsConfig, TlsConfigError, TlsPool};

#[test]
fn a_user_kind_keeps_its_own_window_bound_and_stats() {
    let pool: KindPool<Features> = KindPool::new(KindConfig { count: 2, size: 16 }).unwrap();
    assert_eq!(pool.acceptance_window(), 16..=16);
    assert_eq!(pool.size(), 16);
    let mut a = pool.get();
    a[3] = 1.5;
    let b = pool.get();
    let c = pool.get(); // a miss: fresh, of the configured length
    assert_eq!(c.len(), 16);
    assert_eq!(pool.give_back(a), ReturnOutcome::Accepted);
    assert_eq!(pool.give_back(vec![0.0; 15]), ReturnOutcome::TooSmall);
    assert_eq!(pool.give_back(vec![0.0; 17]), ReturnOutcome::TooLarge);
    assert_eq!(pool.give_back(b), ReturnOutcome::Accepted);
    assert_eq!(pool.give_back(c), ReturnOutcome::PoolFull);
    assert!(
        pool.get().iter().all(|x| *x == 0.0),
        "reset zeroes a reused vector"
    );
    let s = pool.stats();
    assert_eq!((s.hits, s.misses, s.fresh_allocations), (3, 1, 3));
    assert_eq!((s.returns_accepted, s.rejected_pool_full), (2, 1));
    assert_eq!((s.rejected_too_small, s.rejected_too_large), (1, 1));
    assert_eq!((s.pooled, s.in_use, s.peak_in_use), (1, 1, 3));
    assert!(format!("{pool:?}").contains("features"));
}

#[test]
fn bad_kind_configs_are_typed_errors_naming_the_kind() {
    let new = |count, size| KindPool::<Features>::new(KindConfig { count, size }).err();
    assert_eq!(new(0, 4), Some(ConfigError::ZeroCount));
    assert_eq!(new(4, 0), Some(ConfigError::ZeroSize("features")));
    assert!(matches!(
        new(4, usize::MAX / 2),
        Some(ConfigError::SizeTooLarge {
            kind: "features",
            ..
        })
    ));
    assert!(matches!(
        new(1 << 24, 4),
        Some(ConfigError::CountTooLarge { .. })
    ));
    let err = KindPool::<Mismeasured>::new(KindConfig { count: 2, size: 8 }).err();
    assert_eq!(
        err,
        Some(ConfigError::FreshOutsideWindow {
            kind: "mismeasured",
            size: 8,
            measured: 32
        })
    );
    assert!(err.unwrap().to_string().contains("mismeasured"));
    let front = KindTlsPool::<Features>::new(KindTlsConfig {
        kind: KindConfig { count: 2, size: 4 },
        per_thread: 3,
    });
    assert_eq!(
        front.err(),
        Some(TlsConfigError::PerThreadTooLarge {
            requested: 3,
            max: 2
        })
    );
}

#[test]
fn owned_guards_cross_threads_and_come_back() {
    let pool: Arc<BufferPool> = Arc::new(
        BufferPool::new(PoolConfig {
            count: 2,
            ..PoolConfig::default()
        })
        .unwrap(),
    );
    let mut buf = pool.guard_owned::<Serialization>();
    buf.extend_from_slice(b"owned");
    std::thread::spawn(move || assert_eq!(&buf[..], b"owned"))
        .join()
        .unwrap();
    let taken = pool.guard_owned::<Serialization>().into_inner();
    let s = pool.stats().serialization;
    assert_eq!(
        (s.hits, s.returns_accepted, s.taken_out, s.in_use),
        (2, 1, 1, 0)
    );
    drop(taken);

    let kinds: Arc<KindPool<UserBytes<0>>> =
        Arc::new(KindPool::new(KindConfig { count: 1, size: 32 }).unwrap());
    let guard = kinds.guard_owned();
    assert!(Arc::ptr_eq(guard.pool(), &kinds));
    std::thread::spawn(move || assert_eq!(guard.give_back(), ReturnOutcome::Accepted))
        .join()
        .unwrap();
    assert_eq!(kinds.stats().returns_accepted, 1);
}

#[test]
fn a_user_kind_front_caches_hands_off_and_keeps_its_bound() {
    let count = 8;
    let pool: Arc<KindTlsPool<UserBytes<0>>> = Arc::new(
        KindTlsPool::new(KindTlsConfig {
            kind: KindConfig { count, size: 64 },
            per_thread: 4,
        })
        .unwrap(),
    );
    // Taken here, returned on other threads through owned guards.
    let guards: Vec<_> = (0..6).map(|_| pool.guard_owned()).collect();
    std::thread::spawn(move || drop(guards)).join().unwrap();
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let pool = Arc::clone(&pool);
            std::thread::spawn(move || {
                for round in 0..300 {
                    let held: Vec<_> = (0..round % 5 + 1).map(|_| pool.guard()).collect();
                    drop(held);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    pool.flush_local();
    let s = pool.stats();
    assert_eq!((s.cached, s.reserved, s.pool.in_use), (0, 0, 0));
    assert!(s.pool.pooled <= count, "bound exceeded: {s:?}");
    assert_eq!(
        s.pool.pooled + s.pool.rejected_pool_full,
        count + s.pool.misses
    );
    assert_eq!(
        s.pool.gets(),
        6 + 4 * (0..300).map(|r| r % 5 + 1).sum::<usize>()
    );
}

#[test]
fn tls_try_get_never_allocates_and_counts_each_none() {
    let pool: TlsPool = TlsPool::new(TlsConfig {
        pool: PoolConfig {
            count: 3,
            ..PoolConfig::default()
        },
        per_thread: 2,
    })
    .unwrap();
    let held: Vec<_> = (0..3)
        .map(|_| pool.try_get::<Serialization>().unwrap())
        .collect();
    assert!(pool.try_get::<Serialization>().is_none());
    assert!(pool.try_guard::<Serialization>().is_none());
    let s = pool.stats().serialization.pool;
    assert_eq!((s.hits, s.misses, s.try_get_empty), (3, 0, 2));
    assert_eq!(
        s.fresh_allocations, 3,
        "nothing allocated past the pre-allocation"
    );
    for b in held {
        assert_eq!(pool.give_back::<Serialization>(b), ReturnOutcome::Accepted);
    }
    assert!(pool.try_get::<Serialization>().is_some());
    pool.reset_stats();
    assert_eq!(pool.stats().serialization.pool.try_get_empty, 0);
}

#[test]
fn tls_try_get_reaches_what_another_thread_gave_back() {
    let pool = Arc::new(
        TlsPool::<verified_pools::pool::Tagged>::new(TlsConfig {
            pool: PoolConfig {
                count: 4,
                ..PoolConfig::default()
            },
            per_thread: 2,
        })
        .unwrap(),
    );
    let taken: Vec<_> = (0..4).map(|_| pool.get::<Serialization>()).collect();
    assert!(
        pool.try_get::<Serialization>().is_none(),
        "all four are out"
    );
    // Returned on a worker, whose exit flushes them to the depot.
    let worker = Arc::clone(&pool);
    std::thread::spawn(move || {
        for b in taken {
            assert_eq!(
                worker.give_back::<Serialization>(b),
                ReturnOutcome::Accepted
            );
        }
    })
    .join()
    .unwrap();
    let again: Vec<_> = (0..4)
        .map(|_| pool.try_get::<Serialization>().expect("back in the depot"))
        .collect();
    assert!(pool.try_get::<Serialization>().is_none());
    let s = pool.stats().serialization.pool;
    assert_eq!((s.hits, s.misses, s.try_get_empty, s.in_use), (8, 0, 2, 4));
    drop(again);
}

/// Byte buffers whose `reset` panics while `PANIC_ON_RESET` is set: a
/// user's code failing inside a guard's get.
enum Brittle {}

static PANIC_ON_RESET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

impl verified_pools::pool::BufferKind for Brittle {
    type Buffer = Vec<u8>;
    const NAME: &'static str = "brittle";
    const UNIT_BYTES: usize = 1;

    fn fresh(size: usize) -> Vec<u8> {
        Vec::with_capacity(size)
    }
    fn try_fresh(size: usize) -> Option<Vec<u8>> {
        let mut v = Vec::new();
        v.try_reserve_exact(size).ok()?;
        Some(v)
    }
    fn reset(buffer: &mut Vec<u8>) {
        assert!(
            !PANIC_ON_RESET.load(std::sync::atomic::Ordering::SeqCst),
            "reset refused"
        );
        buffer.clear();
    }
    fn size_of(buffer: &Vec<u8>) -> usize {
        buffer.capacity()
    }
}

/// A guard's get whose `reset` panics still ends its loan: the buffer goes
/// back to its kept place, so the kind keeps its whole bound (a leaked
/// place would refuse the by-value return below).
#[test]
fn a_panicking_reset_inside_a_guard_keeps_no_place() {
    let pool: KindPool<Brittle> = KindPool::new(KindConfig { count: 2, size: 64 }).unwrap();
    PANIC_ON_RESET.store(true, std::sync::atomic::Ordering::SeqCst);
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(pool.guard())));
    PANIC_ON_RESET.store(false, std::sync::atomic::Ordering::SeqCst);
    assert!(caught.is_err(), "the reset did not panic");
    let s = pool.stats();
    assert_eq!((s.pooled, s.in_use, s.returns_accepted), (2, 0, 1), "{s:?}");
    let out = pool.get();
    assert_eq!(
        pool.give_back(Vec::with_capacity(64)),
        ReturnOutcome::Accepted,
        "the panicking guard kept its place"
    );
    assert_eq!(pool.give_back(out), ReturnOutcome::PoolFull);
}

/// Buffers of [`Counted`] alive now.
static LIVE_COUNTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A byte buffer that counts itself in [`LIVE_COUNTED`].
struct CountedBuf(Vec<u8>);

impl Drop for CountedBuf {
    fn drop(&mut self) {
        LIVE_COUNTED.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// A kind whose buffers count how many of them are alive.
enum Counted {}

impl verified_pools::pool::BufferKind for Counted {
    type Buffer = CountedBuf;
    const NAME: &'static str = "counted";

    fn fresh(size: usize) -> CountedBuf {
        LIVE_COUNTED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        CountedBuf(Vec::with_capacity(size))
    }

    fn try_fresh(size: usize) -> Option<CountedBuf> {
        Some(Self::fresh(size))
    }

    fn reset(buffer: &mut CountedBuf) {
        buffer.0.clear();
    }

    fn size_of(buffer: &CountedBuf) -> usize {
        buffer.0.capacity()
    }
}

/// Dropping a front frees the buffers its shared lists hold at once, even
/// while a thread that used it is still alive (its thread-local entry keeps
/// the shared state, and so those lists, reachable until it exits).
#[test]
fn dropping_a_front_frees_its_pooled_buffers_while_a_user_thread_lives() {
    use std::sync::atomic::Ordering::SeqCst;
    use std::sync::mpsc;
    let (count, per_thread) = (8, 4);
    let pool: Arc<KindTlsPool<Counted>> = Arc::new(
        KindTlsPool::new(KindTlsConfig {
            kind: KindConfig { count, size: 16 },
            per_thread,
        })
        .unwrap(),
    );
    assert_eq!(LIVE_COUNTED.load(SeqCst), count, "pre-allocated");
    let (used, exit) = (mpsc::channel(), mpsc::channel::<()>());
    let helper = {
        let pool = Arc::clone(&pool);
        std::thread::spawn(move || {
            let held: Vec<_> = (0..2).map(|_| pool.get()).collect();
            for buffer in held {
                pool.give_back(buffer);
            }
            drop(pool);
            used.0.send(()).unwrap();
            exit.1.recv().unwrap();
        })
    };
    used.1.recv().unwrap();
    drop(pool);
    let live = LIVE_COUNTED.load(SeqCst);
    assert!(
        live <= per_thread,
        "{live} buffers alive after the drop: only the live thread's cache may keep any"
    );
    exit.0.send(()).unwrap();
    helper.join().unwrap();
    assert_eq!(
        LIVE_COUNTED.load(SeqCst),
        0,
        "the thread's exit freed its cache"
    );
}

/// The single-kind front's own calls: `try_get` and `try_guard` hand out
/// pooled buffers and say `None` only when nothing is within reach,
/// `flush_local` gives the thread's slot back at once, `reset_stats`
/// restarts the counts.
#[test]
fn a_single_kind_front_tries_flushes_and_resets() {
    let front = KindTlsPool::<Features>::new(KindTlsConfig {
        kind: KindConfig { count: 2, size: 4 },
        per_thread: 2,
    })
    .unwrap();
    let a = front.try_get().expect("a pooled buffer");
    assert_eq!(a.len(), 4);
    let b = front.try_guard().expect("the other pooled buffer");
    assert_eq!(b.len(), 4);
    assert!(front.try_get().is_none(), "both are out");
    assert!(front.try_guard().is_none());
    drop(b);
    assert_eq!(front.give_back(a), ReturnOutcome::Accepted);
    let s = front.stats();
    assert_eq!(
        (s.pool.hits, s.pool.misses, s.pool.try_get_empty),
        (2, 0, 2)
    );
    assert_eq!(s.pool.returns_accepted, 2);
    assert!(front.stats().cached > 0, "this thread's cache holds some");
    front.flush_local();
    let s = front.stats();
    assert_eq!(
        (s.cached, s.pool.pooled),
        (0, 2),
        "flushed to the shared part"
    );
    front.reset_stats();
    let s = front.stats();
    assert_eq!(
        (s.pool.hits, s.pool.returns_accepted, s.pool.try_get_empty),
        (0, 0, 0)
    );
    assert_eq!(s.pool.pooled, 2, "state, not a count");
}
