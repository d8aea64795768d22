//! The evidence table's data: one row per algorithm (by its key), one column
//! per checker, each cell "pass (…)", "bug found as expected (…)",
//! "FAIL (…)" or "skipped (why)". Rendering is in `report.rs`.

use std::collections::BTreeMap;

/// An algorithm's key: the one name src/, models/, proofs/ and the evidence
/// lines use (`algo=<key>`, ordering sites `<key>.<op>.<access>`).
pub type Row = &'static str;

/// The rows, in display order: (key, display name). The only list of them.
pub const ROWS: [(Row, &str); 6] = [
    ("pointer_node", "pointer-node stack"),
    ("epoch", "epoch stack"),
    ("tagged", "tagged stack"),
    ("pool", "typed pool"),
    ("ring", "ring"),
    ("tls", "thread-local front"),
];

/// The row whose key is exactly `key` (an `algo=` value, a SPIN model name).
pub fn row(key: &str) -> Option<Row> {
    ROWS.iter().map(|(k, _)| *k).find(|k| *k == key)
}

/// The row of an ordering site or mutant, `<key>.<op>.<access>`: its key
/// prefix.
pub fn row_of_site(site: &str) -> Option<Row> {
    row(site.split('.').next().unwrap_or(site))
}

/// The display name of a row.
pub fn title(row: &str) -> &'static str {
    ROWS.iter()
        .find(|(k, _)| *k == row)
        .map_or("?", |(_, t)| *t)
}

/// The row a free-form name (a test, a target, a doc test's path) belongs
/// to: the first key it spells as whole words (`_`, `::`, `/`, `-` and `.`
/// separate words), left to right. `safe_pointer_node_locked_pop` →
/// pointer_node, `src/tls/mod.rs - tls::Front` → tls.
pub fn row_named_in(name: &str) -> Option<Row> {
    let lower = name.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    (0..words.len()).find_map(|i| {
        ROWS.iter().map(|(k, _)| *k).find(|k| {
            let parts: Vec<&str> = k.split('_').collect();
            words.get(i..i + parts.len()) == Some(&parts[..])
        })
    })
}

/// The row of a test: the algorithm the target's name spells after its
/// kind (`proptest_pool` → pool, `loom_tls` → tls), else the test's own
/// name (`stress_stacks::tagged_churn` → tagged, `pool_stress::hammer_epoch`
/// → epoch).
pub fn row_of_test(target: &str, test: &str) -> Option<Row> {
    let after_kind = target.split_once('_').map_or(target, |(_, s)| s);
    row_named_in(after_kind).or_else(|| row_named_in(test))
}

/// The checkers, in column order.
pub const CHECKERS: [Checker; 7] = [
    Checker::Proptest,
    Checker::Loom,
    Checker::Shuttle,
    Checker::Linearizability,
    Checker::Spin,
    Checker::Asan,
    Checker::Tsan,
];

/// A column of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Checker {
    /// `cargo test`: the proptest state machines (and the std tests).
    Proptest,
    /// The loom models.
    Loom,
    /// The shuttle models (random and PCT schedulers).
    Shuttle,
    /// Recorded real-thread histories checked for linearizability.
    Linearizability,
    /// The SPIN models (`proofs/run`).
    Spin,
    /// The AddressSanitizer stress run.
    Asan,
    /// The ThreadSanitizer stress run.
    Tsan,
}

impl Checker {
    /// The column header.
    pub fn title(self) -> &'static str {
        match self {
            Checker::Proptest => "proptest",
            Checker::Loom => "loom",
            Checker::Shuttle => "shuttle",
            Checker::Linearizability => "linearizability",
            Checker::Spin => "SPIN",
            Checker::Asan => "ASan",
            Checker::Tsan => "TSan",
        }
    }

    /// The key used in report.json and in partial reports.
    pub fn key(self) -> &'static str {
        match self {
            Checker::Proptest => "proptest",
            Checker::Loom => "loom",
            Checker::Shuttle => "shuttle",
            Checker::Linearizability => "linearizability",
            Checker::Spin => "spin",
            Checker::Asan => "asan",
            Checker::Tsan => "tsan",
        }
    }

    /// The checker of a key.
    pub fn from_key(key: &str) -> Option<Checker> {
        CHECKERS.into_iter().find(|c| c.key() == key)
    }
}

/// A bug that a negative model found, as it must.
#[derive(Debug, Clone, PartialEq)]
pub struct Bug {
    /// The scenario (or configuration) name.
    pub scenario: String,
    /// What was found (first line of the failure).
    pub what: String,
    /// How to replay it.
    pub replay: String,
}

/// One cell's evidence.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Cell {
    /// Summed pass counts by unit (executions, iterations, states, cases,
    /// ops, histories), in the order first seen.
    pub counts: Vec<(String, f64)>,
    /// Passing items, for report.md.
    pub passes: Vec<String>,
    /// Expected bugs found (negative models), for the cell and report.md.
    pub bugs: Vec<Bug>,
    /// Mutants caught: (site, how it was caught).
    pub mutants_caught: Vec<(String, String)>,
    /// The mutants of this algorithm the mutation test ran or named.
    pub mutant_sites: Vec<String>,
    /// Unexpected results: any makes the cell FAIL.
    pub fails: Vec<String>,
    /// Why the checker did not run here.
    pub skipped: Option<String>,
    /// Passing std (non-proptest) tests, from `cargo test`.
    pub std_tests: usize,
    /// A custom pass summary replacing "N unit" (e.g. proptest cases).
    pub summary: Option<String>,
    /// Loom preemption bounds of the passing models.
    pub bounds: Vec<u64>,
}

/// The state of a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Must-pass checks passed (and/or negative models found their bugs).
    Pass,
    /// Only negative models, all found their bugs.
    BugFound,
    /// Something unexpected.
    Fail,
    /// Not run, with a reason.
    Skipped,
}

impl Cell {
    /// Adds `count` `unit`s to the pass count, `what` to the details.
    pub fn add_pass(&mut self, count: f64, unit: &str, what: String) {
        self.add_count(count, unit);
        self.passes.push(what);
    }

    /// Adds to the count of `unit` without a detail line.
    pub fn add_count(&mut self, count: f64, unit: &str) {
        match self.counts.iter_mut().find(|(u, _)| u == unit) {
            Some((_, n)) => *n += count,
            None => self.counts.push((unit.to_string(), count)),
        }
    }

    /// Records a mutant site (once).
    pub fn add_site(&mut self, site: &str) {
        if !self.mutant_sites.iter().any(|s| s == site) {
            self.mutant_sites.push(site.to_string());
        }
    }

    /// Adds everything `other` holds to this cell.
    pub fn merge(&mut self, other: Cell) {
        for (unit, n) in other.counts {
            self.add_count(n, &unit);
        }
        self.passes.extend(other.passes);
        self.bugs.extend(other.bugs);
        self.mutants_caught.extend(other.mutants_caught);
        for s in &other.mutant_sites {
            self.add_site(s);
        }
        self.fails.extend(other.fails);
        if self.skipped.is_none() {
            self.skipped = other.skipped;
        }
        self.std_tests += other.std_tests;
        if self.summary.is_none() {
            self.summary = other.summary;
        }
        self.bounds.extend(other.bounds);
    }

    /// The cell's state.
    pub fn status(&self) -> Status {
        if !self.fails.is_empty() {
            Status::Fail
        } else if !self.passes.is_empty() || !self.mutants_caught.is_empty() {
            Status::Pass
        } else if !self.bugs.is_empty() {
            Status::BugFound
        } else if self.skipped.is_some() {
            Status::Skipped
        } else {
            Status::Fail
        }
    }

    /// The text shown in the table.
    pub fn text(&self) -> String {
        if !self.fails.is_empty() {
            return format!("FAIL ({})", self.fails.join("; "));
        }
        let mut parts = Vec::new();
        if !self.passes.is_empty() {
            let s = self.summary.clone().unwrap_or_else(|| {
                self.counts
                    .iter()
                    .map(|(unit, n)| format!("{} {unit}", human(*n)))
                    .collect::<Vec<_>>()
                    .join(", ")
            });
            let s = match (self.bounds.iter().min(), self.bounds.iter().max()) {
                (Some(lo), Some(hi)) if lo == hi => format!("{s}, preemption bound {lo}"),
                (Some(lo), Some(hi)) => format!("{s}, preemption bounds {lo}–{hi}"),
                _ => s,
            };
            parts.push(format!("pass ({s})"));
        }
        if !self.mutants_caught.is_empty() {
            let total = self.mutant_sites.len().max(self.mutants_caught.len());
            parts.push(format!(
                "{}/{total} mutants caught",
                self.mutants_caught.len()
            ));
        }
        if !self.bugs.is_empty() {
            let mut whats: Vec<String> = Vec::new();
            for b in &self.bugs {
                let w = short(&b.what, 48);
                if !whats.contains(&w) {
                    whats.push(w);
                }
            }
            parts.push(format!(
                "bug found as expected ({}: {}; replay: report.md)",
                self.bugs.len(),
                whats.join(", ")
            ));
        }
        if parts.is_empty() {
            return match &self.skipped {
                Some(why) => format!("skipped ({why})"),
                None => "FAIL (no evidence)".into(),
            };
        }
        if let Some(why) = &self.skipped {
            parts.push(format!("partly skipped ({why})"));
        }
        parts.join("; ")
    }
}

/// 12345678 → "12,345,678"; 1.5e6 states → "1,500,000".
pub fn human(n: f64) -> String {
    let s = (n.round() as u64).to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// At most `max` characters, with "…" when cut.
pub fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

/// The whole table: every row of [`ROWS`], cells by (row, checker).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Table {
    /// (row, checker) → cell; a missing cell is empty.
    pub cells: BTreeMap<(Row, Checker), Cell>,
}

impl Table {
    /// The cell at (`row`, `checker`).
    pub fn cell(&mut self, row: Row, checker: Checker) -> &mut Cell {
        self.cells.entry((row, checker)).or_default()
    }

    /// The cell at (`row`, `c`), or an empty one if nothing was recorded.
    pub fn get(&self, row: Row, c: Checker) -> Cell {
        self.cells.get(&(row, c)).cloned().unwrap_or_default()
    }

    /// Adds every cell of `other`.
    pub fn merge(&mut self, other: Table) {
        for ((row, c), cell) in other.cells {
            self.cell(row, c).merge(cell);
        }
    }

    /// Every cell, present or not, in display order.
    pub fn all(&self) -> Vec<(Row, Checker, Cell)> {
        ROWS.iter()
            .flat_map(|(row, _)| CHECKERS.map(|c| (*row, c, self.get(row, c))))
            .collect()
    }

    /// (passed, failed, skipped) cells; a cell that is pass or bug-found
    /// counts as passed.
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut n = (0, 0, 0);
        for (_, _, cell) in self.all() {
            match cell.status() {
                Status::Pass | Status::BugFound => n.0 += 1,
                Status::Fail => n.1 += 1,
                Status::Skipped => n.2 += 1,
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_by_key_and_site_prefix_only() {
        assert_eq!(row("pointer_node"), Some("pointer_node"));
        assert_eq!(row("pointer-node"), None);
        assert_eq!(row("tls-front"), None);
        assert_eq!(row_of_site("tagged.push.cas"), Some("tagged"));
        assert_eq!(
            row_of_site("pointer_node.popper.acquire"),
            Some("pointer_node")
        );
        assert_eq!(row_of_site("ring.fifo_release"), Some("ring"));
        // No word rules: an index list is not guessed to be the tagged stack.
        assert_eq!(row_of_site("index_stack.pop.head"), None);
        assert_eq!(row_of_site("pointer.push.cas"), None);
    }

    #[test]
    fn rows_named_in_test_names() {
        assert_eq!(
            row_named_in("seed_pointer_node_shared_pop_use_after_free"),
            Some("pointer_node")
        );
        assert_eq!(row_named_in("safe_pool_tagged"), Some("pool"));
        assert_eq!(
            row_named_in("src/tls/mod.rs - tls::Front (line 9)"),
            Some("tls")
        );
        assert_eq!(row_named_in("index_stack_matches_reference"), None);
        assert_eq!(row_named_in("pointer_churn"), None);
        assert_eq!(
            row_of_test("proptest_pool", "pointer_node_pool_matches_reference"),
            Some("pool")
        );
        assert_eq!(row_of_test("loom_tls", "x"), Some("tls"));
        assert_eq!(row_of_test("pool_stress", "hammer_epoch"), Some("epoch"));
        assert_eq!(
            row_of_test("proptest_stacks", "capped_epoch_matches_reference"),
            Some("epoch")
        );
        assert_eq!(row_of_test("loom_mutants", "every_mutant_is_caught"), None);
    }

    #[test]
    fn cell_texts() {
        let mut c = Cell::default();
        assert_eq!(c.status(), Status::Fail);
        assert_eq!(c.text(), "FAIL (no evidence)");
        c.skipped = Some("no nightly".into());
        assert_eq!(c.text(), "skipped (no nightly)");
        let mut c = Cell::default();
        c.add_pass(1234567.0, "executions", "x".into());
        assert_eq!(c.text(), "pass (1,234,567 executions)");
        c.add_pass(3.0, "ops", "y".into());
        assert_eq!(c.text(), "pass (1,234,567 executions, 3 ops)");
        c.fails.push("t failed".into());
        assert_eq!(c.text(), "FAIL (t failed)");
    }

    #[test]
    fn merged_cells_sum() {
        let mut a = Cell::default();
        a.add_pass(10.0, "executions", "a".into());
        a.bounds.push(2);
        let mut b = Cell::default();
        b.add_pass(5.0, "executions", "b".into());
        b.bounds.push(1);
        b.add_site("tagged.push.cas");
        a.merge(b);
        assert_eq!(a.counts, vec![("executions".to_string(), 15.0)]);
        assert_eq!(a.text(), "pass (15 executions, preemption bounds 1–2)");
        assert_eq!(a.mutant_sites, ["tagged.push.cas"]);
    }
}
