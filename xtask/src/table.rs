//! The evidence table: one row per algorithm, one column per checker, each
//! cell "pass (…)", "bug found as expected (…)", "FAIL (…)" or
//! "skipped (why)"; rendered for the terminal, report.md and report.json.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::parse::json_str;

/// The checkers, in column order.
pub const CHECKERS: [Checker; 6] = [
    Checker::Proptest,
    Checker::Loom,
    Checker::Shuttle,
    Checker::Spin,
    Checker::Asan,
    Checker::MiriTsan,
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
    /// The SPIN models (`proofs/run`).
    Spin,
    /// The AddressSanitizer stress run.
    Asan,
    /// Miri and ThreadSanitizer.
    MiriTsan,
}

impl Checker {
    /// The column header.
    pub fn title(self) -> &'static str {
        match self {
            Checker::Proptest => "proptest",
            Checker::Loom => "loom",
            Checker::Shuttle => "shuttle",
            Checker::Spin => "SPIN",
            Checker::Asan => "ASan",
            Checker::MiriTsan => "Miri/TSan",
        }
    }

    /// The key used in report.json.
    pub fn key(self) -> &'static str {
        match self {
            Checker::Proptest => "proptest",
            Checker::Loom => "loom",
            Checker::Shuttle => "shuttle",
            Checker::Spin => "spin",
            Checker::Asan => "asan",
            Checker::MiriTsan => "miri_tsan",
        }
    }
}

/// The rows, in order: (key, title).
pub const ROWS: [(&str, &str); 6] = [
    ("pointer-node", "pointer-node stack"),
    ("epoch", "epoch stack"),
    ("tagged", "tagged stack"),
    ("pool", "typed pool"),
    ("ring", "ring"),
    ("tls-front", "thread-local front"),
];

/// The row an `algo=` value, a SPIN configuration prefix, an ordering site
/// or a test name belongs to: the first known algorithm its text names.
/// `index-stack*`/`index_stack*` is the tagged stack's index list.
pub fn row_of(text: &str) -> Option<&'static str> {
    let t = text.to_ascii_lowercase();
    let words: Vec<&str> = t
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    // The thread-local front sits on the pool: "tls" anywhere wins.
    if words.contains(&"tls") || t.contains("thread-local") || t.contains("thread_local") {
        return Some("tls-front");
    }
    // Otherwise the first word naming an algorithm ("pointer_node_pool" in a
    // pool target is decided by the caller, which tries the target first).
    words.iter().find_map(|w| match *w {
        "pointer" => Some("pointer-node"),
        "epoch" => Some("epoch"),
        "tagged" | "index" => Some("tagged"),
        "pool" => Some("pool"),
        "ring" => Some("ring"),
        _ => None,
    })
}

/// The row of a test in a target: the target's own algorithm if its name
/// has one (`loom_pool` → pool), else the test name's (`loom_stacks::epoch_…`).
pub fn row_of_test(target: &str, test: &str) -> Option<&'static str> {
    let suffix = target.split_once('_').map_or(target, |(_, s)| s);
    row_of(suffix).or_else(|| row_of(test))
}

/// A bug that a negative model found, as it must.
#[derive(Debug, Clone)]
pub struct Bug {
    /// The scenario (or configuration) name.
    pub scenario: String,
    /// What was found (first line of the failure).
    pub what: String,
    /// How to replay it.
    pub replay: String,
}

/// One cell's evidence.
#[derive(Debug, Default, Clone)]
pub struct Cell {
    /// Summed pass count (executions, iterations, states, cases, ops).
    pub count: f64,
    /// What `count` counts.
    pub unit: &'static str,
    /// Passing items, for report.md.
    pub passes: Vec<String>,
    /// Expected bugs found (negative models), for the cell and report.md.
    pub bugs: Vec<Bug>,
    /// Mutated ordering sites caught.
    pub mutants_caught: Vec<String>,
    /// Ordering sites of this algorithm in `src/`.
    pub mutant_sites: Vec<String>,
    /// Unexpected results: any makes the cell FAIL.
    pub fails: Vec<String>,
    /// Why the checker did not run here.
    pub skipped: Option<String>,
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
    /// Adds to the pass count.
    pub fn add_pass(&mut self, count: f64, unit: &'static str, what: String) {
        self.count += count;
        self.unit = unit;
        self.passes.push(what);
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
            let s = self
                .summary
                .clone()
                .unwrap_or_else(|| format!("{} {}", human(self.count), self.unit));
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
    let n = n.round() as u64;
    let s = n.to_string();
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

/// The whole table: rows in order, cells by checker.
#[derive(Debug, Default)]
pub struct Table {
    /// Row key → title, in display order.
    pub rows: Vec<(String, String)>,
    /// (row, checker) → cell.
    pub cells: BTreeMap<(String, Checker), Cell>,
}

impl Table {
    /// The table with the fixed rows (the thread-local front only if
    /// `with_tls`).
    pub fn new(with_tls: bool) -> Self {
        let rows = ROWS
            .iter()
            .filter(|(k, _)| with_tls || *k != "tls-front")
            .map(|(k, t)| (k.to_string(), t.to_string()))
            .collect();
        Table {
            rows,
            cells: BTreeMap::new(),
        }
    }

    /// The cell at (`row`, `checker`), adding the row if it is new.
    pub fn cell(&mut self, row: &str, checker: Checker) -> &mut Cell {
        if !self.rows.iter().any(|(k, _)| k == row) {
            self.rows.push((row.to_string(), row.to_string()));
        }
        self.cells.entry((row.to_string(), checker)).or_default()
    }

    /// Every cell, present or not, in display order.
    pub fn all(&self) -> Vec<(String, String, Checker, Cell)> {
        let mut out = Vec::new();
        for (key, title) in &self.rows {
            for c in CHECKERS {
                let cell = self.cell_or_empty(key, c);
                out.push((key.clone(), title.clone(), c, cell));
            }
        }
        out
    }

    /// (passed, failed, skipped) cells; a cell that is pass or bug-found
    /// counts as passed.
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut n = (0, 0, 0);
        for (_, _, _, cell) in self.all() {
            match cell.status() {
                Status::Pass | Status::BugFound => n.0 += 1,
                Status::Fail => n.1 += 1,
                Status::Skipped => n.2 += 1,
            }
        }
        n
    }

    /// A markdown table (also what the terminal shows).
    pub fn markdown(&self) -> String {
        let mut s = String::from("| algorithm |");
        for c in CHECKERS {
            let _ = write!(s, " {} |", c.title());
        }
        s.push_str("\n|---|");
        for _ in CHECKERS {
            s.push_str("---|");
        }
        s.push('\n');
        for (key, title) in &self.rows {
            let _ = write!(s, "| {title} |");
            for c in CHECKERS {
                let cell = self.cell_or_empty(key, c);
                let _ = write!(s, " {} |", cell.text().replace('|', "/"));
            }
            s.push('\n');
        }
        s
    }

    /// The cell at (`key`, `c`), or an empty one if nothing was recorded.
    fn cell_or_empty(&self, key: &str, c: Checker) -> Cell {
        self.cells
            .get(&(key.to_string(), c))
            .cloned()
            .unwrap_or_default()
    }

    /// The table for a terminal: one block per algorithm, one line per
    /// checker (cells are too long for a grid of six columns).
    pub fn terminal(&self) -> String {
        let mut s = String::new();
        for (key, title) in &self.rows {
            let _ = writeln!(s, "{title}");
            for c in CHECKERS {
                let cell = self.cell_or_empty(key, c);
                let mark = match cell.status() {
                    Status::Pass | Status::BugFound => "ok  ",
                    Status::Fail => "FAIL",
                    Status::Skipped => "--  ",
                };
                let _ = writeln!(s, "  {mark} {:<10} {}", c.title(), cell.text());
            }
        }
        s
    }

    /// The cells as JSON: `{row: {checker: {status, text, …}}}`.
    pub fn json(&self) -> String {
        let mut s = String::from("{");
        for (i, (key, title)) in self.rows.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            let _ = write!(
                s,
                "\n    {}: {{\"title\": {}",
                json_str(key),
                json_str(title)
            );
            for c in CHECKERS {
                let cell = self.cell_or_empty(key, c);
                let status = match cell.status() {
                    Status::Pass => "pass",
                    Status::BugFound => "bug_found",
                    Status::Fail => "fail",
                    Status::Skipped => "skipped",
                };
                let list = |v: &[String]| {
                    format!(
                        "[{}]",
                        v.iter().map(|x| json_str(x)).collect::<Vec<_>>().join(", ")
                    )
                };
                let bugs: Vec<String> = cell
                    .bugs
                    .iter()
                    .map(|b| {
                        format!(
                            "{{\"scenario\": {}, \"found\": {}, \"replay\": {}}}",
                            json_str(&b.scenario),
                            json_str(&b.what),
                            json_str(&b.replay)
                        )
                    })
                    .collect();
                let _ = write!(
                    s,
                    ",\n      {}: {{\"status\": \"{status}\", \"text\": {}, \"count\": {}, \"unit\": {}, \"passes\": {}, \"bugs\": [{}], \"mutants_caught\": {}, \"mutant_sites\": {}, \"fails\": {}, \"skipped\": {}}}",
                    json_str(c.key()),
                    json_str(&cell.text()),
                    cell.count.round() as u64,
                    json_str(cell.unit),
                    list(&cell.passes),
                    bugs.join(", "),
                    list(&cell.mutants_caught),
                    list(&cell.mutant_sites),
                    list(&cell.fails),
                    cell.skipped.as_deref().map_or("null".into(), json_str),
                );
            }
            s.push_str("\n    }");
        }
        s.push_str("\n  }");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_from_names() {
        assert_eq!(row_of("pointer-node-shared-pop"), Some("pointer-node"));
        assert_eq!(row_of("index-stack-tag0"), Some("tagged"));
        assert_eq!(row_of("index_stack.pop.head"), Some("tagged"));
        assert_eq!(row_of("tls-front"), Some("tls-front"));
        assert_eq!(row_of("pool_tls"), Some("tls-front"));
        assert_eq!(row_of("ring_tso_relaxed_release"), Some("ring"));
        assert_eq!(
            row_of_test("proptest_pool", "pointer_node_pool_matches"),
            Some("pool")
        );
        assert_eq!(row_of_test("loom_tls", "x"), Some("tls-front"));
        assert_eq!(
            row_of_test("proptest_stacks", "capped_epoch_matches"),
            Some("epoch")
        );
        assert_eq!(row_of_test("loom_mutants", "every_weakened_ordering"), None);
    }

    #[test]
    fn cell_texts() {
        let mut c = Cell::default();
        assert_eq!(c.status(), Status::Fail);
        c.skipped = Some("no nightly".into());
        assert_eq!(c.text(), "skipped (no nightly)");
        let mut c = Cell::default();
        c.add_pass(1234567.0, "executions", "x".into());
        assert_eq!(c.text(), "pass (1,234,567 executions)");
        c.fails.push("t failed".into());
        assert_eq!(c.text(), "FAIL (t failed)");
    }
}
