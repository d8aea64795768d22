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

/// The checker the build selects must find a bug whose panic message
/// contains one of `expected`, with the ordering site or behaviour switch
/// `mutant` weakened (if any): loom within `LOOM_MAX_PREEMPTIONS`, shuttle's
/// random scheduler from a fixed seed (so the run is reproducible; shuttle
/// prints the failing schedule above the panic, for `shuttle::replay`).
/// Prints the `bug_found` evidence line.
#[cfg(any(loom, shuttle))]
pub fn must_fail(
    algo: &str,
    scenario: &str,
    expected: &[&str],
    mutant: Option<&'static str>,
    f: impl Fn() + Sync + Send + 'static,
) {
    #[cfg(loom)]
    let (checker, detail, check) = {
        let bound = loom_run::preemptions();
        let check = move || {
            loom_run::explore(bound, f);
        };
        ("loom", format!("preemptions={bound}"), check)
    };
    #[cfg(shuttle)]
    let (checker, detail, check) = {
        const SEED: u64 = 0x5eed;
        let n = shuttle_run::iterations();
        let check = move || shuttle::check_random_with_seed(f, SEED, n);
        ("shuttle-random", format!("seed={SEED:#x}"), check)
    };
    let _turn = serial();
    let (found, secs) = timed(|| expect_panic(|| with_optional_mutant(mutant, check)));
    let what = format!("{algo}/{scenario}");
    let first = expected_failure(checker, &what, found, expected);
    evidence(
        checker,
        algo,
        scenario,
        "bug_found",
        &format!("{detail} found={first}"),
        secs,
    );
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

/// Which preemption bound a model runs at under loom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// `LOOM_MAX_PREEMPTIONS` (quick 2, deep 3).
    Quick,
    /// `LOOM_EPOCH_PREEMPTIONS` (quick 1, deep 2): the models where
    /// crossbeam-epoch's own atomics multiply the state space.
    Epoch,
}

/// One row of an algorithm's table of models (`models/<algorithm>.rs`): the
/// back end the build selects (`--cfg loom` or `--cfg shuttle`) runs it. A
/// row for one back end only carries `#[cfg(loom)]` or `#[cfg(shuttle)]`.
#[derive(Debug, Clone, Copy)]
pub struct Model {
    /// The algorithm key (the evidence row).
    pub algo: &'static str,
    /// The scenario's name in the evidence line.
    pub scenario: &'static str,
    /// Its preemption bound under loom.
    pub loom: Bound,
    /// The coverage facts it exists to reach: each must be non-zero over a
    /// run (`scenarios::fact`), or the model fails as vacuous.
    pub facts: &'static [&'static str],
    /// A pair of ghost totals that must grow by the same amount over the
    /// model's whole run.
    pub conserved: Option<Conserved>,
}

/// A pair of ghost totals (in, out) and what it means if they differ. Read
/// inside the model's turn, so no other model's counting mixes in.
#[derive(Debug, Clone, Copy)]
pub struct Conserved {
    /// Reads (in, out) so far.
    pub read: fn() -> (usize, usize),
    /// What a difference means.
    pub what: &'static str,
}

impl Model {
    /// A row at loom's quick bound with no facts yet (a negative model's).
    pub const fn new(algo: &'static str, scenario: &'static str) -> Self {
        Model {
            algo,
            scenario,
            loom: Bound::Quick,
            facts: &[],
            conserved: None,
        }
    }

    /// With the loom bound `loom`.
    pub const fn bound(self, loom: Bound) -> Self {
        Model { loom, ..self }
    }

    /// With the coverage facts `facts`.
    pub const fn facts(self, facts: &'static [&'static str]) -> Self {
        Model { facts, ..self }
    }

    /// With the conserved pair `read` (see [`Model::conserved`]): after the
    /// last execution, as much must have gone out as came in, or `what`.
    pub const fn conserved(self, read: fn() -> (usize, usize), what: &'static str) -> Self {
        Model {
            conserved: Some(Conserved { read, what }),
            ..self
        }
    }

    /// The conserved pair's values now, if the model has one.
    #[cfg(any(loom, shuttle))]
    fn read_conserved(&self) -> Option<(usize, usize)> {
        self.conserved.map(|c| (c.read)())
    }

    /// Fails unless the conserved pair grew equally since `before`.
    #[cfg(any(loom, shuttle))]
    fn check_conserved(&self, before: Option<(usize, usize)>) {
        if let (Some(Conserved { read, what }), Some((in0, out0))) = (self.conserved, before) {
            let (in1, out1) = read();
            assert_eq!(
                in1 - in0,
                out1 - out0,
                "{}/{}: {what} (in, out): ({}, {})",
                self.algo,
                self.scenario,
                in1 - in0,
                out1 - out0
            );
        }
    }

    /// The model must pass: every interleaving (loom) or every schedule
    /// drawn (shuttle) passes, and every fact in [`Model::facts`] is reached.
    pub fn pass(&self, body: impl Fn() + Sync + Send + Clone + 'static) {
        #[cfg(loom)]
        loom_run::must_pass(self, body);
        #[cfg(shuttle)]
        shuttle_run::must_pass(self, body);
    }

    /// The checker must find a bug whose panic message contains one of
    /// `expected`, with the mutant switch `mutant` on (if any).
    pub fn fail(
        &self,
        expected: &[&str],
        mutant: Option<&'static str>,
        body: impl Fn() + Sync + Send + 'static,
    ) {
        must_fail(self.algo, self.scenario, expected, mutant, body);
    }

    /// This model's facts among those the run that just ended counted
    /// (`scenarios::fact`), in the order the scenario counted them; a fact
    /// it never counted is listed with 0.
    fn take_facts(&self) -> Facts {
        let got = crate::scenarios::take_facts();
        let count = |want: &str| got.iter().find(|(n, _)| *n == want).map_or(0, |(_, c)| *c);
        Facts(self.facts.iter().map(|f| (*f, count(f))).collect())
    }

    /// Fails unless every fact of this model is non-zero in `facts` (the
    /// model's runs summed): a model that never reached what it exists for
    /// passed vacuously.
    fn check_facts(&self, facts: &Facts) {
        let zero: Vec<&str> = facts
            .0
            .iter()
            .filter(|(_, c)| *c == 0)
            .map(|(n, _)| *n)
            .collect();
        assert!(
            zero.is_empty(),
            "{}/{}: coverage facts never reached: {zero:?} (counts: {}): the model is vacuous",
            self.algo,
            self.scenario,
            facts.field()
        );
    }
}

/// Coverage facts of one model: (name, count) in the row's order.
#[derive(Debug, Default, Clone)]
struct Facts(Vec<(&'static str, usize)>);

impl Facts {
    /// ` facts=name:count,...` for an evidence line, or nothing.
    fn field(&self) -> String {
        if self.0.is_empty() {
            return String::new();
        }
        let list: Vec<String> = self.0.iter().map(|(n, c)| format!("{n}:{c}")).collect();
        format!(" facts={}", list.join(","))
    }

    /// Adds `other`'s counts (the same model's facts).
    fn add(&mut self, other: &Facts) {
        for (name, count) in &other.0 {
            match self.0.iter_mut().find(|(n, _)| n == name) {
                Some((_, c)) => *c += count,
                None => self.0.push((name, *count)),
            }
        }
    }
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

    /// The bound of a row: `LOOM_MAX_PREEMPTIONS` or
    /// `LOOM_EPOCH_PREEMPTIONS` (default 1).
    pub fn bound(b: Bound) -> usize {
        match b {
            Bound::Quick => preemptions(),
            Bound::Epoch => env_usize("LOOM_EPOCH_PREEMPTIONS", 1),
        }
    }

    /// Loom must pass within the row's bound and reach its facts (counted
    /// over every execution): prints the evidence line.
    pub fn must_pass(model: &Model, f: impl Fn() + Sync + Send + 'static) {
        let _turn = serial();
        let bound = bound(model.loom);
        crate::scenarios::take_facts();
        let before = model.read_conserved();
        let (executions, secs) = timed(|| explore(bound, f));
        assert!(executions > 0, "loom ran no execution");
        let facts = model.take_facts();
        model.check_facts(&facts);
        model.check_conserved(before);
        evidence(
            "loom",
            model.algo,
            model.scenario,
            "pass",
            &format!(
                "executions={executions} preemptions={bound}{}",
                facts.field()
            ),
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

    /// How many runs from fresh random seeds follow the fixed-seed one:
    /// `SHUTTLE_RANDOM_SEEDS` (`models/tier --deep shuttle` sets it), default 0.
    pub fn random_seeds() -> usize {
        env_usize("SHUTTLE_RANDOM_SEEDS", 0)
    }

    /// A seed no earlier run used: std's per-process random hash keys mixed
    /// with a counter and the clock.
    fn fresh_seed() -> u64 {
        use std::hash::{BuildHasher, Hasher};
        static DRAWN: AtomicUsize = AtomicUsize::new(0);
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_usize(DRAWN.fetch_add(1, Ordering::Relaxed));
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        h.finish()
    }

    /// Random and PCT (depth 3) schedules from the fixed [`seed`], then from
    /// [`random_seeds`] fresh ones, must all pass, and together reach every
    /// one of the row's facts.
    /// Each run's evidence line names its seed; a failing run prints an
    /// evidence line with `result=fail` and the `SHUTTLE_SEED=` that replays
    /// it before the panic goes on.
    pub fn must_pass(model: &Model, f: impl Fn() + Sync + Send + Clone + 'static) {
        use shuttle::scheduler::{PctScheduler, RandomScheduler, Scheduler};
        let _turn = serial();
        let before = model.read_conserved();
        let n = iterations();
        let seeds = std::iter::once(seed()).chain((0..random_seeds()).map(|_| fresh_seed()));
        // The model's facts over all its runs: a fact one scheduler does not
        // reach (random, at the fixed seed: `slot_reused`) may come from the
        // other.
        let mut reached = Facts::default();
        for seed in seeds {
            let mut run = |checker: &str, depth: &str, scheduler: Box<dyn Scheduler + Send>| {
                crate::scenarios::take_facts();
                let f = f.clone();
                let (outcome, secs) = timed(|| {
                    catch_unwind(AssertUnwindSafe(|| {
                        shuttle::Runner::new(scheduler, Default::default()).run(f)
                    }))
                });
                let (result, detail) = match &outcome {
                    // The iterations the runner reports it ran.
                    Ok(ran) => {
                        let facts = model.take_facts();
                        reached.add(&facts);
                        let facts = facts.field();
                        (
                            "pass",
                            format!("iterations={ran}{depth} seed={seed:#x}{facts}"),
                        )
                    }
                    Err(_) => (
                        "fail",
                        format!(
                            "iterations={n}{depth} seed={seed:#x} replay=SHUTTLE_SEED={seed:#x}"
                        ),
                    ),
                };
                evidence(checker, model.algo, model.scenario, result, &detail, secs);
                if let Err(panic) = outcome {
                    std::panic::resume_unwind(panic);
                }
            };
            run(
                "shuttle-random",
                "",
                Box::new(RandomScheduler::new_from_seed(seed, n)),
            );
            run(
                "shuttle-pct",
                " depth=3",
                Box::new(PctScheduler::new_from_seed(seed, 3, n)),
            );
        }
        model.check_facts(&reached);
        model.check_conserved(before);
    }
}
