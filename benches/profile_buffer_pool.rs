//! A plain loop of pool operations for `perf record -g`: no criterion, no
//! timing machinery in the profile.
//!
//! ```text
//! cargo bench --no-run
//! perf record -g target/release/deps/profile_buffer_pool-<hash> [ITERATIONS] [pool|guard|tls|linear|ring|ring_borrowed|ring_arc|ringal|pools/ROW|all]
//! perf report
//! ```
//!
//! `ITERATIONS` defaults to 100 000 000 per workload; the workload defaults
//! to `all`. `pool` is a tagged `BufferPool` get + return of a 4 KiB
//! serialization buffer by value; `guard` the same through its guard;
//! `tls` the same through the thread-local front
//! (`TlsPool`, 16 per thread); `linear` a `LinearObjectPool` pull + drop of
//! the same buffer (the peer the front is measured against); `ring` is the ring pool's window pattern of the
//! `pool_sizes` bench (16 live slices of 4 × 256-byte vectors; each op
//! allocates one, writes it and drops the oldest) on a 2 MiB pretouched
//! ring; `ring_borrowed` and `ring_arc` one alloc of 4 vectors and its
//! release, back to back, through each handle flavour, and `ringal` the
//! same size through `ringal` (the peer of those two). `pools/ROW` runs
//! any row of the `pools` bench (`pools/epoch`, `pools/object_pool`, …)
//! through the same driver (`pairs.rs`), with 4 KiB buffers on one thread.
//! When started by `cargo bench` (which passes `--bench`) or
//! `cargo test` without a count, it runs 1 000 000 iterations as a smoke
//! run.

mod pairs;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use lockfree_object_pool::LinearObjectPool;
use verified_pools::pool::{BufferPool, PoolConfig, Serialization};
use verified_pools::ring::{RingProducer, RingRef};
use verified_pools::tls::{TlsConfig, TlsPool};
use verified_pools::{PoolSlice, RingConfig, RingPool};

const DEFAULT_ITERATIONS: u64 = 100_000_000;
const SMOKE_ITERATIONS: u64 = 1_000_000;

/// The benches' pool shape: 64 buffers of 4 KiB.
fn pool_config() -> PoolConfig {
    PoolConfig {
        count: 64,
        serialization_size: 4 << 10,
        compression_size: 64,
        simd_len: 8,
    }
}

fn profile_pool(iterations: u64) {
    let pool: BufferPool = BufferPool::new(pool_config()).expect("valid pool config");
    let start = Instant::now();
    for _ in 0..iterations {
        let mut buf = pool.get_serialization_buffer();
        black_box(&mut buf);
        black_box(pool.return_serialization_buffer(buf));
    }
    report("pool (tagged, 4 KiB get + return)", iterations, start);
    black_box(pool.stats());
}

fn profile_guard(iterations: u64) {
    let pool: BufferPool = BufferPool::new(pool_config()).expect("valid pool config");
    let start = Instant::now();
    for _ in 0..iterations {
        let mut guard = pool.serialization_guard();
        black_box(&mut *guard);
        drop(guard);
    }
    report("guard (tagged, 4 KiB guard + drop)", iterations, start);
    black_box(pool.stats());
}

fn profile_tls(iterations: u64) {
    let pool: TlsPool = TlsPool::new(TlsConfig {
        pool: pool_config(),
        per_thread: 16,
    })
    .expect("valid cache config");
    let start = Instant::now();
    for _ in 0..iterations {
        let mut buf = pool.get::<Serialization>();
        black_box(&mut buf);
        black_box(pool.give_back::<Serialization>(buf));
    }
    report("tls (front, 4 KiB get + return)", iterations, start);
    black_box(pool.stats());
}

fn profile_linear(iterations: u64) {
    let size = pool_config().serialization_size;
    let pool = LinearObjectPool::new(move || Vec::<u8>::with_capacity(size), |v| v.clear());
    let held: Vec<_> = (0..64).map(|_| pool.pull()).collect();
    drop(held);
    let start = Instant::now();
    for _ in 0..iterations {
        let mut r = pool.pull();
        black_box(&mut *r);
    }
    report("linear (4 KiB pull + drop)", iterations, start);
}

fn profile_ring(iterations: u64) {
    const DIM: usize = 64;
    const WINDOW: usize = 16;
    const N: usize = 4;
    let pool = RingPool::new(RingConfig::new(DIM, (2 << 20) / (DIM * 4), N)).expect("ring");
    let mut producer = pool.producer().expect("one producer");
    let src: Vec<f32> = (0..N * DIM).map(|i| i as f32).collect();
    let mut slots: Vec<Option<PoolSlice<'_>>> = (0..WINDOW).map(|_| None).collect();
    let start = Instant::now();
    for i in 0..iterations {
        let mut s = producer.alloc(N).expect("ring has room");
        s.copy_from_slice(&src);
        // Replacing the slot drops the oldest slice: its release.
        slots[i as usize % WINDOW] = Some(black_box(s));
    }
    report("ring (window of 16, 4 vectors, written)", iterations, start);
    drop(slots);
}

/// One alloc of 4 vectors and its release, back to back, on a 1 MiB ring:
/// the `alloc_sizes/nowrite/ring_borrowed/4` and `ring_arc/4` rows.
fn profile_ring_pair(iterations: u64, arc: bool) {
    const DIM: usize = 64;
    let cfg = RingConfig::new(DIM, (1 << 20) / (DIM * 4), 64);
    if arc {
        let pool = Arc::new(RingPool::new(cfg).expect("ring"));
        let producer = RingPool::arc_producer(&pool).expect("one producer");
        ring_pairs(producer, iterations, "ring_arc (alloc 4 + drop)");
    } else {
        let pool = RingPool::new(cfg).expect("ring");
        let producer = pool.producer().expect("one producer");
        ring_pairs(producer, iterations, "ring_borrowed (alloc 4 + drop)");
    }
}

fn ring_pairs<R: RingRef>(mut producer: RingProducer<R>, iterations: u64, what: &str) {
    let start = Instant::now();
    for _ in 0..iterations {
        drop(black_box(producer.alloc(4).expect("ring has room")));
    }
    report(what, iterations, start);
}

/// `ringal`'s `fixed` of 4 × 256 bytes and its drop, back to back, on a
/// 1 MiB ring: the peer of the two workloads above.
fn profile_ringal(iterations: u64) {
    let mut ring = ringal::RingAl::new(1 << 20);
    let start = Instant::now();
    for _ in 0..iterations {
        drop(black_box(ring.fixed(4 * 256).expect("ring has room")));
    }
    report("ringal (fixed 1 KiB + drop)", iterations, start);
}

/// Runs the `pools` row named `want` (4 KiB buffers, this thread) if it
/// exists.
struct OneRow<'a> {
    want: &'a str,
    iterations: u64,
    found: bool,
}

impl pairs::Rows for OneRow<'_> {
    fn row<P: pairs::Pair>(&mut self, name: &'static str, pool: P) {
        if name != self.want {
            return;
        }
        self.found = true;
        let start = Instant::now();
        for _ in 0..self.iterations {
            pool.pair();
        }
        report(
            &format!("pools/{name} (4 KiB, 1 thread)"),
            self.iterations,
            start,
        );
    }
}

fn report(what: &str, iterations: u64, start: Instant) {
    let elapsed = start.elapsed();
    println!(
        "{what}: {iterations} iterations in {:.3} s, {:.2} ns/op",
        elapsed.as_secs_f64(),
        elapsed.as_nanos() as f64 / iterations.max(1) as f64
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let under_cargo = args.iter().any(|a| a == "--bench")
        || std::env::var_os("CARGO_PKG_NAME").is_some_and(|_| args.is_empty());
    let mut iterations = None;
    let mut workload = "all".to_owned();
    for arg in args.iter().filter(|a| !a.starts_with("--")) {
        match arg.replace('_', "").parse::<u64>() {
            Ok(n) => iterations = Some(n),
            Err(_) => workload = arg.clone(),
        }
    }
    let iterations = iterations.unwrap_or(if under_cargo {
        SMOKE_ITERATIONS
    } else {
        DEFAULT_ITERATIONS
    });
    match workload.as_str() {
        "pool" => profile_pool(iterations),
        "guard" => profile_guard(iterations),
        "tls" => profile_tls(iterations),
        "linear" => profile_linear(iterations),
        "ring" => profile_ring(iterations),
        "ring_borrowed" => profile_ring_pair(iterations, false),
        "ring_arc" => profile_ring_pair(iterations, true),
        "ringal" => profile_ringal(iterations),
        "all" => {
            profile_pool(iterations);
            profile_guard(iterations);
            profile_tls(iterations);
            profile_linear(iterations);
            profile_ring(iterations);
            profile_ring_pair(iterations, false);
            profile_ring_pair(iterations, true);
            profile_ringal(iterations);
        }
        other => {
            let mut one = OneRow {
                want: other.strip_prefix("pools/").unwrap_or(""),
                iterations,
                found: false,
            };
            if !one.want.is_empty() {
                pairs::pool_rows(pool_config().serialization_size, &mut one);
            }
            if !one.found {
                eprintln!(
                    "unknown workload {other:?}: expected pool, guard, tls, linear, ring, ring_borrowed, ring_arc, ringal, pools/ROW (a row of the pools bench) or all"
                );
                std::process::exit(2);
            }
        }
    }
}
