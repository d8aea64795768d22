//! Sharding: `--shard K/N` runs the units of work (the `cargo test` step,
//! each model target, linearizability, each SPIN configuration, each
//! sanitizer) whose stable name hashes to K, and writes what its checkers found, unfinished, to
//! `target/verify/partial-K-of-N.json`; `--merge DIR` adds the partial
//! reports up and finishes the table as one unsharded run would.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::checkers::{self, Findings};
use crate::json::Json;
use crate::opts::Opts;
use crate::partial_json::{from_json, to_json};
use crate::report::{self, Report};
use crate::steps::StepRecord;

/// The shard (1-based) of a unit of work: FNV-1a of its name, mod `n`;
/// stable across runs and machines.
pub fn shard_of(name: &str, n: usize) -> usize {
    let h = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    });
    (h % n as u64) as usize + 1
}

/// One shard's results.
#[derive(Debug, Clone, PartialEq)]
pub struct Partial {
    /// Which shard: (K, N).
    pub shard: (usize, usize),
    /// A tier share (`--shard TIER`), not a hash share.
    pub by_tier: bool,
    /// `--deep`.
    pub deep: bool,
    /// PROPTEST_CASES.
    pub proptest_cases: u64,
    /// ASan operations per variant.
    pub asan_ops: u64,
    /// Wall-clock seconds of the shard.
    pub total: f64,
    /// Its notes.
    pub notes: Vec<String>,
    /// Its steps.
    pub steps: Vec<StepRecord>,
    /// What its checkers found (not finished).
    pub found: Findings,
}

/// Writes this shard's partial report.
pub fn write(
    opts: &Opts,
    k: usize,
    n: usize,
    found: &Findings,
    steps: &[StepRecord],
    notes: &[String],
    total: f64,
) -> ExitCode {
    let p = Partial {
        shard: (k, n),
        by_tier: opts.by_tier,
        deep: opts.deep,
        proptest_cases: opts.proptest_cases,
        asan_ops: opts.asan_ops,
        total,
        notes: notes.to_vec(),
        steps: steps.to_vec(),
        found: found.clone(),
    };
    let label = if opts.by_tier {
        crate::share::TIERS[k - 1].to_string()
    } else {
        format!("{k}/{n}")
    };
    let file = if opts.by_tier {
        format!("partial-{label}.json")
    } else {
        format!("partial-{k}-of-{n}.json")
    };
    let path = Path::new(crate::OUT).join(file);
    match std::fs::write(&path, to_json(&p).write()) {
        Ok(()) => {
            // What is already unexpected here stays so after the merge.
            let fails = found
                .table
                .cells
                .values()
                .filter(|c| !c.fails.is_empty())
                .count();
            let unexpected = fails + found.problems.len();
            println!(
                "\nShard {label}: {} steps in {total:.1} s, {unexpected} unexpected results; partial report {} (merge with --merge {})",
                steps.len(),
                path.display(),
                crate::OUT
            );
            if unexpected > 0 {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("xtask: cannot write {}: {e}", path.display());
            ExitCode::FAILURE
        }
    }
}

/// `--merge DIR`: every `partial-*.json` in DIR into one report.
pub fn merge(dir: &Path) -> ExitCode {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| {
        p.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("partial-"))
            && p.extension().is_some_and(|e| e == "json")
    });
    files.sort();
    let mut parts = Vec::new();
    for f in &files {
        match std::fs::read_to_string(f)
            .map_err(|e| e.to_string())
            .and_then(|t| from_json(&Json::parse(&t)?))
        {
            Ok(p) => parts.push(p),
            Err(e) => {
                eprintln!("xtask: {}: {e}", f.display());
                return ExitCode::from(2);
            }
        }
    }
    let merged = match combine(parts) {
        Ok(m) => m,
        Err(e) => {
            eprintln!(
                "xtask: cannot merge the partial-*.json in {}: {e} (run --shard K/N for every K, or --shard TIER for every tier, first)",
                dir.display()
            );
            return ExitCode::from(2);
        }
    };
    let opts = Opts {
        deep: merged.deep,
        proptest_cases: merged.proptest_cases,
        asan_ops: merged.asan_ops,
        ..Opts::default()
    };
    println!(
        "cargo xtask verify --merge {}: {} partial reports",
        dir.display(),
        files.len()
    );
    report::print_and_write(&Report {
        opts: &opts,
        found: &merged.found,
        steps: &merged.steps,
        notes: &merged.notes,
        total: merged.total,
    })
}

/// The partial reports added up and finished; an error if they are not
/// shards 1..=N of one N, or disagree on the mode.
pub fn combine(mut parts: Vec<Partial>) -> Result<Partial, String> {
    parts.sort_by_key(|p| p.shard);
    let n = parts.first().ok_or("no partial reports")?.shard.1;
    let shards: Vec<(usize, usize)> = parts.iter().map(|p| p.shard).collect();
    if shards != (1..=n).map(|k| (k, n)).collect::<Vec<_>>() {
        if parts.iter().all(|p| p.by_tier) {
            let tiers = crate::share::TIERS;
            let have: Vec<&str> = parts
                .iter()
                .filter_map(|p| tiers.get(p.shard.0.wrapping_sub(1)).copied())
                .collect();
            return Err(format!(
                "tier shares [{}] are not {}, once each",
                have.join(", "),
                tiers.join(", ")
            ));
        }
        return Err(format!(
            "shards {shards:?} are not 1/{n} … {n}/{n}, once each"
        ));
    }
    let mut it = parts.into_iter();
    let Some(mut all) = it.next() else {
        return Err("no partial reports".into());
    };
    for p in it {
        if p.by_tier != all.by_tier {
            return Err(
                "tier shares (--shard TIER) and hash shares (--shard K/N) are mixed".into(),
            );
        }
        if (p.deep, p.proptest_cases, p.asan_ops) != (all.deep, all.proptest_cases, all.asan_ops) {
            return Err(
                "the shards ran with different options (--deep, --proptest-cases, --asan-ops)"
                    .into(),
            );
        }
        all.total += p.total;
        for n in p.notes {
            if !all.notes.contains(&n) {
                all.notes.push(n);
            }
        }
        all.steps.extend(p.steps);
        let mut found = p.found;
        // A problem every shard sees (e.g. `--skip`) is one problem.
        found.problems.retain(|x| !all.found.problems.contains(x));
        all.found.merge(found);
    }
    checkers::finish(&mut all.found.table, all.proptest_cases);
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkers::fixtures::{outcome, text};
    use crate::checkers::{cargo_test, linearizability, models, sanitizers, spin};
    use crate::report::table_markdown;
    use crate::table::Checker;

    /// Every checker's findings on a quick-mode run's saved logs, one unit
    /// of work each, named as `verify` names them for sharding.
    fn units() -> Vec<(String, Findings)> {
        let ok = |log: &str| outcome(log, Some(0), false);
        let mut units = vec![
            (
                "cargo test".to_string(),
                cargo_test::check(&ok("cargo-test.ok.log"), 1000),
            ),
            (
                "linearizability".into(),
                linearizability::check(&ok("linearizability.specimen.log"), "r"),
            ),
            ("ASan stress".into(), {
                let mut f = sanitizers::safe_variants(&ok("asan-safe.ok.log"), Checker::Asan);
                f.merge(sanitizers::uaf(Some(&ok("asan-uaf.found.log")), &[], 1, 60, "l", "r").0);
                f
            }),
            (
                "TSan stress".into(),
                sanitizers::tsan(&ok("tsan.ok.log"), "r"),
            ),
        ];
        // One unit per SPIN configuration, as if each ran alone.
        let Ok(Json::Arr(configs)) = Json::parse(&text("spin.ok.json")) else {
            panic!("spin.ok.json is an array")
        };
        for cfg in configs {
            let name = crate::spin_share::unit(cfg.get("name").str());
            let one = Json::Arr(vec![cfg]).write();
            units.push((
                name,
                spin::check(&ok("spin.ok.log"), Ok(one), "s.json", false),
            ));
        }
        for t in ["stacks", "ring", "pool", "tls", "mutants"] {
            let target = format!("loom_{t}");
            let f = models::check(
                &ok(&format!("{target}.ok.log")),
                Checker::Loom,
                &target,
                "r",
            );
            units.push((target, f));
        }
        for t in ["stacks", "ring", "pool", "tls"] {
            let target = format!("shuttle_{t}");
            let f = models::check(
                &ok(&format!("{target}.ok.log")),
                Checker::Shuttle,
                &target,
                "r",
            );
            units.push((target, f));
        }
        units
    }

    fn partial(found: Findings) -> Partial {
        Partial {
            shard: (1, 1),
            by_tier: false,
            deep: false,
            proptest_cases: 1000,
            asan_ops: 10,
            total: 1.0,
            notes: vec!["loom tier: …".into()],
            steps: Vec::new(),
            found,
        }
    }

    #[test]
    fn a_partial_report_reads_back_as_written() {
        let mut all = Findings::default();
        for (_, f) in units() {
            all.merge(f);
        }
        let p = partial(all);
        assert_eq!(
            from_json(&Json::parse(&to_json(&p).write()).unwrap()),
            Ok(p)
        );
    }

    #[test]
    fn spin_configurations_merged_equal_one_proofs_run() {
        let mut each = Findings::default();
        for (name, f) in units() {
            if name.contains("SPIN") {
                each.merge(f);
            }
        }
        let ok = outcome("spin.ok.log", Some(0), false);
        let one = spin::check(&ok, Ok(text("spin.ok.json")), "s.json", false);
        assert_eq!(table_markdown(&each.table), table_markdown(&one.table));
        assert_eq!(each.table.counts(), one.table.counts());
    }

    #[test]
    fn merged_shards_equal_the_unsharded_run() {
        let mut whole = Findings::default();
        for (_, f) in units() {
            whole.merge(f);
        }
        let whole = combine(vec![partial(whole)]).unwrap();
        // The saved run's 28 passing cells, the TSan run's 6 and the
        // specimen's tagged linearizability cell; the specimen has no
        // other stack or pool row (3) nor the front's (1); SPIN skips the
        // pool and the front, linearizability the ring.
        assert_eq!(whole.found.table.counts(), (35, 4, 3));
        for n in [2, 3, 4] {
            let mut shards: Vec<Findings> = (0..n).map(|_| Findings::default()).collect();
            for (name, f) in units() {
                shards[shard_of(&name, n) - 1].merge(f);
            }
            // Through the files' format, as `--merge` reads them.
            let parts = shards
                .into_iter()
                .enumerate()
                .map(|(i, f)| {
                    let p = Partial {
                        shard: (i + 1, n),
                        ..partial(f)
                    };
                    from_json(&Json::parse(&to_json(&p).write()).unwrap()).unwrap()
                })
                .rev()
                .collect();
            let merged = combine(parts).unwrap();
            assert_eq!(
                table_markdown(&merged.found.table),
                table_markdown(&whole.found.table)
            );
            assert_eq!(merged.found.table.counts(), whole.found.table.counts());
            assert_eq!(merged.found.evidence.len(), whole.found.evidence.len());
            assert!(
                merged.found.problems.is_empty(),
                "{:?}",
                merged.found.problems
            );
        }
    }

    #[test]
    fn merged_tier_shares_equal_the_unsharded_run() {
        let mut whole = Findings::default();
        for (_, f) in units() {
            whole.merge(f);
        }
        let whole = combine(vec![partial(whole)]).unwrap();
        let n = crate::share::TIERS.len();
        let mut shares: Vec<Findings> = (0..n).map(|_| Findings::default()).collect();
        for (name, f) in units() {
            let k = (1..=n).find(|&k| crate::share::mine(&name, k)).unwrap();
            shares[k - 1].merge(f);
        }
        let parts = shares
            .into_iter()
            .enumerate()
            .map(|(i, f)| {
                let p = Partial {
                    shard: (i + 1, n),
                    by_tier: true,
                    ..partial(f)
                };
                from_json(&Json::parse(&to_json(&p).write()).unwrap()).unwrap()
            })
            .collect();
        let merged = combine(parts).unwrap();
        assert!(merged.by_tier);
        assert_eq!(
            table_markdown(&merged.found.table),
            table_markdown(&whole.found.table)
        );
        assert_eq!(merged.found.table.counts(), whole.found.table.counts());
        assert_eq!(merged.found.evidence.len(), whole.found.evidence.len());
        // One share by hash among tier shares: not one split.
        let mixed = (1..=n)
            .map(|k| Partial {
                shard: (k, n),
                by_tier: k != 2,
                ..partial(Findings::default())
            })
            .collect();
        assert!(combine(mixed).unwrap_err().contains("mixed"));
        let spin_only = Partial {
            shard: (4, n),
            by_tier: true,
            ..partial(Findings::default())
        };
        assert_eq!(
            combine(vec![spin_only]).unwrap_err(),
            "tier shares [spin] are not test, loom, shuttle, spin, sanitizers, once each"
        );
    }

    #[test]
    fn shards_are_stable_and_in_range() {
        assert_eq!(shard_of("loom_stacks", 4), shard_of("loom_stacks", 4));
        for n in 1..6 {
            for name in ["cargo test", "loom_ring", "shuttle_pool", "ASan stress"] {
                assert!((1..=n).contains(&shard_of(name, n)));
            }
        }
        let two = |k| Partial {
            shard: (k, 2),
            ..partial(Findings::default())
        };
        let mut a = two(1);
        a.deep = true;
        assert!(
            combine(vec![a, two(2)])
                .unwrap_err()
                .contains("different options")
        );
        assert!(combine(vec![two(1)]).unwrap_err().contains("not 1/2"));
        assert!(combine(vec![two(1), two(1)]).is_err());
        assert!(combine(vec![two(2), two(1)]).is_ok());
        assert!(combine(Vec::new()).is_err());
    }
}
