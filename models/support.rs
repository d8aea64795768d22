//! Harness plumbing shared by every model target: run a scenario under the
//! active checker, count executions, expect failures, print evidence lines.
//!
//! Each result is printed as one `evidence:` line on stdout, which
//! `cargo xtask verify` reads (run the targets with `--nocapture`).
#![allow(dead_code)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Prints the line `cargo xtask verify` collects.
pub fn evidence(checker: &str, algo: &str, scenario: &str, result: &str, detail: &str, secs: f64) {
    println!(
        "evidence: checker={checker} algo={algo} scenario={scenario} result={result} {detail} secs={secs:.2}"
    );
}

/// An integer from the environment, or `default`.
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs `f`, expecting it to panic; returns the panic message, or `None` if
/// it returned normally.
pub fn expect_panic(f: impl FnOnce()) -> Option<String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(()) => None,
        Err(payload) => Some(
            payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "non-string panic".into()),
        ),
    }
}

/// Counts how many times a model closure ran (loom executions).
pub struct Counter(AtomicUsize);

impl Counter {
    pub const fn new() -> Self {
        Self(AtomicUsize::new(0))
    }
    pub fn bump(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    pub fn take(&self) -> usize {
        self.0.swap(0, Ordering::Relaxed)
    }
}

/// Times `f`.
pub fn timed<R>(f: impl FnOnce() -> R) -> (R, f64) {
    let start = Instant::now();
    let r = f();
    (r, start.elapsed().as_secs_f64())
}

#[cfg(loom)]
pub mod loom_run {
    use super::*;

    /// Preemption bound: `LOOM_MAX_PREEMPTIONS`, default 2.
    pub fn preemptions() -> usize {
        env_usize("LOOM_MAX_PREEMPTIONS", 2)
    }

    /// Explores every interleaving of `f` (within the preemption bound) and
    /// returns how many executions loom ran.
    pub fn explore(f: impl Fn() + Sync + Send + 'static) -> usize {
        static RUNS: Counter = Counter::new();
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(preemptions());
        RUNS.take();
        builder.check(move || {
            RUNS.bump();
            f()
        });
        RUNS.take()
    }

    /// Loom must pass: prints the evidence line.
    pub fn must_pass(algo: &str, scenario: &str, f: impl Fn() + Sync + Send + 'static) {
        let (executions, secs) = timed(|| explore(f));
        evidence(
            "loom",
            algo,
            scenario,
            "pass",
            &format!("executions={executions} preemptions={}", preemptions()),
            secs,
        );
    }

    /// Loom must find a bug whose panic message contains one of `expected`.
    pub fn must_fail(
        algo: &str,
        scenario: &str,
        expected: &[&str],
        f: impl Fn() + Sync + Send + 'static,
    ) -> String {
        let (found, secs) = timed(|| expect_panic(|| drop(explore(f))));
        let Some(message) = found else {
            panic!(
                "loom explored {algo}/{scenario} and found no bug; expected one of {expected:?}"
            );
        };
        assert!(
            expected.iter().any(|e| message.contains(e)),
            "loom found a different failure in {algo}/{scenario}: {message:?} (expected one of {expected:?})"
        );
        let first_line = message.lines().next().unwrap_or("").replace(' ', "_");
        evidence(
            "loom",
            algo,
            scenario,
            "bug_found",
            &format!("found={first_line:.80}"),
            secs,
        );
        message
    }
}

#[cfg(feature = "shuttle")]
pub mod shuttle_run {
    use super::*;

    /// Iterations: `SHUTTLE_ITERATIONS`, default 10,000.
    pub fn iterations() -> usize {
        env_usize("SHUTTLE_ITERATIONS", 10_000)
    }

    /// Random and PCT (depth 3) schedules must both pass.
    pub fn must_pass(algo: &str, scenario: &str, f: impl Fn() + Sync + Send + Clone + 'static) {
        let n = iterations();
        let (_, secs) = timed(|| shuttle::check_random(f.clone(), n));
        evidence(
            "shuttle-random",
            algo,
            scenario,
            "pass",
            &format!("iterations={n}"),
            secs,
        );
        let (_, secs) = timed(|| shuttle::check_pct(f, n, 3));
        evidence(
            "shuttle-pct",
            algo,
            scenario,
            "pass",
            &format!("iterations={n} depth=3"),
            secs,
        );
    }

    /// Shuttle (random scheduler, fixed seed so the run is reproducible) must
    /// find a bug whose message contains one of `expected`. The failing
    /// schedule is printed by shuttle above the panic.
    pub fn must_fail(
        algo: &str,
        scenario: &str,
        expected: &[&str],
        f: impl Fn() + Sync + Send + 'static,
    ) -> String {
        let n = iterations();
        let (found, secs) =
            timed(|| expect_panic(|| shuttle::check_random_with_seed(f, 0x5eed, n)));
        let Some(message) = found else {
            panic!(
                "shuttle ran {n} schedules of {algo}/{scenario} and found no bug; expected one of {expected:?}"
            );
        };
        assert!(
            expected.iter().any(|e| message.contains(e)),
            "shuttle found a different failure in {algo}/{scenario}: {message:?}"
        );
        evidence(
            "shuttle-random",
            algo,
            scenario,
            "bug_found",
            &format!(
                "seed=0x5eed found={:.80}",
                message.lines().next().unwrap_or("").replace(' ', "_")
            ),
            secs,
        );
        message
    }
}
