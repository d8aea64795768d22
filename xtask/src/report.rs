//! Rendering a run: the table for the terminal, `target/verify/report.md`
//! (table, details, steps) and `target/verify/report.json`, and the closing
//! `N passed, M failed, K skipped` line with the exit code.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use crate::checkers::Findings;
use crate::json::json_str;
use crate::opts::Opts;
use crate::steps::StepRecord;
use crate::table::{CHECKERS, ROWS, Status, Table, human, title};

/// What a report shows.
pub struct Report<'a> {
    /// The options of the run (of the shards, when merged).
    pub opts: &'a Opts,
    /// The finished table, problems and evidence.
    pub found: &'a Findings,
    /// Every step.
    pub steps: &'a [StepRecord],
    /// Notes for report.md (toolchains, tier settings).
    pub notes: &'a [String],
    /// Wall-clock seconds.
    pub total: f64,
}

impl Report<'_> {
    fn mode(&self) -> &'static str {
        if self.opts.deep { "deep" } else { "quick" }
    }

    fn build_secs(&self) -> f64 {
        self.steps
            .iter()
            .filter(|s| s.name.starts_with("build: "))
            .map(|s| s.secs)
            .sum()
    }

    /// (passed, failed, skipped); problems outside a cell count as failed.
    pub fn counts(&self) -> (usize, usize, usize) {
        let (p, f, s) = self.found.table.counts();
        (p, f + self.found.problems.len(), s)
    }
}

/// Prints the table and the closing line, writes report.md and report.json;
/// exits 1 if anything failed.
pub fn print_and_write(r: &Report) -> ExitCode {
    let (passed, failed, skipped) = r.counts();
    println!("\nEvidence table ({} mode):\n", r.mode());
    print!("{}", terminal(&r.found.table));
    if !r.found.problems.is_empty() {
        println!("\nProblems:");
        for p in &r.found.problems {
            println!("  - {p}");
        }
    }
    let fails: Vec<String> = r
        .found
        .table
        .all()
        .into_iter()
        .filter(|(_, _, c)| c.status() == Status::Fail)
        .map(|(row, ch, c)| format!("{} × {}: {}", title(row), ch.title(), c.text()))
        .collect();
    if !fails.is_empty() {
        println!("\nFailing cells:");
        for f in &fails {
            println!("  - {f}");
        }
    }
    let out = Path::new(crate::OUT);
    let (md, json) = (out.join("report.md"), out.join("report.json"));
    let _ = std::fs::write(&md, markdown(r));
    let _ = std::fs::write(&json, self::json(r));
    let build = r.build_secs();
    println!(
        "\nTotal {:.1} s (builds {build:.1} s, checks {:.1} s). Report: {}, {}",
        r.total,
        r.total - build,
        md.display(),
        json.display()
    );
    println!("{passed} passed, {failed} failed, {skipped} skipped");
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// A markdown table (one row per algorithm, one column per checker).
pub fn table_markdown(t: &Table) -> String {
    let mut s = String::from("| algorithm |");
    for c in CHECKERS {
        let _ = write!(s, " {} |", c.title());
    }
    s.push_str("\n|---|");
    for _ in CHECKERS {
        s.push_str("---|");
    }
    s.push('\n');
    for (row, title) in ROWS {
        let _ = write!(s, "| {title} |");
        for c in CHECKERS {
            let _ = write!(s, " {} |", t.get(row, c).text().replace('|', "/"));
        }
        s.push('\n');
    }
    s
}

/// The table for a terminal: one block per algorithm, one line per checker
/// (cells are too long for a grid).
pub fn terminal(t: &Table) -> String {
    let mut s = String::new();
    for (row, title) in ROWS {
        let _ = writeln!(s, "{title}");
        for c in CHECKERS {
            let cell = t.get(row, c);
            let mark = match cell.status() {
                Status::Pass | Status::BugFound => "ok  ",
                Status::Fail => "FAIL",
                Status::Skipped => "--  ",
            };
            let _ = writeln!(s, "  {mark} {:<15} {}", c.title(), cell.text());
        }
    }
    s
}

/// report.md.
pub fn markdown(r: &Report) -> String {
    let (passed, failed, skipped) = r.counts();
    let (total, build) = (r.total, r.build_secs());
    let mut s = String::new();
    let _ = writeln!(s, "# verified-pools: verification report\n");
    let _ = writeln!(
        s,
        "`cargo xtask verify{}` — {} mode, {total:.1} s in total ({build:.1} s building, {:.1} s checking). **{passed} passed, {failed} failed, {skipped} skipped.**\n",
        if r.opts.deep { " --deep" } else { "" },
        r.mode(),
        total - build
    );
    let _ = writeln!(
        s,
        "Bounds: PROPTEST_CASES={}; the model tiers as `models/tier` sets them (below; a model may use its own bound, e.g. LOOM_EPOCH_PREEMPTIONS: each loom cell shows the bounds its models reported); SPIN {} bounds; ASan {} ops per safe variant.\n",
        r.opts.proptest_cases,
        if r.opts.deep { "deep" } else { "default" },
        human(r.opts.asan_ops as f64)
    );
    for n in r.notes {
        let _ = writeln!(s, "{n}\n");
    }
    let _ = writeln!(s, "## Evidence table\n");
    s.push_str(&table_markdown(&r.found.table));
    s.push_str(
        "\nEach cell: **pass (N …)** — every must-pass model/test passed, N executions (loom), \
         iterations (shuttle, random + PCT), histories (linearizability), states (SPIN), cases (proptest) \
         or operations (ASan, TSan) in total; **k/n mutants caught** — of the n mutants of this algorithm \
         the mutation test ran (each ordering site weakened to `Relaxed`, one at a time, and the behaviour \
         mutants), loom found a bug for k; **bug found as expected** — a negative \
         model (a known-broken variant) was caught, details and replay commands below; **FAIL** — an \
         unexpected result (a must-pass failed, a negative model found nothing, evidence missing); \
         **skipped (why)** — the checker could not run here or has no model of this algorithm.\n",
    );
    if !r.found.problems.is_empty() {
        let _ = writeln!(s, "\n## Problems\n");
        for p in &r.found.problems {
            let _ = writeln!(s, "- {p}");
        }
    }
    let _ = writeln!(s, "\n## Steps\n");
    let _ = writeln!(s, "| step | s | result | log |\n|---|---|---|---|");
    for st in r.steps {
        let _ = writeln!(
            s,
            "| {} | {:.1} | {} | {} |",
            st.name,
            st.secs,
            st.result.replace('|', "/"),
            st.log
                .as_deref()
                .map(|l| format!("`{}`", l.display()))
                .unwrap_or_default()
        );
    }
    let _ = writeln!(s, "\n## Details\n");
    for (row, title) in ROWS {
        let _ = writeln!(s, "### {title} (`{row}`)\n");
        for c in CHECKERS {
            let Some(cell) = r.found.table.cells.get(&(row, c)) else {
                continue;
            };
            let _ = writeln!(s, "**{}**: {}\n", c.title(), cell.text());
            for p in &cell.passes {
                let _ = writeln!(s, "- pass: {p}");
            }
            for site in &cell.mutant_sites {
                match cell.mutants_caught.iter().find(|(c, _)| c == site) {
                    Some((_, how)) => {
                        let _ = writeln!(s, "- mutant `{site}`: caught ({how})");
                    }
                    None => {
                        let _ = writeln!(s, "- mutant `{site}`: no evidence that it was caught");
                    }
                }
            }
            for b in &cell.bugs {
                let _ = writeln!(
                    s,
                    "- bug found as expected: {} — {}\n  - replay: `{}`",
                    b.scenario, b.what, b.replay
                );
            }
            for f in &cell.fails {
                let _ = writeln!(s, "- **FAIL**: {f}");
            }
            s.push('\n');
        }
    }
    let _ = writeln!(
        s,
        "## Replaying a shuttle failure\n\n\
         A shuttle failure prints `test panicked in task … with schedule: \"<hex>\"`. Rerun the same test \
         (`models/tier shuttle test --release --test <target> -- --nocapture --exact <test>`; \
         negative models use a fixed seed, so they fail the same way), or replay the one schedule with \
         `shuttle::replay(<the scenario closure>, \"<hex>\")` in a scratch test.\n"
    );
    s
}

/// report.json.
pub fn json(r: &Report) -> String {
    let (passed, failed, skipped) = r.counts();
    let list = |v: &[String]| {
        format!(
            "[{}]",
            v.iter().map(|x| json_str(x)).collect::<Vec<_>>().join(", ")
        )
    };
    let mut s = String::from("{\n");
    let _ = writeln!(s, "  \"mode\": \"{}\",", r.mode());
    let _ = writeln!(
        s,
        "  \"total_secs\": {:.1},\n  \"build_secs\": {:.1},",
        r.total,
        r.build_secs()
    );
    let _ = writeln!(
        s,
        "  \"passed\": {passed},\n  \"failed\": {failed},\n  \"skipped\": {skipped},"
    );
    let _ = writeln!(s, "  \"proptest_cases\": {},", r.opts.proptest_cases);
    let _ = writeln!(s, "  \"problems\": {},", list(&r.found.problems));
    s.push_str("  \"steps\": [");
    for (i, st) in r.steps.iter().enumerate() {
        let _ = write!(
            s,
            "{}\n    {{\"name\": {}, \"secs\": {:.1}, \"ok\": {}, \"result\": {}, \"log\": {}}}",
            if i > 0 { "," } else { "" },
            json_str(&st.name),
            st.secs,
            st.ok,
            json_str(&st.result),
            st.log
                .as_deref()
                .map_or("null".into(), |l| json_str(&l.display().to_string()))
        );
    }
    s.push_str("\n  ],\n  \"table\": {");
    for (i, (row, title)) in ROWS.iter().enumerate() {
        let _ = write!(
            s,
            "{}\n    {}: {{\"title\": {}",
            if i > 0 { "," } else { "" },
            json_str(row),
            json_str(title)
        );
        for c in CHECKERS {
            let cell = r.found.table.get(row, c);
            let status = match cell.status() {
                Status::Pass => "pass",
                Status::BugFound => "bug_found",
                Status::Fail => "fail",
                Status::Skipped => "skipped",
            };
            let counts: Vec<String> = cell
                .counts
                .iter()
                .map(|(u, n)| format!("{}: {}", json_str(u), n.round() as u64))
                .collect();
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
            let caught: Vec<String> = cell.mutants_caught.iter().map(|(s, _)| s.clone()).collect();
            let _ = write!(
                s,
                ",\n      {}: {{\"status\": \"{status}\", \"text\": {}, \"counts\": {{{}}}, \"passes\": {}, \"bugs\": [{}], \"mutants_caught\": {}, \"mutant_sites\": {}, \"fails\": {}, \"skipped\": {}}}",
                json_str(c.key()),
                json_str(&cell.text()),
                counts.join(", "),
                list(&cell.passes),
                bugs.join(", "),
                list(&caught),
                list(&cell.mutant_sites),
                list(&cell.fails),
                cell.skipped.as_deref().map_or("null".into(), json_str),
            );
        }
        s.push_str("\n    }");
    }
    s.push_str("\n  },\n  \"evidence\": [");
    for (i, ev) in r.found.evidence.iter().enumerate() {
        let fields: Vec<String> = ev
            .fields
            .iter()
            .map(|(k, v)| format!("{}: {}", json_str(k), json_str(v)))
            .collect();
        let _ = write!(
            s,
            "{}\n    {{\"target\": {}, \"test\": {}, {}}}",
            if i > 0 { "," } else { "" },
            json_str(&ev.target),
            ev.test.as_deref().map_or("null".into(), json_str),
            fields.join(", ")
        );
    }
    s.push_str("\n  ]\n}\n");
    s
}
