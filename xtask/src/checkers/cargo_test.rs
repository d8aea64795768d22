//! `cargo test`: the proptest state machines (`proptest_*` targets, one pass
//! per property) and the std tests (counted per row), into the proptest
//! column. A test's row is the algorithm its target's name or its own name
//! spells (`proptest_pool`, `capped_epoch_matches_reference`).

use super::Findings;
use crate::parse;
use crate::steps::Outcome;
use crate::table::{Checker, Row, row_named_in, row_of_test, short};

/// The build step failed: nothing ran.
pub fn build_failed(o: &Outcome) -> Findings {
    let mut f = Findings::default();
    let why = format!("cargo test does not build (log: {})", o.log.display());
    f.fail_all(Checker::Proptest, &why);
    f
}

/// Reads a `cargo test` run with `cases` proptest cases per property.
pub fn check(o: &Outcome, cases: u64) -> Findings {
    let mut f = Findings::default();
    let mut any_failed = false;
    for (target, output) in &parse::libtest(&o.text, "cargo test") {
        let proptest = target.starts_with("proptest_");
        for t in output.passed() {
            let Some(row) = row_for_test(target, &t.name) else {
                continue;
            };
            let cell = f.table.cell(row, Checker::Proptest);
            if proptest {
                cell.add_pass(cases as f64, "cases", format!("{target}::{}", t.name));
            } else {
                cell.std_tests += 1;
            }
        }
        for t in output.failed() {
            any_failed = true;
            let what = format!("{target}::{} failed: {}", t.name, short(&t.message, 160));
            match row_for_test(target, &t.name) {
                Some(row) => f.fail(row, Checker::Proptest, what),
                None => f.problems.push(format!("cargo test: {what}")),
            }
        }
    }
    if !o.ok && !any_failed {
        let why = format!(
            "cargo test {} with no failed test named (log: {})",
            o.verdict(),
            o.log.display()
        );
        f.problems.push(why.clone());
        f.fail_all(Checker::Proptest, &why);
    }
    f
}

/// The row of a test: by target, then test name; doc tests and unit tests
/// by their name (the file and module path) only.
fn row_for_test(target: &str, test: &str) -> Option<Row> {
    if target.starts_with("doctests:") || target == "unittests" {
        row_named_in(test)
    } else {
        row_of_test(target, test)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkers::{finish, fixtures::outcome};
    use crate::table::Status;

    #[test]
    fn a_failed_test_fails_its_row() {
        let o = outcome("cargo-test.fail.log", Some(101), false);
        let f = check(&o, 1000);
        // `tls_threads::bound_is_exact_across_threads` names no key after
        // the target's kind (`threads`) nor in the test's name: a problem,
        // which fails the run as a FAIL cell does.
        assert_eq!(
            f.problems,
            [
                "cargo test: tls_threads::bound_is_exact_across_threads failed: worker panicked: Any { .. } (at tests/tls_threads.rs:101:23)"
            ]
        );
        assert!(f.table.cells.is_empty(), "{:?}", f.table);
    }

    #[test]
    fn passing_run() {
        let o = outcome("cargo-test.ok.log", Some(0), false);
        let mut f = check(&o, 1000);
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        finish(&mut f.table, 1000);
        for row in ["pointer_node", "epoch", "tagged", "pool", "ring", "tls"] {
            let c = f.table.get(row, Checker::Proptest);
            assert_eq!(c.status(), Status::Pass, "{row}: {}", c.text());
        }
        let pool = f.table.get("pool", Checker::Proptest).text();
        assert!(
            pool.starts_with("pass (3 properties × 1,000 cases, + "),
            "{pool}"
        );
    }
}
