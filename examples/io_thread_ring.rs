//! The IO-thread pattern on the ring-cursor pool: one producer (the IO
//! thread) carves slices of `f32` feature vectors out of a ring, fills them
//! and hands them to three workers; each worker keeps a few slices while it
//! works on them and drops them in its own order, so slices are released
//! out of allocation order and on other threads. Stats at the end.
//!
//! ```text
//! cargo run --release --example io_thread_ring
//! ```
//!
//! The ring reuses space only from its oldest live slice forward, so a
//! worker that sat on a slice while waiting for more input could stop the
//! producer for good. Workers here never wait holding slices: when no new
//! slice arrives within a millisecond they drop what they hold.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use verified_pools::ring::{PoolSlice, RingConfig, RingError, RingPool};

/// `f32`s per vector.
const DIM: usize = 16;
const WORKERS: usize = 3;
/// Slices the producer sends in total.
const MESSAGES: usize = 30_000;
/// Vectors per slice: 1 ..= MAX_VECTORS.
const MAX_VECTORS: usize = 8;
/// Slices a worker keeps before releasing them.
const KEEP: usize = 4;

/// The slice's vector count and the value its vectors are filled with.
fn shape(seq: usize) -> (usize, f32) {
    (1 + seq % MAX_VECTORS, (seq % 1000) as f32)
}

/// Releases `held` in an order that is neither allocation order nor its
/// reverse: odd positions first, then even.
fn release_shuffled(held: &mut Vec<PoolSlice<'_>>) {
    let mut i = 0;
    held.retain(|_| {
        i += 1;
        i % 2 == 0
    });
    held.clear();
}

fn worker(inbox: mpsc::Receiver<(usize, PoolSlice<'_>)>) -> (usize, f64) {
    let (mut received, mut checksum) = (0, 0.0f64);
    let mut held = Vec::with_capacity(KEEP);
    loop {
        match inbox.recv_timeout(Duration::from_millis(1)) {
            Ok((seq, slice)) => {
                let (n, value) = shape(seq);
                assert_eq!(slice.len_vectors(), n);
                assert!(slice.iter().all(|&x| x == value), "slice {seq} corrupted");
                checksum += slice.iter().map(|&x| f64::from(x)).sum::<f64>();
                received += 1;
                held.push(slice);
                if held.len() == KEEP {
                    release_shuffled(&mut held);
                }
            }
            Err(RecvTimeoutError::Timeout) => release_shuffled(&mut held),
            Err(RecvTimeoutError::Disconnected) => return (received, checksum),
        }
    }
}

fn main() -> Result<(), RingError> {
    // 256 vectors of 64 bytes: a small ring, so the producer does wrap and
    // does find it full now and then.
    let ring = RingPool::new(RingConfig::new(DIM, 256, MAX_VECTORS))?;
    let mut producer = ring.producer()?;

    let (sent_sum, results, stats) = std::thread::scope(|scope| {
        let mut outboxes = Vec::new();
        let mut workers = Vec::new();
        for _ in 0..WORKERS {
            let (tx, rx) = mpsc::channel();
            outboxes.push(tx);
            workers.push(scope.spawn(move || worker(rx)));
        }

        let mut sent_sum = 0.0f64;
        for seq in 0..MESSAGES {
            let (n, value) = shape(seq);
            let mut slice = loop {
                match producer.alloc(n) {
                    Ok(slice) => break slice,
                    // Full: the workers are still holding the space; they
                    // release it within a millisecond.
                    Err(RingError::Full { .. }) => std::thread::yield_now(),
                    Err(other) => return Err(other),
                }
            };
            slice.fill(value);
            sent_sum += f64::from(value) * (n * DIM) as f64;
            outboxes[seq % WORKERS]
                .send((seq, slice))
                .expect("workers outlive the producer's sends");
        }
        drop(outboxes);
        let results: Vec<(usize, f64)> = workers
            .into_iter()
            .map(|w| w.join().expect("worker panicked"))
            .collect();
        Ok((sent_sum, results, producer.stats()))
    })?;

    let received: usize = results.iter().map(|r| r.0).sum();
    let checksum: f64 = results.iter().map(|r| r.1).sum();
    println!("slices: {received} received by {WORKERS} workers");
    println!(
        "ring: {} allocations, {} vectors handed out, {} padded, {} full events, high water {} of {} vectors",
        stats.allocations,
        stats.vectors_handed_out,
        stats.padded_vectors,
        stats.full_events,
        stats.high_water_vectors,
        stats.capacity_vectors
    );
    assert_eq!(received, MESSAGES);
    assert_eq!(checksum, sent_sum, "a vector was lost or overwritten");
    assert_eq!(stats.allocations, MESSAGES as u64);
    let expected_vectors: usize = (0..MESSAGES).map(|seq| shape(seq).0).sum();
    assert_eq!(stats.vectors_handed_out, expected_vectors as u64);
    // Every slice was dropped: after reclaiming, nothing is in use.
    assert_eq!(stats.used_vectors, 0);
    assert_eq!(stats.oldest_live, None);
    assert!(stats.high_water_vectors <= stats.capacity_vectors);
    println!("ok");
    Ok(())
}
