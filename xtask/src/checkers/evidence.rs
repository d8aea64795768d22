//! One `evidence:` line into its cell. The line format (models/support.rs
//! prints it; so do tests/asan_stress.rs and tests/linearizability.rs):
//!
//! `evidence: checker=C algo=KEY scenario=S result=R k=v … secs=T`
//!
//! - `algo` is exactly a row key (`pointer_node`, `epoch`, `tagged`, `pool`,
//!   `ring`, `tls`); `checker` picks the column: `loom`, `shuttle-random` /
//!   `shuttle-pct`, `linearizability`, `asan`, `tsan`.
//! - `result=pass` counts: loom `executions=N preemptions=B`, shuttle
//!   `iterations=N` (`seed=S`), linearizability `histories=N ops=M`,
//!   sanitizers `ops=N threads=T`; a model's coverage facts
//!   (`facts=name:N,…`, each non-zero or the model fails) and a shuttle
//!   run's seed are kept in its detail line.
//! - `result=bug_found found=FIRST_LINE_WITH_UNDERSCORES` is a negative model
//!   caught as it must be (`seed=` for shuttle's replay); with
//!   `scenario=mutant:SITE` it is a caught mutant, whose row is the site's
//!   key prefix (`tagged.push.cas` → tagged).
//! - `result=planned scenario=mutant:SITE` announces a mutant the mutation
//!   test is about to run, so that one it never reports is named.

use std::fmt::Write as _;

use super::Findings;
use crate::parse::Evidence;
use crate::table::{Bug, Checker, Row, row, row_of_site};

/// The column a line's `checker=` names.
pub fn column(checker: &str) -> Option<Checker> {
    match checker {
        "loom" => Some(Checker::Loom),
        c if c.starts_with("shuttle") => Some(Checker::Shuttle),
        "linearizability" => Some(Checker::Linearizability),
        "asan" => Some(Checker::Asan),
        "tsan" => Some(Checker::Tsan),
        _ => None,
    }
}

/// Adds `ev` to its cell: in the column its `checker=` names, or in
/// `column` if given (the sanitizer stress binary prints `checker=asan`
/// whichever sanitizer it was built with). `replay` is the command that
/// reruns the line's target (`--exact TEST` is appended). Returns the row.
pub fn absorb(
    f: &mut Findings,
    ev: &Evidence,
    column: Option<Checker>,
    replay: Option<&str>,
) -> Option<Row> {
    f.evidence.push(ev.clone());
    let algo = ev.get("algo");
    let Some(row) = row(algo) else {
        f.problems.push(format!(
            "{}: evidence for unknown algo {algo:?} (the keys: pointer_node, epoch, tagged, pool, ring, tls)",
            ev.target
        ));
        return None;
    };
    let Some(checker) = column.or_else(|| self::column(ev.get("checker"))) else {
        f.problems.push(format!(
            "{}: unknown checker {:?}",
            ev.target,
            ev.get("checker")
        ));
        return None;
    };
    let scenario = ev.get("scenario");
    let test = ev.test.clone().unwrap_or_default();
    let label = format!(
        "{} {}::{} {algo}/{scenario}",
        ev.get("checker"),
        ev.target,
        test
    );
    match ev.get("result") {
        "pass" => pass(f, ev, row, checker, &label),
        "planned" => match scenario.strip_prefix("mutant:") {
            Some(site) => f.table.cell(site_row(site, row), checker).add_site(site),
            None => f.fail(
                row,
                checker,
                format!("{label}: result=planned needs mutant:SITE"),
            ),
        },
        "bug_found" => {
            if let Some(site) = scenario.strip_prefix("mutant:") {
                let cell = f.table.cell(site_row(site, row), checker);
                cell.add_site(site);
                cell.mutants_caught.push((
                    site.to_string(),
                    format!("{label}: {}", ev.get("found").replace('_', " ")),
                ));
            } else {
                let mut replay = match replay {
                    Some(r) if !test.is_empty() => format!("{r} --exact {test}"),
                    Some(r) => r.to_string(),
                    None => String::new(),
                };
                if !ev.get("seed").is_empty() {
                    let _ = write!(replay, "  (seed {})", ev.get("seed"));
                }
                if let Some(s) = &ev.schedule {
                    let _ = write!(replay, "; or shuttle::replay(<scenario>, \"{s}\")");
                }
                f.table.cell(row, checker).bugs.push(Bug {
                    scenario: format!("{}::{test} {algo}/{scenario}", ev.target),
                    what: ev.get("found").replace('_', " "),
                    replay,
                });
            }
        }
        other => f.fail(row, checker, format!("{label}: result={other}")),
    }
    Some(row)
}

/// A mutant's row: its site's key prefix, else the line's `algo`.
fn site_row(site: &str, algo_row: Row) -> Row {
    row_of_site(site).unwrap_or(algo_row)
}

fn pass(f: &mut Findings, ev: &Evidence, row: Row, checker: Checker, label: &str) {
    let secs = ev.get("secs");

    let cell = f.table.cell(row, checker);
    match checker {
        Checker::Loom => {
            let n = ev.num("executions");
            let b = ev.get("preemptions");
            cell.add_pass(
                n as f64,
                "executions",
                format!("{label}: {n} executions preemptions={b} in {secs} s"),
            );
            if let Ok(b) = b.parse() {
                cell.bounds.push(b);
            }
        }
        Checker::Shuttle => {
            let n = ev.num("iterations");
            cell.add_pass(
                n as f64,
                "iterations",
                format!("{label}: {n} iterations in {secs} s"),
            );
        }
        Checker::Linearizability => {
            let (n, ops) = (ev.num("histories"), ev.num("ops"));
            cell.add_pass(
                n as f64,
                "histories",
                format!("{label}: {n} histories, {ops} ops in {secs} s"),
            );
            cell.add_count(ops as f64, "ops");
        }
        _ => {
            let n = ev.num("ops");
            cell.add_pass(
                n as f64,
                "ops",
                format!("{label}: {n} ops threads={} in {secs} s", ev.get("threads")),
            );
        }
    }
    // A model's coverage facts (`facts=name:N,…`) and a shuttle run's seed
    // stay in its detail line: what the run reached, and how to replay it.
    if let Some(detail) = cell.passes.last_mut() {
        for key in ["seed", "facts"] {
            if !ev.get(key).is_empty() {
                let _ = write!(detail, " {key}={}", ev.get(key));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::Status;

    fn line(text: &str) -> Evidence {
        let out = crate::parse::libtest(&format!("test t ... {text}\nok\n"), "loom_x");
        out["loom_x"].evidence[0].clone()
    }

    #[test]
    fn a_line_lands_in_its_row_and_column() {
        let mut f = Findings::default();
        let ev = line(
            "evidence: checker=loom algo=pointer_node scenario=two result=pass executions=12 preemptions=2 secs=0.10",
        );
        assert_eq!(absorb(&mut f, &ev, None, None), Some("pointer_node"));
        let c = f.table.get("pointer_node", Checker::Loom);
        assert_eq!(c.text(), "pass (12 executions, preemption bound 2)");
        // The old spelling names no row: a problem, not a guess.
        let ev = line(
            "evidence: checker=loom algo=pointer-node scenario=two result=pass executions=1 preemptions=2 secs=0",
        );
        assert_eq!(absorb(&mut f, &ev, None, None), None);
        assert_eq!(f.problems.len(), 1);
    }

    #[test]
    fn coverage_facts_and_seeds_stay_in_the_detail_line() {
        let mut f = Findings::default();
        let ev = line(
            "evidence: checker=shuttle-pct algo=epoch scenario=reclaim-while-live result=pass iterations=10000 depth=3 seed=0x5eed5afe facts=reclaimed_while_live:812,pop_raced_reclamation:97 secs=1.20",
        );
        absorb(&mut f, &ev, None, None);
        let c = f.table.get("epoch", Checker::Shuttle);
        assert_eq!(c.text(), "pass (10,000 iterations)");
        assert!(
            c.passes[0].ends_with(
                "in 1.20 s seed=0x5eed5afe facts=reclaimed_while_live:812,pop_raced_reclamation:97"
            ),
            "{:?}",
            c.passes
        );
    }

    #[test]
    fn mutants_planned_and_caught() {
        let mut f = Findings::default();
        for site in ["ring.release.store", "ring.reclaim.load"] {
            let ev = line(&format!(
                "evidence: checker=loom algo=ring scenario=mutant:{site} result=planned"
            ));
            absorb(&mut f, &ev, None, None);
        }
        let ev = line(
            "evidence: checker=loom algo=ring scenario=mutant:ring.release.store result=bug_found preemptions=2 found=live_slice_overwritten secs=1.0",
        );
        absorb(&mut f, &ev, None, None);
        let c = f.table.get("ring", Checker::Loom);
        assert_eq!(c.text(), "1/2 mutants caught");
        assert_eq!(c.mutant_sites, ["ring.release.store", "ring.reclaim.load"]);
        assert!(c.mutants_caught[0].1.ends_with("live slice overwritten"));
    }

    #[test]
    fn linearizability_counts_histories_and_ops() {
        let mut f = Findings::default();
        let ev = line(
            "evidence: checker=linearizability algo=tagged scenario=push_pop result=pass histories=500 ops=4000 threads=3 secs=2.5",
        );
        absorb(&mut f, &ev, None, None);
        let c = f.table.get("tagged", Checker::Linearizability);
        assert_eq!(c.text(), "pass (500 histories, 4,000 ops)");
        let ev = line(
            "evidence: checker=linearizability algo=tagged scenario=untagged result=bug_found histories=17 found=not_linearizable secs=0.5",
        );
        absorb(
            &mut f,
            &ev,
            None,
            Some("cargo test --test linearizability --"),
        );
        let c = f.table.get("tagged", Checker::Linearizability);
        assert_eq!(
            c.bugs[0].replay,
            "cargo test --test linearizability -- --exact t"
        );
        let ev =
            line("evidence: checker=linearizability algo=tagged scenario=x result=weird secs=0");
        absorb(&mut f, &ev, None, None);
        assert_eq!(
            f.table.get("tagged", Checker::Linearizability).status(),
            Status::Fail
        );
    }
}
