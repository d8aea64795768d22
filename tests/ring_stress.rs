//! The shared scenarios on real threads, a longer producer/two-dropper
//! stress with out-of-order drops, and a rough alloc+drop timing (printed
//! with `--nocapture`; nothing here asserts on time).
// Real threads with std's `Arc`: std builds only.
#![cfg(not(any(loom, shuttle)))]

#[path = "../models/scenarios/mod.rs"]
mod all_scenarios;
use all_scenarios::ring as scenarios;

use std::sync::mpsc;
use std::time::Instant;

use std::sync::Arc;
use verified_pools::ring::{ArcPoolSlice, RingConfig, RingError, RingPool};

#[test]
fn scenarios_on_real_threads() {
    for _ in 0..2_000 {
        scenarios::out_of_order_wrap();
        scenarios::last_slice_frees_region();
        scenarios::slices_outlive_producer();
        scenarios::producer_hand_off();
    }
}

/// One producer, two droppers; each dropper holds up to 4 slices and
/// releases them in a scrambled order; every slice carries a stamp that is
/// checked before its drop.
#[test]
fn producer_and_two_droppers() {
    const N: u64 = 200_000;
    let pool = Arc::new(RingPool::new(RingConfig::new(4, 256, 16)).unwrap());
    let mut prod = RingPool::arc_producer(&pool).unwrap();
    let (txs, handles): (Vec<_>, Vec<_>) = (0..2)
        .map(|d| {
            let (tx, rx) = mpsc::sync_channel::<(u64, ArcPoolSlice)>(8);
            let h = std::thread::spawn(move || {
                let mut held: Vec<(u64, ArcPoolSlice)> = Vec::new();
                let mut seen = 0u64;
                for item in rx {
                    held.push(item);
                    if held.len() == 4 {
                        for i in [2usize, 0, 1, 0] {
                            let (id, s) = held.remove(i.min(held.len() - 1));
                            assert!(
                                s.iter().all(|&x| x == id as f32),
                                "dropper {d}: live slice {id} overwritten"
                            );
                            seen += 1;
                        }
                    }
                }
                seen + held.len() as u64
            });
            (tx, h)
        })
        .unzip();
    let mut full = 0u64;
    let mut id = 0u64;
    while id < N {
        match prod.alloc(1 + (id as usize * 7) % 16) {
            Ok(mut s) => {
                s.fill(id as f32);
                txs[(id % 2) as usize].send((id, s)).unwrap();
                id += 1;
            }
            Err(RingError::Full { .. }) => {
                full += 1;
                std::thread::yield_now();
            }
            Err(e) => panic!("{e}"),
        }
    }
    drop(txs);
    let dropped: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(dropped, N);
    let s = prod.stats();
    assert_eq!(s.used_vectors, 0, "drains to empty");
    assert_eq!(s.allocations, N);
    assert_eq!(s.full_events, full);
    println!(
        "stress: {N} slices, {full} full events, high water {} of {} vectors, {} padded",
        s.high_water_vectors, s.capacity_vectors, s.padded_vectors
    );
}

fn time_alloc_drop(label: &str, cfg: RingConfig, n: usize, arc: bool) {
    const OPS: u32 = 2_000_000;
    let pool = Arc::new(RingPool::new(cfg).unwrap());
    let t = if arc {
        let mut p = RingPool::arc_producer(&pool).unwrap();
        let start = Instant::now();
        for i in 0..OPS {
            let mut s = p.alloc(n).unwrap();
            s[0] = i as f32;
            std::hint::black_box(&s);
        }
        start.elapsed()
    } else {
        let mut p = pool.producer().unwrap();
        let start = Instant::now();
        for i in 0..OPS {
            let mut s = p.alloc(n).unwrap();
            s[0] = i as f32;
            std::hint::black_box(&s);
        }
        start.elapsed()
    };
    println!(
        "{label}: {:.1} ns/op (alloc({n}) + write + drop)",
        t.as_nanos() as f64 / OPS as f64
    );
}

/// Rough single-thread figure: `cargo test --release --test ring_stress
/// timing -- --nocapture`. (Debug builds print too, but mean little.)
#[test]
fn timing() {
    let cfg = || RingConfig::new(128, 8192, 64);
    time_alloc_drop("borrowed, 4 MiB ring", cfg(), 4, false);
    time_alloc_drop("arc,      4 MiB ring", cfg(), 4, true);
    time_alloc_drop("borrowed, 4 MiB ring", cfg(), 32, false);

    // Out-of-order release, in flight: keep a window of 64 slices and drop
    // them in a scrambled order.
    const OPS: usize = 1_000_000;
    let pool = RingPool::new(cfg()).unwrap();
    let mut p = pool.producer().unwrap();
    let mut window = Vec::with_capacity(64);
    let start = Instant::now();
    for i in 0..OPS {
        window.push(p.alloc(1 + i % 8).unwrap());
        if window.len() == 64 {
            // Release the older half, newest first (reverse order), after
            // pulling a few from the middle of the younger half.
            for j in [40usize, 50, 33] {
                window.remove(j);
            }
            let older: Vec<_> = window.drain(..32).collect();
            older.into_iter().rev().for_each(drop);
        }
    }
    println!(
        "borrowed, 64 in flight, scrambled drops: {:.1} ns/op",
        start.elapsed().as_nanos() as f64 / OPS as f64
    );

    // First touch: fill a 64 MiB region once with and without pretouch.
    for pretouch in [false, true] {
        let t0 = Instant::now();
        let pool = RingPool::new(RingConfig::new(256, 65_536, 64).with_pretouch(pretouch)).unwrap();
        let build = t0.elapsed();
        let mut p = pool.producer().unwrap();
        let t1 = Instant::now();
        // Hold every slice, or the emptied ring would rewind and refill
        // the same first pages.
        let held: Vec<_> = (0..65_536 / 64)
            .map(|_| {
                let mut s = p.alloc(64).unwrap();
                s.fill(1.0);
                s
            })
            .collect();
        println!(
            "pretouch={pretouch}: build {:.1} ms, first fill of 64 MiB {:.1} ms",
            build.as_secs_f64() * 1e3,
            t1.elapsed().as_secs_f64() * 1e3
        );
        drop(held);
    }
}

/// The program that deadlocked with sleep-and-retry (issue 15): a producer
/// hands slices of 1..=8 vectors to three workers over channels; each
/// worker holds a few and drops them out of order. With `alloc_wait` the
/// producer sleeps while the ring is full and every release can wake it;
/// every slice is stamped and checked before its drop, and at the end the
/// ring drains. Nothing here depends on timing: the timeout is a minute and
/// a `Timeout` fails the test.
#[test]
fn producer_and_three_workers_wait_for_room() {
    const N: u64 = 50_000;
    let pool = Arc::new(RingPool::new(RingConfig::new(4, 64, 8)).unwrap());
    let mut prod = RingPool::arc_producer(&pool).unwrap();
    let (txs, workers): (Vec<_>, Vec<_>) = (0..3)
        .map(|w| {
            let (tx, rx) = mpsc::sync_channel::<(u64, ArcPoolSlice)>(64);
            let h = std::thread::spawn(move || {
                let mut held: Vec<(u64, ArcPoolSlice)> = Vec::new();
                let mut dropped = 0u64;
                for item in rx {
                    held.push(item);
                    if held.len() == 3 {
                        // Out of order: newest first, then the oldest.
                        for i in [2usize, 0, 0] {
                            let (id, s) = held.remove(i);
                            assert!(
                                s.iter().all(|&x| x == id as f32),
                                "worker {w}: live slice {id} overwritten"
                            );
                            dropped += 1;
                        }
                    }
                }
                dropped + held.len() as u64
            });
            (tx, h)
        })
        .unzip();
    for id in 0..N {
        let n = 1 + (id as usize * 5) % 8;
        let mut s = prod
            .alloc_wait(n, std::time::Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("slice {id}: {e}"));
        s.fill(id as f32);
        txs[(id % 3) as usize].send((id, s)).unwrap();
    }
    drop(txs);
    let dropped: u64 = workers.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(dropped, N);
    let st = prod.stats();
    assert_eq!((st.allocations, st.used_vectors, st.timeouts), (N, 0, 0));
    // 64 vectors, 3 × 64 slices of up to 8 in the channels: the producer
    // must have slept (a test of the wait path, not of speed).
    assert!(st.waits > 0, "the producer never waited: {st:?}");
    println!("three workers: {N} slices, {} waits", st.waits);
}

/// Releases from several threads at once while the producer sleeps: each
/// round fills the ring with four slices, hands them to four threads that
/// drop them together, and waits for the whole ring.
#[test]
fn simultaneous_releases_wake_the_producer() {
    let pool = RingPool::new(RingConfig::new(1, 4, 4)).unwrap();
    let mut prod = pool.producer().unwrap();
    for _ in 0..2_000 {
        let slices: Vec<_> = (0..4).map(|_| prod.alloc(1).unwrap()).collect();
        std::thread::scope(|s| {
            for slice in slices {
                s.spawn(move || drop(slice));
            }
            let all = prod
                .alloc_wait(4, std::time::Duration::from_secs(60))
                .expect("four releases make room for four");
            assert_eq!(all.first_vector(), 0);
        });
    }
    assert_eq!(prod.stats().timeouts, 0);
}
