//! A user-defined kind: 256-float feature vectors for an embedding service.
//!
//! The kind is the user's own `BufferKind` (a `Vec<f32>` of exactly the
//! model's dimension, zeroed on reuse, and only that exact length taken
//! back). Request threads take vectors from the kind's thread-local front
//! (`KindTlsPool`), fill them, and hand them through a channel to a scorer
//! thread, which drops the guards there: each vector goes back through the
//! scorer's cache. A vector of the wrong length offered back is rejected by
//! the window, and the plain shared pool (`KindPool`) serves a batch job
//! with `try_get` back-pressure. The stats at the end are checked.
//!
//! ```text
//! cargo run --release --example user_kind
//! ```

use std::ops::RangeInclusive;
use std::sync::{Arc, mpsc};

use verified_pools::pool::{BufferKind, KindConfig, KindPool, ReturnOutcome};
use verified_pools::tls::{KindTlsConfig, KindTlsPool, OwnedKindCachedBuf};

/// The embedding model's dimension.
const DIM: usize = 256;
const REQUEST_THREADS: usize = 3;
const REQUESTS_PER_THREAD: usize = 20_000;
/// Vectors in flight per request thread (bounded channel).
const IN_FLIGHT: usize = 8;
/// Vectors pooled: every thread's cache plus what is in flight.
const COUNT: usize = 128;

/// Feature vectors of exactly `DIM` floats.
enum Features {}

impl BufferKind for Features {
    type Buffer = Vec<f32>;
    const NAME: &'static str = "features";
    // Sizes count floats: a size whose bytes overflow is a typed error.
    const UNIT_BYTES: usize = size_of::<f32>();

    fn fresh(size: usize) -> Vec<f32> {
        vec![0.0; size]
    }

    fn try_fresh(size: usize) -> Option<Vec<f32>> {
        let mut v = Vec::new();
        v.try_reserve_exact(size).ok()?;
        v.resize(size, 0.0);
        Some(v)
    }

    fn reset(buffer: &mut Vec<f32>) {
        buffer.fill(0.0);
    }

    fn size_of(buffer: &Vec<f32>) -> usize {
        buffer.len()
    }

    /// A vector of another dimension belongs to another model.
    fn acceptance_window(size: usize) -> RangeInclusive<usize> {
        size..=size
    }
}

fn embed(request: usize, vector: &mut [f32]) {
    for (i, x) in vector.iter_mut().enumerate() {
        *x = ((request * 31 + i) % 97) as f32 / 97.0;
    }
}

fn main() {
    let front: Arc<KindTlsPool<Features>> = Arc::new(
        KindTlsPool::new(KindTlsConfig {
            kind: KindConfig {
                count: COUNT,
                size: DIM,
            },
            per_thread: 16,
        })
        .expect("a valid config"),
    );

    let (tx, rx) =
        mpsc::sync_channel::<(usize, OwnedKindCachedBuf<Features>)>(IN_FLIGHT * REQUEST_THREADS);
    let scorer = std::thread::spawn(move || {
        let mut checksum = 0.0f64;
        for (request, vector) in rx {
            assert_eq!(vector.len(), DIM);
            assert_eq!(vector[1], ((request * 31 + 1) % 97) as f32 / 97.0);
            checksum += f64::from(vector.iter().sum::<f32>());
            // `vector` drops here: back through the scorer's cache.
        }
        checksum
    });
    let requests: Vec<_> = (0..REQUEST_THREADS)
        .map(|t| {
            let front = Arc::clone(&front);
            let tx = tx.clone();
            std::thread::spawn(move || {
                for i in 0..REQUESTS_PER_THREAD {
                    let request = t * REQUESTS_PER_THREAD + i;
                    let mut vector = front.guard_owned();
                    assert!(
                        vector.iter().all(|x| *x == 0.0),
                        "reused vectors are zeroed"
                    );
                    embed(request, &mut vector);
                    tx.send((request, vector)).expect("scorer alive");
                }
            })
        })
        .collect();
    drop(tx);
    for r in requests {
        r.join().expect("request thread panicked");
    }
    let checksum = scorer.join().expect("scorer panicked");

    // A vector of another model's dimension is refused by the window.
    assert_eq!(front.give_back(vec![0.0; DIM / 2]), ReturnOutcome::TooSmall);

    let s = front.stats();
    let total = REQUEST_THREADS * REQUESTS_PER_THREAD;
    println!("front: {:?}", s.pool);
    println!("checksum {checksum:.1}, hit rate {:.4}", s.pool.hit_rate());
    assert_eq!(s.pool.gets(), total);
    assert_eq!(s.pool.in_use, 0, "every vector came back");
    assert_eq!(s.pool.rejected_too_small, 1);
    assert!(s.pool.pooled <= COUNT, "the bound holds");
    // Conservation: every vector made is pooled or was dropped on a full
    // pool.
    assert_eq!(
        s.pool.pooled + s.pool.rejected_pool_full,
        COUNT + s.pool.misses
    );
    assert!(s.pool.hit_rate() > 0.9, "the front serves most gets");

    // A batch job on the plain shared pool, with back-pressure: `try_get`
    // never allocates; the job works in waves of what the pool holds.
    let batch: KindPool<Features> = KindPool::new(KindConfig {
        count: 4,
        size: DIM,
    })
    .expect("a valid config");
    let mut done = 0;
    while done < 10 {
        let wave: Vec<_> = std::iter::from_fn(|| batch.try_guard())
            .take(10 - done)
            .collect();
        done += wave.len();
    }
    let b = batch.stats();
    println!("batch: {b:?}");
    assert_eq!((b.hits, b.misses, b.fresh_allocations), (10, 0, 4));
    assert_eq!(b.try_get_empty, 2, "two waves ended on an empty pool");
}
