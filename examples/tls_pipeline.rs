//! The thread-local front in a hand-off pipeline: parser threads take
//! serialization buffers from a `TlsPool`, fill them and pass them to a
//! writer thread, which gives them back. Gets hit the parsers' own caches;
//! returns land in the writer's cache, which passes whole batches back
//! through the shared depot — the pattern a plain per-thread cache handles
//! worst, since every buffer changes threads.
//!
//! The front keeps the pool's bound exact by moving *places* with buffers:
//! a get from a parser's cache leaves a free place reserved in that cache,
//! and the writer's returns need places of their own. So a return may be
//! refused as pool-full while other threads' caches reserve free places (at
//! most `per_thread` each: "full" early, never late). A refused buffer is
//! dropped and a later get allocates a replacement; nothing is lost, and the
//! program checks that conservation.
//!
//! ```text
//! cargo run --release --example tls_pipeline
//! ```

use std::sync::mpsc;

use verified_pools::pool::{PoolConfig, ReturnOutcome, Serialization};
use verified_pools::tls::{TlsConfig, TlsPool};

const PARSERS: usize = 2;
const MESSAGES_PER_PARSER: usize = 50_000;
/// Buffers of the kind: enough for every thread's cache and the messages
/// in flight.
const COUNT: usize = 256;
/// Messages a parser may have in flight (bounded channel).
const IN_FLIGHT: usize = 32;

fn main() {
    let pool: TlsPool = TlsPool::new(TlsConfig {
        pool: PoolConfig {
            count: COUNT,
            serialization_size: 1 << 10,
            ..PoolConfig::default()
        },
        per_thread: 16,
    })
    .expect("a valid front config");

    let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(IN_FLIGHT);
    let (written, refused) = std::thread::scope(|scope| {
        for parser in 0..PARSERS {
            let (pool, tx) = (&pool, tx.clone());
            scope.spawn(move || {
                for i in 0..MESSAGES_PER_PARSER {
                    let mut buf = pool.get::<Serialization>();
                    buf.extend_from_slice(format!("{parser}:{i};").as_bytes());
                    tx.send(buf).expect("the writer is alive");
                }
                // Hand this thread's cached buffers back before it ends
                // (a thread's exit does the same).
                pool.flush_local();
            });
        }
        drop(tx);
        let writer = scope.spawn(|| {
            let (mut bytes, mut refused) = (0, 0);
            for buf in rx {
                bytes += buf.len();
                match pool.give_back::<Serialization>(buf) {
                    ReturnOutcome::Accepted => {}
                    ReturnOutcome::PoolFull => refused += 1,
                    other => panic!("a pooled buffer came back {other:?}"),
                }
            }
            pool.flush_local();
            (bytes, refused)
        });
        writer.join().expect("writer panicked")
    });

    let stats = pool.stats();
    let s = stats.serialization;
    println!("bytes written: {written}");
    println!(
        "serialization: {} gets, hit rate {:.4}, {} misses, {} accepted and {} refused returns, pooled {} ({} cached), {} threads seen",
        s.pool.gets(),
        s.pool.hit_rate(),
        s.pool.misses,
        s.pool.returns_accepted,
        s.pool.rejected_pool_full,
        s.pool.pooled,
        s.cached,
        stats.slots
    );
    assert_eq!(s.pool.gets(), PARSERS * MESSAGES_PER_PARSER);
    assert_eq!(s.pool.returns(), s.pool.gets());
    assert_eq!(s.pool.rejected_pool_full, refused);
    assert_eq!(s.pool.in_use, 0);
    // Conservation: every buffer made (pre-allocated or on a miss) is pooled
    // again or was dropped by a refused return.
    assert_eq!(s.pool.pooled + refused, COUNT + s.pool.misses);
    assert!(s.pool.pooled <= COUNT);
    // Every thread flushed: nothing is left in a cache.
    assert_eq!(s.cached, 0);
    println!("ok");
}
