//! `cargo xtask verify [--deep]`: the whole verification matrix of
//! verified-pools in one command.
//!
//! In order, with a progress line as each step starts and ends: `cargo test`
//! (the proptest state machines and the std tests), the loom tier, the
//! shuttle tier, the negative models (`*_mutants`), `proofs/run` (SPIN), an
//! AddressSanitizer stress run on nightly, and Miri / ThreadSanitizer when
//! their components are already installed. Then the evidence table (one row
//! per algorithm, one column per checker), `target/verify/report.md` and
//! `target/verify/report.json`, a closing `N passed, M failed` line, and a
//! non-zero exit on any unexpected result. Nothing is ever downloaded or
//! installed by xtask itself.

mod exec;
mod parse;
mod table;

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use exec::Outcome;
use parse::{Evidence, Json, TestOutput, json_str};
use table::{Bug, Checker, Status, Table, row_of, row_of_test, short};

const USAGE: &str = "\
usage: cargo xtask verify [--deep] [--jobs N] [--skip FILTER] [--proptest-cases N] [--asan-ops N] [--uaf-budget SECS]

  --deep               loom at LOOM_MAX_PREEMPTIONS=3 (two-popper epoch model
                       at 2), shuttle at 100,000
                       iterations, SPIN at the deep bounds (proofs/run --deep)
  --jobs N             model targets run N at a time (default 2: loom and
                       shuttle are single-threaded; this machine has 2 cores)
  --skip FILTER        pass `--skip FILTER` to every model test binary
                       (repeatable; the report says so: evidence is then
                       incomplete and the run counts as failed)
  --proptest-cases N   PROPTEST_CASES for cargo test (default 1000)
  --asan-ops N         operations per safe variant in the ASan stress
                       (default 10,000,000)
  --uaf-budget SECS    time budget for ASan to report the seed's
                       use-after-free (default 60)

Writes target/verify/report.md, target/verify/report.json and one log per
step in target/verify/logs/. Exits 1 on any unexpected result.";

/// The rows every run must fill for the three always-on checkers.
const BASE_ROWS: [&str; 5] = ["pointer-node", "epoch", "tagged", "pool", "ring"];

/// The nightly target of the sanitizer runs.
const SANITIZER_TARGET: &str = "x86_64-unknown-linux-gnu";

/// Command-line options.
#[derive(Debug, Clone)]
struct Opts {
    deep: bool,
    proptest_cases: u64,
    asan_ops: u64,
    uaf_budget: u64,
    jobs: usize,
    /// libtest `--skip` filters for the model and sanitizer runs.
    skip: Vec<String>,
}

/// One line of the steps table.
#[derive(Debug, Clone)]
struct StepRecord {
    name: String,
    run_secs: f64,
    result: String,
    ok: bool,
    log: Option<PathBuf>,
}

/// Everything a run collects.
struct Ctx {
    opts: Opts,
    root: PathBuf,
    out: PathBuf,
    logs: PathBuf,
    targets: Vec<String>,
    table: Table,
    steps: Vec<StepRecord>,
    problems: Vec<String>,
    evidence: Vec<Evidence>,
    /// Passing std (non-proptest) tests per row, from `cargo test`.
    std_tests: BTreeMap<String, usize>,
    /// Notes for report.md, per section.
    notes: Vec<String>,
    /// Sites whose mutant was caught.
    mutants_caught: Vec<(String, String)>,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut opts = Opts {
        deep: false,
        proptest_cases: 1_000,
        asan_ops: 10_000_000,
        uaf_budget: 60,
        jobs: 2,
        skip: Vec::new(),
    };
    let mut it = args.iter();
    match it.next().map(String::as_str) {
        Some("verify") => {}
        Some("-h" | "--help" | "help") | None => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => {
            eprintln!("xtask: unknown command {other:?}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    }
    while let Some(a) = it.next() {
        let mut num = |name: &str| -> Option<u64> {
            let v = it.next().and_then(|v| v.replace('_', "").parse().ok());
            if v.is_none() {
                eprintln!("xtask: {name} needs a number");
            }
            v
        };
        match a.as_str() {
            "--deep" => opts.deep = true,
            "--proptest-cases" => match num(a) {
                Some(n) => opts.proptest_cases = n,
                None => return ExitCode::from(2),
            },
            "--asan-ops" => match num(a) {
                Some(n) => opts.asan_ops = n,
                None => return ExitCode::from(2),
            },
            "--uaf-budget" => match num(a) {
                Some(n) => opts.uaf_budget = n,
                None => return ExitCode::from(2),
            },
            "--skip" => match it.next() {
                Some(f) => opts.skip.push(f.clone()),
                None => {
                    eprintln!("xtask: --skip needs a test name filter");
                    return ExitCode::from(2);
                }
            },
            "--jobs" | "-j" => match num(a) {
                Some(n) => opts.jobs = n.max(1) as usize,
                None => return ExitCode::from(2),
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("xtask: unknown option {other:?}\n\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let Some(root) = repo_root() else {
        eprintln!("xtask: cannot find the repository root (a Cargo.toml with [workspace])");
        return ExitCode::from(2);
    };
    verify(opts, root)
}

/// The nearest ancestor of the current directory whose Cargo.toml has a
/// `[workspace]` table.
fn repo_root() -> Option<PathBuf> {
    let mut dir = std::env::current_dir().ok()?;
    loop {
        let toml = dir.join("Cargo.toml");
        if std::fs::read_to_string(&toml).is_ok_and(|t| t.contains("[workspace]")) {
            return Some(dir);
        }
        if !dir.pop() {
            return None;
        }
    }
}

fn verify(opts: Opts, root: PathBuf) -> ExitCode {
    let start = Instant::now();
    let out = root.join("target/verify");
    let logs = out.join("logs");
    let _ = std::fs::create_dir_all(&logs);
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap_or_default();
    let targets = parse::test_targets(&manifest);
    let with_tls = targets.iter().any(|t| t.contains("tls"))
        || std::fs::read_dir(root.join("src/pool"))
            .map(|d| {
                d.flatten()
                    .any(|e| e.file_name().to_string_lossy().starts_with("tls"))
            })
            .unwrap_or(false);
    let mut ctx = Ctx {
        opts,
        root,
        out,
        logs,
        targets,
        table: Table::new(with_tls),
        steps: Vec::new(),
        problems: Vec::new(),
        evidence: Vec::new(),
        std_tests: BTreeMap::new(),
        notes: Vec::new(),
        mutants_caught: Vec::new(),
    };
    println!(
        "cargo xtask verify ({} mode) in {}",
        if ctx.opts.deep { "deep" } else { "quick" },
        ctx.root.display()
    );

    if !ctx.opts.skip.is_empty() {
        ctx.problems.push(format!(
            "model tests skipped on request (--skip {}): the evidence is incomplete",
            ctx.opts.skip.join(" --skip ")
        ));
    }
    ctx.cargo_test();
    // Build every model tier first, then run the loom tier, the shuttle
    // tier, the negative models and SPIN: in that order, `--jobs` at a time.
    let loom = ctx.build_tier("loom tier", Tier::Loom);
    let shuttle = ctx.build_tier("shuttle tier", Tier::Shuttle);
    let mut jobs = Vec::new();
    if loom {
        jobs.extend(ctx.model_jobs("loom tier", Tier::Loom, false));
    }
    if shuttle {
        jobs.extend(ctx.model_jobs("shuttle tier", Tier::Shuttle, false));
    }
    if loom {
        jobs.extend(ctx.model_jobs("negative models", Tier::Loom, true));
    }
    if shuttle {
        jobs.extend(ctx.model_jobs("negative models", Tier::Shuttle, true));
    }
    jobs.push(ctx.spin_job());
    ctx.run_jobs(jobs);
    ctx.asan();
    ctx.miri_tsan();
    ctx.finish_cells();

    let total = start.elapsed().as_secs_f64();
    ctx.report(total)
}

/// A step that runs in the parallel phase.
enum Job {
    /// A loom or shuttle target.
    Model(Tier, String),
    /// `proofs/run`, writing this JSON file.
    Spin(PathBuf),
}

/// A job with its step name, command and time limit.
struct JobSpec {
    name: String,
    cmd: Command,
    limit: Duration,
    job: Job,
}

/// A model tier: how to build and run its targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tier {
    Loom,
    Shuttle,
}

impl Tier {
    fn prefix(self) -> &'static str {
        match self {
            Tier::Loom => "loom_",
            Tier::Shuttle => "shuttle_",
        }
    }
}

impl Ctx {
    fn log(&self, step: &str) -> PathBuf {
        let name: String = step
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        self.logs.join(format!("{name}.log"))
    }

    fn limit(&self, quick_secs: u64) -> Duration {
        Duration::from_secs(if self.opts.deep {
            quick_secs * 8
        } else {
            quick_secs
        })
    }

    /// `cargo` with a clean environment for a tier: no inherited RUSTFLAGS
    /// and an explicit target directory.
    fn cargo(&self, toolchain: Option<&str>, target_dir: &str) -> Command {
        let mut c = Command::new("cargo");
        if let Some(tc) = toolchain {
            c.arg(format!("+{tc}"));
            c.env_remove("RUSTUP_TOOLCHAIN");
        }
        c.current_dir(&self.root)
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env("CARGO_TARGET_DIR", self.root.join(target_dir))
            .env("CARGO_TERM_COLOR", "never");
        c
    }

    /// Runs a command as a step with progress lines; records it.
    fn step(&mut self, name: &str, cmd: Command, limit: Duration) -> Outcome {
        let t = exec::begin(name);
        let o = exec::run(cmd, &self.log(name), limit);
        let verdict = o.verdict();
        let shown = if o.ok {
            verdict.clone()
        } else {
            format!("{verdict} (log: {})", self.rel(&o.log))
        };
        exec::end(name, t, &shown);
        self.steps.push(StepRecord {
            name: name.into(),
            run_secs: o.secs,
            result: verdict,
            ok: o.ok,
            log: Some(o.log.clone()),
        });
        o
    }

    /// Runs independent steps `--jobs` at a time (each model checker is
    /// single-threaded); outcomes in the order given.
    fn steps_parallel(&mut self, jobs: Vec<(String, Command, Duration)>) -> Vec<Outcome> {
        let n = jobs.len();
        type Queued = (usize, String, Command, Duration, PathBuf);
        let queue: Mutex<VecDeque<Queued>> = Mutex::new(
            jobs.into_iter()
                .enumerate()
                .map(|(i, (name, c, limit))| {
                    let log = self.log(&name);
                    (i, name, c, limit, log)
                })
                .collect(),
        );
        let done: Mutex<Vec<Option<(String, Outcome)>>> =
            Mutex::new((0..n).map(|_| None).collect());
        let root = self.root.clone();
        std::thread::scope(|s| {
            for _ in 0..self.opts.jobs.clamp(1, n.max(1)) {
                s.spawn(|| {
                    loop {
                        let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
                        let Some((i, name, c, limit, log)) = next else {
                            break;
                        };
                        let t = exec::begin(&name);
                        let o = exec::run(c, &log, limit);
                        let shown = if o.ok {
                            o.verdict()
                        } else {
                            format!(
                                "{} (log: {})",
                                o.verdict(),
                                o.log.strip_prefix(&root).unwrap_or(&o.log).display()
                            )
                        };
                        exec::end(&name, t, &shown);
                        done.lock().unwrap_or_else(|e| e.into_inner())[i] = Some((name, o));
                    }
                });
            }
        });
        let mut out = Vec::with_capacity(n);
        for (name, o) in done
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .into_iter()
            .flatten()
        {
            self.steps.push(StepRecord {
                name,
                run_secs: o.secs,
                result: o.verdict(),
                ok: o.ok,
                log: Some(o.log.clone()),
            });
            out.push(o);
        }
        out
    }

    /// Records a step that did not run.
    fn skipped_step(&mut self, name: &str, why: &str) {
        println!("<== {name:<40} {:>7} s  skipped ({why})", "-");
        self.steps.push(StepRecord {
            name: name.into(),
            run_secs: 0.0,
            result: format!("skipped ({why})"),
            ok: true,
            log: None,
        });
    }

    fn rel(&self, p: &Path) -> String {
        p.strip_prefix(&self.root)
            .unwrap_or(p)
            .display()
            .to_string()
    }

    // ---- cargo test ------------------------------------------------------

    fn cargo_test(&mut self) {
        let cases = self.opts.proptest_cases.to_string();
        let mut build = self.cargo(None, "target");
        build.args(["test", "--no-run"]);
        let b = self.step("build: cargo test", build, self.limit(1800));
        if !b.ok {
            let why = format!("cargo test does not build (log: {})", self.rel(&b.log));
            for row in BASE_ROWS {
                self.table
                    .cell(row, Checker::Proptest)
                    .fails
                    .push(why.clone());
            }
            return;
        }
        let mut run = self.cargo(None, "target");
        run.env("PROPTEST_CASES", &cases).arg("test");
        let o = self.step("cargo test", run, self.limit(900));
        let parsed = parse::libtest(&o.text, "cargo test");
        let mut any_failed = false;
        for (target, output) in &parsed {
            let proptest = target.starts_with("proptest_");
            for t in output.passed() {
                let Some(row) = self.row_for_test(target, &t.name) else {
                    continue;
                };
                if proptest {
                    self.table.cell(row, Checker::Proptest).add_pass(
                        self.opts.proptest_cases as f64,
                        "cases",
                        format!("{target}::{}", t.name),
                    );
                } else {
                    *self.std_tests.entry(row.to_string()).or_default() += 1;
                }
            }
            for t in output.failed() {
                any_failed = true;
                let what = format!("{target}::{} failed: {}", t.name, short(&t.message, 160));
                match self.row_for_test(target, &t.name) {
                    Some(row) => self.table.cell(row, Checker::Proptest).fails.push(what),
                    None => self.problems.push(format!("cargo test: {what}")),
                }
            }
        }
        if !o.ok && !any_failed {
            let why = format!(
                "cargo test {} with no failed test named (log: {})",
                o.verdict(),
                self.rel(&o.log)
            );
            self.problems.push(why.clone());
            for row in BASE_ROWS {
                self.table
                    .cell(row, Checker::Proptest)
                    .fails
                    .push(why.clone());
            }
        }
    }

    /// The row of a test: by target, then test name; doc tests and unit
    /// tests by their name (the module path) only.
    fn row_for_test(&self, target: &str, test: &str) -> Option<&'static str> {
        if target.starts_with("doctests:") || target == "unittests" {
            row_of(test)
        } else {
            row_of_test(target, test)
        }
    }

    // ---- loom / shuttle --------------------------------------------------

    fn tier_cmd(&self, tier: Tier) -> Command {
        match tier {
            Tier::Loom => {
                let mut c = self.cargo(None, "target/loom");
                c.env("RUSTFLAGS", "--cfg loom --cfg crossbeam_loom")
                    .env(
                        "LOOM_MAX_PREEMPTIONS",
                        if self.opts.deep { "3" } else { "2" },
                    )
                    // The two-popper epoch model: crossbeam-epoch's own
                    // atomics make bound 2 cost ~7 minutes (models/loom_stacks.rs).
                    .env(
                        "LOOM_EPOCH_PREEMPTIONS",
                        if self.opts.deep { "2" } else { "1" },
                    )
                    .args(["test", "--release"]);
                c
            }
            Tier::Shuttle => {
                let mut c = self.cargo(None, "target/shuttle");
                if self.opts.deep {
                    c.env("SHUTTLE_ITERATIONS", "100000");
                }
                c.args(["test", "--release", "--features", "shuttle"]);
                c
            }
        }
    }

    fn replay_cmd(&self, tier: Tier, target: &str, test: Option<&str>) -> String {
        let mut c = self.tier_cmd(tier);
        c.env_remove("CARGO_TERM_COLOR")
            .env(
                "CARGO_TARGET_DIR",
                match tier {
                    Tier::Loom => "target/loom",
                    Tier::Shuttle => "target/shuttle",
                },
            )
            .args(["--test", target, "--", "--nocapture"]);
        if let Some(t) = test {
            c.args(["--exact", t]);
        }
        exec::describe(&c)
    }

    /// Builds every target of a tier (`--no-run`, one step); on failure the
    /// tier's cells say so.
    fn build_tier(&mut self, name: &str, tier: Tier) -> bool {
        let targets: Vec<String> = self
            .targets
            .iter()
            .filter(|t| t.starts_with(tier.prefix()))
            .cloned()
            .collect();
        if targets.is_empty() {
            self.problems.push(format!(
                "{name}: no {}* targets in Cargo.toml",
                tier.prefix()
            ));
            return false;
        }
        let mut build = self.tier_cmd(tier);
        build.arg("--no-run");
        for t in &targets {
            build.args(["--test", t]);
        }
        let b = self.step(&format!("build: {name}"), build, self.limit(1800));
        if !b.ok {
            let why = format!("{name} does not build (log: {})", self.rel(&b.log));
            let checker = self.checker_of_tier(tier);
            for row in BASE_ROWS {
                self.table.cell(row, checker).fails.push(why.clone());
            }
        }
        b.ok
    }

    /// One job per target of a tier: the `*_mutants` targets if `mutants`,
    /// else all the others.
    fn model_jobs(&self, name: &str, tier: Tier, mutants: bool) -> Vec<JobSpec> {
        self.targets
            .iter()
            .filter(|t| t.starts_with(tier.prefix()) && t.ends_with("_mutants") == mutants)
            .map(|target| {
                let mut c = self.tier_cmd(tier);
                c.args(["--test", target, "--", "--nocapture", "--test-threads", "1"]);
                for f in &self.opts.skip {
                    c.args(["--skip", f]);
                }
                JobSpec {
                    name: format!("{name}: {target}"),
                    cmd: c,
                    limit: self.limit(900),
                    job: Job::Model(tier, target.clone()),
                }
            })
            .collect()
    }

    /// Runs the model targets and `proofs/run`, `--jobs` at a time, in the
    /// order given (each checker is single-threaded), then reads them.
    fn run_jobs(&mut self, specs: Vec<JobSpec>) {
        let (jobs, cmds): (Vec<Job>, Vec<(String, Command, Duration)>) = specs
            .into_iter()
            .map(|s| (s.job, (s.name, s.cmd, s.limit)))
            .unzip();
        let outcomes = self.steps_parallel(cmds);
        for (job, o) in jobs.into_iter().zip(outcomes) {
            match job {
                Job::Model(tier, target) => self.absorb_models(tier, &target, &o),
                Job::Spin(json) => self.absorb_spin(&o, &json),
            }
        }
        let bugs: usize = self.table.cells.values().map(|c| c.bugs.len()).sum();
        println!(
            "    negative models and must-fail configurations: {bugs} expected bugs found, {} mutants caught",
            self.mutants_caught.len()
        );
    }

    /// Turns one model target's output into cells.
    fn absorb_models(&mut self, tier: Tier, target: &str, o: &Outcome) {
        let parsed = parse::libtest(&o.text, target);
        let mut all = TestOutput::default();
        for (_, p) in parsed {
            all.tests.extend(p.tests);
            all.evidence.extend(p.evidence);
            all.summary_seen |= p.summary_seen;
        }
        let mut rows_seen: Vec<&'static str> = Vec::new();
        for ev in &all.evidence {
            let mut ev = ev.clone();
            ev.target = target.to_string();
            if let Some(r) = self.absorb_evidence(&ev, Some(tier)) {
                rows_seen.push(r);
            }
            self.evidence.push(ev);
        }
        let target_row = row_of_test(target, "");
        if all.evidence.is_empty() && o.ok {
            let why = format!(
                "{target} printed no evidence: lines (log: {})",
                self.rel(&o.log)
            );
            match target_row {
                Some(row) => {
                    let checker = self.checker_of_tier(tier);
                    self.table.cell(row, checker).fails.push(why);
                }
                None => self.problems.push(why),
            }
        }
        let sites = parse::ordering_sites(&self.root.join("src"));
        let mut any_failed = false;
        for t in all.failed() {
            any_failed = true;
            let what = format!("{target}::{} failed: {}", t.name, short(&t.message, 200));
            let mut rows: Vec<&'static str> = row_of_test(target, &t.name).into_iter().collect();
            if target.ends_with("_mutants") || rows.is_empty() {
                // A mutation matrix names the sites it could not catch.
                rows = sites
                    .iter()
                    .filter(|s| t.message.contains(s.as_str()))
                    .filter_map(|s| row_of(s))
                    .collect();
                rows.dedup();
            }
            if rows.is_empty() {
                self.problems.push(what);
            } else {
                let checker = self.checker_of_tier(tier);
                for row in rows {
                    self.table.cell(row, checker).fails.push(what.clone());
                }
            }
        }
        // The binary did not finish (abort, signal, time limit): the test
        // that was running, and for a mutation matrix every mutant it did
        // not get to, are unverified.
        if !o.ok && (!all.summary_seen || !any_failed) {
            let running = last_started_test(&o.text);
            let why = format!(
                "{target} {}{}: {} (log: {})",
                o.verdict(),
                running
                    .as_deref()
                    .map(|t| format!(" during {t}"))
                    .unwrap_or_default(),
                crash_cause(&o.text),
                self.rel(&o.log)
            );
            let checker = self.checker_of_tier(tier);
            let mut rows: Vec<(&'static str, String)> = Vec::new();
            if target.ends_with("_mutants") {
                let caught: Vec<&str> = self
                    .mutants_caught
                    .iter()
                    .map(|(s, _)| s.as_str())
                    .collect();
                for site in sites.iter().filter(|s| !caught.contains(&s.as_str())) {
                    if let Some(row) = row_of(site) {
                        match rows.iter_mut().find(|(r, _)| *r == row) {
                            Some((_, list)) => list.push_str(&format!(", {site}")),
                            None => rows.push((row, site.clone())),
                        }
                    }
                }
                rows.iter_mut()
                    .for_each(|(_, list)| *list = format!("; no evidence for mutant(s) {list}"));
            }
            if rows.is_empty() {
                let list: Vec<&'static str> = match running
                    .as_deref()
                    .and_then(|t| row_of_test(target, t))
                    .or(target_row)
                {
                    Some(r) => vec![r],
                    None if !rows_seen.is_empty() => rows_seen,
                    None => BASE_ROWS.to_vec(),
                };
                rows = list.into_iter().map(|r| (r, String::new())).collect();
            }
            rows.dedup_by(|a, b| a.0 == b.0);
            for (row, extra) in rows {
                self.table
                    .cell(row, checker)
                    .fails
                    .push(format!("{why}{extra}"));
            }
        }
    }

    fn checker_of_tier(&self, tier: Tier) -> Checker {
        match tier {
            Tier::Loom => Checker::Loom,
            Tier::Shuttle => Checker::Shuttle,
        }
    }

    /// Adds one evidence line to its cell; returns its row.
    fn absorb_evidence(&mut self, ev: &Evidence, tier: Option<Tier>) -> Option<&'static str> {
        let algo = ev.get("algo");
        let Some(row) = row_of(algo) else {
            self.problems
                .push(format!("{}: evidence for unknown algo {algo:?}", ev.target));
            return None;
        };
        let checker = match ev.get("checker") {
            "loom" => Checker::Loom,
            c if c.starts_with("shuttle") => Checker::Shuttle,
            "asan" => Checker::Asan,
            "miri" | "tsan" => Checker::MiriTsan,
            other => {
                self.problems
                    .push(format!("{}: unknown checker {other:?}", ev.target));
                return None;
            }
        };
        let scenario = ev.get("scenario").to_string();
        let test = ev.test.clone().unwrap_or_default();
        let label = format!(
            "{} {}::{} {algo}/{scenario}",
            ev.get("checker"),
            ev.target,
            test
        );
        match ev.get("result") {
            "pass" => {
                let (n, unit, extra) = match checker {
                    Checker::Loom => (
                        ev.num("executions"),
                        "executions",
                        format!("preemptions={}", ev.get("preemptions")),
                    ),
                    Checker::Shuttle => (ev.num("iterations"), "iterations", String::new()),
                    _ => (
                        ev.num("ops"),
                        "ops",
                        format!("threads={}", ev.get("threads")),
                    ),
                };
                let cell = self.table.cell(row, checker);
                cell.add_pass(
                    n as f64,
                    unit,
                    format!(
                        "{label}: {n} {unit}{}{extra} in {} s",
                        if extra.is_empty() { "" } else { " " },
                        ev.get("secs")
                    ),
                );
                if let (Checker::Loom, Ok(b)) = (checker, ev.get("preemptions").parse()) {
                    cell.bounds.push(b);
                }
            }
            "bug_found" => {
                if let Some(site) = scenario.strip_prefix("mutant:") {
                    let site_row = row_of(site).unwrap_or(row);
                    self.table
                        .cell(site_row, checker)
                        .mutants_caught
                        .push(site.to_string());
                    self.mutants_caught.push((
                        site.to_string(),
                        format!("{label}: {}", ev.get("found").replace('_', " ")),
                    ));
                } else {
                    let mut replay = match tier {
                        Some(t) => self.replay_cmd(t, &ev.target, ev.test.as_deref()),
                        None => String::new(),
                    };
                    if !ev.get("seed").is_empty() {
                        let _ = write!(replay, "  (seed {})", ev.get("seed"));
                    }
                    if let Some(s) = &ev.schedule {
                        let _ = write!(replay, "; or shuttle::replay(<scenario>, \"{s}\")");
                    }
                    self.table.cell(row, checker).bugs.push(Bug {
                        scenario: format!("{}::{test} {algo}/{scenario}", ev.target),
                        what: ev.get("found").replace('_', " "),
                        replay,
                    });
                }
            }
            other => self
                .table
                .cell(row, checker)
                .fails
                .push(format!("{label}: result={other}")),
        }
        Some(row)
    }

    // ---- SPIN ------------------------------------------------------------

    /// The `proofs/run` job.
    fn spin_job(&self) -> JobSpec {
        let json = self.out.join("spin.json");
        let _ = std::fs::remove_file(&json);
        let mut c = Command::new(self.root.join("proofs/run"));
        c.current_dir(&self.root);
        if self.opts.deep {
            c.arg("--deep");
        }
        c.arg("--json").arg(&json);
        JobSpec {
            name: "proofs/run (SPIN)".into(),
            cmd: c,
            limit: self.limit(1200),
            job: Job::Spin(json),
        }
    }

    /// Reads `proofs/run --json` into the SPIN column.
    fn absorb_spin(&mut self, o: &Outcome, json: &Path) {
        let spin_rows = ["pointer-node", "epoch", "tagged", "ring"];
        let parsed = std::fs::read_to_string(json)
            .map_err(|e| e.to_string())
            .and_then(|t| Json::parse(&t));
        let json = json.to_path_buf();
        let configs = match parsed {
            Ok(Json::Arr(items)) if !items.is_empty() => items,
            other => {
                let why = format!(
                    "proofs/run {} without a readable {} ({}) (log: {})",
                    o.verdict(),
                    self.rel(&json),
                    match other {
                        Err(e) => e,
                        Ok(_) => "no configurations".into(),
                    },
                    self.rel(&o.log)
                );
                for row in spin_rows {
                    self.table.cell(row, Checker::Spin).fails.push(why.clone());
                }
                return;
            }
        };
        for cfg in configs {
            let name = cfg.get("name").str().to_string();
            let prefix = name.split('_').next().unwrap_or(&name);
            let Some(row) = row_of(prefix) else {
                self.problems.push(format!(
                    "proofs/run: configuration {name} names no known algorithm"
                ));
                continue;
            };
            let expected = cfg.get("expected").str();
            let got = cfg.get("got").str();
            let ok = cfg.get("ok") == &Json::Bool(true);
            let states = match cfg.get("states") {
                Json::Num(n) => *n,
                _ => 0.0,
            };
            let secs = match cfg.get("seconds") {
                Json::Num(n) => *n,
                _ => 0.0,
            };
            let cell = self.table.cell(row, Checker::Spin);
            match (ok, expected) {
                (true, "pass") => cell.add_pass(
                    states,
                    "states",
                    format!("{name}: {} states in {secs} s", table::human(states)),
                ),
                (true, _) => cell.bugs.push(Bug {
                    scenario: name.clone(),
                    what: cfg.get("error").str().to_string(),
                    replay: format!(
                        "proofs/run --only '^{name}$' --keep{} (trail summary in target/verify/spin.json)",
                        if self.opts.deep { " --deep" } else { "" }
                    ),
                }),
                (false, _) => cell.fails.push(format!(
                    "SPIN {name}: expected {expected}, got {got}: {}",
                    short(cfg.get("error").str(), 120)
                )),
            }
        }
        if !o.ok {
            // proofs/run exits non-zero only on a mismatch, which the cells
            // above already name; anything else is a problem.
            let named = self
                .table
                .cells
                .iter()
                .any(|((_, c), cell)| *c == Checker::Spin && cell.status() == Status::Fail);
            if !named {
                self.problems.push(format!(
                    "proofs/run {} though every configuration matched (log: {})",
                    o.verdict(),
                    self.rel(&o.log)
                ));
            }
        }
    }

    // ---- sanitizers ----------------------------------------------------

    fn nightly(&self) -> Option<String> {
        let mut c = Command::new("cargo");
        c.args(["+nightly", "--version"])
            .env_remove("RUSTUP_TOOLCHAIN");
        exec::first_line(c)
    }

    fn asan_rows(&self) -> Vec<String> {
        self.table
            .rows
            .iter()
            .map(|(k, _)| k.clone())
            .filter(|k| BASE_ROWS.contains(&k.as_str()))
            .collect()
    }

    fn sanitizer_cmd(&self, flags: &str, target_dir: &str) -> Command {
        let mut c = self.cargo(Some("nightly"), target_dir);
        c.env("RUSTFLAGS", flags).args([
            "test",
            "--release",
            "--target",
            SANITIZER_TARGET,
            "--test",
            "asan_stress",
        ]);
        c
    }

    fn asan(&mut self) {
        let Some(version) = self.nightly() else {
            let why = "no nightly toolchain (`cargo +nightly` failed); xtask installs none";
            self.skipped_step("ASan stress", why);
            for row in self.asan_rows() {
                self.table.cell(&row, Checker::Asan).skipped = Some(why.into());
            }
            return;
        };
        self.notes.push(format!("ASan toolchain: {version}"));
        let flags = "-Zsanitizer=address --cfg asan_stress";
        let mut build = self.sanitizer_cmd(flags, "target/asan");
        build.arg("--no-run");
        let b = self.step("build: ASan stress (nightly)", build, self.limit(1800));
        if !b.ok {
            let why = format!("ASan build failed (log: {})", self.rel(&b.log));
            for row in self.asan_rows() {
                self.table.cell(&row, Checker::Asan).fails.push(why.clone());
            }
            return;
        }
        // The safe variants, one process.
        let mut c = self.sanitizer_cmd(flags, "target/asan");
        c.env("ASAN_STRESS_OPS", self.opts.asan_ops.to_string())
            .args([
                "--",
                "--ignored",
                "--nocapture",
                "--test-threads",
                "1",
                "safe_",
            ]);
        let o = self.step("ASan stress: safe variants", c, self.limit(1200));
        let parsed = parse::libtest(&o.text, "asan_stress");
        let mut failed = false;
        for (_, p) in parsed {
            for ev in &p.evidence {
                let mut ev = ev.clone();
                ev.target = "asan_stress".into();
                self.absorb_evidence(&ev, None);
                self.evidence.push(ev);
            }
            for t in p.failed() {
                failed = true;
                let what = format!("asan_stress::{} failed: {}", t.name, short(&t.message, 160));
                match row_of(&t.name) {
                    Some(row) => self.table.cell(row, Checker::Asan).fails.push(what),
                    None => self.problems.push(what),
                }
            }
        }
        if !o.ok && !failed {
            // ASan aborts the process on a report: name it.
            let report = asan_report(&o.text).unwrap_or_else(|| o.verdict());
            let why = format!("ASan: {report} (log: {})", self.rel(&o.log));
            let running = last_started_test(&o.text);
            match running.as_deref().and_then(row_of) {
                Some(row) => self.table.cell(row, Checker::Asan).fails.push(why),
                None => {
                    for row in self.asan_rows() {
                        self.table.cell(&row, Checker::Asan).fails.push(why.clone());
                    }
                }
            }
        }
        self.asan_uaf(flags);
    }

    /// The seed's multi-popper pop: ASan must report a heap-use-after-free.
    fn asan_uaf(&mut self, flags: &str) {
        const TEST: &str = "seed_pointer_node_shared_pop_use_after_free";
        let name = "ASan: pointer-node pop_shared (expect use-after-free)";
        let t = exec::begin(name);
        let budget = Duration::from_secs(self.opts.uaf_budget.max(1));
        let start = Instant::now();
        let mut attempts = 0;
        let mut seen = Vec::new();
        let mut found = None;
        let mut log = self.log(name);
        while start.elapsed() < budget && attempts < 5 {
            attempts += 1;
            let left = budget.saturating_sub(start.elapsed()).as_secs().max(1);
            let mut c = self.sanitizer_cmd(flags, "target/asan");
            c.env("ASAN_UAF_SECS", left.to_string()).args([
                "--",
                "--ignored",
                "--nocapture",
                "--exact",
                TEST,
            ]);
            log = self.log(&format!("{name} attempt {attempts}"));
            let o = exec::run(c, &log, budget + Duration::from_secs(120));
            if o.text
                .contains("ERROR: AddressSanitizer: heap-use-after-free")
            {
                found = Some(o);
                break;
            }
            seen.push(asan_report(&o.text).unwrap_or_else(|| {
                o.text
                    .lines()
                    .find(|l| l.contains("no use-after-free detected"))
                    .map(|l| l.trim().to_string())
                    .unwrap_or_else(|| o.verdict())
            }));
        }
        let replay = {
            let mut c = self.sanitizer_cmd(flags, "target/asan");
            c.env_remove("CARGO_TERM_COLOR")
                .env("CARGO_TARGET_DIR", "target/asan")
                .args(["--", "--ignored", "--nocapture", "--exact", TEST]);
            exec::describe(&c)
        };
        let (result, ok) = match &found {
            Some(o) => {
                let ops = o
                    .text
                    .lines()
                    .find_map(|l| l.trim().strip_prefix("asan-uaf: ops="))
                    .and_then(|r| r.split_whitespace().next())
                    .map(|n| format!("{} ops", table::human(n.parse().unwrap_or(0.0))))
                    .unwrap_or_else(|| "? ops".into());
                let report = asan_report(&o.text).unwrap_or_default();
                let what = format!("{report}, after {ops}, attempt {attempts}");
                let replay = format!("{replay}  (log: {})", self.rel(&o.log));
                self.table
                    .cell("pointer-node", Checker::Asan)
                    .bugs
                    .push(Bug {
                        scenario: format!("asan_stress::{TEST}"),
                        what: what.clone(),
                        replay,
                    });
                (format!("bug found as expected: {what}"), true)
            }
            None => {
                let why = format!(
                    "ASan reported no heap-use-after-free for pop_shared in {attempts} attempt(s) / {} s: {} (log: {})",
                    budget.as_secs(),
                    seen.join("; "),
                    self.rel(&log)
                );
                self.table
                    .cell("pointer-node", Checker::Asan)
                    .fails
                    .push(why.clone());
                (why, false)
            }
        };
        exec::end(name, t, &result);
        self.steps.push(StepRecord {
            name: name.into(),
            run_secs: start.elapsed().as_secs_f64(),
            result,
            ok,
            log: Some(log),
        });
    }

    fn miri_tsan(&mut self) {
        let mut reasons = Vec::new();
        let nightly = self.nightly().is_some();
        // Miri: only if `cargo +nightly miri` is already there.
        let miri = nightly && {
            let mut c = Command::new("cargo");
            c.args(["+nightly", "miri", "--version"])
                .env_remove("RUSTUP_TOOLCHAIN");
            exec::succeeds(c)
        };
        if !nightly {
            reasons.push("Miri and TSan need nightly, which is not installed".to_string());
            self.skipped_step("Miri", "no nightly toolchain");
            self.skipped_step("TSan", "no nightly toolchain");
        } else {
            if miri {
                let mut c = self.cargo(Some("nightly"), "target/miri");
                c.env("ASAN_STRESS_OPS", "2000")
                    .env("ASAN_STRESS_THREADS", "2")
                    .args(["miri", "test", "--test", "asan_stress", "--"])
                    .args(["--ignored", "--nocapture", "--test-threads", "1", "safe_"]);
                let o = self.step(
                    "Miri: asan_stress safe variants (2,000 ops)",
                    c,
                    self.limit(1800),
                );
                self.absorb_sanitizer("Miri", &o);
            } else {
                let why = "Miri not installed (`cargo +nightly miri --version` failed; xtask installs no components)";
                reasons.push(why.to_string());
                self.skipped_step("Miri", why);
            }
            // TSan needs -Zbuild-std, hence rust-src.
            let mut c = Command::new("rustc");
            c.args(["+nightly", "--print", "sysroot"])
                .env_remove("RUSTUP_TOOLCHAIN");
            let has_src = exec::first_line(c).is_some_and(|sysroot| {
                Path::new(&sysroot)
                    .join("lib/rustlib/src/rust/library/std")
                    .is_dir()
            });
            if has_src {
                let mut c = self.sanitizer_cmd("-Zsanitizer=thread", "target/tsan");
                c.env("ASAN_STRESS_OPS", "200000")
                    .env("TSAN_OPTIONS", "halt_on_error=1")
                    .args(["-Zbuild-std", "--"])
                    .args(["--ignored", "--nocapture", "--test-threads", "1", "safe_"]);
                let o = self.step(
                    "TSan: asan_stress safe variants (200,000 ops)",
                    c,
                    self.limit(2400),
                );
                self.absorb_sanitizer("TSan", &o);
            } else {
                let why = "TSan needs -Zbuild-std and the nightly has no rust-src component (xtask installs none)";
                reasons.push(why.to_string());
                self.skipped_step("TSan", why);
            }
        }
        if !reasons.is_empty() {
            let why = reasons.join("; ");
            for row in self
                .table
                .rows
                .iter()
                .map(|(k, _)| k.clone())
                .collect::<Vec<_>>()
            {
                self.table.cell(&row, Checker::MiriTsan).skipped = Some(why.clone());
            }
        }
    }

    /// Miri or TSan output (the asan_stress tests' evidence, relabelled).
    fn absorb_sanitizer(&mut self, tool: &str, o: &Outcome) {
        let parsed = parse::libtest(&o.text, "asan_stress");
        let mut failed = false;
        for (_, p) in parsed {
            for ev in &p.evidence {
                if let Some(row) = row_of(ev.get("algo")) {
                    let n = ev.num("ops");
                    self.table.cell(row, Checker::MiriTsan).add_pass(
                        n as f64,
                        "ops",
                        format!(
                            "{tool}: asan_stress::{} {n} ops",
                            ev.test.clone().unwrap_or_default()
                        ),
                    );
                }
            }
            for t in p.failed() {
                failed = true;
                let what = format!("{tool}: {} failed: {}", t.name, short(&t.message, 160));
                match row_of(&t.name) {
                    Some(row) => self.table.cell(row, Checker::MiriTsan).fails.push(what),
                    None => self.problems.push(what),
                }
            }
        }
        if !o.ok && !failed {
            let why = format!("{tool} {} (log: {})", o.verdict(), self.rel(&o.log));
            match last_started_test(&o.text).as_deref().and_then(row_of) {
                Some(row) => self.table.cell(row, Checker::MiriTsan).fails.push(why),
                None => self.problems.push(why),
            }
        }
    }

    // ---- the table -------------------------------------------------------

    /// Proptest summaries, mutant sites, and the cells no checker covers.
    fn finish_cells(&mut self) {
        let cases = self.opts.proptest_cases;
        let rows: Vec<String> = self.table.rows.iter().map(|(k, _)| k.clone()).collect();
        for row in &rows {
            let std = self.std_tests.get(row).copied().unwrap_or(0);
            let cell = self.table.cell(row, Checker::Proptest);
            let props = cell.passes.len();
            if props > 0 {
                cell.summary = Some(format!(
                    "{props} propert{} × {} cases{}",
                    if props == 1 { "y" } else { "ies" },
                    table::human(cases as f64),
                    if std > 0 {
                        format!(", + {std} std tests")
                    } else {
                        String::new()
                    }
                ));
            } else if std > 0 {
                cell.passes.push(format!("{std} std tests"));
                cell.summary = Some(format!("{std} std tests, no proptest property"));
            }
        }
        for site in parse::ordering_sites(&self.root.join("src")) {
            if let Some(row) = row_of(&site) {
                self.table.cell(row, Checker::Loom).mutant_sites.push(site);
            }
        }
        let no_model = |row: &str| -> Option<&'static str> {
            match row {
                "pool" => {
                    Some("no SPIN model of the pool; its free list is the tagged stack's row")
                }
                "tls-front" => Some("no SPIN model of the thread-local front"),
                _ => None,
            }
        };
        for row in &rows {
            let spin = self.table.cell(row, Checker::Spin);
            if spin.status() == Status::Fail
                && spin.fails.is_empty()
                && let Some(why) = no_model(row)
            {
                spin.skipped = Some(why.into());
            }
            let asan = self.table.cell(row, Checker::Asan);
            if asan.status() == Status::Fail && asan.fails.is_empty() && row == "tls-front" {
                asan.skipped =
                    Some("no ASan stress of the thread-local front in tests/asan_stress.rs".into());
            }
        }
    }

    fn report(&mut self, total: f64) -> ExitCode {
        let (passed, failed_cells, skipped) = self.table.counts();
        let failed = failed_cells + self.problems.len();
        println!();
        println!(
            "Evidence table ({} mode):",
            if self.opts.deep { "deep" } else { "quick" }
        );
        println!();
        print!("{}", self.table.terminal());
        if !self.problems.is_empty() {
            println!();
            println!("Problems:");
            for p in &self.problems {
                println!("  - {p}");
            }
        }
        let fails: Vec<String> = self
            .table
            .all()
            .into_iter()
            .filter(|(_, _, _, c)| c.status() == Status::Fail)
            .map(|(_, title, ch, c)| format!("{title} × {}: {}", ch.title(), c.text()))
            .collect();
        if !fails.is_empty() {
            println!();
            println!("Failing cells:");
            for f in &fails {
                println!("  - {f}");
            }
        }
        let build: f64 = self
            .steps
            .iter()
            .filter(|s| s.name.starts_with("build: "))
            .map(|s| s.run_secs)
            .sum();
        let md = self.markdown(total, build, passed, failed, skipped);
        let json = self.json(total, build, passed, failed, skipped);
        let md_path = self.out.join("report.md");
        let json_path = self.out.join("report.json");
        let _ = std::fs::write(&md_path, md);
        let _ = std::fs::write(&json_path, json);
        println!();
        println!(
            "Total {total:.1} s (builds {build:.1} s, checks {:.1} s). Report: {}, {}",
            total - build,
            self.rel(&md_path),
            self.rel(&json_path)
        );
        println!("{passed} passed, {failed} failed, {skipped} skipped");
        if failed > 0 {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        }
    }

    fn markdown(
        &self,
        total: f64,
        build: f64,
        passed: usize,
        failed: usize,
        skipped: usize,
    ) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# verified-pools: verification report\n");
        let _ = writeln!(
            s,
            "`cargo xtask verify{}` — {} mode, {total:.1} s in total ({build:.1} s building, {:.1} s checking). **{passed} passed, {failed} failed, {skipped} skipped.**\n",
            if self.opts.deep { " --deep" } else { "" },
            if self.opts.deep { "deep" } else { "quick" },
            total - build
        );
        let _ = writeln!(
            s,
            "Bounds: PROPTEST_CASES={}, LOOM_MAX_PREEMPTIONS={} (models may use their own bound, e.g. LOOM_EPOCH_PREEMPTIONS; each loom cell shows the bounds its models reported), SHUTTLE_ITERATIONS={}, SPIN {} bounds, ASan {} ops per safe variant.\n",
            self.opts.proptest_cases,
            if self.opts.deep { 3 } else { 2 },
            if self.opts.deep {
                "100,000"
            } else {
                "harness default (10,000)"
            },
            if self.opts.deep { "deep" } else { "default" },
            table::human(self.opts.asan_ops as f64)
        );
        for n in &self.notes {
            let _ = writeln!(s, "{n}\n");
        }
        let _ = writeln!(s, "## Evidence table\n");
        s.push_str(&self.table.markdown());
        s.push_str(
            "\nEach cell: **pass (N …)** — every must-pass model/test passed, N executions (loom), \
             iterations (shuttle, random + PCT), states (SPIN), cases (proptest) or operations (ASan) in total; \
             **k/n mutants caught** — of the n ordering sites of this algorithm in `src/`, k were weakened to \
             `Relaxed` one at a time and loom found a bug each time; **bug found as expected** — a negative \
             model (a known-broken variant) was caught, details and replay commands below; **FAIL** — an \
             unexpected result (a must-pass failed, a negative model found nothing, evidence missing); \
             **skipped (why)** — the checker could not run here or has no model of this algorithm.\n",
        );
        if !self.problems.is_empty() {
            let _ = writeln!(s, "\n## Problems\n");
            for p in &self.problems {
                let _ = writeln!(s, "- {p}");
            }
        }
        let _ = writeln!(s, "\n## Steps\n");
        let _ = writeln!(s, "| step | s | result | log |\n|---|---|---|---|");
        for st in &self.steps {
            let _ = writeln!(
                s,
                "| {} | {:.1} | {} | {} |",
                st.name,
                st.run_secs,
                st.result.replace('|', "/"),
                st.log
                    .as_deref()
                    .map(|l| format!("`{}`", self.rel(l)))
                    .unwrap_or_default()
            );
        }
        let _ = writeln!(s, "\n## Details\n");
        for (key, title) in &self.table.rows {
            let _ = writeln!(s, "### {title}\n");
            for c in table::CHECKERS {
                let Some(cell) = self.table.cells.get(&(key.clone(), c)) else {
                    continue;
                };
                let _ = writeln!(s, "**{}**: {}\n", c.title(), cell.text());
                for p in &cell.passes {
                    let _ = writeln!(s, "- pass: {p}");
                }
                if !cell.mutant_sites.is_empty() || !cell.mutants_caught.is_empty() {
                    for site in &cell.mutant_sites {
                        match self.mutants_caught.iter().find(|(s, _)| s == site) {
                            Some((_, how)) => {
                                let _ = writeln!(s, "- mutant `{site}` → Relaxed: caught ({how})");
                            }
                            None => {
                                let _ = writeln!(
                                    s,
                                    "- mutant `{site}` → Relaxed: no mutation evidence line"
                                );
                            }
                        }
                    }
                }
                for b in &cell.bugs {
                    let _ = writeln!(
                        s,
                        "- bug found as expected: {} — {}\n  - replay: `{}`",
                        b.scenario, b.what, b.replay
                    );
                }
                for f in &cell.fails {
                    let _ = writeln!(s, "- **FAIL**: {f}");
                }
                s.push('\n');
            }
        }
        let _ = writeln!(
            s,
            "## Replaying a shuttle failure\n\n\
             A shuttle failure prints `test panicked in task … with schedule: \"<hex>\"`. Rerun the same test \
             (`CARGO_TARGET_DIR=target/shuttle cargo test --release --features shuttle --test <target> -- --nocapture --exact <test>`; \
             negative models use a fixed seed, so they fail the same way), or replay the one schedule with \
             `shuttle::replay(<the scenario closure>, \"<hex>\")` in a scratch test.\n"
        );
        s
    }

    fn json(&self, total: f64, build: f64, passed: usize, failed: usize, skipped: usize) -> String {
        let mut s = String::from("{\n");
        let _ = writeln!(
            s,
            "  \"mode\": \"{}\",",
            if self.opts.deep { "deep" } else { "quick" }
        );
        let _ = writeln!(
            s,
            "  \"total_secs\": {total:.1},\n  \"build_secs\": {build:.1},"
        );
        let _ = writeln!(
            s,
            "  \"passed\": {passed},\n  \"failed\": {failed},\n  \"skipped\": {skipped},"
        );
        let _ = writeln!(s, "  \"proptest_cases\": {},", self.opts.proptest_cases);
        let _ = writeln!(
            s,
            "  \"problems\": [{}],",
            self.problems
                .iter()
                .map(|p| json_str(p))
                .collect::<Vec<_>>()
                .join(", ")
        );
        s.push_str("  \"steps\": [");
        for (i, st) in self.steps.iter().enumerate() {
            let _ = write!(
                s,
                "{}\n    {{\"name\": {}, \"secs\": {:.1}, \"ok\": {}, \"result\": {}, \"log\": {}}}",
                if i > 0 { "," } else { "" },
                json_str(&st.name),
                st.run_secs,
                st.ok,
                json_str(&st.result),
                st.log
                    .as_deref()
                    .map_or("null".into(), |l| json_str(&self.rel(l)))
            );
        }
        s.push_str("\n  ],\n  \"table\": ");
        s.push_str(&self.table.json());
        s.push_str(",\n  \"evidence\": [");
        for (i, ev) in self.evidence.iter().enumerate() {
            let fields: Vec<String> = ev
                .fields
                .iter()
                .map(|(k, v)| format!("{}: {}", json_str(k), json_str(v)))
                .collect();
            let _ = write!(
                s,
                "{}\n    {{\"target\": {}, \"test\": {}, {}}}",
                if i > 0 { "," } else { "" },
                json_str(&ev.target),
                ev.test.as_deref().map_or("null".into(), json_str),
                fields.join(", ")
            );
        }
        s.push_str("\n  ]\n}\n");
        s
    }
}

/// ASan's verdict: "heap-use-after-free in <frame> (<file:line>)".
fn asan_report(text: &str) -> Option<String> {
    let mut lines = text
        .lines()
        .skip_while(|l| !l.contains("ERROR: AddressSanitizer:"));
    let err = lines.next()?;
    let kind = err
        .split("ERROR: AddressSanitizer: ")
        .nth(1)?
        .split_whitespace()
        .next()?
        .to_string();
    // The first frame in our code, else the first frame.
    let frames: Vec<&str> = lines
        .take(60)
        .filter(|l| l.trim_start().starts_with('#'))
        .collect();
    let frame = frames
        .iter()
        .find(|l| !l.contains("/rustc/") && !l.contains("compiler-rt"))
        .or(frames.first())
        .map(|l| {
            let in_part = l.split(" in ").nth(1).unwrap_or(l).trim();
            let (func, place) = in_part.rsplit_once(' ').unwrap_or((in_part, ""));
            let place = place.rsplit('/').take(3).collect::<Vec<_>>();
            let place: Vec<&str> = place.into_iter().rev().collect();
            format!("{} ({})", short(func, 90), place.join("/"))
        })
        .unwrap_or_default();
    Some(format!("{kind} in {frame}"))
}

/// Why a test binary stopped: its abort/signal/time-limit lines, else the
/// last panic message.
fn crash_cause(text: &str) -> String {
    let markers = [
        "aborting",
        "signal: ",
        "xtask: killed",
        "stack overflow",
        "memory allocation of",
        "ERROR: AddressSanitizer",
    ];
    let mut found: Vec<String> = text
        .lines()
        .filter(|l| markers.iter().any(|m| l.contains(m)))
        .map(|l| {
            let l = l.trim();
            // `process didn't exit successfully: `…` (signal: 6, SIGABRT: …)`
            match l.find("(signal: ") {
                Some(i) => l[i..].to_string(),
                None => l.to_string(),
            }
        })
        .collect();
    found.dedup();
    if found.is_empty() {
        let mut lines = text.lines();
        let mut last = None;
        while let Some(l) = lines.next() {
            if l.contains("panicked at") {
                last = lines.next().map(|m| m.trim().to_string());
            }
        }
        return last.unwrap_or_else(|| "no test result line".into());
    }
    short(&found.join(" "), 200)
}

/// The last `test NAME ...` that started in libtest output.
fn last_started_test(text: &str) -> Option<String> {
    text.lines()
        .rev()
        .filter_map(|l| l.strip_prefix("test "))
        .find_map(|l| l.split_once(" ... ").map(|(n, _)| n.trim().to_string()))
}
