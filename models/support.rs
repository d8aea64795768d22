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

/// Model runs in one test binary take turns: a weakened ordering site is
/// process-global, and two models at once would share it.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `f` with the mutant `site` switched on, if any.
#[cfg(any(loom, shuttle))]
fn with_optional_mutant<R>(site: Option<&'static str>, f: impl FnOnce() -> R) -> R {
    match site {
        Some(site) => verified_pools::sync::mutation::with_mutant(site, f),
        None => f(),
    }
}

/// Checks that the panic `message` of a negative model names one of
/// `expected`, and returns its first line for the evidence line.
fn expected_failure(checker: &str, what: &str, found: Option<String>, expected: &[&str]) -> String {
    let Some(message) = found else {
        panic!("{checker} found no bug in {what}; expected one of {expected:?}");
    };
    assert!(
        expected.iter().any(|e| message.contains(e)),
        "{checker} found a different failure in {what}: {message:?} (expected one of {expected:?})"
    );
    let first = message.lines().next().unwrap_or("").replace(' ', "_");
    first.chars().take(100).collect()
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

    /// Branch limit per execution: `LOOM_MAX_BRANCHES`, default 10,000
    /// (loom's own default, 1,000, is too small for the cache front).
    pub fn max_branches() -> usize {
        env_usize("LOOM_MAX_BRANCHES", 10_000)
    }

    /// Explores every interleaving of `f` (within `bound` preemptions) and
    /// returns how many executions loom ran.
    pub fn explore(bound: usize, f: impl Fn() + Sync + Send + 'static) -> usize {
        static RUNS: Counter = Counter::new();
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(bound);
        builder.max_branches = max_branches();
        RUNS.take();
        builder.check(move || {
            RUNS.bump();
            f()
        });
        RUNS.take()
    }

    /// Loom must pass at the default bound: prints the evidence line.
    pub fn must_pass(algo: &str, scenario: &str, f: impl Fn() + Sync + Send + 'static) {
        must_pass_at(preemptions(), algo, scenario, f)
    }

    /// Loom must pass within `bound` preemptions: prints the evidence line.
    pub fn must_pass_at(
        bound: usize,
        algo: &str,
        scenario: &str,
        f: impl Fn() + Sync + Send + 'static,
    ) {
        let _turn = serial();
        let (executions, secs) = timed(|| explore(bound, f));
        assert!(executions > 0, "loom ran no execution");
        evidence(
            "loom",
            algo,
            scenario,
            "pass",
            &format!("executions={executions} preemptions={bound}"),
            secs,
        );
    }

    /// As [`must_pass`], then takes the scenario's coverage facts with
    /// `facts`, fails if any is zero, and appends them to the evidence line
    /// as `facts=name:count,...` (counts summed over all executions).
    pub fn must_pass_facts(
        algo: &str,
        scenario: &str,
        facts: fn() -> Vec<(&'static str, usize)>,
        f: impl Fn() + Sync + Send + 'static,
    ) {
        let _turn = serial();
        let bound = preemptions();
        facts();
        let (executions, secs) = timed(|| explore(bound, f));
        let got = facts();
        assert!(executions > 0, "loom ran no execution");
        assert!(
            !got.is_empty(),
            "{algo}/{scenario}: no coverage facts recorded"
        );
        let zero: Vec<_> = got.iter().filter(|(_, c)| *c == 0).collect();
        assert!(
            zero.is_empty(),
            "{algo}/{scenario}: facts never reached: {zero:?}"
        );
        let list: Vec<String> = got.iter().map(|(n, c)| format!("{n}:{c}")).collect();
        evidence(
            "loom",
            algo,
            scenario,
            "pass",
            &format!(
                "executions={executions} preemptions={bound} facts={}",
                list.join(",")
            ),
            secs,
        );
    }

    /// Loom must find a bug whose panic message contains one of `expected`,
    /// with the ordering site or behaviour switch `mutant` weakened (if any).
    pub fn must_fail(
        algo: &str,
        scenario: &str,
        expected: &[&str],
        mutant: Option<&'static str>,
        f: impl Fn() + Sync + Send + 'static,
    ) {
        let _turn = serial();
        let bound = preemptions();
        let (found, secs) = timed(|| {
            expect_panic(|| {
                with_optional_mutant(mutant, || {
                    explore(bound, f);
                })
            })
        });
        let what = format!("{algo}/{scenario}");
        let first = expected_failure("loom", &what, found, expected);
        evidence(
            "loom",
            algo,
            scenario,
            "bug_found",
            &format!("preemptions={bound} found={first}"),
            secs,
        );
    }
}

#[cfg(shuttle)]
pub mod shuttle_run {
    use super::*;

    /// Iterations: `SHUTTLE_ITERATIONS`, default 10,000.
    pub fn iterations() -> usize {
        env_usize("SHUTTLE_ITERATIONS", 10_000)
    }

    /// The seed of the must-pass runs: `SHUTTLE_SEED` (decimal or `0x` hex),
    /// default a fixed one, so a run reproduces bit for bit; it is printed in
    /// every evidence line.
    pub fn seed() -> u64 {
        const DEFAULT: u64 = 0x5eed_5afe;
        std::env::var("SHUTTLE_SEED")
            .ok()
            .and_then(|v| match v.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16).ok(),
                None => v.parse().ok(),
            })
            .unwrap_or(DEFAULT)
    }

    /// Random and PCT (depth 3) schedules, each from the fixed [`seed`],
    /// must both pass.
    pub fn must_pass(algo: &str, scenario: &str, f: impl Fn() + Sync + Send + Clone + 'static) {
        use shuttle::scheduler::{PctScheduler, RandomScheduler};
        let _turn = serial();
        let n = iterations();
        let seed = seed();
        let (_, secs) = timed(|| {
            let scheduler = RandomScheduler::new_from_seed(seed, n);
            shuttle::Runner::new(scheduler, Default::default()).run(f.clone());
        });
        evidence(
            "shuttle-random",
            algo,
            scenario,
            "pass",
            &format!("iterations={n} seed={seed:#x}"),
            secs,
        );
        let (_, secs) = timed(|| {
            let scheduler = PctScheduler::new_from_seed(seed, 3, n);
            shuttle::Runner::new(scheduler, Default::default()).run(f);
        });
        evidence(
            "shuttle-pct",
            algo,
            scenario,
            "pass",
            &format!("iterations={n} depth=3 seed={seed:#x}"),
            secs,
        );
    }

    /// Shuttle (random scheduler, fixed seed so the run is reproducible) must
    /// find a bug whose message contains one of `expected`, with `mutant`
    /// switched on (if any). Shuttle prints the failing schedule above the
    /// panic; `shuttle::replay` reproduces it.
    pub fn must_fail(
        algo: &str,
        scenario: &str,
        expected: &[&str],
        mutant: Option<&'static str>,
        f: impl Fn() + Sync + Send + 'static,
    ) {
        const SEED: u64 = 0x5eed;
        let _turn = serial();
        let n = iterations();
        let (found, secs) = timed(|| {
            expect_panic(|| {
                with_optional_mutant(mutant, || shuttle::check_random_with_seed(f, SEED, n))
            })
        });
        let what = format!("{algo}/{scenario}");
        let first = expected_failure("shuttle", &what, found, expected);
        evidence(
            "shuttle-random",
            algo,
            scenario,
            "bug_found",
            &format!("seed={SEED:#x} found={first}"),
            secs,
        );
    }
}
