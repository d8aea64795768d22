//! Reading cargo-mutants' `mutants.out/outcomes.json` and writing the
//! mutation-testing section of the evidence report: one verdict per
//! mutant (the std tests' or, for what they missed, the contention-stats
//! tests' and then the loom tier's),
//! totals, and the diff of every miss.

use std::fmt::Write as _;

use crate::json::Json;

/// What the tests did to one mutant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A test failed.
    Caught,
    /// Every test passed.
    Missed,
    /// The tests ran past the time limit (counted apart, as cargo-mutants
    /// does: a hang is a change the tests saw, not a proof they check it).
    Timeout,
    /// The mutant does not build.
    Unviable,
}

impl Verdict {
    /// The word the report uses.
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Caught => "caught",
            Verdict::Missed => "missed",
            Verdict::Timeout => "timeout",
            Verdict::Unviable => "unviable",
        }
    }

    /// The verdict a report names with [`word`](Self::word).
    pub fn of_word(w: &str) -> Option<Verdict> {
        [
            Verdict::Caught,
            Verdict::Missed,
            Verdict::Timeout,
            Verdict::Unviable,
        ]
        .into_iter()
        .find(|v| v.word() == w)
    }

    fn of_summary(s: &str) -> Option<Verdict> {
        Some(match s {
            "CaughtMutant" => Verdict::Caught,
            "MissedMutant" => Verdict::Missed,
            "Timeout" => Verdict::Timeout,
            "Unviable" => Verdict::Unviable,
            _ => return None,
        })
    }
}

/// One mutant and what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Mutant {
    /// cargo-mutants' name: `FILE:LINE:COL: replace … with …`.
    pub name: String,
    /// The verdict.
    pub verdict: Verdict,
    /// Which test command decided it: `std tests`, `contention-stats
    /// tests`, `loom tier`, or the last two stages that missed it.
    pub by: &'static str,
    /// The tests whose failure caught it (their `test … FAILED` lines in
    /// the mutant's log): a test that also fails unmutated is a flaky kill.
    pub failed: Vec<String>,
    /// The mutation as a diff (`mutants.out/diff/…`), if it was read.
    pub diff: String,
    /// The one-line reason it is an equivalent mutant, if it is listed as
    /// one (a miss that is no bug).
    pub equivalent: Option<String>,
}

/// One cargo-mutants run's outcomes.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// The unmutated tree's tests passed (`None`: no baseline was run).
    pub baseline_ok: Option<bool>,
    /// Each mutant's outcome.
    pub mutants: Vec<Outcome>,
}

/// One mutant's outcome in a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// cargo-mutants' name.
    pub name: String,
    /// The verdict.
    pub verdict: Verdict,
    /// Its diff, a path under `mutants.out`.
    pub diff: String,
    /// Its log, a path under `mutants.out`.
    pub log: String,
}

/// Parses `outcomes.json`.
pub fn parse_outcomes(text: &str) -> Result<Run, String> {
    let doc = Json::parse(text)?;
    let Json::Arr(outcomes) = doc.get("outcomes") else {
        return Err("outcomes.json has no \"outcomes\" array".into());
    };
    let mut run = Run {
        baseline_ok: None,
        mutants: Vec::new(),
    };
    for o in outcomes {
        let summary = o.get("summary").str();
        let scenario = o.get("scenario");
        if scenario.str() == "Baseline" {
            run.baseline_ok = Some(summary == "Success");
            continue;
        }
        let name = scenario.get("Mutant").get("name").str();
        if name.is_empty() {
            return Err(format!("an outcome names no mutant ({summary})"));
        }
        let verdict = Verdict::of_summary(summary)
            .ok_or_else(|| format!("{name}: unknown outcome {summary:?}"))?;
        run.mutants.push(Outcome {
            name: name.to_string(),
            verdict,
            diff: o.get("diff_path").str().to_string(),
            log: o.get("log_path").str().to_string(),
        });
    }
    Ok(run)
}

/// The name without its `:LINE:COL`, which moves with every edit above it:
/// `src/a.rs: replace f -> bool with true`.
pub fn stable_name(name: &str) -> String {
    let mut parts = name.splitn(4, ':');
    let (Some(file), Some(line), Some(col), Some(rest)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return name.to_string();
    };
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if numeric(line) && numeric(col) {
        format!("{file}:{rest}")
    } else {
        name.to_string()
    }
}

/// One entry of DESIGN.md's "Equivalent mutants" list.
#[derive(Debug, Clone, PartialEq)]
pub struct Equivalent {
    /// The mutant's name without line and column ([`stable_name`]).
    pub name: String,
    /// The source line it mutates, when the name alone is shared by
    /// mutants of other lines (the same replacement twice in a function).
    pub line: Option<String>,
    /// Why no caller can observe it.
    pub reason: String,
}

/// The equivalent mutants listed in DESIGN.md's "Equivalent mutants"
/// section: bullets of the form ``- `NAME`: reason``, or
/// ``- `NAME` at `LINE`: reason`` for the mutant of that source line only.
pub fn equivalents(design: &str) -> Vec<Equivalent> {
    let mut inside = false;
    let mut out = Vec::new();
    for line in design.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            inside = h.trim() == "Equivalent mutants";
            continue;
        }
        let Some(rest) = line.strip_prefix("- `").filter(|_| inside) else {
            continue;
        };
        let Some((name, rest)) = rest.split_once('`') else {
            continue;
        };
        let (at, rest) = match rest.strip_prefix(" at `").and_then(|r| r.split_once('`')) {
            Some((at, rest)) => (Some(at.trim().to_string()), rest),
            None => (None, rest),
        };
        out.push(Equivalent {
            name: name.to_string(),
            line: at,
            reason: rest
                .trim_start_matches([':', ' ', '—', '-'])
                .trim()
                .to_string(),
        });
    }
    out
}

/// The reason `name` (with its `diff`) is listed as equivalent, if it is.
pub fn equivalent_reason(list: &[Equivalent], name: &str, diff: &str) -> Option<String> {
    let stable = stable_name(name);
    let removed: Vec<&str> = changed_lines(diff)
        .filter(|(sign, _)| *sign == '-')
        .map(|(_, line)| line)
        .collect();
    list.iter()
        .find(|e| e.name == stable && e.line.as_deref().is_none_or(|at| removed.contains(&at)))
        .map(|e| e.reason.clone())
}

/// The lines a mutant's diff removes (`'-'`) and adds (`'+'`), trimmed,
/// in order: what it changed, wherever the change now sits.
pub fn changed_lines(diff: &str) -> impl Iterator<Item = (char, &str)> {
    diff.lines()
        .skip_while(|l| !l.starts_with("@@"))
        .filter_map(|l| {
            let sign = l.chars().next().filter(|c| matches!(c, '-' | '+'))?;
            Some((sign, l[1..].trim()))
        })
}

/// The names of the tests a `cargo test` log reports as failed.
pub fn failed_tests(log: &str) -> Vec<String> {
    log.lines()
        .filter_map(|l| l.strip_prefix("test ")?.strip_suffix(" ... FAILED"))
        .map(str::to_string)
        .collect()
}

/// A stage that re-tests what the stages before it missed.
#[derive(Debug, Clone, Copy)]
pub struct Later<'a> {
    /// Its directory under the output (`features`, `loom`).
    pub dir: &'static str,
    /// `Mutant::by` of a mutant it catches (or times out on).
    pub caught_by: &'static str,
    /// `Mutant::by` of a mutant it misses too.
    pub missed_by: &'static str,
    /// Its outcomes.
    pub run: &'a Run,
}

/// The contention-stats stage (`--features contention-stats`).
pub fn features_stage(run: &Run) -> Later<'_> {
    Later {
        dir: "features",
        caught_by: "contention-stats tests",
        missed_by: "std + contention-stats tests",
        run,
    }
}

/// The loom stage.
pub fn loom_stage(run: &Run) -> Later<'_> {
    Later {
        dir: "loom",
        caught_by: "loom tier",
        missed_by: "std tests + loom tier",
        run,
    }
}

/// Every mutant of the std run, the ones it missed decided by the later
/// stages in order (each sees only the previous one's misses); the listed
/// equivalents marked. `read(stage, path)` is a file under that stage's
/// `mutants.out` (`""` if absent).
pub fn combine(
    std: &Run,
    later: &[Later<'_>],
    equivalent: &[Equivalent],
    read: impl Fn(&str, &str) -> String,
) -> Vec<Mutant> {
    std.mutants
        .iter()
        .map(|o| {
            let mut m = Mutant {
                name: o.name.clone(),
                verdict: o.verdict,
                by: "std tests",
                failed: failed_tests(&read("std", &o.log)),
                diff: read("std", &o.diff),
                equivalent: None,
            };
            for stage in later {
                if m.verdict != Verdict::Missed {
                    break;
                }
                // Viable in std but not in this stage's build: still a miss.
                let again = stage.run.mutants.iter().find(|a| a.name == o.name);
                if let Some(a) = again.filter(|a| a.verdict != Verdict::Unviable) {
                    m.verdict = a.verdict;
                    m.by = if a.verdict == Verdict::Missed {
                        stage.missed_by
                    } else {
                        stage.caught_by
                    };
                    m.failed = failed_tests(&read(stage.dir, &a.log));
                }
            }
            if m.verdict == Verdict::Missed {
                m.equivalent = equivalent_reason(equivalent, &o.name, &m.diff);
            }
            m
        })
        .collect()
}

/// (caught, missed, equivalent, timeout, unviable) of a result.
pub fn totals(ms: &[Mutant]) -> [usize; 5] {
    let count = |f: &dyn Fn(&Mutant) -> bool| ms.iter().filter(|m| f(m)).count();
    [
        count(&|m| m.verdict == Verdict::Caught),
        count(&|m| m.verdict == Verdict::Missed && m.equivalent.is_none()),
        count(&|m| m.equivalent.is_some()),
        count(&|m| m.verdict == Verdict::Timeout),
        count(&|m| m.verdict == Verdict::Unviable),
    ]
}

/// The one-line summary (also the line added to `report.md`).
pub fn summary_line(ms: &[Mutant], scope: &str, secs: f64) -> String {
    let [caught, missed, equiv, timeout, unviable] = totals(ms);
    let caught_by = |by: &str| {
        ms.iter()
            .filter(|m| m.verdict == Verdict::Caught && m.by == by)
            .count()
    };
    let (by_features, by_loom) = (caught_by("contention-stats tests"), caught_by("loom tier"));
    format!(
        "Mutation testing (cargo-mutants, {scope}): {} mutants: {caught} caught ({by_features} of them by the contention-stats tests, {by_loom} by the loom tier), {missed} missed, {equiv} equivalent, {timeout} timeout, {unviable} unviable; {:.0} s",
        ms.len(),
        secs
    )
}

/// `target/verify/mutants.md`.
pub fn markdown(ms: &[Mutant], scope: &str, secs: f64, commands: &[String]) -> String {
    let mut s = format!(
        "## Mutation testing\n\n{}\n\n",
        summary_line(ms, scope, secs)
    );
    for c in commands {
        let _ = writeln!(s, "    {c}");
    }
    s.push_str("\n| mutant | verdict | decided by | failed tests |\n|---|---|---|---|\n");
    for m in ms {
        let verdict = match &m.equivalent {
            Some(why) => format!("missed, equivalent: {why}"),
            None => m.verdict.word().to_string(),
        };
        let _ = writeln!(
            s,
            "| `{}` | {verdict} | {} | {} |",
            m.name.replace('|', "\\|"),
            m.by,
            m.failed.join(", ")
        );
    }
    for m in ms.iter().filter(|m| m.verdict == Verdict::Missed) {
        let _ = write!(s, "\n### missed: `{}`\n\n```diff\n{}", m.name, m.diff);
        if !m.diff.ends_with('\n') {
            s.push('\n');
        }
        s.push_str("```\n");
    }
    s
}

/// `target/verify/mutants.json`.
pub fn to_json(ms: &[Mutant], scope: &str, secs: f64) -> Json {
    let [caught, missed, equiv, timeout, unviable] = totals(ms);
    let n = |x: usize| Json::Num(x as f64);
    let mutants = ms
        .iter()
        .map(|m| {
            Json::obj([
                ("name", Json::s(&m.name)),
                ("verdict", Json::s(m.verdict.word())),
                ("by", Json::s(m.by)),
                ("failed_tests", Json::strs(&m.failed)),
                (
                    "equivalent",
                    m.equivalent.as_deref().map_or(Json::Null, Json::s),
                ),
                ("diff", Json::s(&m.diff)),
            ])
        })
        .collect();
    Json::obj([
        ("scope", Json::s(scope)),
        ("seconds", Json::Num(secs.round())),
        ("mutants", n(ms.len())),
        ("caught", n(caught)),
        ("missed", n(missed)),
        ("equivalent", n(equiv)),
        ("timeout", n(timeout)),
        ("unviable", n(unviable)),
        ("outcomes", Json::Arr(mutants)),
    ])
}

/// `report.md` with the mutation line replaced (or added).
pub fn with_report_line(report: &str, line: &str) -> String {
    let mut out: String = report
        .lines()
        .filter(|l| !l.starts_with("Mutation testing (cargo-mutants"))
        .map(|l| format!("{l}\n"))
        .collect();
    if !out.ends_with("\n\n") {
        out.push('\n');
    }
    out.push_str(line);
    out.push_str(" (target/verify/mutants.md)\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkers::fixtures::text;

    const MISSED: &str =
        "src/stack/tagged.rs:216:9: replace IndexStack<TAG_BITS>::slots -> usize with 1";

    fn run(name: &str) -> Run {
        parse_outcomes(&text(&format!("mutants/{name}.outcomes.json"))).unwrap()
    }

    /// The saved files of the runs: one diff (the fixture run's miss) and
    /// one log (the shard's flaky kill); the others read as absent.
    fn read(stage: &str, path: &str) -> String {
        let name = path.rsplit('/').next().unwrap();
        match (stage, name) {
            ("std", "src__stack__tagged.rs_line_216_col_9.diff")
            | ("std", "src__stack__tagged.rs_line_238_col_9_001.log") => {
                let dir = if name.ends_with(".log") {
                    "std-log/"
                } else {
                    ""
                };
                text(&format!("mutants/{dir}{name}"))
            }
            _ => String::new(),
        }
    }

    #[test]
    fn a_real_run_reads_as_caught_missed_and_unviable() {
        let run = run("std");
        assert_eq!(run.baseline_ok, None, "run with --baseline skip");
        let verdicts: Vec<(&str, Verdict)> = run
            .mutants
            .iter()
            .map(|o| (o.name.split(": ").next().unwrap(), o.verdict))
            .collect();
        assert_eq!(
            verdicts,
            [
                ("src/stack/tagged.rs:92:9", Verdict::Unviable),
                ("src/stack/tagged.rs:124:9", Verdict::Caught),
                ("src/stack/tagged.rs:142:9", Verdict::Caught),
                ("src/stack/tagged.rs:216:9", Verdict::Missed),
            ]
        );
        assert_eq!(run.mutants[3].name, MISSED);
        assert_eq!(
            run.mutants[3].diff,
            "diff/src__stack__tagged.rs_line_216_col_9.diff"
        );
        assert_eq!(
            run.mutants[3].log,
            "log/src__stack__tagged.rs_line_216_col_9.log"
        );
    }

    #[test]
    fn a_real_timeout_reads_as_timeout() {
        let run = run("timeout");
        assert_eq!(run.mutants.len(), 1);
        assert_eq!(run.mutants[0].verdict, Verdict::Timeout);
        assert!(
            run.mutants[0]
                .name
                .starts_with("src/stack/tagged.rs:142:9: ")
        );
    }

    #[test]
    fn broken_outcomes_are_errors() {
        assert!(parse_outcomes("{}").unwrap_err().contains("outcomes"));
        assert!(parse_outcomes("not json").is_err());
        let odd = r#"{"outcomes": [{"scenario": {"Mutant": {"name": "a.rs:1:1: x"}}, "summary": "Exploded"}]}"#;
        assert!(parse_outcomes(odd).unwrap_err().contains("Exploded"));
        let baseline = r#"{"outcomes": [{"scenario": "Baseline", "summary": "Failure"}]}"#;
        assert_eq!(parse_outcomes(baseline).unwrap().baseline_ok, Some(false));
    }

    #[test]
    fn a_measured_shard_combines_its_std_and_loom_runs() {
        // `cargo xtask mutants --file src/stack/tagged.rs --shard 2/2`.
        let (std, loom) = (run("shard.std"), run("shard.loom"));
        assert_eq!(std.baseline_ok, Some(true));
        assert_eq!(std.mutants.len(), 16);
        assert_eq!(loom.mutants.len(), 3);
        let ms = combine(&std, &[loom_stage(&loom)], &[], read);
        assert_eq!(totals(&ms), [11, 3, 0, 0, 2]);
        let missed: Vec<&Mutant> = ms.iter().filter(|m| m.verdict == Verdict::Missed).collect();
        assert!(missed.iter().all(|m| m.by == "std tests + loom tier"));
        // The kill the flaky test made, named by its log.
        let flaky = ms
            .iter()
            .find(|m| m.name.ends_with("with Some(0)") && m.name.contains("238:9"))
            .unwrap();
        assert_eq!(flaky.verdict, Verdict::Caught);
        assert_eq!(flaky.failed, ["bound_is_exact_across_threads"]);
    }

    #[test]
    fn the_loom_tier_decides_what_the_std_tests_missed() {
        let std = run("std");
        let again = |verdict| Run {
            baseline_ok: None,
            mutants: vec![Outcome {
                verdict,
                ..std.mutants[3].clone()
            }],
        };
        let ms = combine(&std, &[], &[], read);
        assert_eq!(totals(&ms), [2, 1, 0, 0, 1]);
        assert!(
            ms[3]
                .diff
                .contains("+        1 /* ~ changed by cargo-mutants ~ */")
        );
        let caught = again(Verdict::Caught);
        let ms = combine(&std, &[loom_stage(&caught)], &[], read);
        assert_eq!((ms[3].verdict, ms[3].by), (Verdict::Caught, "loom tier"));
        assert_eq!(totals(&ms), [3, 0, 0, 0, 1]);
        // Unviable under loom: still the std tests' miss.
        let unviable = again(Verdict::Unviable);
        let ms = combine(&std, &[loom_stage(&unviable)], &[], read);
        assert_eq!((ms[3].verdict, ms[3].by), (Verdict::Missed, "std tests"));
        // Caught by the contention-stats stage: the loom stage never sees it.
        let missed = again(Verdict::Missed);
        let stages = [features_stage(&caught), loom_stage(&missed)];
        let ms = combine(&std, &stages, &[], read);
        assert_eq!(
            (ms[3].verdict, ms[3].by),
            (Verdict::Caught, "contention-stats tests")
        );
        // Missed there too: the loom stage decides.
        let stages = [features_stage(&missed), loom_stage(&caught)];
        let ms = combine(&std, &stages, &[], read);
        assert_eq!((ms[3].verdict, ms[3].by), (Verdict::Caught, "loom tier"));
        let stages = [features_stage(&missed), loom_stage(&missed)];
        let ms = combine(&std, &stages, &[], read);
        assert_eq!(
            (ms[3].verdict, ms[3].by),
            (Verdict::Missed, "std tests + loom tier")
        );
        let eq = [Equivalent {
            name: stable_name(MISSED),
            line: None,
            reason: "why".into(),
        }];
        let ms = combine(&std, &[], &eq, read);
        assert_eq!(ms[3].equivalent.as_deref(), Some("why"));
        assert_eq!(totals(&ms), [2, 0, 1, 0, 1]);
    }

    #[test]
    fn equivalents_come_from_their_design_section() {
        assert_eq!(
            stable_name(MISSED),
            "src/stack/tagged.rs: replace IndexStack<TAG_BITS>::slots -> usize with 1"
        );
        assert_eq!(stable_name("no position"), "no position");
        let design = "## Other\n- `a.rs: x`: not this one\n## Equivalent mutants\n\nText.\n\n- `src/a.rs: replace f -> bool with true`: f is only a hint\n- `src/b.rs: replace > with >= in g` — g never sees equal values\n- `src/b.rs: replace - with + in h` at `let y = x - z;`: z is 0 there\n## Next\n- `c.rs: y`: no\n";
        let e = |name: &str, line: Option<&str>, reason: &str| Equivalent {
            name: name.into(),
            line: line.map(String::from),
            reason: reason.into(),
        };
        let list = equivalents(design);
        assert_eq!(
            list,
            [
                e(
                    "src/a.rs: replace f -> bool with true",
                    None,
                    "f is only a hint"
                ),
                e(
                    "src/b.rs: replace > with >= in g",
                    None,
                    "g never sees equal values"
                ),
                e(
                    "src/b.rs: replace - with + in h",
                    Some("let y = x - z;"),
                    "z is 0 there"
                ),
            ]
        );
        // A line-qualified entry matches the mutant of that line only.
        let diff = |line: &str| {
            format!("--- src/b.rs\n+++ x\n@@ -1,1 +1,1 @@\n-    {line}\n+    changed\n")
        };
        let h = "src/b.rs:7:13: replace - with + in h";
        assert_eq!(
            equivalent_reason(&list, h, &diff("let y = x - z;")).as_deref(),
            Some("z is 0 there")
        );
        assert_eq!(equivalent_reason(&list, h, &diff("let w = v - 1;")), None);
        let g = "src/b.rs:3:9: replace > with >= in g";
        assert!(equivalent_reason(&list, g, "").is_some());
    }

    #[test]
    fn the_report_shows_totals_verdicts_and_each_missed_diff() {
        let ms = combine(&run("std"), &[], &[], read);
        let md = markdown(&ms, "--file src/stack/tagged.rs", 600.0, &["cmd".into()]);
        assert!(
            md.contains("4 mutants: 2 caught (0 of them by the contention-stats tests, 0 by the loom tier), 1 missed, 0 equivalent, 0 timeout, 1 unviable; 600 s"),
            "{md}"
        );
        assert!(md.contains("### missed: `src/stack/tagged.rs:216:9: "));
        assert!(md.contains("```diff\n--- src/stack/tagged.rs\n"));
        assert!(md.contains("| unviable | std tests |"));
        let json = Json::parse(&to_json(&ms, "s", 600.0).write()).unwrap();
        assert_eq!(json.get("missed"), &Json::Num(1.0));
        assert_eq!(json.get("outcomes").items().len(), 4);
        let line = summary_line(&ms, "s", 1.0);
        let once = with_report_line("# Report\n\nrows\n", &line);
        assert_eq!(with_report_line(&once, &line), once);
        assert!(once.ends_with("1 s (target/verify/mutants.md)\n"));
    }
}
