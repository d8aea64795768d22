//! The `contention-stats` feature: per-kind counts of retries and back-off.
//!
//! `cargo test --test contention` checks that without the feature no kind
//! reports contention; `cargo test --features contention-stats --test
//! contention` that with it a lone thread never retries, two threads
//! fighting over one kind do, the counts reach that kind's stats only, and
//! `reset_stats` restarts them. The back-off schedule the spin count follows
//! is checked in `src/sync/contention.rs`.

#[path = "common/user_kinds.rs"]
mod user_kinds;

use user_kinds::Features;
use verified_pools::pool::{BufferPool, Epoch, KindConfig, KindPool, PoolConfig, Tagged, Variant};
use verified_pools::tls::{KindTlsConfig, KindTlsPool};

fn kind_pool<V: Variant>() -> KindPool<Features, V> {
    KindPool::new(KindConfig { count: 4, size: 8 }).unwrap()
}

fn front() -> KindTlsPool<Features> {
    KindTlsPool::new(KindTlsConfig {
        kind: KindConfig { count: 8, size: 8 },
        // Batches of one: a cache refills and spills all the time, so the
        // free-place count, the depot and the loose list see every thread.
        per_thread: 2,
    })
    .unwrap()
}

/// A user's free list that does not count: a locked `Vec`.
struct LockedVec(std::sync::Mutex<Vec<u64>>);

impl verified_pools::FreeList<u64> for LockedVec {
    fn with_capacity(capacity: usize) -> Result<Self, verified_pools::stack::CapacityError> {
        Ok(Self(std::sync::Mutex::new(Vec::with_capacity(capacity))))
    }
    fn push(&self, value: u64) -> Result<(), u64> {
        self.0.lock().unwrap().push(value);
        Ok(())
    }
    fn pop(&self) -> Option<u64> {
        self.0.lock().unwrap().pop()
    }
    fn capacity(&self) -> Option<usize> {
        None
    }
}

/// With or without the feature, a list that does not count reports `None`
/// (the trait's default), not counts of zero.
#[test]
fn a_list_that_does_not_count_reports_none() {
    use verified_pools::FreeList;
    let list = LockedVec::with_capacity(2).unwrap();
    list.push(1).unwrap();
    assert_eq!(list.pop(), Some(1));
    list.reset_contention();
    assert_eq!(list.contention(), None);
}

#[cfg(not(feature = "contention-stats"))]
#[test]
fn without_the_feature_no_kind_reports_contention() {
    let pool = BufferPool::<Tagged>::new(PoolConfig::default()).unwrap();
    drop(pool.serialization_guard());
    assert_eq!(pool.stats().serialization.contention, None);
    let epoch = kind_pool::<Epoch>();
    epoch.give_back(epoch.get());
    assert_eq!(epoch.stats().contention, None);
    let front = front();
    front.give_back(front.get());
    assert_eq!(front.stats().pool.contention, None);
}

#[cfg(feature = "contention-stats")]
mod counting {
    use std::time::{Duration, Instant};

    use super::*;
    use verified_pools::pool::{ContentionStats, PointerNode};

    const NONE: Option<ContentionStats> = Some(ContentionStats {
        cas_retries: 0,
        backoff_spins: 0,
    });

    /// Runs `work` on two threads, in rounds, until `stats` shows a retry
    /// or 30 s pass; returns the counts then.
    fn fight(
        work: impl Fn() + Sync,
        stats: impl Fn() -> Option<ContentionStats>,
    ) -> ContentionStats {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            std::thread::scope(|s| {
                for _ in 0..2 {
                    s.spawn(|| {
                        for _ in 0..20_000 {
                            work();
                        }
                    });
                }
            });
            let now = stats().expect("the feature is on");
            if now.cas_retries > 0 || Instant::now() > deadline {
                return now;
            }
        }
    }

    /// Gets two buffers and gives both back.
    fn two_out_two_back<V: Variant>(pool: &KindPool<Features, V>) {
        let (a, b) = (pool.get(), pool.get());
        pool.give_back(a);
        pool.give_back(b);
    }

    fn check(now: ContentionStats) {
        assert!(now.cas_retries > 0, "two threads never retried: {now:?}");
        assert!(
            now.backoff_spins >= now.cas_retries,
            "every retry spins at least once: {now:?}"
        );
    }

    #[test]
    fn a_lone_thread_never_retries() {
        let tagged = kind_pool::<Tagged>();
        let epoch = kind_pool::<Epoch>();
        let front = front();
        for _ in 0..10_000 {
            let (a, b, c) = (tagged.get(), epoch.get(), front.get());
            tagged.give_back(a);
            epoch.give_back(b);
            front.give_back(c);
        }
        assert_eq!(tagged.stats().contention, NONE);
        assert_eq!(epoch.stats().contention, NONE);
        assert_eq!(front.stats().pool.contention, NONE);
    }

    #[test]
    fn two_threads_on_the_tagged_list_retry_and_reset_restarts() {
        let pool = kind_pool::<Tagged>();
        let other = kind_pool::<Tagged>();
        check(fight(
            || two_out_two_back(&pool),
            || pool.stats().contention,
        ));
        assert_eq!(other.stats().contention, NONE, "another kind's counts stay");
        pool.reset_stats();
        assert_eq!(pool.stats().contention, NONE);
    }

    #[test]
    fn two_threads_on_the_epoch_list_retry_and_reset_restarts() {
        let pool = kind_pool::<Epoch>();
        check(fight(
            || two_out_two_back(&pool),
            || pool.stats().contention,
        ));
        // The epoch list is wrapped in `Capped`, whose reset must reach it.
        pool.reset_stats();
        assert_eq!(pool.stats().contention, NONE);
    }

    #[test]
    fn two_threads_on_the_pointer_node_list_retry_and_reset_restarts() {
        let pool = kind_pool::<PointerNode>();
        let now = fight(|| two_out_two_back(&pool), || pool.stats().contention);
        // Not `check`: a pop that waits for the single-popper right counts
        // a retry without backing off (`ContentionStats`' docs).
        assert!(now.cas_retries > 0, "two threads never retried: {now:?}");
        pool.reset_stats();
        assert_eq!(pool.stats().contention, NONE);
    }

    #[test]
    fn two_threads_on_the_front_retry_and_reset_restarts() {
        let front = front();
        check(fight(
            || {
                let (a, b, c) = (front.get(), front.get(), front.get());
                front.give_back(a);
                front.give_back(b);
                front.give_back(c);
            },
            || front.stats().pool.contention,
        ));
        front.reset_stats();
        assert_eq!(front.stats().pool.contention, NONE);
    }

    #[test]
    fn the_provided_pool_reports_per_kind() {
        let pool = BufferPool::<Tagged>::new(PoolConfig::default()).unwrap();
        check(fight(
            || {
                let (a, b) = (pool.serialization_guard(), pool.serialization_guard());
                drop((a, b));
            },
            || pool.stats().serialization.contention,
        ));
        assert_eq!(pool.stats().compression.contention, NONE);
        assert_eq!(pool.stats().simd.contention, NONE);
    }
}
