//! `tests/linearizability.rs`: histories recorded on real threads, each
//! checked against the sequential specification. It prints the models'
//! `evidence:` lines with `checker=linearizability`:
//!
//! - `result=pass histories=N ops=M` for a must-pass scenario,
//! - `result=bug_found histories=N found=…` for a known-broken variant whose
//!   non-linearizable history it must find.

use super::{Findings, models};
use crate::steps::Outcome;
use crate::table::Checker;

/// The test target.
pub const TARGET: &str = "linearizability";

/// Reads one run of the target (`replay` reruns it).
pub fn check(o: &Outcome, replay: &str) -> Findings {
    models::check(o, Checker::Linearizability, TARGET, replay)
}

/// The column when the target does not exist (yet).
pub fn absent() -> Findings {
    let mut f = Findings::default();
    f.skip_all(
        Checker::Linearizability,
        "no tests/linearizability.rs target in Cargo.toml",
    );
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkers::fixtures::outcome;
    use crate::table::Status;

    /// The format the target must print (a specimen: the target does not
    /// exist yet, so this log is written by hand to the models' format).
    #[test]
    fn histories_and_the_negative_variant() {
        let o = outcome("linearizability.specimen.log", Some(0), false);
        let f = check(&o, "cargo test --test linearizability -- --nocapture");
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        let c = f.table.get("tagged", Checker::Linearizability);
        assert_eq!(c.status(), Status::Pass);
        assert_eq!(
            c.text(),
            "pass (2,000 histories, 24,000 ops); bug found as expected (1: not linearizable: pop returned 3 twice; replay: report.md)"
        );
    }

    /// The front has a row: its cell passes on its evidence and, without
    /// any, is a FAIL rather than skipped.
    #[test]
    fn the_front_has_a_row() {
        let mut o = outcome("linearizability.specimen.log", Some(0), false);
        let mut bare = check(&o, "r");
        crate::checkers::finish(&mut bare.table, 1);
        assert_eq!(
            bare.table.get("tls", Checker::Linearizability).status(),
            Status::Fail
        );
        o.text.push_str(
            "evidence: checker=linearizability algo=tls scenario=tls_tagged_simd result=pass histories=1000 ops=117316 threads=2-4 secs=0.79\n",
        );
        let mut f = check(&o, "r");
        crate::checkers::finish(&mut f.table, 1);
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        let c = f.table.get("tls", Checker::Linearizability);
        assert_eq!(c.status(), Status::Pass, "{}", c.text());
    }

    #[test]
    fn a_negative_variant_not_caught_fails_its_row() {
        let o = outcome("linearizability.specimen-fail.log", Some(101), false);
        let f = check(&o, "r");
        let c = f.table.get("tagged", Checker::Linearizability);
        assert_eq!(c.status(), Status::Fail, "{}", c.text());
    }
}
