//! A test binary that prints `evidence:` lines: the loom and shuttle model
//! targets, the mutation matrix (`loom_mutants`), and the linearizability
//! checker. Passing models and caught bugs come from the evidence lines; a
//! failed test, a missing line, a crash or a time-out make cells FAIL.

use super::{Findings, crash_cause, evidence, last_started_test};
use crate::parse::{self, TestOutput};
use crate::steps::Outcome;
use crate::table::{Checker, ROWS, Row, row_named_in, row_of_site, row_of_test, short};

/// Reads one run of `target` into cells of `column` (where its lines' own
/// `checker=` does not say otherwise). `replay` reruns the target; a test's
/// `--exact NAME` is appended.
pub fn check(o: &Outcome, column: Checker, target: &str, replay: &str) -> Findings {
    let mut f = Findings::default();
    let mut all = TestOutput::default();
    for (_, p) in parse::libtest(&o.text, target) {
        all.tests.extend(p.tests);
        all.evidence.extend(p.evidence);
        all.summary_seen |= p.summary_seen;
    }
    let mut rows_seen: Vec<Row> = Vec::new();
    for ev in &all.evidence {
        let mut ev = ev.clone();
        ev.target = target.to_string();
        if let Some(r) = evidence::absorb(&mut f, &ev, None, Some(replay)) {
            rows_seen.push(r);
        }
    }
    let log = o.log.display();
    let target_row = row_named_in(target);
    if all.evidence.is_empty() && o.ok {
        let why = format!("{target} printed no evidence: lines (log: {log})");
        match target_row {
            Some(row) => f.fail(row, column, why),
            None => f.problems.push(why),
        }
    }
    let mutants = target.ends_with("_mutants");
    // The mutants announced (or caught) but not reported caught.
    let uncaught: Vec<(Row, String)> = f
        .table
        .cells
        .iter()
        .flat_map(|((row, _), cell)| {
            cell.mutant_sites
                .iter()
                .filter(|s| !cell.mutants_caught.iter().any(|(c, _)| c == *s))
                .map(|s| (*row, s.clone()))
        })
        .collect();
    let mut any_failed = false;
    for t in all.failed() {
        any_failed = true;
        let what = format!("{target}::{} failed: {}", t.name, short(&t.message, 200));
        let mut rows: Vec<Row> = row_of_test(target, &t.name).into_iter().collect();
        if mutants || rows.is_empty() {
            // A mutation matrix names the mutants it could not catch.
            rows = sites_named_in(&t.message);
            if mutants {
                rows.extend(uncaught.iter().map(|(r, _)| *r));
            }
            rows.sort();
            rows.dedup();
        }
        if rows.is_empty() {
            f.problems.push(what.clone());
        }
        for row in rows {
            f.fail(row, column, what.clone());
        }
    }
    // The binary did not finish (abort, signal, time limit): the test that
    // was running, and for a mutation matrix every mutant it did not get to,
    // are unverified.
    if !o.ok && (!all.summary_seen || !any_failed) {
        let running = last_started_test(&o.text);
        let why = format!(
            "{target} {}{}: {} (log: {log})",
            o.verdict(),
            running
                .as_deref()
                .map(|t| format!(" during {t}"))
                .unwrap_or_default(),
            crash_cause(&o.text),
        );
        let mut rows: Vec<(Row, String)> = Vec::new();
        if mutants {
            for (row, site) in &uncaught {
                match rows.iter_mut().find(|(r, _)| r == row) {
                    Some((_, list)) => list.push_str(&format!(", {site}")),
                    None => rows.push((row, site.clone())),
                }
            }
            for (_, list) in rows.iter_mut() {
                *list = format!("; no evidence for mutant(s) {list}");
            }
        }
        if rows.is_empty() {
            let list: Vec<Row> = match running
                .as_deref()
                .and_then(|t| row_of_test(target, t))
                .or(target_row)
            {
                Some(r) => vec![r],
                None if !rows_seen.is_empty() => rows_seen,
                None => ROWS.iter().map(|(r, _)| *r).collect(),
            };
            rows = list.into_iter().map(|r| (r, String::new())).collect();
        }
        rows.dedup_by(|a, b| a.0 == b.0);
        for (row, extra) in rows {
            f.fail(row, column, format!("{why}{extra}"));
        }
    }
    f
}

/// The mutant sites (`<key>.<op>[.<access>]`) a failure message names.
fn sites_named_in(message: &str) -> Vec<Row> {
    message
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .filter(|w| w.contains('.') && !w.ends_with('.'))
        .filter_map(row_of_site)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkers::fixtures::outcome;
    use crate::table::Status;

    const REPLAY: &str = "models/tier loom test --release --test loom_stacks -- --nocapture";

    #[test]
    fn passing_loom_target() {
        let o = outcome("loom_stacks.ok.log", Some(0), false);
        let f = check(&o, Checker::Loom, "loom_stacks", REPLAY);
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        for row in ["pointer_node", "epoch", "tagged"] {
            let c = f.table.get(row, Checker::Loom);
            assert_eq!(c.status(), Status::Pass, "{row}: {}", c.text());
            assert!(c.counts[0].1 > 0.0);
        }
        // The seed's shared pop is a negative model: caught, with a replay.
        let c = f.table.get("pointer_node", Checker::Loom);
        assert!(!c.bugs.is_empty());
        assert!(c.bugs[0].replay.starts_with(REPLAY));
    }
}
