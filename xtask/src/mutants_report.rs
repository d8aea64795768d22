//! Reading cargo-mutants' `mutants.out/outcomes.json` and writing the
//! mutation-testing section of the evidence report: one verdict per
//! mutant (the std tests' or, for what they missed, the loom tier's),
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
    /// Which test command decided it: `std tests` or `loom tier`.
    pub by: &'static str,
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
    /// Each mutant's (name, verdict, diff path under `mutants.out`).
    pub mutants: Vec<(String, Verdict, String)>,
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
        let diff = o.get("diff_path").str().to_string();
        run.mutants.push((name.to_string(), verdict, diff));
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

/// The equivalent mutants listed in DESIGN.md's "Equivalent mutants"
/// section: bullets `` - `STABLE NAME`: reason ``, as (stable name, reason).
pub fn equivalents(design: &str) -> Vec<(String, String)> {
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
        if let Some((name, reason)) = rest.split_once('`') {
            let reason = reason.trim_start_matches([':', ' ', '—', '-']).trim();
            out.push((name.to_string(), reason.to_string()));
        }
    }
    out
}

/// Every mutant of the std run, the ones it missed decided by the loom run
/// (if there was one); the listed equivalents marked.
pub fn combine(
    std: &Run,
    loom: Option<&Run>,
    equivalent: &[(String, String)],
    diff_of: impl Fn(&str) -> String,
) -> Vec<Mutant> {
    std.mutants
        .iter()
        .map(|(name, verdict, diff)| {
            let mut m = Mutant {
                name: name.clone(),
                verdict: *verdict,
                by: "std tests",
                diff: diff_of(diff),
                equivalent: None,
            };
            let again = loom.and_then(|l| l.mutants.iter().find(|(n, _, _)| n == name));
            if let (Verdict::Missed, Some((_, v, _))) = (verdict, again) {
                // Viable in std but not under the loom cfg: still a miss.
                if *v != Verdict::Unviable {
                    m.verdict = *v;
                    m.by = "loom tier";
                }
            }
            if m.verdict == Verdict::Missed {
                let stable = stable_name(name);
                m.equivalent = equivalent
                    .iter()
                    .find(|(n, _)| *n == stable)
                    .map(|(_, r)| r.clone());
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
    let by_loom = ms
        .iter()
        .filter(|m| m.verdict == Verdict::Caught && m.by == "loom tier")
        .count();
    format!(
        "Mutation testing (cargo-mutants, {scope}): {} mutants: {caught} caught ({by_loom} of them by the loom tier), {missed} missed, {equiv} equivalent, {timeout} timeout, {unviable} unviable; {:.0} s",
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
    s.push_str("\n| mutant | verdict | decided by |\n|---|---|---|\n");
    for m in ms {
        let verdict = match &m.equivalent {
            Some(why) => format!("missed, equivalent: {why}"),
            None => m.verdict.word().to_string(),
        };
        let _ = writeln!(
            s,
            "| `{}` | {verdict} | {} |",
            m.name.replace('|', "\\|"),
            m.by
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

    fn std_run() -> Run {
        parse_outcomes(&text("mutants/std.outcomes.json")).unwrap()
    }

    fn diff(p: &str) -> String {
        let name = p.rsplit('/').next().unwrap();
        if name.ends_with("216_col_9.diff") {
            text(&format!("mutants/{name}"))
        } else {
            String::new()
        }
    }

    #[test]
    fn a_real_run_reads_as_caught_missed_and_unviable() {
        let run = std_run();
        assert_eq!(run.baseline_ok, None, "run with --baseline skip");
        let verdicts: Vec<(&str, Verdict)> = run
            .mutants
            .iter()
            .map(|(n, v, _)| (n.split(": ").next().unwrap(), *v))
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
        assert_eq!(run.mutants[3].0, MISSED);
        assert_eq!(
            run.mutants[3].2,
            "diff/src__stack__tagged.rs_line_216_col_9.diff"
        );
    }

    #[test]
    fn a_real_timeout_reads_as_timeout() {
        let run = parse_outcomes(&text("mutants/timeout.outcomes.json")).unwrap();
        assert_eq!(run.mutants.len(), 1);
        assert_eq!(run.mutants[0].1, Verdict::Timeout);
        assert!(run.mutants[0].0.starts_with("src/stack/tagged.rs:142:9: "));
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
    fn the_loom_tier_decides_what_the_std_tests_missed() {
        let std = std_run();
        let missed = combine(&std, None, &[], diff);
        assert_eq!(totals(&missed), [2, 1, 0, 0, 1]);
        assert!(
            missed[3]
                .diff
                .contains("+        1 /* ~ changed by cargo-mutants ~ */")
        );
        // Caught by loom.
        let loom = Run {
            baseline_ok: None,
            mutants: vec![(MISSED.into(), Verdict::Caught, String::new())],
        };
        let ms = combine(&std, Some(&loom), &[], diff);
        assert_eq!((ms[3].verdict, ms[3].by), (Verdict::Caught, "loom tier"));
        assert_eq!(totals(&ms), [3, 0, 0, 0, 1]);
        // Unviable under loom: still the std tests' miss.
        let loom = Run {
            mutants: vec![(MISSED.into(), Verdict::Unviable, String::new())],
            ..loom
        };
        let ms = combine(&std, Some(&loom), &[], diff);
        assert_eq!((ms[3].verdict, ms[3].by), (Verdict::Missed, "std tests"));
        // Listed as equivalent.
        let eq = [(stable_name(MISSED), "why".to_string())];
        let ms = combine(&std, None, &eq, diff);
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
        let design = "## Other\n- `a.rs: x`: not this one\n## Equivalent mutants\n\nText.\n\n- `src/a.rs: replace f -> bool with true`: f is only a hint\n- `src/b.rs: replace > with >= in g` — g never sees equal values\n## Next\n- `c.rs: y`: no\n";
        assert_eq!(
            equivalents(design),
            [
                (
                    "src/a.rs: replace f -> bool with true".to_string(),
                    "f is only a hint".to_string()
                ),
                (
                    "src/b.rs: replace > with >= in g".to_string(),
                    "g never sees equal values".to_string()
                ),
            ]
        );
    }

    #[test]
    fn the_report_shows_totals_verdicts_and_each_missed_diff() {
        let ms = combine(&std_run(), None, &[], diff);
        let md = markdown(&ms, "--file src/stack/tagged.rs", 600.0, &["cmd".into()]);
        assert!(md.contains("4 mutants: 2 caught (0 of them by the loom tier), 1 missed, 0 equivalent, 0 timeout, 1 unviable; 600 s"), "{md}");
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
