//! `cargo xtask mutants`: semantic mutation testing of `src/` with
//! cargo-mutants (configured by `.cargo/mutants.toml`). The std tests run
//! first on every mutant; the mutants they miss are tested again by
//! `tests/contention.rs` with `--features contention-stats` (the only test
//! that sees the feature-gated counting), then what that misses under the
//! loom tier (`models/tier loom`'s cfg and bounds, with the `loom_*` model
//! targets that run the mutated code, `mutants_loom`; of the mutation
//! matrix `loom_mutants`, its behaviour switches, which a source mutant may
//! disarm, and the ordering rows of those targets). The
//! result, one verdict per mutant, goes to `target/verify/mutants.md` and
//! `mutants.json`, and as one line into `target/verify/report.md` if a
//! `verify` run wrote one. Not part of `verify`: it takes hours unsharded.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use crate::mutants_report::{self as report, Run, Verdict};

/// `--help` for `mutants`.
pub const USAGE: &str = "\
usage: cargo xtask mutants [--shard K/N] [--timeout SECS] [--loom-timeout SECS]
                           [--file GLOB]... [--re REGEX]... [--jobs N] [--no-loom]
       cargo xtask mutants --merge FILE...

  Runs cargo-mutants (cargo install cargo-mutants) over src/ with the std
  tests (`cargo test --tests`: no doctests, no examples), then the mutants
  they missed again with --features contention-stats (tests/contention.rs),
  then what that missed under the loom tier (models/tier loom's settings, the
  loom_* model targets that run the mutated code, loom_mutants with its
  behaviour switches and those targets' ordering rows).
  Writes target/verify/mutants.md
  and mutants.json and a line in target/verify/report.md if it exists.
  Exits 1 if a mutant is missed that DESIGN.md does not list as equivalent.

  --shard K/N          share K of N (1 <= K <= N) of the mutants: cargo-mutants'
                       --shard K-1/N, a fixed slice of its list
  --timeout SECS       per-mutant time limit of the std tests (default 300)
  --loom-timeout SECS  per-mutant time limit of the loom tier (default 1200)
  --file GLOB          only mutants in files matching GLOB (repeatable)
  --re REGEX           only mutants whose name matches REGEX (cargo-mutants'
                       --re; repeatable: any one matching is enough), e.g.
                       the functions a change touched
  --jobs N             mutants built and tested at a time (default 1)
  --no-loom            stop before the loom tier
  --merge FILE...      no run: one report (target/verify/mutants.md and
                       .json) from the mutants.json of several shards; a
                       mutant in more than one keeps the last file's verdict,
                       one no longer in cargo-mutants' list is left out";

/// What `mutants` was asked to do.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// `--shard K/N`.
    pub shard: Option<(usize, usize)>,
    /// Seconds per mutant, std tests.
    pub timeout: u64,
    /// Seconds per mutant, loom tier.
    pub loom_timeout: u64,
    /// `--file` globs.
    pub files: Vec<String>,
    /// `--re` patterns.
    pub regexes: Vec<String>,
    /// cargo-mutants' `--jobs`.
    pub jobs: u64,
    /// Re-test the std tests' misses under loom.
    pub loom: bool,
    /// `--merge`: the shard reports to merge instead of running.
    pub merge: Vec<String>,
    /// `--help`.
    pub help: bool,
}

/// Parses the arguments after `mutants`.
pub fn parse(args: &[String]) -> Result<Request, String> {
    let mut r = Request {
        shard: None,
        timeout: 300,
        loom_timeout: 1200,
        files: Vec::new(),
        regexes: Vec::new(),
        jobs: 1,
        loom: true,
        merge: Vec::new(),
        help: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or(format!("{a} needs a value"));
        let num = |v: &String| {
            v.parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or(format!("{a} needs a positive number, not {v:?}"))
        };
        match a.as_str() {
            "--shard" => r.shard = Some(crate::opts::shard(value()?)?),
            "--timeout" => r.timeout = num(value()?)?,
            "--loom-timeout" => r.loom_timeout = num(value()?)?,
            "--file" => r.files.push(value()?.clone()),
            "--re" => r.regexes.push(value()?.clone()),
            "--jobs" | "-j" => r.jobs = num(value()?)?,
            "--no-loom" => r.loom = false,
            "--merge" => {
                r.merge = it.by_ref().cloned().collect();
                if r.merge.is_empty() {
                    return Err("--merge needs the mutants.json files".into());
                }
            }
            "-h" | "--help" => r.help = true,
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    Ok(r)
}

/// `LIN_HISTORIES` of the std stage (`tests/linearizability.rs`: 1,000).
const STD_STAGE_HISTORIES: u64 = 200;

/// The linearizability test the std stage skips.
const SKIPPED_NEGATIVE: &str = "pointer_node_shared_pop_is_caught";

/// Each stage's own target directory, under `target/`. Never one a normal
/// build uses: cargo fingerprints a path package's sources by their paths
/// relative to the package, so the binaries built from the last mutant in
/// cargo-mutants' copy of the tree would look up to date to a later
/// `cargo test` (or `models/tier loom test`) of the real tree, whose files
/// are older, and it would run the mutant.
const STD_TARGET: &str = "target/mutants-std";
const FEATURES_TARGET: &str = "target/mutants-features";
const LOOM_TARGET: &str = "target/mutants-loom";

/// Where cargo-mutants writes (`DIR/mutants.out`) for each stage.
const OUT: &str = "target/mutants";

/// The cargo-mutants command shared by both stages, writing into
/// `OUT/stage`.
fn cargo_mutants(root: &Path, stage: &str, timeout: u64, jobs: u64) -> Command {
    let mut c = Command::new("cargo");
    c.current_dir(root)
        .args(["mutants", "--package", "verified-pools", "--output"])
        .arg(root.join(OUT).join(stage))
        .args(["--timeout", &timeout.to_string()])
        .args(["--jobs", &jobs.to_string()])
        .args(["--colors", "never"]);
    c
}

/// The std stage: every mutant of the share, `cargo test --tests`, in
/// `STD_TARGET` (kept between runs: cargo-mutants builds in a copy of the
/// tree, whose own target directory would rebuild every dependency).
fn std_stage(root: &Path, r: &Request) -> Command {
    let mut c = cargo_mutants(root, "std", r.timeout, r.jobs);
    c.arg("--cargo-arg=--tests")
        .env("CARGO_TARGET_DIR", root.join(STD_TARGET))
        // A fifth of the linearizability rows' default histories: they take
        // 34 of the 50 s the std tests run per mutant, and a mutant they
        // would find only in the other four fifths is a race, which the
        // loom stage then checks exhaustively.
        .env("LIN_HISTORIES", STD_STAGE_HISTORIES.to_string())
        // The negative row checks the checker (it searches up to 120 s for
        // the seed's pop bug, 10-50 s on a loaded machine), not `src/`'s
        // logic: the pointer-node stack's mutants are the loom models' job.
        .args(["--cargo-test-arg=--", "--cargo-test-arg=--skip"])
        .arg(format!("--cargo-test-arg={SKIPPED_NEGATIVE}"))
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    if let Some((k, n)) = r.shard {
        // cargo-mutants counts shards from 0; `verify --shard` and this
        // command from 1.
        c.arg("--shard").arg(format!("{}/{n}", k - 1));
    }
    for f in &r.files {
        c.arg("--file").arg(f);
    }
    for re in &r.regexes {
        c.arg("--re").arg(re);
    }
    c
}

/// The contention-stats stage: exactly `names` (the std stage's misses),
/// with `--features contention-stats`, the library's unit tests (a depot's
/// own counts are seen only there) and `tests/contention.rs`, the test of
/// what that feature adds (the other tests compare whole
/// statistics, whose `contention` field the feature fills). It has its own
/// target directory (`FEATURES_TARGET`), so the std stage's is not rebuilt
/// with the feature, and a baseline: if the test fails unmutated, every kill would be false.
fn features_stage(root: &Path, r: &Request, names: &[String]) -> Command {
    let mut c = cargo_mutants(root, "features", r.timeout, r.jobs);
    c.args([
        "--features",
        "contention-stats",
        "--cargo-arg=--lib",
        "--cargo-arg=--test=contention",
    ])
    .arg("--re")
    .arg(exact_names_re(names))
    .env("CARGO_TARGET_DIR", root.join(FEATURES_TARGET))
    .env_remove("RUSTFLAGS")
    .env_remove("CARGO_ENCODED_RUSTFLAGS");
    c
}

/// The loom stage for one group of mutants: exactly `names`, tested with
/// `targets` (the loom targets that can see them, `mutants_loom`), built
/// and run as `models/tier loom` builds its targets (the settings are read
/// from `models/tier --env`, so the two never disagree), but in
/// `LOOM_TARGET`, not the tier's own target directory, writing into
/// `OUT/out`. No baseline: the unmutated loom tier is
/// `verify`'s loom column, and a baseline here would cost a whole loom run.
fn loom_stage(
    root: &Path,
    r: &Request,
    names: &[String],
    targets: &[String],
    out: &str,
) -> Command {
    let mut c = cargo_mutants(root, out, r.loom_timeout, r.jobs);
    c.args(["--baseline", "skip", "--profile", "release"])
        .arg("--re")
        .arg(exact_names_re(names));
    for t in targets {
        c.arg(format!("--cargo-arg=--test={t}"));
    }
    for (k, v) in tier_env(root, "loom") {
        if k != "CARGO_TARGET_DIR" {
            c.env(k, v);
        }
    }
    c.env("CARGO_TARGET_DIR", root.join(LOOM_TARGET));
    c.env(MUTANT_SET, crate::mutants_loom::matrix_set(targets));
    c.env_remove("CARGO_ENCODED_RUSTFLAGS");
    c
}

/// `KEY=VALUE` lines of `models/tier --env TIER`.
fn tier_env(root: &Path, tier: &str) -> Vec<(String, String)> {
    Command::new(root.join("models/tier"))
        .args(["--env", tier])
        .output()
        .map(|o| parse_env(&String::from_utf8_lossy(&o.stdout)))
        .unwrap_or_default()
}

/// `KEY=VALUE` lines.
fn parse_env(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.to_string()))
        .collect()
}

/// A regex matching exactly these mutant names (cargo-mutants' `--re`
/// matches the names `--list` prints, `FILE:LINE:COL: …`).
pub fn exact_names_re(names: &[String]) -> String {
    let escaped: Vec<String> = names
        .iter()
        .map(|n| {
            n.chars()
                .flat_map(|c| {
                    let meta = "\\.+*?()|[]{}^$#&-~".contains(c);
                    meta.then_some('\\').into_iter().chain([c])
                })
                .collect()
        })
        .collect();
    format!("^({})$", escaped.join("|"))
}

/// The loom model targets the loom stage chooses from: every `loom_*`
/// target of Cargo.toml (each mutant runs those that can see it,
/// `mutants_loom`). The mutation matrix among them runs its behaviour
/// switches (the code behind a switch runs only with it on, so only those
/// models see a source mutant that disarms one) and the ordering rows of
/// the chosen targets (a weakened ordering is seen only through the model
/// builds' access checks, so those rows see a mutant that blinds one);
/// [`MUTANT_SET`], `mutants_loom::matrix_set`.
pub fn loom_targets(manifest: &str) -> Vec<String> {
    crate::parse::test_targets(manifest)
        .into_iter()
        .filter(|t| t.starts_with("loom_"))
        .collect()
}

/// `models/loom_mutants.rs`' switch that limits its run to some of its
/// mutants (`behaviour`, and ordering rows by name, comma-separated).
pub const MUTANT_SET: &str = "VERIFIED_POOLS_MUTANT_SET";

/// Runs a stage; `Err` unless cargo-mutants finished (exit 0: all caught;
/// 2: some missed; 3: some timed out).
fn run_stage(name: &str, mut c: Command, root: &Path) -> Result<Run, String> {
    println!("==> mutants, {name}: {c:?}");
    let dir = root.join(OUT).join(name);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let status = c
        .status()
        .map_err(|e| format!("cannot run cargo mutants: {e} (cargo install cargo-mutants)"))?;
    let path = root.join(OUT).join(name).join("mutants.out/outcomes.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()));
    match status.code() {
        Some(0 | 2 | 3) => report::parse_outcomes(&text?),
        Some(4) => Err(format!(
            "{name}: the tests fail on the unmutated tree (cargo-mutants exit 4)"
        )),
        _ => Err(format!("{name}: cargo mutants {status}")),
    }
}

/// `mutants`, from the repository root.
pub fn run(r: &Request, root: &Path) -> ExitCode {
    if r.help {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let result = if r.merge.is_empty() {
        run_stages(r, root)
    } else {
        run_merge(&r.merge, root)
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("xtask mutants: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_stages(r: &Request, root: &Path) -> Result<ExitCode, String> {
    let start = Instant::now();
    let mut commands = Vec::new();
    let std_cmd = std_stage(root, r);
    commands.push(format!("std tests: {std_cmd:?}"));
    let std = run_stage("std", std_cmd, root)?;
    let mut missed: Vec<String> = std
        .mutants
        .iter()
        .filter(|o| o.verdict == Verdict::Missed)
        .map(|o| o.name.clone())
        .collect();
    let mut features = None;
    if !missed.is_empty() {
        let cmd = features_stage(root, r, &missed);
        commands.push(format!("contention-stats tests: {cmd:?}"));
        let run = run_stage("features", cmd, root)?;
        if run.baseline_ok == Some(false) {
            return Err("the contention-stats test fails on the unmutated tree".into());
        }
        // What it caught (or timed out on) is decided; a miss, or a mutant
        // unviable there (code the feature compiles out), goes on to loom.
        let decided = |name: &String| {
            run.mutants
                .iter()
                .any(|o| &o.name == name && matches!(o.verdict, Verdict::Caught | Verdict::Timeout))
        };
        missed.retain(|name| !decided(name));
        features = Some(run);
    }
    let mut loom = None;
    if r.loom && !missed.is_empty() {
        let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap_or_default();
        let all = loom_targets(&manifest);
        // One run per group of mutants that the same targets can see
        // (`mutants_loom`), each in `OUT/loom/<i>`; their outcomes are
        // joined into one run, with absolute log and diff paths.
        let mut joined = Run {
            baseline_ok: None,
            mutants: Vec::new(),
        };
        for (i, (targets, names)) in crate::mutants_loom::groups(&missed, &all)
            .iter()
            .enumerate()
        {
            let out = format!("loom/{}", i + 1);
            let cmd = loom_stage(root, r, names, targets, &out);
            commands.push(format!("loom tier: {cmd:?}"));
            let run = run_stage(&out, cmd, root)?;
            let base = root.join(OUT).join(&out).join("mutants.out");
            joined.mutants.extend(run.mutants.into_iter().map(|mut o| {
                o.log = base.join(&o.log).to_string_lossy().into_owned();
                o.diff = base.join(&o.diff).to_string_lossy().into_owned();
                o
            }));
        }
        loom = Some(joined);
    }
    let later: Vec<report::Later<'_>> = features
        .as_ref()
        .map(report::features_stage)
        .into_iter()
        .chain(loom.as_ref().map(report::loom_stage))
        .collect();
    let design = std::fs::read_to_string(root.join("DESIGN.md")).unwrap_or_default();
    let read = |stage: &str, path: &str| {
        let file = root.join(OUT).join(stage).join("mutants.out").join(path);
        std::fs::read_to_string(file).unwrap_or_default()
    };
    let mutants = report::combine(&std, &later, &report::equivalents(&design), read);
    let scope = at_commit(scope(r), root);
    let secs = start.elapsed().as_secs_f64();
    write_reports(root, &mutants, &scope, secs, &commands)?;
    let line = report::summary_line(&mutants, &scope, secs);
    println!("{line}");
    let [_, missed, ..] = report::totals(&mutants);
    Ok(if missed == 0 && std.baseline_ok != Some(false) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `--merge`: one report from the shards' `mutants.json`.
fn run_merge(files: &[String], root: &Path) -> Result<ExitCode, String> {
    let shards = files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f).map_err(|e| format!("{f}: {e}"))?;
            crate::mutants_merge::read_shard(&text).map_err(|e| format!("{f}: {e}"))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let design = std::fs::read_to_string(root.join("DESIGN.md")).unwrap_or_default();
    let today = mutants_today(root);
    if today.is_none() {
        eprintln!("xtask mutants: cargo mutants --list failed; merging without it");
    }
    let (all, coverage) =
        crate::mutants_merge::merge(&shards, &report::equivalents(&design), today.as_deref());
    write_reports(root, &all.mutants, &all.scope, all.seconds, &[])?;
    println!(
        "{}",
        report::summary_line(&all.mutants, &all.scope, all.seconds)
    );
    println!(
        "left out: {} mutants of code that has changed since their shard ran",
        coverage.gone
    );
    if today.is_some() {
        println!(
            "untested: {} of today's mutants are in no file{}",
            coverage.untested.len(),
            if coverage.untested.is_empty() {
                ""
            } else {
                ":"
            }
        );
        for name in &coverage.untested {
            println!("  {name}");
        }
    }
    let [_, missed, ..] = report::totals(&all.mutants);
    Ok(if missed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// cargo-mutants' list of the current tree's mutants, as (name, diff), or
/// `None`.
fn mutants_today(root: &Path) -> Option<Vec<(String, String)>> {
    let out = Command::new("cargo")
        .current_dir(root)
        .args(["mutants", "--list", "--json", "--diff"])
        .args(["--package", "verified-pools"])
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let doc = crate::json::Json::parse(&String::from_utf8_lossy(&out.stdout)).ok()?;
    Some(
        doc.items()
            .iter()
            .map(|m| {
                (
                    m.get("name").str().to_string(),
                    m.get("diff").str().to_string(),
                )
            })
            .collect(),
    )
}

/// `scope` and the commit it ran on, so merged shards say where each ran.
fn at_commit(scope: String, root: &Path) -> String {
    match crate::vendor::git(root, &["rev-parse", "--short", "HEAD"]) {
        Some(h) if !h.is_empty() => format!("{scope} at {h}"),
        _ => scope,
    }
}

/// What the run covered, for the report.
fn scope(r: &Request) -> String {
    let mut parts = Vec::new();
    match r.shard {
        Some((k, n)) => parts.push(format!("shard {k}/{n}")),
        None => parts.push("all shards".into()),
    }
    if !r.files.is_empty() {
        parts.push(format!("--file {}", r.files.join(" --file ")));
    }
    if !r.regexes.is_empty() {
        parts.push(format!("--re {}", r.regexes.join(" --re ")));
    }
    if !r.loom {
        parts.push("no loom tier".into());
    }
    parts.join(", ")
}

fn write_reports(
    root: &Path,
    ms: &[report::Mutant],
    scope: &str,
    secs: f64,
    commands: &[String],
) -> Result<(), String> {
    let dir: PathBuf = root.join(crate::OUT);
    let write = |name: &str, text: String| {
        std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(dir.join(name), text))
            .map_err(|e| format!("{}: {e}", dir.join(name).display()))
    };
    write("mutants.md", report::markdown(ms, scope, secs, commands))?;
    write("mutants.json", report::to_json(ms, scope, secs).write())?;
    if let Ok(text) = std::fs::read_to_string(dir.join("report.md")) {
        let line = report::summary_line(ms, scope, secs);
        write("report.md", report::with_report_line(&text, &line))?;
    }
    println!("wrote {}/mutants.md and mutants.json", dir.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn options() {
        let r = parse(&args(
            "--shard 2/20 --timeout 60 --file src/stack/*.rs --re lend --re forfeit --no-loom",
        ))
        .unwrap();
        assert_eq!(r.shard, Some((2, 20)));
        assert_eq!((r.timeout, r.loom_timeout, r.jobs), (60, 1200, 1));
        assert_eq!(r.files, ["src/stack/*.rs"]);
        assert_eq!(r.regexes, ["lend", "forfeit"]);
        assert!(scope(&r).contains("--re lend --re forfeit"));
        assert!(!r.loom && !r.help);
        assert!(parse(&args("--shard 0/2")).unwrap_err().contains("0/2"));
        assert!(
            parse(&args("--timeout 0"))
                .unwrap_err()
                .contains("positive")
        );
        assert!(
            parse(&args("--timeout"))
                .unwrap_err()
                .contains("needs a value")
        );
        assert!(parse(&args("--bogus")).is_err());
        assert!(parse(&args("--help")).unwrap().help);
        let m = parse(&args("--merge a.json b.json")).unwrap();
        assert_eq!(m.merge, ["a.json", "b.json"]);
        assert!(parse(&args("--merge")).unwrap_err().contains("files"));
    }

    #[test]
    fn the_std_stage_skips_a_test_that_exists_and_lowers_a_knob_that_exists() {
        let lin = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/linearizability.rs"
        ))
        .unwrap();
        assert!(lin.contains(&format!("fn {SKIPPED_NEGATIVE}()")));
        assert!(lin.contains("env_u64(\"LIN_HISTORIES\", 1_000)"));
        let c = std_stage(Path::new("/r"), &parse(&[]).unwrap());
        let args: Vec<String> = c.get_args().map(|a| a.to_string_lossy().into()).collect();
        let skip = args
            .iter()
            .position(|a| a == "--cargo-test-arg=--skip")
            .unwrap();
        assert_eq!(args[skip - 1], "--cargo-test-arg=--");
        assert_eq!(
            args[skip + 1],
            format!("--cargo-test-arg={SKIPPED_NEGATIVE}")
        );
    }

    #[test]
    fn no_stage_builds_in_a_target_directory_a_normal_build_uses() {
        let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
        let r = parse(&[]).unwrap();
        let names = ["src/a.rs:1:1: replace f with ()".to_string()];
        let stages = [
            std_stage(root, &r),
            features_stage(root, &r, &names),
            loom_stage(root, &r, &names, &[], "loom/1"),
        ];
        let mut dirs: Vec<PathBuf> = stages
            .iter()
            .map(|c| {
                let dir = c.get_envs().find(|(k, _)| *k == "CARGO_TARGET_DIR");
                PathBuf::from(dir.and_then(|(_, v)| v).expect("a target directory"))
            })
            .collect();
        let tier = tier_env(root, "loom");
        let loom_tier = tier.iter().find(|(k, _)| k == "CARGO_TARGET_DIR").unwrap();
        for dir in &dirs {
            let name = dir.file_name().unwrap().to_string_lossy();
            assert!(name.starts_with("mutants-"), "{}", dir.display());
            assert!(!dir.ends_with(&loom_tier.1), "{}", dir.display());
        }
        dirs.dedup();
        assert_eq!(dirs.len(), 3, "one directory per stage");
    }

    #[test]
    fn the_loom_stage_selects_exactly_the_missed_names() {
        let names = [
            "src/stack/tagged.rs:142:9: replace <impl Drop for TaggedStack<T>>::drop with ()",
            "src/a.rs:1:2: replace > with >= in f",
        ]
        .map(String::from);
        let re = exact_names_re(&names);
        assert_eq!(
            re,
            "^(src/stack/tagged\\.rs:142:9: replace <impl Drop for TaggedStack<T>>::drop with \\(\\)|src/a\\.rs:1:2: replace > with >= in f)$"
        );
    }

    #[test]
    fn the_loom_stage_runs_the_model_targets_and_the_behaviour_switches() {
        let manifest =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml")).unwrap();
        let targets = loom_targets(&manifest);
        assert!(targets.contains(&"loom_stacks".to_string()), "{targets:?}");
        assert!(targets.iter().all(|t| t.starts_with("loom_")));
        assert!(targets.contains(&"loom_mutants".to_string()), "{targets:?}");
        let matrix = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../models/loom_mutants.rs"
        ))
        .unwrap();
        assert!(
            matrix.contains(&format!("\"{MUTANT_SET}\"")) && matrix.contains("\"behaviour\""),
            "models/loom_mutants.rs no longer knows {MUTANT_SET}"
        );
        let env =
            parse_env("RUSTFLAGS=--cfg loom --cfg crossbeam_loom\nCARGO_TARGET_DIR=target/loom\n");
        assert_eq!(
            env[0],
            ("RUSTFLAGS".into(), "--cfg loom --cfg crossbeam_loom".into())
        );
        assert_eq!(env[1].1, "target/loom");
    }
}
