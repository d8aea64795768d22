//! Every typed error of the ring, the two handle flavours' lifetimes, and
//! the memory options.
// Real threads with std's `Arc`: std builds only.
#![cfg(not(any(loom, shuttle)))]

use std::sync::Arc;
use verified_pools::ring::{
    ConfigError, HugePages, MAX_CAPACITY_VECTORS, MemoryError, OldestLive, PoolSlice, RingConfig,
    RingError, RingPool, Workload,
};

fn pool(dim: usize, cap: usize, max: usize) -> RingPool {
    RingPool::new(RingConfig::new(dim, cap, max)).expect("valid config")
}

#[test]
fn bad_configs_are_typed_errors() {
    let cases = [
        (RingConfig::new(0, 8, 4), ConfigError::ZeroFeatureDim),
        (RingConfig::new(4, 0, 4), ConfigError::ZeroCapacity),
        (RingConfig::new(4, 8, 0), ConfigError::ZeroMaxVectors),
        (
            RingConfig::new(4, 8, 9),
            ConfigError::MaxExceedsCapacity {
                max_vectors: 9,
                capacity_vectors: 8,
            },
        ),
        (
            RingConfig::new(usize::MAX / 2, 8, 4),
            ConfigError::TooLarge {
                capacity_vectors: 8,
                feature_dim: usize::MAX / 2,
            },
        ),
        (
            RingConfig::new(1, 1 << 31, 4),
            ConfigError::TooLarge {
                capacity_vectors: 1 << 31,
                feature_dim: 1,
            },
        ),
    ];
    for (cfg, want) in cases {
        let got = RingPool::new(cfg.clone()).err();
        assert_eq!(got, Some(RingError::Config(want)), "{cfg:?}");
        assert!(!want.to_string().is_empty());
    }
    // The limits themselves are accepted (checked without mapping them).
    assert_eq!(
        RingConfig::new(1, MAX_CAPACITY_VECTORS, 4).validate(),
        Ok(())
    );
    // A region of 2^63 bytes fits in `usize` but not in half of `isize`.
    assert_eq!(RingConfig::new(1 << 31, 1 << 30, 4).region_bytes(), None);
    assert_eq!(
        RingConfig::new(1 << 20, 1 << 20, 4).region_bytes(),
        Some(1 << 42)
    );
}

#[test]
fn bad_requests_are_typed_errors_and_change_nothing() {
    let p = pool(3, 8, 4);
    let mut prod = p.producer().unwrap();
    assert_eq!(prod.alloc(0).err(), Some(RingError::ZeroLength));
    assert_eq!(
        prod.alloc(5).err(),
        Some(RingError::TooLong {
            requested: 5,
            max_vectors: 4
        })
    );
    assert_eq!(
        prod.alloc(usize::MAX).err(),
        Some(RingError::TooLong {
            requested: usize::MAX,
            max_vectors: 4
        })
    );
    let s = prod.stats();
    assert_eq!((s.allocations, s.used_vectors, s.full_events), (0, 0, 0));
    let a = prod.alloc(4).unwrap();
    assert_eq!(
        (a.first_vector(), a.len_vectors(), a.len(), a.feature_dim()),
        (0, 4, 12, 3)
    );
}

#[test]
fn full_reports_free_space_and_the_oldest_live_slice() {
    let p = pool(2, 10, 4);
    let mut prod = p.producer().unwrap();
    let old = prod.alloc(2).unwrap(); // [0,2): the long-lived one
    let mut others = Vec::new();
    for _ in 0..2 {
        others.push(prod.alloc(4).unwrap()); // [2,6), [6,10)
    }
    // Everything but `old` is released, yet nothing can be reused.
    others.clear();
    for _ in 0..3 {
        let err = prod.alloc(1).unwrap_err();
        let RingError::Full {
            requested,
            free_vectors,
            largest_fit,
            oldest_live,
        } = err.clone()
        else {
            panic!("expected Full, got {err:?}");
        };
        assert_eq!((requested, free_vectors, largest_fit), (1, 0, 0));
        let o = oldest_live.expect("the old slice");
        assert_eq!(
            (o.first_vector, o.len_vectors, o.allocations_ago),
            (0, 2, 2)
        );
        let msg = err.to_string();
        assert!(
            msg.contains("oldest live slice") && msg.contains("blocks all reuse"),
            "{msg}"
        );
    }
    let s = prod.stats();
    assert_eq!(s.full_events, 3);
    assert_eq!(s.used_vectors, 10);
    assert_eq!(s.high_water_vectors, 10);
    assert_eq!(s.oldest_live.map(|o| o.first_vector), Some(0));
    drop(old);
    // All released: the ring drains and rewinds.
    let s = prod.stats();
    assert_eq!((s.used_vectors, s.oldest_live), (0, None));
    let again = prod.alloc(4).unwrap();
    assert_eq!(again.first_vector(), 0);
}

#[test]
fn out_of_order_release_reclaims_only_the_released_prefix() {
    let p = pool(1, 6, 3);
    let mut prod = p.producer().unwrap();
    let a = prod.alloc(2).unwrap(); // [0,2)
    let b = prod.alloc(2).unwrap(); // [2,4)
    let c = prod.alloc(2).unwrap(); // [4,6)
    drop(b);
    assert_eq!(prod.reclaim(), 0, "b is behind the live a");
    drop(a);
    assert_eq!(prod.reclaim(), 4, "a and b go together");
    // Tail is full (c at [4,6)); 3 vectors need the front: [0,3).
    let d = prod.alloc(3).unwrap();
    assert_eq!(d.first_vector(), 0);
    // 1 vector left at [3,4), none in the tail: a 2-vector request is full.
    let err = prod.alloc(2).unwrap_err();
    assert!(
        matches!(
            err,
            RingError::Full {
                free_vectors: 1,
                largest_fit: 1,
                ..
            }
        ),
        "{err:?}"
    );
    drop((c, d));
    assert_eq!(prod.stats().used_vectors, 0);
    // Counts are of this call's vectors, not of the cursor's position.
    drop(prod.alloc(1).unwrap());
    assert_eq!(prod.reclaim(), 1);
    let stats = prod.stats();
    assert_eq!((stats.allocations, stats.vectors_handed_out), (5, 10));
}

#[test]
fn tail_padding_is_counted_and_slices_never_straddle() {
    let p = pool(1, 5, 3);
    let mut prod = p.producer().unwrap();
    let a = prod.alloc(3).unwrap(); // [0,3)
    let keep = prod.alloc(1).unwrap(); // [3,4)
    drop(a);
    let b = prod.alloc(2).unwrap(); // tail is 1: pad [4,5), then [0,2)
    assert_eq!(b.first_vector(), 0);
    assert_eq!(prod.stats().padded_vectors, 1);
    drop((keep, b));
}

#[test]
fn one_producer_at_a_time() {
    let p = pool(1, 4, 2);
    let prod = p.producer().unwrap();
    assert_eq!(p.producer().err(), Some(RingError::ProducerTaken));
    drop(prod);
    let mut again = p.producer().expect("returned on drop");
    let _s = again.alloc(1).unwrap();
    let shared = Arc::new(pool(1, 4, 2));
    let _p1 = RingPool::arc_producer(&shared).unwrap();
    assert_eq!(
        RingPool::arc_producer(&shared).err(),
        Some(RingError::ProducerTaken)
    );
    assert_eq!(shared.producer().err(), Some(RingError::ProducerTaken));
}

#[test]
fn arc_flavour_keeps_the_region_until_the_last_slice() {
    let shared = Arc::new(pool(8, 16, 4));
    let weak = Arc::downgrade(&shared);
    let mut prod = RingPool::arc_producer(&shared).unwrap();
    let mut slices: Vec<_> = (0..4).map(|_| prod.alloc(4).unwrap()).collect();
    drop(prod);
    drop(shared);
    assert!(weak.upgrade().is_some(), "slices keep the pool alive");
    // Write and read through the slices on other threads, drop out of order.
    let handles: Vec<_> = slices
        .drain(..)
        .rev()
        .enumerate()
        .map(|(i, mut s)| {
            std::thread::spawn(move || {
                s.fill(i as f32);
                assert!(s.iter().all(|&x| x == i as f32));
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert!(
        weak.upgrade().is_none(),
        "the last slice's drop freed the pool"
    );
}

#[test]
fn borrowed_flavour_across_scoped_threads() {
    let p = pool(4, 64, 8);
    let mut prod = p.producer().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<PoolSlice<'_>>();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            // Drops arrive here in batches, released in reverse.
            let mut batch = Vec::new();
            for s in rx {
                assert!(s.iter().all(|&x| x == s.first_vector() as f32));
                batch.push(s);
                if batch.len() == 3 {
                    while batch.pop().is_some() {}
                }
            }
        });
        let mut sent = 0;
        while sent < 10_000 {
            match prod.alloc(1 + sent % 8) {
                Ok(mut s) => {
                    let v = s.first_vector() as f32;
                    s.fill(v);
                    tx.send(s).unwrap();
                    sent += 1;
                }
                Err(RingError::Full { .. }) => std::thread::yield_now(),
                Err(e) => panic!("{e}"),
            }
        }
        drop(tx);
    });
    assert_eq!(prod.stats().used_vectors, 0);
}

#[test]
fn vector_accessors() {
    let p = pool(3, 8, 4);
    assert_eq!(
        (p.feature_dim(), p.capacity_vectors(), p.max_vectors()),
        (3, 8, 4)
    );
    let mut prod = p.producer().unwrap();
    let mut s = prod.alloc(2).unwrap();
    s.vector_mut(1).unwrap().copy_from_slice(&[1.0, 2.0, 3.0]);
    assert_eq!(s.vector(1).unwrap(), &[1.0, 2.0, 3.0]);
    assert_eq!(s.vector(0).unwrap(), &[0.0; 3]);
    assert!(s.vector(2).is_none());
    assert!(s.vector_mut(2).is_none());
    assert!(format!("{s:?}").contains("first_vector"));
}

#[test]
fn sizing_helper() {
    let w = Workload {
        feature_dim: 128,
        typical_vectors: 4,
        max_vectors: 64,
        requests_in_flight: 1024,
    };
    let cfg = RingConfig::for_workload(&w).unwrap();
    assert_eq!(cfg.capacity_vectors, 2 * 4 * 1024 + 128);
    assert_eq!(cfg.max_vectors, 64);
    assert!(cfg.pretouch);
    assert_eq!(w.worst_case_bytes(), Some(1024 * 64 * 128 * 4));
    assert!(cfg.region_bytes().unwrap() * 7 < w.worst_case_bytes().unwrap());
    let zeros = [
        Workload {
            feature_dim: 0,
            ..w
        },
        Workload {
            typical_vectors: 0,
            ..w
        },
        Workload {
            max_vectors: 0,
            ..w
        },
        Workload {
            requests_in_flight: 0,
            ..w
        },
    ];
    for bad in zeros {
        assert_eq!(
            RingConfig::for_workload(&bad),
            Err(ConfigError::ZeroWorkload),
            "{bad:?}"
        );
    }
    let typical_is_max = Workload {
        typical_vectors: 64,
        ..w
    };
    assert!(RingConfig::for_workload(&typical_is_max).is_ok());
    let bad = Workload {
        typical_vectors: 65,
        ..w
    };
    assert_eq!(
        RingConfig::for_workload(&bad),
        Err(ConfigError::TypicalExceedsMax {
            typical_vectors: 65,
            max_vectors: 64
        })
    );
    let huge = Workload {
        requests_in_flight: usize::MAX,
        ..w
    };
    assert!(matches!(
        RingConfig::for_workload(&huge),
        Err(ConfigError::TooLarge { .. })
    ));
    // The helper's config builds and serves its largest request.
    let p = RingPool::new(cfg.with_pretouch(false)).unwrap();
    assert!(p.producer().unwrap().alloc(64).is_ok());
}

#[test]
fn explicit_huge_pages_fail_clearly_without_a_reservation() {
    let reserved: u64 = std::fs::read_to_string("/proc/sys/vm/nr_hugepages")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    // One huge page more than are reserved, so the mapping fails wherever
    // huge pages cannot be overcommitted (and the error's figures show).
    let huge = meminfo_huge_page_bytes();
    let want = (reserved as usize + 1) * huge;
    let vectors = want / (256 * 4);
    let cfg = RingConfig::new(256, vectors, 8).with_huge_pages(HugePages::Explicit);
    match RingPool::new(cfg) {
        Ok(p) => {
            let overcommit: u64 = std::fs::read_to_string("/proc/sys/vm/nr_overcommit_hugepages")
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(0);
            assert!(
                overcommit > 0,
                "MAP_HUGETLB of {want} bytes succeeded with {reserved} pages reserved and no overcommit?"
            );
            assert!(p.producer().unwrap().alloc(8).is_ok());
        }
        Err(RingError::Memory(
            e @ MemoryError::HugePagesUnavailable {
                bytes,
                huge_page_bytes,
                nr_hugepages,
                errno,
            },
        )) => {
            let msg = e.to_string();
            println!("{msg}");
            if reserved == 0 {
                assert!(msg.contains("no huge pages reserved"), "{msg}");
            }
            // The figures are the system's, read as the test reads them.
            assert_eq!(huge_page_bytes, huge, "{msg}");
            assert_eq!(bytes % huge_page_bytes, 0, "a whole number of huge pages");
            assert!(bytes >= want, "{msg}");
            assert_eq!(nr_hugepages, Some(reserved), "{msg}");
            assert!(
                matches!(errno, Some(libc::ENOMEM | libc::EINVAL)),
                "mmap's own errno: {errno:?}"
            );
        }
        Err(e) => panic!("unexpected error: {e}"),
    }
}

/// `Hugepagesize` from /proc/meminfo, in bytes.
fn meminfo_huge_page_bytes() -> usize {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
    let line = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("Hugepagesize:"))
        .unwrap();
    line.trim()
        .trim_end_matches("kB")
        .trim()
        .parse::<usize>()
        .unwrap()
        * 1024
}

#[test]
fn transparent_huge_pages() {
    let cfg = RingConfig::new(256, 4096, 8).with_huge_pages(HugePages::Transparent);
    match RingPool::new(cfg) {
        Ok(p) => {
            let mut prod = p.producer().unwrap();
            let mut s = prod.alloc(8).unwrap();
            s.fill(1.0);
            // 2 MiB-aligned region.
            assert_eq!(s.as_ptr() as usize % (2 << 20), 0);
        }
        Err(RingError::Memory(e @ MemoryError::TransparentHugePages { .. })) => {
            println!("THP unavailable here: {e}");
        }
        Err(e) => panic!("unexpected error: {e}"),
    }
}

#[test]
fn numa_binding() {
    match RingPool::new(RingConfig::new(16, 1024, 8).with_numa_node(0)) {
        Ok(p) => assert!(p.producer().unwrap().alloc(8).is_ok()),
        Err(RingError::Memory(e @ MemoryError::NumaRefused { node: 0, errno })) => {
            // Only a sandbox may refuse node 0; EINVAL would mean a bad mask.
            assert!(
                matches!(errno, Some(libc::EPERM | libc::ENOSYS)),
                "mbind refused node 0: {e}"
            );
            println!("mbind refused here: {e}");
        }
        Err(e) => panic!("unexpected error: {e}"),
    }
    let err = RingPool::new(RingConfig::new(16, 1024, 8).with_numa_node(1000)).unwrap_err();
    let RingError::Memory(e @ MemoryError::NumaRefused { node: 1000, .. }) = err else {
        panic!("expected NumaRefused, got {err:?}");
    };
    assert!(e.to_string().contains("NUMA node 1000"), "{e}");
}

/// This process's resident memory in bytes (/proc/self/statm).
fn resident_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
    pages * page
}

#[test]
fn pretouch_faults_in_every_page_before_the_first_alloc() {
    const REGION: usize = 256 << 20;
    let before = resident_bytes();
    let p = RingPool::new(RingConfig::new(1024, REGION / 4096, 8)).unwrap();
    let grown = resident_bytes().saturating_sub(before);
    // Other tests of this binary run meanwhile and hold a few MiB at most.
    assert!(
        grown >= REGION - (32 << 20),
        "{} MiB resident after pretouching a {} MiB region",
        grown >> 20,
        REGION >> 20
    );
    drop(p);
}

#[test]
fn pretouch_off_still_works() {
    let p = RingPool::new(RingConfig::new(64, 1024, 16).with_pretouch(false)).unwrap();
    let mut prod = p.producer().unwrap();
    let mut s = prod.alloc(16).unwrap();
    s.fill(2.0);
    assert_eq!(s.iter().sum::<f32>(), 2.0 * 16.0 * 64.0);
}

#[test]
fn alloc_wait_errors_at_once_for_requests_that_never_fit() {
    let pool = pool(2, 8, 4);
    let mut p = pool.producer().unwrap();
    let held = p.alloc(4).unwrap();
    let start = std::time::Instant::now();
    // An hour's timeout: these must not wait at all.
    let hour = std::time::Duration::from_secs(3600);
    assert_eq!(p.alloc_wait(0, hour).unwrap_err(), RingError::ZeroLength);
    assert_eq!(
        p.alloc_wait(5, hour).unwrap_err(),
        RingError::TooLong {
            requested: 5,
            max_vectors: 4
        }
    );
    assert!(start.elapsed() < hour);
    let s = p.stats();
    assert_eq!((s.allocations, s.waits, s.timeouts), (1, 0, 0));
    drop(held);
}

#[test]
fn alloc_wait_times_out_with_the_blocking_slice_and_changes_nothing() {
    let pool = pool(2, 8, 4);
    let mut p = pool.producer().unwrap();
    let a = p.alloc(4).unwrap();
    let b = p.alloc(4).unwrap();
    let before = p.stats();
    let err = p
        .alloc_wait(1, std::time::Duration::from_millis(5))
        .unwrap_err();
    assert_eq!(
        err,
        RingError::Timeout {
            requested: 1,
            largest_fit: 0,
            oldest_live: Some(OldestLive {
                first_vector: 0,
                len_vectors: 4,
                allocations_ago: 1
            }),
        }
    );
    assert!(err.to_string().contains("timed out"), "{err}");
    let after = p.stats();
    assert_eq!(after.timeouts, 1);
    assert_eq!(
        (after.allocations, after.used_vectors, after.full_events),
        (before.allocations, before.used_vectors, before.full_events)
    );
    // A zero timeout does not sleep either, and still allocates when it fits.
    drop(a);
    assert!(matches!(
        p.alloc_wait(5, std::time::Duration::ZERO),
        Err(RingError::TooLong { .. })
    ));
    let c = p.alloc_wait(4, std::time::Duration::ZERO).unwrap();
    assert_eq!(c.first_vector(), 0);
    drop((b, c));
}

#[test]
fn alloc_wait_does_not_sleep_when_the_request_fits() {
    let pool = pool(2, 8, 4);
    let mut p = pool.producer().unwrap();
    let a = p.alloc_wait(4, std::time::Duration::ZERO).unwrap();
    let b = p.alloc_wait(4, std::time::Duration::MAX).unwrap();
    assert_eq!((a.first_vector(), b.first_vector()), (0, 4));
    assert_eq!(p.stats().waits, 0);
    drop((a, b));
}
