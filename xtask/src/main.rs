//! `cargo xtask verify [--deep]`: the whole verification matrix of
//! verified-pools in one command.
//!
//! In order, with a progress line as each step starts and ends: `cargo test`
//! (the proptest state machines and the std tests), the loom tier, the
//! shuttle tier, the negative models (`*_mutants`), the linearizability
//! checker, `proofs/run` (SPIN), an AddressSanitizer stress run on nightly,
//! and the ThreadSanitizer tier (`xtask/tsan-toolchain`). Then the evidence
//! table (one row per algorithm, one column per checker),
//! `target/verify/report.md` and `target/verify/report.json`, a closing
//! `N passed, M failed` line, and a non-zero exit on any unexpected result.
//! xtask itself installs nothing: `proofs/run` installs `spin` with apt if
//! it is missing, and `xtask/tsan-toolchain` unpacks Debian's compiler
//! packages under target/tsan-toolchain when they are not there yet.
//!
//! The steps run here; what their output means is decided in `checkers/`,
//! one pure function per checker; `report.rs` renders the table.
//!
//! Two more commands: `cargo xtask vendor` (`vendor.rs`) and `cargo xtask
//! mutants`, mutation testing with cargo-mutants (`mutants.rs`).

mod checkers;
mod commands;
mod json;
mod mutants;
mod mutants_loom;
mod mutants_merge;
mod mutants_report;
mod opts;
mod parse;
mod partial;
mod partial_json;
mod prune;
mod report;
mod sanitizer_steps;
mod share;
mod spin_share;
mod steps;
mod table;
mod vendor;
mod vendor_check;
mod vendor_table;
#[cfg(test)]
mod workflow_check;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use checkers::{Findings, cargo_test, linearizability, models, spin};
use commands::{Commands, Tier};
use opts::{Opts, Parsed, USAGE};
use steps::{Outcome, Spec, Steps};
use table::Checker;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opts = match opts::parse(&args) {
        Ok(Parsed::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Parsed::Verify(o)) => o,
        Ok(Parsed::Vendor(r)) => return vendor_from_root(r),
        Ok(Parsed::Mutants(r)) => {
            let Some(root) = repo_root() else {
                eprintln!("xtask: cannot find the repository root (a Cargo.toml with [workspace])");
                return ExitCode::from(2);
            };
            return mutants::run(&r, &root);
        }
        Err(e)
            if args
                .first()
                .is_some_and(|a| a == "vendor" || a == "mutants") =>
        {
            let usage = if args[0] == "vendor" {
                vendor::USAGE
            } else {
                mutants::USAGE
            };
            eprintln!("xtask: {e}\n\n{usage}");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("xtask: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let Some(root) = repo_root() else {
        eprintln!("xtask: cannot find the repository root (a Cargo.toml with [workspace])");
        return ExitCode::from(2);
    };
    // Every path from here on (logs, target directories, models/tier) is
    // relative to the root, and so is every path the report shows.
    if let Err(e) = std::env::set_current_dir(&root) {
        eprintln!("xtask: cannot enter {}: {e}", root.display());
        return ExitCode::from(2);
    }
    match &opts.merge {
        Some(dir) => partial::merge(dir),
        None => verify(opts, &root),
    }
}

/// `vendor`, from the repository root, with DEST taken relative to where
/// it was typed.
fn vendor_from_root(r: vendor::Request) -> ExitCode {
    let here = std::env::current_dir().unwrap_or_default();
    let r = match r {
        vendor::Request::Write(a, d) => vendor::Request::Write(a, here.join(d)),
        vendor::Request::Check(d) => vendor::Request::Check(here.join(d)),
        vendor::Request::Help => vendor::Request::Help,
    };
    let Some(root) = repo_root() else {
        eprintln!("xtask: cannot find the repository root (a Cargo.toml with [workspace])");
        return ExitCode::from(2);
    };
    if let Err(e) = std::env::set_current_dir(&root) {
        eprintln!("xtask: cannot enter {}: {e}", root.display());
        return ExitCode::from(2);
    }
    vendor::run(&r)
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

/// Where the reports go.
pub const OUT: &str = "target/verify";

/// Everything a run collects.
struct Run {
    opts: Opts,
    cmds: Commands,
    steps: Steps,
    found: Findings,
    notes: Vec<String>,
    /// The `[[test]]` targets of Cargo.toml.
    targets: Vec<String>,
}

/// One step of the parallel phase and how to read it.
enum Job {
    /// A loom or shuttle target: its column, name and replay command.
    Model(Checker, String, String),
    /// `tests/linearizability.rs`, with its replay command.
    Linearizability(String),
    /// `proofs/run`, writing this JSON file.
    Spin(PathBuf),
}

fn verify(opts: Opts, root: &Path) -> ExitCode {
    let start = Instant::now();
    let _ = std::fs::create_dir_all(Path::new(OUT).join("logs"));
    let manifest = std::fs::read_to_string("Cargo.toml").unwrap_or_default();
    let mut run = Run {
        cmds: Commands { deep: opts.deep },
        steps: Steps {
            logs: Path::new(OUT).join("logs"),
            jobs: opts.jobs,
            records: Vec::new(),
        },
        found: Findings::default(),
        notes: Vec::new(),
        targets: parse::test_targets(&manifest),
        opts,
    };
    println!(
        "cargo xtask verify ({} mode{}) in {}",
        mode(run.opts.deep),
        run.opts
            .shard
            .map(|(k, n)| if run.opts.by_tier {
                format!(", shard {}", share::TIERS[k - 1])
            } else {
                format!(", shard {k}/{n}")
            })
            .unwrap_or_default(),
        root.display()
    );
    if !run.opts.only.is_empty() {
        run.found.problems.push(format!(
            "only some units run on request (--only {}): the evidence is incomplete",
            run.opts.only.join(" --only ")
        ));
    }
    if !run.opts.skip.is_empty() {
        run.found.problems.push(format!(
            "model tests skipped on request (--skip {}): the evidence is incomplete",
            run.opts.skip.join(" --skip ")
        ));
    }
    for tier in [Tier::Loom, Tier::Shuttle] {
        run.notes.push(format!(
            "{} tier (`{}{} {}`): {}",
            tier.name(),
            commands::TIER_SCRIPT,
            if run.opts.deep { " --deep" } else { "" },
            tier.name(),
            run.cmds.tier_settings(tier).join(", ")
        ));
    }
    if run.mine("cargo test") {
        run.cargo_test();
    }
    // Build each model tier first, then run the loom tier, the shuttle
    // tier, the negative models, linearizability and SPIN: in that order,
    // `--jobs` at a time.
    let loom = run.build_tier(Tier::Loom);
    let shuttle = run.build_tier(Tier::Shuttle);
    let mut jobs = Vec::new();
    for (tier, mutants) in [
        (Tier::Loom, false),
        (Tier::Shuttle, false),
        (Tier::Loom, true),
        (Tier::Shuttle, true),
    ] {
        let built = match tier {
            Tier::Loom => loom,
            Tier::Shuttle => shuttle,
        };
        if built {
            jobs.extend(run.model_jobs(tier, mutants));
        }
    }
    jobs.extend(run.linearizability_job());
    jobs.extend(run.spin_job());
    run.run_jobs(jobs);
    if run.mine("ASan stress") {
        sanitizer_steps::asan(&mut run);
    }
    if run.mine("TSan stress") {
        sanitizer_steps::tsan_and_miri(&mut run);
    }
    let total = start.elapsed().as_secs_f64();
    if let Some((k, n)) = run.opts.shard {
        return partial::write(
            &run.opts,
            k,
            n,
            &run.found,
            &run.steps.records,
            &run.notes,
            total,
        );
    }
    checkers::finish(&mut run.found.table, run.opts.proptest_cases);
    checkers::not_run(&mut run.found.table, &run.opts.only);
    report::print_and_write(&report::Report {
        opts: &run.opts,
        found: &run.found,
        steps: &run.steps.records,
        notes: &run.notes,
        total,
    })
}

fn mode(deep: bool) -> &'static str {
    if deep { "deep" } else { "quick" }
}

impl Run {
    /// Whether the unit of work `name` is this shard's (all are, unsharded)
    /// and `--only` selects it.
    fn mine(&self, name: &str) -> bool {
        self.opts.shard.is_none_or(|(k, n)| {
            if self.opts.by_tier {
                share::mine(name, k)
            } else {
                partial::shard_of(name, n) == k
            }
        }) && opts::selected(&self.opts.only, name)
    }

    fn limit(&self, quick_secs: u64) -> Duration {
        Duration::from_secs(if self.opts.deep {
            quick_secs * 8
        } else {
            quick_secs
        })
    }

    fn cargo_test(&mut self) {
        let mut build = self.cmds.cargo(None, "target");
        build.args(["test", "--no-run"]);
        let b = self.step("build: cargo test", build, 1800);
        if !b.ok {
            self.found.merge(cargo_test::build_failed(&b));
            return;
        }
        let mut c = self.cmds.cargo(None, "target");
        c.env("PROPTEST_CASES", self.opts.proptest_cases.to_string())
            .arg("test");
        let o = self.step("cargo test", c, 900);
        self.found
            .merge(cargo_test::check(&o, self.opts.proptest_cases));
    }

    fn step(&mut self, name: &str, cmd: Command, quick_secs: u64) -> Outcome {
        let limit = self.limit(quick_secs);
        self.steps.run(Spec {
            name: name.into(),
            cmd,
            limit,
        })
    }

    /// The targets of a tier that run in this shard.
    fn tier_targets(&self, tier: Tier, mutants: bool) -> Vec<String> {
        self.targets
            .iter()
            .filter(|t| t.starts_with(tier.prefix()) && t.ends_with("_mutants") == mutants)
            .filter(|t| self.mine(t))
            .cloned()
            .collect()
    }

    /// Builds this shard's targets of a tier (`--no-run`, one step); on
    /// failure the tier's column says so.
    fn build_tier(&mut self, tier: Tier) -> bool {
        if !self.targets.iter().any(|t| t.starts_with(tier.prefix())) {
            self.found.problems.push(format!(
                "{} tier: no {}* targets in Cargo.toml",
                tier.name(),
                tier.prefix()
            ));
            return false;
        }
        let mut targets = self.tier_targets(tier, false);
        targets.extend(self.tier_targets(tier, true));
        if targets.is_empty() {
            return false;
        }
        let mut args = vec!["test", "--release", "--no-run"];
        for t in &targets {
            args.extend(["--test", t.as_str()]);
        }
        let build = self.cmds.tier(tier, &args);
        let b = self.step(&format!("build: {} tier", tier.name()), build, 1800);
        if !b.ok {
            let why = format!(
                "{} tier does not build (log: {})",
                tier.name(),
                b.log.display()
            );
            self.found.fail_all(column_of(tier), &why);
        }
        b.ok
    }

    /// One job per target of a tier: the `*_mutants` targets if `mutants`,
    /// else all the others.
    fn model_jobs(&self, tier: Tier, mutants: bool) -> Vec<(Spec, Job)> {
        let name = if mutants {
            "negative models".to_string()
        } else {
            format!("{} tier", tier.name())
        };
        self.tier_targets(tier, mutants)
            .into_iter()
            .map(|target| {
                let mut args = vec!["test", "--release", "--test", &target];
                args.extend(["--", "--nocapture", "--test-threads", "1"]);
                for f in &self.opts.skip {
                    args.extend(["--skip", f.as_str()]);
                }
                let replay = self.cmds.tier_replay(tier, &target);
                let spec = Spec {
                    name: format!("{name}: {target}"),
                    cmd: self.cmds.tier(tier, &args),
                    limit: self.limit(900),
                };
                (spec, Job::Model(column_of(tier), target, replay))
            })
            .collect()
    }

    /// `tests/linearizability.rs` (std build, the debug profile `cargo test`
    /// built), or the column skipped if the target does not exist.
    fn linearizability_job(&mut self) -> Option<(Spec, Job)> {
        let target = linearizability::TARGET;
        if !self.mine(target) {
            return None;
        }
        if !self.targets.iter().any(|t| t == target) {
            self.found.merge(linearizability::absent());
            return None;
        }
        let mut c = self.cmds.cargo(None, "target");
        c.args([
            "test",
            "--test",
            target,
            "--",
            "--nocapture",
            "--test-threads",
            "1",
        ]);
        let replay = format!("cargo test --test {target} -- --nocapture");
        let spec = Spec {
            name: format!("linearizability: {target}"),
            cmd: c,
            limit: self.limit(900),
        };
        Some((spec, Job::Linearizability(replay)))
    }

    /// The `proofs/run` job over this shard's configurations, if it has any.
    fn spin_job(&mut self) -> Option<(Spec, Job)> {
        let all = match spin_share::configurations() {
            Ok(all) => all,
            Err(e) => {
                self.found.problems.push(e);
                return None;
            }
        };
        let only = spin_share::only_filter(&all, |c| self.mine(&spin_share::unit(c)))?;
        let json = Path::new(OUT).join("spin.json");
        let _ = std::fs::remove_file(&json);
        let mut c = Command::new("proofs/run");
        if self.opts.deep {
            c.arg("--deep");
        }
        if let Some(re) = only {
            c.arg("--only").arg(re);
        }
        c.arg("--json").arg(&json);
        let spec = Spec {
            name: "proofs/run (SPIN)".into(),
            cmd: c,
            limit: self.limit(1200),
        };
        Some((spec, Job::Spin(json)))
    }

    /// Runs the jobs `--jobs` at a time, in the order given, then reads them.
    fn run_jobs(&mut self, jobs: Vec<(Spec, Job)>) {
        let (specs, jobs): (Vec<Spec>, Vec<Job>) = jobs.into_iter().unzip();
        let outcomes = self.steps.parallel(specs);
        for (job, o) in jobs.into_iter().zip(outcomes) {
            let f = match job {
                Job::Model(column, target, replay) => models::check(&o, column, &target, &replay),
                Job::Linearizability(replay) => linearizability::check(&o, &replay),
                Job::Spin(json) => {
                    let text = std::fs::read_to_string(&json).map_err(|e| e.to_string());
                    spin::check(&o, text, &json.display().to_string(), self.opts.deep)
                }
            };
            self.found.merge(f);
        }
        let cells = self.found.table.cells.values();
        let (bugs, caught) = cells.fold((0, 0), |(b, m), c| {
            (b + c.bugs.len(), m + c.mutants_caught.len())
        });
        println!(
            "    negative models and must-fail configurations: {bugs} expected bugs found, {caught} mutants caught"
        );
    }
}

/// The column of a tier.
fn column_of(tier: Tier) -> Checker {
    match tier {
        Tier::Loom => Checker::Loom,
        Tier::Shuttle => Checker::Shuttle,
    }
}
