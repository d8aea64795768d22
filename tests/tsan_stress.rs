//! ThreadSanitizer tier: the stress workloads of `common/stress.rs` (shared
//! with `asan_stress.rs`) on real threads, the real allocator and a
//! TSan-instrumented std, for every safe row — `tagged`, `epoch`,
//! `pointer_node` (its single-popper flag), `pool`, `ring` (cross-thread,
//! out-of-order drops) and `tls` — each asserting its conservation checks
//! and that TSan made no report while it ran; plus two negative rows TSan must catch, each asserted by a driver
//! that runs its child in a process of its own and requires exit code 66 and
//! `WARNING: ThreadSanitizer: data race`:
//!
//! * `tagged.push.cas` weakened to Relaxed (through the `--cfg tsan_mutant`
//!   hook in `verified_pools::sync::mutation`): a popper reads a slot value
//!   the pusher's Relaxed CAS never published;
//! * the seed's ring (rebuilt below): slices dropped on another thread bump
//!   a shared read cursor with Relaxed, and the producer writes the vectors
//!   that cursor gave back while the dropper's reads are unordered with it.
//!
//! Built only with `--cfg tsan_stress` (elsewhere this target is empty);
//! README.md ("The TSan tier") has the commands. Each row prints one `evidence:` line
//! (the format of `models/support.rs`). Environment: `TSAN_STRESS_OPS`
//! (operations per safe row, default 1,000,000), `TSAN_STRESS_THREADS`
//! (default 4), `TSAN_NEGATIVE_OPS` (the most a negative child does before
//! giving up, default 2,000,000).
#![cfg(tsan_stress)]

use std::cell::UnsafeCell;
use std::process::Command;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::Instant;

use verified_pools::sync::mutation::ord;
use verified_pools::{EpochStack, PointerNodeStack, TaggedStack};

#[path = "common/stress.rs"]
mod stress;

use stress::{Run, env_u64};

/// The sanitizer's exit code when it reported (TSan's default `exitcode`).
const TSAN_EXIT: i32 = 66;
/// The line every TSan race report starts with.
const DATA_RACE: &str = "WARNING: ThreadSanitizer: data race";
/// The environment variable the `--cfg tsan_mutant` hook reads.
const MUTANT_ENV: &str = "VERIFIED_POOLS_MUTANT";

fn run() -> Run {
    Run {
        ops: env_u64("TSAN_STRESS_OPS", 1_000_000),
        threads: env_u64("TSAN_STRESS_THREADS", 4).clamp(2, 64) as usize,
    }
}

// ---------------------------------------------------------------------------
// Safe rows: no report, conservation checked
// ---------------------------------------------------------------------------

/// Reports TSan has printed in this process.
static REPORTS: AtomicU64 = AtomicU64::new(0);

/// TSan calls `__tsan_on_report` for every report it prints; its runtime's
/// definition is weak and empty, and this one replaces it to count them.
#[unsafe(no_mangle)]
extern "C" fn __tsan_on_report(_report: *const core::ffi::c_void) {
    REPORTS.fetch_add(1, Ordering::SeqCst);
}

/// Runs a safe row (its own checks included; its threads are joined when it
/// returns), asserts TSan reported nothing meanwhile, prints its evidence.
fn clean(row: impl FnOnce() -> stress::Done) {
    let before = REPORTS.load(Ordering::SeqCst);
    let done = row();
    let reports = REPORTS.load(Ordering::SeqCst) - before;
    assert_eq!(reports, 0, "TSan reported {reports} race(s) in this row");
    done.evidence("tsan");
}

#[test]
fn safe_tagged_stack() {
    let run = run();
    clean(|| stress::churn::<TaggedStack<usize>>(&run, "tagged", run.threads));
}

#[test]
fn safe_epoch_stack() {
    let run = run();
    clean(|| stress::churn::<EpochStack<usize>>(&run, "epoch", run.threads));
}

/// Through `FreeList::pop`, which takes the single-popper flag (`Popper`).
#[test]
fn safe_pointer_node_popper() {
    let run = run();
    clean(|| stress::churn::<PointerNodeStack<usize>>(&run, "pointer_node", run.threads.min(2)));
}

#[test]
fn safe_pool_tagged() {
    clean(|| stress::pool_tagged(&run()));
}

#[test]
fn safe_ring_cross_thread_drops() {
    clean(|| stress::ring_cross_thread_drops(&run()));
}

#[test]
fn safe_tls_front() {
    clean(|| stress::tls_front(&run()));
}

// ---------------------------------------------------------------------------
// Negative rows: a driver runs its child and asserts TSan's report
// ---------------------------------------------------------------------------

/// Operations the running negative child has done (published per round).
static NEGATIVE_OPS: AtomicU64 = AtomicU64::new(0);

/// Called by the sanitizer runtime as it dies on the report
/// (`halt_on_error=1`): prints how far the child got, for the driver.
extern "C" fn report_ops_at_death() {
    let line = format!(
        "\ntsan-negative: ops={} at the report\n",
        // Relaxed: a progress figure; nothing is read through it.
        NEGATIVE_OPS.load(Ordering::Relaxed)
    );
    // SAFETY: writes a valid buffer to stderr; no locks are taken.
    unsafe { libc::write(2, line.as_ptr().cast(), line.len()) };
}

fn register_death_callback() {
    unsafe extern "C" {
        fn __sanitizer_set_death_callback(callback: extern "C" fn());
    }
    // SAFETY: the sanitizer runtime's documented interface (TSan has it, as
    // every sanitizer_common runtime); the callback only writes to stderr.
    unsafe { __sanitizer_set_death_callback(report_ops_at_death) };
}

/// Runs the ignored test `child` of this binary with `env` and
/// `TSAN_OPTIONS=options`; its output, or `None` (the child killed) if it
/// has not exited within `limit`.
fn run_child(
    child: &str,
    env: &[(&str, &str)],
    options: &str,
    limit: std::time::Duration,
) -> Option<std::process::Output> {
    let mut proc = Command::new(std::env::current_exe().expect("own path"))
        .args([
            "--ignored",
            "--exact",
            child,
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .envs(env.iter().copied())
        .env("TSAN_OPTIONS", options)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run the child");
    // The pipes are drained on threads of their own, so a child that
    // writes a long report never blocks on a full pipe.
    let drain = |mut pipe: Box<dyn std::io::Read + Send>| {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(proc.stdout.take().expect("piped")));
    let stderr = drain(Box::new(proc.stderr.take().expect("piped")));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = proc.try_wait().expect("wait for the child") {
            break Some(status);
        }
        if start.elapsed() > limit {
            let _ = proc.kill();
            let _ = proc.wait();
            break None;
        }
        thread::sleep(std::time::Duration::from_millis(50));
    };
    let stdout = stdout.join().expect("stdout reader");
    let stderr = stderr.join().expect("stderr reader");
    status.map(|status| std::process::Output {
        status,
        stdout,
        stderr,
    })
}

/// Runs the ignored test `child` of this binary in a process of its own with
/// `env`, asserts TSan reported a data race there (exit code 66 and the
/// report) and, when the report is symbolized, that one of its two accesses
/// is in `culprit` (a function path); prints the negative row's evidence.
fn expect_data_race(child: &str, env: &[(&str, &str)], culprit: &str, algo: &str, scenario: &str) {
    let start = Instant::now();
    // Stop at the first report; keep the caller's options (the symbolizer).
    let options = format!(
        "{} halt_on_error=1",
        std::env::var("TSAN_OPTIONS").unwrap_or_default()
    );
    // A child that has not finished in time is killed and run again: one
    // run of the mutant under TSan was seen to hang (every thread asleep on
    // a futex, no report) on a clean CI clone; a hung attempt shows
    // nothing either way, and the row needs one run that reports.
    let limit = std::time::Duration::from_secs(env_u64("TSAN_NEGATIVE_SECS", 30));
    let mut attempts = Vec::new();
    let out = loop {
        match run_child(child, env, options.trim(), limit) {
            Some(out) => break out,
            None if attempts.len() < 5 => attempts.push(limit),
            None => panic!("{child} hung {} times ({limit:?} each)", attempts.len() + 1),
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let tail = |s: &str| s.lines().rev().take(15).collect::<Vec<_>>().join("\n");
    assert!(
        stdout.contains(&format!("tsan-negative: {child} running")),
        "the child {child} did not start its workload:\n{}\n{}",
        tail(&stdout),
        tail(&stderr)
    );
    assert!(
        stderr.contains(DATA_RACE) && out.status.code() == Some(TSAN_EXIT),
        "TSan reported no data race in {child} (status {:?}; is this a \
         `-Zsanitizer=thread --cfg tsan_mutant` build?):\n{}",
        out.status,
        tail(&stderr)
    );
    // The report's two access stacks: up to its "Location" or thread part.
    let report: Vec<&str> = stderr
        .lines()
        .skip_while(|l| !l.contains(DATA_RACE))
        .take_while(|l| !l.trim_start().starts_with("Location") && !l.contains("created by"))
        .collect();
    let symbolized = report.iter().any(|l| l.contains("::"));
    if symbolized {
        assert!(
            report.iter().any(|l| l.contains(culprit)),
            "the race in {child} is not in {culprit}:\n{}",
            report.join("\n")
        );
    }
    let found = if symbolized {
        culprit.rsplit("::").next().unwrap_or(culprit)
    } else {
        "unsymbolized_code"
    };
    let ops = stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("tsan-negative: ops="))
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or("unknown");
    println!(
        "evidence: checker=tsan algo={algo} scenario={scenario} result=bug_found found=data_race_in_{found} ops={ops} hung_attempts={} secs={:.2}",
        attempts.len(),
        start.elapsed().as_secs_f64()
    );
}

/// Negative row: `tagged.push.cas` weakened to Relaxed must be a data race.
#[test]
fn negative_tagged_push_cas_relaxed() {
    expect_data_race(
        "child_tagged_churn",
        &[(MUTANT_ENV, "tagged.push.cas")],
        "verified_pools::stack::tagged::TaggedStack",
        "tagged",
        "mutant:tagged.push.cas",
    );
}

/// The child of [`negative_tagged_push_cas_relaxed`]: the tagged churn in
/// rounds, with the mutant the driver named, until TSan stops it.
#[test]
#[ignore = "child of negative_tagged_push_cas_relaxed"]
fn child_tagged_churn() {
    use std::sync::atomic::Ordering::{Relaxed, Release};
    assert_eq!(
        ord(Release, "tagged.push.cas"),
        Relaxed,
        "the mutant is not active: build with --cfg tsan_mutant and set {MUTANT_ENV}"
    );
    register_death_callback();
    println!("tsan-negative: child_tagged_churn running");
    let limit = env_u64("TSAN_NEGATIVE_OPS", 2_000_000);
    // Rounds of 1,000 operations: the evidence's `ops=` is what the rounds
    // before the racing one did.
    let round = Run {
        ops: 1_000,
        threads: 2,
    };
    // Relaxed (both): a progress figure, only this thread writes it.
    while NEGATIVE_OPS.load(Ordering::Relaxed) < limit {
        let done = stress::churn::<TaggedStack<usize>>(&round, "tagged", round.threads);
        NEGATIVE_OPS.fetch_add(done.ops, Ordering::Relaxed);
    }
    panic!("no data race reported in {limit} operations");
}

/// Negative row: the seed's ring must be a data race.
#[test]
fn negative_seed_ring_relaxed_cursor() {
    expect_data_race(
        "child_seed_ring",
        &[],
        "tsan_stress::SeedWrite",
        "ring",
        "seed_ring_relaxed_cursor",
    );
}

/// The child of [`negative_seed_ring_relaxed_cursor`]: the producer writes
/// stamped slices of a [`SeedRing`] and sends them, in allocation order (so
/// the seed's FIFO assumption holds and only its orderings are on trial), to
/// a dropper thread, which reads them and drops them.
#[test]
#[ignore = "child of negative_seed_ring_relaxed_cursor"]
fn child_seed_ring() {
    register_death_callback();
    println!("tsan-negative: child_seed_ring running");
    let limit = env_u64("TSAN_NEGATIVE_OPS", 2_000_000);
    let ring = std::sync::Arc::new(SeedRing::new(16));
    let (tx, rx) = mpsc::channel::<SeedSlice>();
    let dropper = thread::spawn(move || {
        for slice in rx {
            let stamp = slice.read()[0];
            assert!(slice.read().iter().all(|&x| x == stamp), "torn slice");
            drop(slice);
        }
    });
    let mut id = 0u64;
    // Relaxed (here and below): a progress figure, only this thread writes it.
    while NEGATIVE_OPS.load(Ordering::Relaxed) < limit {
        match SeedRing::alloc(&ring, 1 + (id % 4) as usize) {
            Some(mut slice) => {
                slice.write().fill(id as f32);
                tx.send(slice).expect("dropper alive");
                id += 1;
                // One alloc and one drop.
                NEGATIVE_OPS.fetch_add(2, Ordering::Relaxed);
            }
            None => thread::yield_now(),
        }
    }
    drop(tx);
    dropper.join().expect("dropper");
    panic!("no data race reported in {limit} operations");
}

/// Floats per vector of [`SeedRing`].
const SEED_DIM: usize = 8;

/// The seed's ring design, rebuilt small (as in `benches/ring_pool.rs`): one
/// region, a producer-private write cursor, and a shared read cursor that
/// each slice's drop advances by its span with `Relaxed` — the seed's claim
/// being that drops happen on the producer's thread. Nothing enforces that,
/// and a drop on another thread gives the producer no happens-before edge to
/// the dropper's last reads of the vectors it then rewrites.
struct SeedRing {
    data: Box<[UnsafeCell<f32>]>,
    capacity: usize,
    /// Producer-only: vectors handed out (monotonic).
    write: AtomicUsize,
    /// Vectors given back (monotonic): the seed's shared read cursor.
    read: AtomicUsize,
}

// SAFETY: the seed's own claim, which this child exists to refute under
// TSan: a vector is touched only through the one slice covering it.
unsafe impl Sync for SeedRing {}

impl SeedRing {
    fn new(capacity: usize) -> Self {
        Self {
            data: (0..capacity * SEED_DIM)
                .map(|_| UnsafeCell::new(0.0))
                .collect(),
            capacity,
            write: AtomicUsize::new(0),
            read: AtomicUsize::new(0),
        }
    }

    /// `n` vectors, or `None` while the ring is too full. Like the seed, a
    /// request that would cross the end pads to the start.
    fn alloc(ring: &std::sync::Arc<Self>, n: usize) -> Option<SeedSlice> {
        // Relaxed (both): the seed's orderings, the bug on trial.
        let w = ring.write.load(Ordering::Relaxed);
        let r = ring.read.load(Ordering::Relaxed);
        let at = w % ring.capacity;
        let pad = if at + n > ring.capacity {
            ring.capacity - at
        } else {
            0
        };
        if w + pad + n - r > ring.capacity {
            return None;
        }
        let first = (w + pad) % ring.capacity;
        // Relaxed: only the producer reads its own cursor.
        ring.write.store(w + pad + n, Ordering::Relaxed);
        Some(SeedSlice {
            ring: ring.clone(),
            first,
            vectors: n,
            span: pad + n,
        })
    }
}

/// A run of [`SeedRing`] vectors; its drop gives `span` vectors back.
struct SeedSlice {
    ring: std::sync::Arc<SeedRing>,
    first: usize,
    vectors: usize,
    span: usize,
}

// SAFETY: as for `SeedRing`: the slice is the only way to its vectors.
unsafe impl Send for SeedSlice {}

impl SeedSlice {
    fn cells(&self) -> &[UnsafeCell<f32>] {
        &self.ring.data[self.first * SEED_DIM..(self.first + self.vectors) * SEED_DIM]
    }

    fn read(&self) -> Vec<f32> {
        // SAFETY: the seed's claim that these vectors are this slice's alone
        // (the plain accesses TSan checks).
        self.cells().iter().map(|c| unsafe { *c.get() }).collect()
    }

    fn write(&mut self) -> SeedWrite<'_> {
        SeedWrite(self.cells())
    }
}

/// Plain writes to a slice's vectors.
struct SeedWrite<'a>(&'a [UnsafeCell<f32>]);

impl SeedWrite<'_> {
    fn fill(&self, value: f32) {
        for c in self.0 {
            // SAFETY: as in `SeedSlice::read`.
            unsafe { *c.get() = value };
        }
    }
}

impl Drop for SeedSlice {
    fn drop(&mut self) {
        // Relaxed: the seed's ordering, the bug on trial.
        self.ring.read.fetch_add(self.span, Ordering::Relaxed);
    }
}
