//! Serialization workers sharing one `BufferPool`: each worker encodes
//! records into a pooled serialization buffer held by a guard, compresses
//! the encoding into a pooled compression buffer, and hands the result on.
//! The guards return both buffers when they go out of scope, so steady
//! state allocates nothing.
//!
//! ```text
//! cargo run --release --example serialization_workers
//! ```

use std::fmt::Write as _;
use std::sync::mpsc;

use verified_pools::pool::{BufferPool, PoolConfig};

const WORKERS: usize = 4;
const RECORDS_PER_WORKER: usize = 20_000;

/// A record as it might arrive from a feed.
struct Trade {
    id: u64,
    price: f64,
    qty: u32,
}

/// Encodes `trade` as one line of text into `out`.
fn encode(trade: &Trade, out: &mut Vec<u8>) {
    let mut line = String::new();
    // Writing into a String cannot fail.
    let _ = writeln!(line, "{},{:.4},{}", trade.id, trade.price, trade.qty);
    out.extend_from_slice(line.as_bytes());
}

/// A stand-in compressor: run-length encodes `input` into `out`.
fn compress(input: &[u8], out: &mut Vec<u8>) {
    let mut bytes = input.iter().copied().peekable();
    while let Some(b) = bytes.next() {
        let mut run = 1u8;
        while run < u8::MAX && bytes.peek() == Some(&b) {
            bytes.next();
            run += 1;
        }
        out.extend_from_slice(&[run, b]);
    }
}

fn main() {
    let pool: BufferPool = BufferPool::new(PoolConfig {
        count: 2 * WORKERS,
        serialization_size: 4 << 10,
        compression_size: 8 << 10,
        ..PoolConfig::default()
    })
    .expect("a valid pool config");

    let (sizes, total) = mpsc::channel::<usize>();
    std::thread::scope(|scope| {
        for worker in 0..WORKERS {
            let (pool, sizes) = (&pool, sizes.clone());
            scope.spawn(move || {
                for i in 0..RECORDS_PER_WORKER {
                    let trade = Trade {
                        id: (worker * RECORDS_PER_WORKER + i) as u64,
                        price: 100.0 + i as f64 / 64.0,
                        qty: (i % 500) as u32 + 1,
                    };
                    let mut encoded = pool.serialization_guard();
                    encode(&trade, &mut encoded);
                    let mut packed = pool.compression_guard();
                    compress(&encoded, &mut packed);
                    sizes.send(packed.len()).expect("the collector is alive");
                } // both guards give their buffers back here
            });
        }
    });
    drop(sizes);
    let compressed: Vec<usize> = total.iter().collect();

    let stats = pool.stats();
    println!("records: {}", compressed.len());
    println!("compressed bytes: {}", compressed.iter().sum::<usize>());
    for (name, s) in [
        ("serialization", stats.serialization),
        ("compression", stats.compression),
    ] {
        println!(
            "{name}: {} gets, hit rate {:.4}, {} misses, peak in use {}, pooled {}",
            s.gets(),
            s.hit_rate(),
            s.misses,
            s.peak_in_use,
            s.pooled
        );
        // Every get was a guard that gave its buffer back, and the pool kept
        // every buffer it made up to its bound.
        assert_eq!(s.gets(), WORKERS * RECORDS_PER_WORKER);
        assert_eq!(s.returns(), s.gets());
        assert_eq!(s.in_use, 0);
        assert!(s.pooled <= 2 * WORKERS);
        // Conservation: pre-allocated + allocated on a miss = pooled + dropped.
        assert_eq!(s.pooled + s.returns_rejected(), 2 * WORKERS + s.misses);
        // One buffer per worker at a time: the bound covers them all.
        assert_eq!(s.misses, 0);
    }
    assert_eq!(compressed.len(), WORKERS * RECORDS_PER_WORKER);
    println!("ok");
}
