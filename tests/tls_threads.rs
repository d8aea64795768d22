//! The cache front with real threads: the shared scenarios, config errors,
//! memory bounds, and a rough timing loop (ignored by default).

#[path = "../models/scenarios/mod.rs"]
mod all_scenarios;
use all_scenarios::tls as scenarios;

use std::sync::{Arc, Barrier, mpsc};
use std::time::Instant;

use verified_pools::pool::{
    BufferPool, ConfigError, KindConfig, KindId, KindStats, PoolConfig, ReturnOutcome,
    Serialization, Tagged,
};
use verified_pools::tls::{
    KindTlsConfig, MAX_PER_THREAD, TlsConfig, TlsConfigError, TlsKindStats, TlsPool,
};

#[test]
fn scenarios_on_std_threads() {
    for _ in 0..200 {
        scenarios::exit_with_full_cache(2);
        scenarios::exit_with_full_cache(3);
        scenarios::slot_reuse();
        scenarios::drop_pool_while_cached();
        scenarios::hand_off_get_here(3);
        scenarios::hand_off_return_here(3);
        scenarios::hand_off_through_depot();
    }
}

#[test]
fn bad_configs_are_typed_errors() {
    let pool = PoolConfig {
        count: 8,
        ..PoolConfig::default()
    };
    let new = |per_thread| TlsPool::<Tagged>::new(TlsConfig { pool, per_thread }).err();
    assert_eq!(new(0), Some(TlsConfigError::ZeroPerThread));
    assert_eq!(
        new(9),
        Some(TlsConfigError::PerThreadTooLarge {
            requested: 9,
            max: 8
        })
    );
    assert_eq!(new(8), None);
    // A pool built from a config reports that config, not a default one.
    let config = TlsConfig {
        pool,
        per_thread: 3,
    };
    let built = TlsPool::<Tagged>::new(config).expect("valid config");
    assert_eq!(*built.config(), config);
    let big = PoolConfig {
        count: MAX_PER_THREAD + 1,
        serialization_size: 1,
        compression_size: 1,
        simd_len: 1,
    };
    assert_eq!(
        TlsConfig {
            pool: big,
            per_thread: MAX_PER_THREAD + 1
        }
        .validate(),
        Err(TlsConfigError::PerThreadTooLarge {
            requested: MAX_PER_THREAD + 1,
            max: MAX_PER_THREAD
        })
    );
    let zero = PoolConfig { count: 0, ..pool };
    assert!(matches!(
        TlsPool::<Tagged>::new(TlsConfig {
            pool: zero,
            per_thread: 1
        }),
        Err(TlsConfigError::Pool(_))
    ));
    // The helpers the errors and the batches are computed from.
    assert_eq!(config.max_per_thread(), 8);
    assert_eq!(config.batch(), 2);
    let capped = TlsConfig {
        pool: big,
        per_thread: 1,
    };
    assert_eq!(capped.max_per_thread(), MAX_PER_THREAD);
    let kind = KindTlsConfig {
        kind: KindConfig { count: 8, size: 16 },
        per_thread: 5,
    };
    assert_eq!(kind.batch(), 3);
    // A pool error keeps its cause; the front's own errors have none.
    use std::error::Error as _;
    let cause = TlsConfigError::<KindId>::Pool(ConfigError::ZeroCount);
    assert_eq!(
        cause.source().map(|e| e.to_string()),
        Some(ConfigError::<KindId>::ZeroCount.to_string())
    );
    assert!(TlsConfigError::<KindId>::ZeroPerThread.source().is_none());
}

/// Many threads returning more than the bound: once they have exited,
/// pooled never exceeds count and everything is conserved. (Figures read
/// while the workers run are not exact, so nothing is asserted then.)
#[test]
fn bound_is_exact_across_threads() {
    let count = 16;
    let config = TlsConfig {
        pool: PoolConfig {
            count,
            serialization_size: 64,
            compression_size: 64,
            simd_len: 8,
        },
        per_thread: 4,
    };
    let pool = Arc::new(TlsPool::<Tagged>::new(config).unwrap());
    // `spawn` + `join`, not `thread::scope`: a scope may return as soon as
    // each closure has finished, before the threads' thread-local
    // destructors (which give the caches back) have run; `join` waits for
    // the thread to exit.
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let pool = pool.clone();
            std::thread::spawn(move || {
                for round in 0..200 {
                    let held: Vec<_> = (0..(round % 7) + 1)
                        .map(|_| pool.get::<Serialization>())
                        .collect();
                    for b in held {
                        pool.give_back::<Serialization>(b);
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("worker panicked");
    }
    let s = pool.stats();
    assert_eq!(s.threads, 0, "every worker gave its slot back");
    let k = s.serialization;
    assert_eq!(k.cached, 0, "exited threads keep nothing cached");
    assert_eq!(k.reserved, 0, "exited threads keep no places");
    assert_eq!(k.pool.in_use, 0);
    assert!(k.pool.pooled <= count);
    assert_eq!(
        k.pool.pooled + k.pool.rejected_pool_full,
        count + k.pool.misses
    );
    assert!(s.slots <= 8);
    // Workers that run one after another reuse one slot: exact only then.
    assert_eq!(k.peak_in_use_exact, s.slots == 1, "{s:?}");
    assert!(k.pool.peak_in_use <= count + k.pool.misses);
}

/// One kind's figures between two quiescent points.
#[derive(Debug, Clone, Copy)]
struct Window {
    hits: usize,
    misses: usize,
    full: usize,
    accepted: usize,
}

fn window(before: &TlsKindStats, after: &TlsKindStats) -> Window {
    Window {
        hits: after.pool.hits - before.pool.hits,
        misses: after.pool.misses - before.pool.misses,
        full: after.pool.rejected_pool_full - before.pool.rejected_pool_full,
        accepted: after.pool.returns_accepted - before.pool.returns_accepted,
    }
}

/// The figures of one hand-off run.
#[derive(Debug)]
struct HandOff {
    /// The buffers sent after warming up.
    measured: Window,
    /// Returns refused in the whole run, warm-up included.
    refused_in_run: usize,
    /// `⌈⌈per_thread / 2⌉ / 2⌉`: the most free places a cache keeps.
    spare: usize,
}

/// The hand-off: this thread gets, a second thread returns every
/// buffer, through a `depth`-deep channel.
///
/// Warming up: `count + 2 × per_thread` buffers one at a time (each
/// returned before the next is got), then `warm` through the channel.
/// The contract (`tls` module docs) bounds the refusals of a whole hand-off
/// by `spare`, each one leaving a place free for good; the one-at-a-time
/// phase is the pattern that reaches that bound soonest (every return
/// whose place the getter's cache still holds is refused), so after it no
/// return can be refused. Returns the figures of the `measured` buffers
/// sent after the warm-up, and the run's refusals.
fn hand_off(
    count: usize,
    per_thread: usize,
    depth: usize,
    warm: usize,
    measured: usize,
) -> HandOff {
    let pool = Arc::new(
        TlsPool::<Tagged>::new(TlsConfig {
            pool: PoolConfig {
                count,
                ..PoolConfig::default()
            },
            per_thread,
        })
        .unwrap(),
    );
    let spare = per_thread.div_ceil(2).div_ceil(2);
    // `None` asks the consumer to acknowledge: every buffer sent before it
    // has been returned, and the ack orders those returns before our reads.
    let (tx, rx) = mpsc::sync_channel::<Option<Vec<u8>>>(depth);
    let (ack_tx, ack_rx) = mpsc::channel::<()>();
    let consumer = {
        let pool = Arc::clone(&pool);
        std::thread::spawn(move || {
            for msg in rx {
                match msg {
                    Some(b) => {
                        pool.give_back::<Serialization>(b);
                    }
                    None => ack_tx.send(()).unwrap(),
                }
            }
        })
    };
    let quiesce = || {
        tx.send(None).unwrap();
        ack_rx.recv().unwrap();
        pool.stats().serialization
    };
    for _ in 0..count + 2 * per_thread {
        tx.send(Some(pool.get::<Serialization>())).unwrap();
        quiesce();
    }
    for _ in 0..warm {
        tx.send(Some(pool.get::<Serialization>())).unwrap();
    }
    let before = quiesce();
    for _ in 0..measured {
        tx.send(Some(pool.get::<Serialization>())).unwrap();
    }
    let after = quiesce();
    assert!(after.pool.pooled <= count, "bound exceeded: {after:?}");
    assert!(
        after.reserved <= 2 * spare,
        "two threads hold more than {spare} free places each: {after:?}"
    );
    drop(tx);
    consumer.join().expect("consumer panicked");
    HandOff {
        measured: window(&before, &after),
        refused_in_run: after.pool.rejected_pool_full,
        spare,
    }
}

/// Every hand-off shape's checks: at most `spare` refusals in the whole
/// run, and once warm every get hits and every return is accepted.
fn check_hand_off(shape: &str, run: &HandOff, measured: usize) {
    println!("hand-off {shape}: {run:?}");
    let w = run.measured;
    assert_eq!(w.hits + w.misses, measured);
    assert_eq!(w.accepted + w.full, measured);
    assert!(
        run.refused_in_run <= run.spare,
        "{shape}: more refusals than the contract's slack of {}: {run:?}",
        run.spare
    );
    assert_eq!(w.misses, 0, "{shape}: a get missed once warm: {run:?}");
    assert_eq!(w.full, 0, "{shape}: a return refused once warm: {run:?}");
}

/// The first reproduction: `count = 64, per_thread = 32`, a 16-deep
/// channel, 100,000 buffers: once warm, every get hits and no return is
/// refused.
#[test]
fn hand_off_hits_and_is_never_full_once_warm() {
    let run = hand_off(64, 32, 16, 2_000, 100_000);
    check_hand_off("count=64 per_thread=32 depth=16", &run, 100_000);
}

/// The same with other shapes: one buffer in flight, small batches, a deep
/// channel (each with `count > in flight + batch + spare`).
#[test]
fn hand_off_other_shapes() {
    for (count, per_thread, depth) in [(64, 32, 1), (32, 8, 16), (16, 4, 8), (256, 32, 64)] {
        let run = hand_off(count, per_thread, depth, 2_000, 20_000);
        let shape = format!("count={count} per_thread={per_thread} depth={depth}");
        check_hand_off(&shape, &run, 20_000);
    }
}

/// The example: buffers taken on one thread and returned on another
/// while the pool holds none: every return but those whose places the
/// taker's cache still holds (at most a batch) is accepted.
#[test]
fn buffers_taken_here_are_accepted_there() {
    let config = TlsConfig {
        pool: PoolConfig {
            count: 8,
            ..PoolConfig::default()
        },
        per_thread: 8,
    };
    let pool = Arc::new(TlsPool::<Tagged>::new(config).unwrap());
    let taken: Vec<_> = (0..8).map(|_| pool.get::<Serialization>()).collect();
    let worker = {
        let pool = Arc::clone(&pool);
        std::thread::spawn(move || {
            taken
                .into_iter()
                .map(|b| pool.give_back::<Serialization>(b))
                .filter(|o| *o == ReturnOutcome::Accepted)
                .count()
        })
    };
    let accepted = worker.join().unwrap();
    let s = pool.stats().serialization;
    println!("8 taken here, returned there: accepted {accepted}, {s:?}");
    // Each get took one buffer from the loose list, whose place stayed in
    // the shared room: the other thread finds all eight.
    assert_eq!(accepted, 8, "{s:?}");
    assert_eq!(s.pool.pooled, accepted);
}

/// The second reproduction: 500 threads alive at once, one buffer
/// each per round, `count = 256, per_thread = 32`. Every round the front
/// hits as often as the plain pool: a thread's first get takes one buffer,
/// not a batch, so no thread hoards what the others need.
#[test]
fn many_threads_hit_like_the_plain_pool() {
    const THREADS: usize = 500;
    const ROUNDS: usize = 4;
    let config = TlsConfig {
        pool: PoolConfig {
            count: 256,
            ..PoolConfig::default()
        },
        per_thread: 32,
    };
    let tls = Arc::new(TlsPool::<Tagged>::new(config).unwrap());
    let plain = Arc::new(BufferPool::<Tagged>::new(config.pool).unwrap());
    let barrier = Arc::new(Barrier::new(THREADS + 1));
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let (tls, plain, barrier) = (tls.clone(), plain.clone(), barrier.clone());
            std::thread::spawn(move || {
                for _ in 0..ROUNDS {
                    let b = tls.get::<Serialization>();
                    let p = plain.get::<Serialization>();
                    barrier.wait(); // all hold one of each
                    tls.give_back::<Serialization>(b);
                    plain.give_back::<Serialization>(p);
                    barrier.wait(); // all returned: the main thread reads
                    barrier.wait(); // the main thread has read
                }
            })
        })
        .collect();
    // Zero, not a first reading: the workers start getting at once.
    let (mut tls_before, mut plain_before) = (TlsKindStats::default(), KindStats::default());
    for round in 0..ROUNDS {
        barrier.wait();
        barrier.wait();
        let (t, p) = (tls.stats().serialization, plain.stats().serialization);
        let w = window(&tls_before, &t);
        let plain_hits = p.hits - plain_before.hits;
        let plain_full = p.rejected_pool_full - plain_before.rejected_pool_full;
        println!("round {round}: front {w:?}; plain hits {plain_hits}, full {plain_full}");
        assert_eq!(plain_hits, 256);
        assert!(
            w.hits >= plain_hits,
            "round {round}: front {w:?}, plain {plain_hits} hits"
        );
        assert!(
            w.full <= plain_full,
            "round {round}: front {w:?}, plain {plain_full} full"
        );
        assert!(t.pool.pooled <= 256);
        (tls_before, plain_before) = (t, p);
        barrier.wait();
    }
    for w in workers {
        w.join().unwrap();
    }
}

/// Short-lived threads, one buffer each, exiting with it cached: the next
/// threads find the exited ones' buffers.
#[test]
fn short_lived_threads_reuse_exited_caches() {
    let config = TlsConfig {
        pool: PoolConfig {
            count: 64,
            ..PoolConfig::default()
        },
        per_thread: 32,
    };
    let pool = Arc::new(TlsPool::<Tagged>::new(config).unwrap());
    for _ in 0..10 {
        let threads: Vec<_> = (0..64)
            .map(|_| {
                let pool = Arc::clone(&pool);
                std::thread::spawn(move || {
                    let b = pool.get::<Serialization>();
                    pool.give_back::<Serialization>(b)
                })
            })
            .collect();
        for t in threads {
            assert_eq!(t.join().unwrap(), ReturnOutcome::Accepted);
        }
    }
    let s = pool.stats().serialization;
    assert_eq!(s.pool.misses, 0, "{s:?}");
    assert_eq!((s.pool.pooled, s.cached, s.reserved), (64, 0, 0));
}

/// An owned guard moves into another thread and goes back there.
#[test]
fn owned_guards_cross_threads() {
    let pool = Arc::new(TlsPool::<Tagged>::new(TlsConfig::default()).unwrap());
    let guards: Vec<_> = (0..8)
        .map(|i| {
            let mut g = pool.guard_owned::<Serialization>();
            g.push(i);
            g
        })
        .collect();
    let worker = std::thread::spawn(move || {
        for (i, g) in guards.into_iter().enumerate() {
            assert_eq!(&g[..], [i as u8]);
        }
    });
    worker.join().unwrap();
    let s = pool.stats().serialization;
    assert_eq!((s.pool.hits, s.pool.in_use), (8, 0));
    assert!(s.pool.returns_accepted >= 7, "{s:?}");
    let kept = pool.guard_owned::<Serialization>().into_inner();
    assert_eq!(pool.stats().serialization.pool.taken_out, 1);
    drop(kept);
}

/// Rough ns per get + return pair, cached front vs plain pool, same run.
/// `cargo test --release --test tls_threads -- --ignored --nocapture`
#[test]
#[ignore]
fn timing_get_return_pair() {
    const N: u32 = 20_000_000;
    let config = TlsConfig::default();
    let tls = TlsPool::<Tagged>::new(config).unwrap();
    let plain = BufferPool::<Tagged>::new(config.pool).unwrap();
    for round in 0..3 {
        let start = Instant::now();
        for _ in 0..N {
            let b = tls.get::<Serialization>();
            std::hint::black_box(&b);
            let r = tls.give_back::<Serialization>(b);
            debug_assert_eq!(r, ReturnOutcome::Accepted);
        }
        let t = start.elapsed().as_nanos() as f64 / f64::from(N);
        let start = Instant::now();
        for _ in 0..N {
            let b = plain.get::<Serialization>();
            std::hint::black_box(&b);
            plain.give_back::<Serialization>(b);
        }
        let p = start.elapsed().as_nanos() as f64 / f64::from(N);
        println!(
            "round {round}: tls-front {t:.2} ns/pair, plain tagged pool {p:.2} ns/pair, ratio {:.2}",
            t / p
        );
    }
}

/// `flush_local` gives the calling thread's cache back at once: its slot is
/// free, and its buffers serve another thread without a miss.
#[test]
fn flush_local_gives_the_cache_back_now() {
    let pool = TlsPool::<Tagged>::new(TlsConfig {
        pool: PoolConfig {
            count: 4,
            ..PoolConfig::default()
        },
        per_thread: 4,
    })
    .expect("valid config");
    let held: Vec<_> = (0..4).map(|_| pool.get_serialization_buffer()).collect();
    for buffer in held {
        assert_eq!(
            pool.return_serialization_buffer(buffer),
            ReturnOutcome::Accepted
        );
    }
    assert_eq!(pool.stats().threads, 1);
    pool.flush_local();
    assert_eq!(pool.stats().threads, 0, "the slot was given back");
    std::thread::scope(|s| {
        s.spawn(|| {
            let held: Vec<_> = (0..4).map(|_| pool.get_serialization_buffer()).collect();
            drop(held);
        });
    });
    let s = pool.stats().serialization.pool;
    assert_eq!(
        (s.hits, s.misses),
        (8, 0),
        "the other thread found every buffer"
    );
}

/// A claim of free places doubles only while returns come with no get
/// between them (the cache's invariant 8): a return that follows a get
/// claims one place, so a thread that gets and returns reserves none.
#[test]
fn a_return_after_a_get_claims_one_place() {
    // per_thread 8: batches of 4, at most 2 spare places per cache.
    let pool = TlsPool::<Tagged>::new(TlsConfig {
        pool: PoolConfig {
            count: 16,
            ..PoolConfig::default()
        },
        per_thread: 8,
    })
    .expect("valid config");
    let reserved = || pool.stats().serialization.reserved;
    // Three buffers from the loose list: their places wait in `room`.
    let [a, b, _c] = [(); 3].map(|()| pool.get_serialization_buffer());
    assert_eq!(pool.return_serialization_buffer(a), ReturnOutcome::Accepted);
    assert_eq!(reserved(), 0, "the first claim is one place");
    let a = pool.get_serialization_buffer();
    assert_eq!(pool.return_serialization_buffer(a), ReturnOutcome::Accepted);
    assert_eq!(pool.return_serialization_buffer(b), ReturnOutcome::Accepted);
    assert_eq!(
        reserved(),
        0,
        "a get came between the two claims, so the second is one place again"
    );
}

/// A thread-local destructor that runs after the front's own table is gone
/// (thread-local destructors run in reverse order of first use) still gets
/// and returns: each call borrows a slot for itself and gives it back.
#[test]
fn a_thread_local_destructor_uses_the_pool_after_the_table_is_gone() {
    struct UsesPoolOnExit(Arc<TlsPool>);
    impl Drop for UsesPoolOnExit {
        fn drop(&mut self) {
            let buffer = self.0.get_serialization_buffer();
            assert_eq!(
                self.0.return_serialization_buffer(buffer),
                ReturnOutcome::Accepted
            );
        }
    }
    thread_local! {
        static ON_EXIT: std::cell::RefCell<Option<UsesPoolOnExit>> =
            const { std::cell::RefCell::new(None) };
    }
    let pool = Arc::new(
        TlsPool::<Tagged>::new(TlsConfig {
            pool: PoolConfig {
                count: 4,
                ..PoolConfig::default()
            },
            per_thread: 2,
        })
        .expect("valid config"),
    );
    let worker = Arc::clone(&pool);
    std::thread::spawn(move || {
        // First use of `ON_EXIT`, then of the front's table: the table's
        // destructor runs first.
        ON_EXIT.with(|slot| *slot.borrow_mut() = Some(UsesPoolOnExit(Arc::clone(&worker))));
        drop(worker.get_serialization_buffer());
    })
    .join()
    .expect("the destructor's get and return worked");
    let s = pool.stats();
    assert_eq!(s.threads, 0, "the borrowed slot was given back");
    assert_eq!(s.serialization.pool.gets(), 2);
    assert_eq!(s.serialization.pool.returns_accepted, 1);
}

/// Registering with a second pool sweeps only the entries of pools that
/// were dropped: the first pool keeps this thread's slot.
#[test]
fn registering_with_another_pool_keeps_the_live_ones() {
    let config = TlsConfig {
        pool: PoolConfig {
            count: 4,
            ..PoolConfig::default()
        },
        per_thread: 2,
    };
    let first = TlsPool::<Tagged>::new(config).expect("valid config");
    let second = TlsPool::<Tagged>::new(config).expect("valid config");
    std::thread::scope(|s| {
        s.spawn(|| {
            drop(first.get_serialization_buffer());
            assert_eq!(first.stats().threads, 1);
            drop(second.get_serialization_buffer());
            assert_eq!(first.stats().threads, 1, "swept a live pool's entry");
            assert_eq!(second.stats().threads, 1);
        });
    });
}
