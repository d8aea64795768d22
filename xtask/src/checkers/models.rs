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
    if mutants && o.ok {
        // The binary passed, yet a mutant it announced was never reported
        // caught: its evidence is missing.
        for (row, site) in &uncaught {
            f.fail(
                row,
                column,
                format!(
                    "{target}: mutant {site} was announced but never reported caught (log: {log})"
                ),
            );
        }
    }
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
        if mutants && rows.is_empty() {
            // No mutant was announced: which ones it did not get to is
            // unknown, so every row's mutants are unverified.
            rows = ROWS
                .iter()
                .map(|(r, _)| (*r, "; the mutants it did not report are unverified".into()))
                .collect();
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

    #[test]
    fn every_passing_target_fills_its_rows() {
        let cases: [(&str, Checker, &[Row]); 8] = [
            ("loom_pool", Checker::Loom, &["pool"]),
            ("loom_ring", Checker::Loom, &["ring"]),
            ("loom_tls", Checker::Loom, &["tls"]),
            (
                "loom_stacks",
                Checker::Loom,
                &["pointer_node", "epoch", "tagged"],
            ),
            ("shuttle_pool", Checker::Shuttle, &["pool"]),
            ("shuttle_ring", Checker::Shuttle, &["ring"]),
            ("shuttle_tls", Checker::Shuttle, &["tls"]),
            (
                "shuttle_stacks",
                Checker::Shuttle,
                &["pointer_node", "epoch", "tagged"],
            ),
        ];
        for (target, column, rows) in cases {
            let o = outcome(&format!("{target}.ok.log"), Some(0), false);
            let f = check(&o, column, target, "r");
            assert!(f.problems.is_empty(), "{target}: {:?}", f.problems);
            for row in rows {
                let c = f.table.get(row, column);
                assert!(
                    matches!(c.status(), Status::Pass | Status::BugFound),
                    "{target} {row}: {}",
                    c.text()
                );
            }
            let touched = f.table.cells.keys().filter(|(_, c)| *c == column).count();
            assert_eq!(touched, rows.len(), "{target} touched other rows");
        }
        let o = outcome("shuttle_stacks.ok.log", Some(0), false);
        let f = check(&o, Checker::Shuttle, "shuttle_stacks", "r");
        let text = f.table.get("tagged", Checker::Shuttle).text();
        assert!(
            text.starts_with("pass (") && text.contains(" iterations)"),
            "{text}"
        );
    }

    #[test]
    fn coverage_facts_reach_the_detail_lines() {
        // Recorded from the tables of models: every must-pass line carries
        // its facts, and the shuttle lines their seed.
        for (target, column, row, fact) in [
            (
                "loom_stacks",
                Checker::Loom,
                "epoch",
                "pop_raced_reclamation:",
            ),
            ("loom_pool", Checker::Loom, "pool", "peak_two_holders:"),
            ("loom_tls", Checker::Loom, "tls", "concurrent_claims:"),
            ("shuttle_ring", Checker::Shuttle, "ring", "wrap_with_pad:"),
        ] {
            let o = outcome(&format!("{target}.ok.log"), Some(0), false);
            let f = check(&o, column, target, "r");
            let c = f.table.get(row, column);
            assert!(
                c.passes.iter().any(|p| p.contains(fact)),
                "{target}: {:?}",
                c.passes
            );
            if column == Checker::Shuttle {
                assert!(c.passes.iter().all(|p| p.contains(" seed=0x5eed5afe ")));
            }
        }
    }

    #[test]
    fn the_mutation_matrix_counts_caught_mutants_per_key() {
        let o = outcome("loom_mutants.ok.log", Some(0), false);
        let f = check(&o, Checker::Loom, "loom_mutants", "r");
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        for (row, n) in [
            ("tagged", 2),
            ("epoch", 2),
            ("pointer_node", 4),
            ("ring", 5),
            ("tls", 5),
        ] {
            let c = f.table.get(row, Checker::Loom);
            assert_eq!(c.text(), format!("{n}/{n} mutants caught"), "{row}");
            assert!(
                c.mutant_sites
                    .iter()
                    .all(|s| s.starts_with(&format!("{row}.")))
            );
        }
    }

    #[test]
    fn an_algo_spelled_otherwise_than_its_key_is_a_problem() {
        // The log as the models printed it before the rename to keys.
        let o = outcome("loom_stacks.pre-rename.log", Some(0), false);
        let f = check(&o, Checker::Loom, "loom_stacks", "r");
        assert!(
            f.problems
                .iter()
                .any(|p| p.contains("unknown algo \"pointer-node\"")),
            "{:?}",
            f.problems
        );
        assert_eq!(
            f.table.get("pointer_node", Checker::Loom).status(),
            Status::Fail
        );
    }

    #[test]
    fn a_failed_must_pass_model_fails_its_row_only() {
        let o = outcome("loom_ring.fail.log", Some(101), false);
        let f = check(&o, Checker::Loom, "loom_ring", "r");
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        let c = f.table.get("ring", Checker::Loom);
        assert_eq!(c.status(), Status::Fail);
        assert_eq!(c.fails.len(), 2, "{:?}", c.fails);
        assert!(
            c.fails[0].starts_with(
                "loom_ring::out_of_order_wrap failed: Model exceeded maximum number of branches"
            ),
            "{}",
            c.fails[0]
        );
        assert!(
            c.fails[0].contains("(at loom-0.7.2/src/rt/path.rs:247:13)"),
            "{}",
            c.fails[0]
        );
        assert_eq!(c.passes.len(), 1, "the passing model is still counted");
        assert_eq!(f.table.cells.len(), 1);
    }

    #[test]
    fn a_surviving_mutant_fails_the_row_of_its_site() {
        let o = outcome("loom_mutants.survivor.log", Some(101), false);
        let f = check(&o, Checker::Loom, "loom_mutants", "r");
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        let ring = f.table.get("ring", Checker::Loom);
        assert_eq!(ring.status(), Status::Fail);
        assert!(
            ring.fails
                .iter()
                .any(|m| m.contains("mutants loom did not catch")
                    && m.contains("ring.release.store"))
        );
        assert!(
            ring.fails
                .iter()
                .any(|m| m.contains("ordering sites without a mutation model"))
        );
        assert_eq!(ring.mutants_caught.len(), 4);
        // The other rows' mutants were all caught.
        assert_eq!(
            f.table.get("tagged", Checker::Loom).text(),
            "2/2 mutants caught"
        );
        assert_eq!(
            f.table.get("tls", Checker::Loom).text(),
            "5/5 mutants caught"
        );
    }

    #[test]
    fn a_site_without_a_mutant_fails_its_row() {
        // `ring.release.store` renamed in src/: loom_mutants' own check of
        // its list against src/ fails, naming the site.
        let o = outcome("loom_mutants.unlisted-site.log", Some(101), false);
        let f = check(&o, Checker::Loom, "loom_mutants", "r");
        let ring = f.table.get("ring", Checker::Loom);
        assert_eq!(ring.status(), Status::Fail);
        assert!(
            ring.fails[0].contains("ring.release.store_unlisted"),
            "{:?}",
            ring.fails
        );
        assert_eq!(f.table.get("epoch", Checker::Loom).status(), Status::Pass);
    }

    #[test]
    fn a_mutation_matrix_that_did_not_finish_leaves_every_row_unverified() {
        for (log, code, timed_out, verdict) in [
            (
                "loom_mutants.timeout.log",
                None,
                true,
                "loom_mutants timed out during every_mutant_is_caught: xtask: killed after the time limit of 300 s",
            ),
            (
                "loom_mutants.abort.log",
                Some(101),
                false,
                "loom_mutants exit 101 during every_mutant_is_caught: (signal: 6, SIGABRT: process abort signal)",
            ),
        ] {
            let o = outcome(log, code, timed_out);
            let f = check(&o, Checker::Loom, "loom_mutants", "r");
            for (row, _) in ROWS {
                let c = f.table.get(row, Checker::Loom);
                assert_eq!(c.status(), Status::Fail, "{log} {row}");
                assert!(c.fails[0].starts_with(verdict), "{log}: {}", c.fails[0]);
            }
            // What was caught before the end still shows in the details.
            assert!(
                !f.table
                    .get("tagged", Checker::Loom)
                    .mutants_caught
                    .is_empty()
            );
        }
    }

    #[test]
    fn an_announced_mutant_never_reported_fails_its_row() {
        // The passing run's log with one more mutant announced up front.
        let mut o = outcome("loom_mutants.ok.log", Some(0), false);
        o.text = o.text.replacen(
            "test every_mutant_is_caught ... ",
            "test every_mutant_is_caught ... evidence: checker=loom algo=epoch scenario=mutant:epoch.pop.retire result=planned secs=0.00\n",
            1,
        );
        let f = check(&o, Checker::Loom, "loom_mutants", "r");
        let c = f.table.get("epoch", Checker::Loom);
        assert_eq!(c.status(), Status::Fail);
        assert!(
            c.fails[0].contains("mutant epoch.pop.retire was announced but never reported caught")
        );
        assert_eq!(f.table.get("ring", Checker::Loom).status(), Status::Pass);
    }
}
