//! The command line of `cargo xtask verify`.

use std::path::PathBuf;

/// `--help`.
pub const USAGE: &str = "\
usage: cargo xtask verify [--deep] [--jobs N] [--skip FILTER] [--proptest-cases N]
                          [--asan-ops N] [--uaf-budget SECS] [--shard K/N|TIER]
                          [--only NAME]
       cargo xtask verify --merge DIR
       cargo xtask vendor ALGORITHM DEST | --check DEST   (see `vendor --help`)
       cargo xtask mutants [--shard K/N] [--timeout S] [--file GLOB]  (`mutants --help`)

  --deep               the model tiers at their deep bounds (models/tier
                       --deep: loom LOOM_MAX_PREEMPTIONS=3, the two-popper
                       epoch model at 2; shuttle 100,000 iterations) and SPIN
                       at its deep bounds (proofs/run --deep)
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
  --shard K/N          run the K-th of N shares of the work (by a stable
                       hash of each unit's name: cargo test, each model
                       target, linearizability, SPIN, each sanitizer) and
                       write target/verify/partial-K-of-N.json; exits 1 if
                       something in it is already unexpected
  --shard TIER         run one tier's units (test, loom, shuttle, spin,
                       sanitizers) and write target/verify/partial-TIER.json:
                       the one-job-per-tier split of a CI workflow
  --only NAME          run only the units whose name contains NAME (case
                       ignored; repeatable): `TSan`, `ASan`, `loom`,
                       `shuttle_ring`, `SPIN`, `cargo test`, `linearizability`;
                       the other cells read `skipped (not run: --only …)`
                       and the run counts as failed (the evidence is
                       incomplete)
  --merge DIR          merge the partial-*.json in DIR into one report; the
                       merged table equals an unsharded run's

The model tiers' commands, bounds and target directories live in models/tier.
Writes target/verify/report.md, target/verify/report.json and one log per
step in target/verify/logs/. Exits 1 on any unexpected result.";

/// Command-line options.
#[derive(Debug, Clone, PartialEq)]
pub struct Opts {
    /// `--deep`.
    pub deep: bool,
    /// PROPTEST_CASES.
    pub proptest_cases: u64,
    /// Operations per safe variant in the ASan stress.
    pub asan_ops: u64,
    /// Seconds for ASan to report the seed's use-after-free.
    pub uaf_budget: u64,
    /// Model targets at a time.
    pub jobs: usize,
    /// libtest `--skip` filters for the model runs.
    pub skip: Vec<String>,
    /// `--shard K/N`: (K, N), 1 ≤ K ≤ N; `--shard TIER`: the tier's place
    /// in `share::TIERS` and their number.
    pub shard: Option<(usize, usize)>,
    /// `--only NAME`: run only the units whose name contains one of these.
    pub only: Vec<String>,
    /// The shard is a tier share (`--shard TIER`), not a hash share.
    pub by_tier: bool,
    /// `--merge DIR`.
    pub merge: Option<PathBuf>,
}

impl Default for Opts {
    fn default() -> Self {
        Opts {
            deep: false,
            proptest_cases: 1_000,
            asan_ops: 10_000_000,
            uaf_budget: 60,
            jobs: 2,
            skip: Vec::new(),
            shard: None,
            only: Vec::new(),
            by_tier: false,
            merge: None,
        }
    }
}

/// What the command line asks for.
#[derive(Debug, PartialEq)]
pub enum Parsed {
    /// Print the usage.
    Help,
    /// `verify` with these options.
    Verify(Opts),
    /// `vendor …`.
    Vendor(crate::vendor::Request),
    /// `mutants …`.
    Mutants(crate::mutants::Request),
}

/// Parses the arguments after the program name; `Err` is the message.
pub fn parse(args: &[String]) -> Result<Parsed, String> {
    let mut it = args.iter();
    match it.next().map(String::as_str) {
        Some("verify") => {}
        Some("vendor") => return crate::vendor::parse(&args[1..]).map(Parsed::Vendor),
        Some("mutants") => return crate::mutants::parse(&args[1..]).map(Parsed::Mutants),
        Some("-h" | "--help" | "help") | None => return Ok(Parsed::Help),
        Some(other) => return Err(format!("unknown command {other:?}")),
    }
    let mut o = Opts::default();
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or(format!("{a} needs a value"));
        let num = |v: &str| -> Result<u64, String> {
            v.replace('_', "")
                .parse()
                .map_err(|_| format!("{a} needs a number, not {v:?}"))
        };
        match a.as_str() {
            "--deep" => o.deep = true,
            "--proptest-cases" => o.proptest_cases = num(value()?)?,
            "--asan-ops" => o.asan_ops = num(value()?)?,
            "--uaf-budget" => o.uaf_budget = num(value()?)?,
            "--jobs" | "-j" => o.jobs = num(value()?)?.max(1) as usize,
            "--skip" => o.skip.push(value()?.clone()),
            "--shard" => {
                let v = value()?;
                o.by_tier = crate::share::of_name(v).is_some();
                o.shard = Some(crate::share::of_name(v).map_or_else(|| shard(v), Ok)?);
            }
            "--only" => o.only.push(value()?.clone()),
            "--merge" => o.merge = Some(PathBuf::from(value()?)),
            "-h" | "--help" => return Ok(Parsed::Help),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    if o.shard.is_some() && o.merge.is_some() {
        return Err("--shard and --merge exclude each other".into());
    }
    Ok(Parsed::Verify(o))
}

/// Whether `--only` (empty: everything) selects the unit `name`.
pub fn selected(only: &[String], name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    only.is_empty() || only.iter().any(|o| name.contains(&o.to_ascii_lowercase()))
}

/// `K/N` with 1 ≤ K ≤ N.
pub fn shard(v: &str) -> Result<(usize, usize), String> {
    let parsed = v
        .split_once('/')
        .and_then(|(k, n)| Some((k.parse().ok()?, n.parse().ok()?)));
    match parsed {
        Some((k, n)) if (1..=n).contains(&k) => Ok((k, n)),
        _ => Err(format!("--shard needs K/N with 1 <= K <= N, not {v:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn options() {
        let Ok(Parsed::Verify(o)) = parse(&args(
            "verify --deep --jobs 3 --skip a --skip b --asan-ops 1_000 --shard 2/4 --only TSan",
        )) else {
            panic!()
        };
        assert_eq!(o.only, ["TSan"]);
        assert!(o.deep);
        assert_eq!((o.jobs, o.asan_ops), (3, 1000));
        assert_eq!(o.skip, ["a", "b"]);
        assert_eq!(o.shard, Some((2, 4)));
        assert!(!o.by_tier);
        let Ok(Parsed::Verify(o)) = parse(&args("verify --shard shuttle")) else {
            panic!()
        };
        assert_eq!((o.shard, o.by_tier), (Some((3, 5)), true));
        assert_eq!(parse(&args("verify --help")), Ok(Parsed::Help));
        assert_eq!(parse(&args("")), Ok(Parsed::Help));
    }

    #[test]
    fn only_selects_by_name() {
        let only = ["tsan".to_string()];
        assert!(selected(&only, "TSan stress"));
        assert!(!selected(&only, "ASan stress"));
        assert!(selected(&[], "cargo test"));
        let only = ["loom".to_string()];
        assert!(selected(&only, "loom_mutants") && !selected(&only, "shuttle_ring"));
    }

    #[test]
    fn bad_options_are_named() {
        assert!(
            parse(&args("verify --shard 5/4"))
                .unwrap_err()
                .contains("5/4")
        );
        assert!(parse(&args("verify --shard 0/4")).is_err());
        assert!(
            parse(&args("verify --shard lom"))
                .unwrap_err()
                .contains("lom")
        );
        assert!(
            parse(&args("verify --jobs"))
                .unwrap_err()
                .contains("needs a value")
        );
        assert!(
            parse(&args("verify --jobs x"))
                .unwrap_err()
                .contains("number")
        );
        assert!(parse(&args("verify --bogus")).is_err());
        assert!(parse(&args("check")).is_err());
        assert!(parse(&args("verify --shard 1/2 --merge d")).is_err());
    }
}
