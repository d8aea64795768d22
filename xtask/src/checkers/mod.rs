//! The checkers: each a pure function from a step's outcome (exit status,
//! output, timed-out flag) to [`Findings`], the cell updates it implies.
//! None of them runs anything; `main.rs` runs the steps and merges what the
//! checkers find into one table.

pub mod cargo_test;
pub mod evidence;
pub mod linearizability;
pub mod models;
pub mod sanitizers;
pub mod spin;

use crate::parse::Evidence;
use crate::table::{Checker, ROWS, Row, Status, Table, human};

/// What one or more steps showed: cell updates, problems outside any cell,
/// and the `evidence:` lines read.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Findings {
    /// Cell updates.
    pub table: Table,
    /// Unexpected results that belong to no cell.
    pub problems: Vec<String>,
    /// Every `evidence:` line read, for report.json.
    pub evidence: Vec<Evidence>,
}

impl Findings {
    /// Makes (`row`, `checker`) FAIL with `why`.
    pub fn fail(&mut self, row: Row, checker: Checker, why: impl Into<String>) {
        self.table.cell(row, checker).fails.push(why.into());
    }

    /// Makes the whole column FAIL with `why` (the checker did not run).
    pub fn fail_all(&mut self, checker: Checker, why: &str) {
        for (row, _) in ROWS {
            self.fail(row, checker, why);
        }
    }

    /// Marks the whole column skipped with `why`.
    pub fn skip_all(&mut self, checker: Checker, why: &str) {
        for (row, _) in ROWS {
            self.table.cell(row, checker).skipped = Some(why.to_string());
        }
    }

    /// Adds everything in `other`.
    pub fn merge(&mut self, other: Findings) {
        self.table.merge(other.table);
        self.problems.extend(other.problems);
        self.evidence.extend(other.evidence);
    }
}

/// The cells no checker covers by design, and why (a cell with no evidence
/// and no reason is a FAIL). The only list of them.
const NOT_MODELLED: [(Row, Checker, &str); 4] = [
    (
        "ring",
        Checker::Linearizability,
        "no sequential specification of the ring (slices are released out of order); loom, shuttle and SPIN check its cursors",
    ),
    (
        "pool",
        Checker::Spin,
        "no SPIN model of the pool; its free list is the tagged stack's row",
    ),
    (
        "tls",
        Checker::Spin,
        "no SPIN model of the thread-local front",
    ),
    (
        "tls",
        Checker::Asan,
        "no ASan stress of the thread-local front in tests/asan_stress.rs",
    ),
];

/// The last touches once every step is in: the proptest summaries (from
/// the properties passed, `cases` each, and the std tests), and the reason
/// on cells no checker models. Run once, on the whole (or merged) table.
pub fn finish(table: &mut Table, cases: u64) {
    for (row, _) in ROWS {
        let cell = table.cell(row, Checker::Proptest);
        let props = cell.passes.len();
        let std = cell.std_tests;
        if props > 0 {
            cell.summary = Some(format!(
                "{props} propert{} × {} cases{}",
                if props == 1 { "y" } else { "ies" },
                human(cases as f64),
                if std > 0 {
                    format!(", + {std} std tests")
                } else {
                    String::new()
                }
            ));
        } else if std > 0 {
            cell.passes.push(format!("{std} std tests"));
            cell.summary = Some(format!("{std} std tests, no proptest property"));
        }
    }
    for (row, checker, why) in NOT_MODELLED {
        let cell = table.cell(row, checker);
        if cell.status() == Status::Fail && cell.fails.is_empty() {
            cell.skipped = Some(why.into());
        }
    }
}

/// After a `--only` run: the cells nothing was run for read `skipped (not
/// run: --only …)` rather than FAIL (the run itself still fails: it is
/// incomplete). Run after [`finish`].
pub fn not_run(table: &mut Table, only: &[String]) {
    if only.is_empty() {
        return;
    }
    let why = format!("not run: --only {}", only.join(" --only "));
    for (row, _) in ROWS {
        for checker in crate::table::CHECKERS {
            let cell = table.cell(row, checker);
            if cell.status() == Status::Fail && cell.fails.is_empty() {
                cell.skipped = Some(why.clone());
            }
        }
    }
}

/// Why a test binary stopped: its abort/signal/time-limit lines, else the
/// last panic message.
pub fn crash_cause(text: &str) -> String {
    let markers = [
        "aborting",
        "signal: ",
        "xtask: killed",
        "stack overflow",
        "memory allocation of",
        "ERROR: AddressSanitizer",
        "WARNING: ThreadSanitizer",
    ];
    let mut found: Vec<String> = text
        .lines()
        .filter(|l| markers.iter().any(|m| l.contains(m)))
        .map(|l| {
            let l = l.trim();
            // `process didn't exit successfully: `…` (signal: 6, SIGABRT: …)`
            match l.find("(signal: ") {
                Some(i) => l[i..].to_string(),
                None => l.to_string(),
            }
        })
        .collect();
    found.dedup();
    if found.is_empty() {
        let mut lines = text.lines();
        let mut last = None;
        while let Some(l) = lines.next() {
            if l.contains("panicked at") {
                last = lines.next().map(|m| m.trim().to_string());
            }
        }
        return last.unwrap_or_else(|| "no test result line".into());
    }
    crate::table::short(&found.join(" "), 200)
}

/// The last `test NAME ...` that started in libtest output.
pub fn last_started_test(text: &str) -> Option<String> {
    text.lines()
        .rev()
        .filter_map(|l| l.strip_prefix("test "))
        .find_map(|l| l.split_once(" ... ").map(|(n, _)| n.trim().to_string()))
}

#[cfg(test)]
pub mod fixtures {
    //! Saved real outputs under `xtask/tests/fixtures/`.
    use crate::steps::Outcome;
    use std::path::PathBuf;

    /// The text of a fixture.
    pub fn text(name: &str) -> String {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// The outcome of a step that printed the fixture `name` and exited
    /// with `code` (`None`: killed; `timed_out`: by xtask's time limit).
    pub fn outcome(name: &str, code: Option<i32>, timed_out: bool) -> Outcome {
        Outcome {
            ok: code == Some(0) && !timed_out,
            code,
            timed_out,
            text: text(name),
            secs: 1.0,
            log: PathBuf::from(format!("target/verify/logs/{name}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finish_summarises_proptest_and_explains_unmodelled_cells() {
        let mut t = Table::default();
        let c = t.cell("tagged", Checker::Proptest);
        c.add_pass(1000.0, "cases", "proptest_stacks::a".into());
        c.add_pass(1000.0, "cases", "proptest_stacks::b".into());
        c.std_tests = 1;
        t.cell("ring", Checker::Proptest).std_tests = 4;
        t.cell("tls", Checker::Spin).fails.push("x".into());
        finish(&mut t, 1000);
        assert_eq!(
            t.get("tagged", Checker::Proptest).text(),
            "pass (2 properties × 1,000 cases, + 1 std tests)"
        );
        assert_eq!(
            t.get("ring", Checker::Proptest).text(),
            "pass (4 std tests, no proptest property)"
        );
        assert!(
            t.get("pool", Checker::Spin)
                .text()
                .starts_with("skipped (no SPIN")
        );
        // A real failure is not hidden behind the reason.
        assert_eq!(t.get("tls", Checker::Spin).status(), Status::Fail);
    }

    #[test]
    fn crash_causes() {
        let text = "test a ... \nthread 'a' panicked at x.rs:1:1:\nboom\nerror: test failed, to rerun pass `--test x`\n\nCaused by:\n  process didn't exit successfully: `x` (signal: 6, SIGABRT: process abort signal)\n";
        assert_eq!(
            crash_cause(text),
            "(signal: 6, SIGABRT: process abort signal)"
        );
        assert_eq!(
            crash_cause("thread 'a' panicked at x.rs:1:1:\nboom\n"),
            "boom"
        );
        assert_eq!(last_started_test(text).as_deref(), Some("a"));
    }
}

/// Re-reads a saved run's logs (`XTASK_SAVED_RUN=<dir of report.md>`) with
/// today's checkers and prints the table, to compare a parser change with
/// the report that run wrote. Exit codes are not in the logs: a log counts
/// as exit 0 unless libtest or proofs/run reported a failure in it.
#[cfg(test)]
mod saved_run {
    use super::*;
    use crate::commands::{Commands, Tier};
    use crate::steps::Outcome;
    use std::path::{Path, PathBuf};

    fn outcome(log: &Path) -> Outcome {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let failed = text.contains("test result: FAILED") || text.contains("error: test failed");
        Outcome {
            ok: !failed,
            code: Some(if failed { 101 } else { 0 }),
            timed_out: text.contains("xtask: killed after the time limit"),
            text,
            secs: 0.0,
            log: log.to_path_buf(),
        }
    }

    #[test]
    #[ignore = "needs XTASK_SAVED_RUN"]
    fn render_saved_run() {
        let dir = PathBuf::from(std::env::var("XTASK_SAVED_RUN").expect("XTASK_SAVED_RUN"));
        let cmds = Commands { deep: false };
        let mut all = Findings::default();
        let mut logs: Vec<PathBuf> = std::fs::read_dir(dir.join("logs"))
            .expect("logs/")
            .flatten()
            .map(|e| e.path())
            .collect();
        logs.sort();
        for log in logs {
            let name = log.file_name().unwrap().to_string_lossy().to_string();
            let o = outcome(&log);
            let target = |prefix: &str| {
                name.strip_prefix(prefix)
                    .map(|t| t.trim_end_matches(".log").replace('-', "_"))
            };
            let f = if name == "cargo-test.log" {
                cargo_test::check(&o, 1000)
            } else if let Some(t) = target("loom-tier--").or(target("negative-models--loom")) {
                let t = if t.starts_with('_') {
                    format!("loom{t}")
                } else {
                    t
                };
                models::check(&o, Checker::Loom, &t, &cmds.tier_replay(Tier::Loom, &t))
            } else if let Some(t) = target("shuttle-tier--").or(target("negative-models--shuttle"))
            {
                let t = if t.starts_with('_') {
                    format!("shuttle{t}")
                } else {
                    t
                };
                models::check(
                    &o,
                    Checker::Shuttle,
                    &t,
                    &cmds.tier_replay(Tier::Shuttle, &t),
                )
            } else if name.starts_with("proofs-run") {
                let json = dir.join("spin.json");
                let text = std::fs::read_to_string(&json).map_err(|e| e.to_string());
                spin::check(&o, text, "target/verify/spin.json", false)
            } else if name == "ASan-stress--safe-variants.log" {
                sanitizers::safe_variants(&o, Checker::Asan)
            } else if name.starts_with("TSan-stress") {
                sanitizers::tsan(&o, "xtask/tsan-toolchain --run --nocapture")
            } else if name.starts_with("ASan--pointer-node-pop-shared") && sanitizers::uaf_found(&o)
            {
                sanitizers::uaf(Some(&o), &[], 1, 60, "", "replay").0
            } else {
                continue;
            };
            println!("read {name}");
            all.merge(f);
        }
        finish(&mut all.table, 1000);
        println!("{}", crate::report::table_markdown(&all.table));
        for p in &all.problems {
            println!("problem: {p}");
        }
    }
}
