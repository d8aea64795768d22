//! The sanitizer runs: `tests/asan_stress.rs`'s safe variants under
//! AddressSanitizer (pass: their `evidence:` lines; a report aborts the
//! process and is named) and the seed's shared pop, which ASan must report
//! as a heap-use-after-free; and the ThreadSanitizer tier,
//! `tests/tsan_stress.rs` through `xtask/tsan-toolchain`: its set-up (a
//! failure skips the column with the script's reason), its six safe rows
//! (`result=pass ops=N`, no report) and its two negative rows, which must
//! print `result=bug_found`.

use super::{Findings, crash_cause, evidence, last_started_test};
use crate::parse;
use crate::steps::Outcome;
use crate::table::{Bug, Checker, ROWS, Row, human, row_named_in, row_of_site, short};

/// The negative ASan test: the seed's multi-popper pop.
pub const UAF_TEST: &str = "seed_pointer_node_shared_pop_use_after_free";

/// Reads a run of the safe variants into `column` (ASan or TSan).
pub fn safe_variants(o: &Outcome, column: Checker) -> Findings {
    let tool = column.title();
    let mut f = Findings::default();
    let mut failed = false;
    for (_, p) in parse::libtest(&o.text, "asan_stress") {
        for ev in &p.evidence {
            let mut ev = ev.clone();
            ev.target = "asan_stress".into();
            evidence::absorb(&mut f, &ev, Some(column), None);
        }
        for t in p.failed() {
            failed = true;
            let what = format!("asan_stress::{} failed: {}", t.name, short(&t.message, 160));
            match row_named_in(&t.name) {
                Some(row) => f.fail(row, column, what),
                None => f.problems.push(what),
            }
        }
    }
    if !o.ok && !failed {
        // A sanitizer aborts the process on a report: name it.
        let report = report(&o.text).unwrap_or_else(|| o.verdict());
        let why = format!("{tool}: {report} (log: {})", o.log.display());
        match last_started_test(&o.text).as_deref().and_then(row_named_in) {
            Some(row) => f.fail(row, column, why),
            None => f.fail_all(column, &why),
        }
    }
    f
}

/// Whether one attempt of the negative test saw the use-after-free.
pub fn uaf_found(o: &Outcome) -> bool {
    o.text
        .contains("ERROR: AddressSanitizer: heap-use-after-free")
}

/// What an attempt that did not see it showed instead.
pub fn uaf_missed(o: &Outcome) -> String {
    report(&o.text).unwrap_or_else(|| {
        o.text
            .lines()
            .find(|l| l.contains("no use-after-free detected"))
            .map(|l| l.trim().to_string())
            .unwrap_or_else(|| o.verdict())
    })
}

/// The negative test's cell after `attempts` tries within `budget_secs`:
/// `found` is the attempt that saw it, `missed` what the others showed.
/// Returns the findings and the step's result line.
pub fn uaf(
    found: Option<&Outcome>,
    missed: &[String],
    attempts: usize,
    budget_secs: u64,
    last_log: &str,
    replay: &str,
) -> (Findings, String) {
    let mut f = Findings::default();
    let result = match found {
        Some(o) => {
            let ops = o
                .text
                .lines()
                .find_map(|l| l.trim().strip_prefix("asan-uaf: ops="))
                .and_then(|r| r.split_whitespace().next())
                .map(|n| format!("{} ops", human(n.parse().unwrap_or(0.0))))
                .unwrap_or_else(|| "? ops".into());
            let what = format!(
                "{}, after {ops}, attempt {attempts}",
                report(&o.text).unwrap_or_default()
            );
            f.table.cell("pointer_node", Checker::Asan).bugs.push(Bug {
                scenario: format!("asan_stress::{UAF_TEST}"),
                what: what.clone(),
                replay: format!("{replay}  (log: {})", o.log.display()),
            });
            format!("bug found as expected: {what}")
        }
        None => {
            let why = format!(
                "ASan reported no heap-use-after-free for pop_shared in {attempts} attempt(s) / {budget_secs} s: {} (log: {last_log})",
                missed.join("; "),
            );
            f.fail("pointer_node", Checker::Asan, why.clone());
            why
        }
    };
    (f, result)
}

/// The TSan tier's test target.
pub const TSAN_TARGET: &str = "tsan_stress";

/// The negative rows TSan must catch: (row, `scenario=` of its
/// `result=bug_found` line, what is on trial, as the cell names it). Each is
/// asserted by its own test in `tests/tsan_stress.rs`; a run without its
/// line fails the row.
pub const TSAN_NEGATIVE: [(Row, &str, &str); 2] = [
    ("tagged", "mutant:tagged.push.cas", "tagged.push.cas"),
    ("ring", "seed_ring_relaxed_cursor", "the seed's ring"),
];

/// The TSan toolchain's set-up (`xtask/tsan-toolchain`): `Ok` with its
/// `ready: …` line, or `Err` with why it could not be set up — the script's
/// `error:` line, which skips the column.
pub fn tsan_toolchain(o: &Outcome) -> Result<String, String> {
    let said = |prefix: &str| {
        o.text
            .lines()
            .rev()
            .find_map(|l| l.trim().strip_prefix(prefix).map(str::to_string))
    };
    if o.ok {
        return Ok(said("tsan-toolchain: ready: ").unwrap_or_else(|| "ready".into()));
    }
    let why = said("tsan-toolchain: error: ").unwrap_or_else(|| {
        if o.timed_out {
            "timed out".into()
        } else {
            format!("{}: {}", o.verdict(), crash_cause(&o.text))
        }
    });
    Err(format!(
        "the TSan toolchain could not be set up: {why} (log: {})",
        o.log.display()
    ))
}

/// Reads a run of the TSan tier (`replay` reruns it; a test's `--exact
/// NAME` is appended). Every row must pass with no report, each negative
/// row of [`TSAN_NEGATIVE`] must print its bug; a failed test, TSan's exit
/// code 66 (a report) or any other abnormal end is a FAIL.
pub fn tsan(o: &Outcome, replay: &str) -> Findings {
    let mut f = Findings::default();
    let runs = parse::libtest(&o.text, TSAN_TARGET);
    let mut failed = false;
    let mut finished = false;
    for p in runs.values() {
        finished |= p.summary_seen;
        for ev in &p.evidence {
            let mut ev = ev.clone();
            ev.target = TSAN_TARGET.into();
            if ev.get("result") == "bug_found" {
                tsan_bug(&mut f, &ev, replay, &o.log.display().to_string());
            } else {
                evidence::absorb(&mut f, &ev, Some(Checker::Tsan), None);
            }
        }
        for t in p.failed() {
            failed = true;
            let what = format!(
                "{TSAN_TARGET}::{} failed: {}",
                t.name,
                short(&t.message, 160)
            );
            match row_named_in(&t.name) {
                Some(row) => f.fail(row, Checker::Tsan, what),
                None => {
                    f.problems.push(what.clone());
                    f.fail_all(Checker::Tsan, &what);
                }
            }
        }
    }
    let log = o.log.display();
    if o.timed_out {
        let why = format!("timed out (log: {log})");
        f.fail_all(Checker::Tsan, &why);
    } else if !o.ok && !failed {
        let why = match (o.code, report(&o.text)) {
            (Some(66), Some(r)) => format!("TSan exit 66: {r} (log: {log})"),
            (Some(66), None) => format!("TSan exit 66 (a report; log: {log})"),
            _ => format!("{}: {} (log: {log})", o.verdict(), crash_cause(&o.text)),
        };
        // A report in a test that never finished is that test's row's.
        let running = last_started_test(&o.text)
            .filter(|t| !runs.values().any(|p| p.tests.iter().any(|r| &r.name == t)));
        match running.as_deref().and_then(row_named_in) {
            Some(row) => f.fail(row, Checker::Tsan, why),
            None => f.fail_all(Checker::Tsan, &why),
        }
    } else if o.ok && !finished {
        f.fail_all(Checker::Tsan, &format!("no test result line (log: {log})"));
    }
    for (row, scenario, what) in TSAN_NEGATIVE {
        let cell = f.table.cell(row, Checker::Tsan);
        let caught = cell
            .bugs
            .iter()
            .any(|b| b.scenario.contains(&format!(" {scenario} ")));
        if !caught && cell.fails.is_empty() {
            cell.fails.push(format!(
                "negative row {scenario} ({what}) printed no result=bug_found line (log: {log})"
            ));
        }
    }
    for (row, _) in ROWS {
        let cell = f.table.cell(row, Checker::Tsan);
        if cell.passes.is_empty() && cell.fails.is_empty() {
            cell.fails
                .push(format!("no result=pass line for this row (log: {log})"));
        }
    }
    f
}

/// A negative row's `result=bug_found` line: the expected bug of the row
/// it names (`mutant:SITE`: the site's row).
fn tsan_bug(f: &mut Findings, ev: &parse::Evidence, replay: &str, log: &str) {
    f.evidence.push(ev.clone());
    let scenario = ev.get("scenario");
    let row = match scenario.strip_prefix("mutant:") {
        Some(site) => row_of_site(site),
        None => crate::table::row(ev.get("algo")),
    };
    let Some(row) = row else {
        f.problems.push(format!(
            "{TSAN_TARGET}: bug_found for unknown algo {:?} / scenario {scenario:?}",
            ev.get("algo")
        ));
        return;
    };
    let label = TSAN_NEGATIVE
        .iter()
        .find(|(_, sc, _)| *sc == scenario)
        .map_or(scenario, |(_, _, label)| *label);
    let test = ev.test.clone().unwrap_or_default();
    f.table.cell(row, Checker::Tsan).bugs.push(Bug {
        scenario: format!(
            "{TSAN_TARGET}::{test} {scenario} (after {} ops)",
            human(ev.num("ops") as f64)
        ),
        what: format!("{label}: {}", ev.get("found").replace('_', " ")),
        replay: if test.is_empty() {
            format!("{replay}  (log: {log})")
        } else {
            format!("{replay} --exact {test}  (log: {log})")
        },
    });
}

/// A sanitizer's verdict: "heap-use-after-free in <frame> (<file:line>)",
/// "data race in <frame> (<file:line>)".
pub fn report(text: &str) -> Option<String> {
    let mut lines = text.lines().skip_while(|l| {
        !l.contains("ERROR: AddressSanitizer:") && !l.contains("WARNING: ThreadSanitizer:")
    });
    let err = lines.next()?;
    let rest = err.split("Sanitizer: ").nth(1)?;
    let kind = if rest.starts_with("data race") {
        "data race"
    } else {
        rest.split_whitespace().next()?
    };
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
            let place: Vec<&str> = place.rsplit('/').take(3).collect();
            let place: Vec<&str> = place.into_iter().rev().collect();
            format!("{} ({})", short(func, 90), place.join("/"))
        })
        .unwrap_or_default();
    Some(format!("{kind} in {frame}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkers::fixtures::outcome;
    use crate::table::Status;

    #[test]
    fn asan_safe_variants_pass() {
        let o = outcome("asan-safe.ok.log", Some(0), false);
        let f = safe_variants(&o, Checker::Asan);
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        for row in ["pointer_node", "epoch", "tagged", "pool", "ring"] {
            let c = f.table.get(row, Checker::Asan);
            assert_eq!(c.status(), Status::Pass, "{row}: {}", c.text());
        }
    }

    #[test]
    fn asan_reports_the_seeds_use_after_free() {
        let o = outcome("asan-uaf.found.log", Some(1), false);
        assert!(uaf_found(&o));
        let (f, result) = uaf(Some(&o), &[], 1, 60, "x.log", "cargo +nightly test");
        assert!(
            result.starts_with("bug found as expected: heap-use-after-free in "),
            "{result}"
        );
        let c = f.table.get("pointer_node", Checker::Asan);
        assert_eq!(c.status(), Status::BugFound);
    }

    const TSAN_REPLAY: &str = "xtask/tsan-toolchain --run --nocapture";

    #[test]
    fn tsan_toolchain_ready_or_skipped_with_the_scripts_reason() {
        let o = outcome("tsan-toolchain.ready.log", Some(0), false);
        let ready = tsan_toolchain(&o).unwrap();
        assert!(ready.starts_with("rustc 1.96.0"), "{ready}");
        let o = outcome("tsan-toolchain.no-apt.log", Some(1), false);
        let why = tsan_toolchain(&o).unwrap_err();
        assert!(
            why.starts_with("the TSan toolchain could not be set up: no apt-get here"),
            "{why}"
        );
        assert!(why.ends_with("(log: target/verify/logs/tsan-toolchain.no-apt.log)"));
        // Killed before it could say why.
        let o = outcome("tsan-toolchain.ready.log", None, true);
        assert!(tsan_toolchain(&o).unwrap_err().contains(": timed out"));
    }

    #[test]
    fn tsan_safe_rows_pass_and_negative_rows_find_their_races() {
        let o = outcome("tsan.ok.log", Some(0), false);
        let f = tsan(&o, TSAN_REPLAY);
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        for (row, _) in ROWS {
            let c = f.table.get(row, Checker::Tsan);
            assert_eq!(c.status(), Status::Pass, "{row}: {}", c.text());
            assert!(
                c.text().starts_with("pass (1,000,000 ops)"),
                "{row}: {}",
                c.text()
            );
        }
        for (row, scenario, _) in TSAN_NEGATIVE {
            let c = f.table.get(row, Checker::Tsan);
            assert_eq!(c.bugs.len(), 1, "{row}: {}", c.text());
            assert!(
                c.bugs[0].scenario.contains(scenario),
                "{}",
                c.bugs[0].scenario
            );
            assert!(
                c.bugs[0].what.contains(": data race in "),
                "{}",
                c.bugs[0].what
            );
            assert!(
                c.bugs[0]
                    .replay
                    .starts_with(&format!("{TSAN_REPLAY} --exact negative_")),
                "{}",
                c.bugs[0].replay
            );
            assert!(
                c.text().contains("; bug found as expected (1: "),
                "{}",
                c.text()
            );
        }
        assert!(
            f.table
                .get("tagged", Checker::Tsan)
                .text()
                .contains("(1: tagged.push.cas: data race in TaggedStack;")
        );
        assert!(
            f.table
                .get("ring", Checker::Tsan)
                .text()
                .contains("(1: the seed's ring: data race in SeedWrite;")
        );
    }

    #[test]
    fn tsan_reports_in_safe_rows_fail_those_rows() {
        // VERIFIED_POOLS_MUTANT=tagged.push.cas for the whole run: the rows
        // on the tagged stack report races, TSan exits 66.
        let o = outcome("tsan.mutant-everywhere.fail.log", Some(66), false);
        let f = tsan(&o, TSAN_REPLAY);
        for row in ["tagged", "pool", "tls"] {
            let c = f.table.get(row, Checker::Tsan);
            assert_eq!(c.status(), Status::Fail, "{row}: {}", c.text());
            assert!(c.text().contains("TSan reported"), "{row}: {}", c.text());
        }
        for row in ["pointer_node", "epoch", "ring"] {
            let c = f.table.get(row, Checker::Tsan);
            assert_eq!(c.status(), Status::Pass, "{row}: {}", c.text());
        }
    }

    #[test]
    fn tsan_exit_66_after_passing_tests_fails_the_column() {
        // A report outside any row (e.g. at exit): every test passed.
        let o = outcome("tsan.ok.log", Some(66), false);
        let f = tsan(&o, TSAN_REPLAY);
        for (row, _) in ROWS {
            let c = f.table.get(row, Checker::Tsan);
            assert_eq!(c.status(), Status::Fail, "{row}");
            assert!(c.text().contains("TSan exit 66"), "{}", c.text());
        }
    }

    #[test]
    fn a_negative_row_that_printed_nothing_fails() {
        let mut o = outcome("tsan.ok.log", Some(0), false);
        o.text = o
            .text
            .lines()
            .filter(|l| !l.contains("result=bug_found"))
            .collect::<Vec<_>>()
            .join("\n");
        let f = tsan(&o, TSAN_REPLAY);
        for (row, scenario, _) in TSAN_NEGATIVE {
            let c = f.table.get(row, Checker::Tsan);
            assert_eq!(c.status(), Status::Fail, "{row}");
            assert!(c.text().contains(scenario), "{}", c.text());
        }
        assert_eq!(f.table.get("epoch", Checker::Tsan).status(), Status::Pass);
    }

    #[test]
    fn no_report_in_budget_fails() {
        let (f, result) = uaf(None, &["exit 0".into()], 5, 60, "x.log", "r");
        assert!(result.starts_with("ASan reported no heap-use-after-free"));
        assert_eq!(
            f.table.get("pointer_node", Checker::Asan).status(),
            Status::Fail
        );
    }
}
