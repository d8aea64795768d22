//! The file format of a partial report (`partial-K-of-N.json`): the cells,
//! problems, evidence lines, steps and notes of one shard, unfinished.

use std::path::PathBuf;

use crate::checkers::Findings;
use crate::json::Json;
use crate::parse::Evidence;
use crate::partial::Partial;
use crate::steps::StepRecord;
use crate::table::{Bug, Cell, Checker, row};

/// A partial report as JSON.
pub fn to_json(p: &Partial) -> Json {
    let cells = p.found.table.cells.iter().map(|((row, c), cell)| {
        Json::obj([
            ("row", Json::s(row)),
            ("checker", Json::s(c.key())),
            (
                "counts",
                Json::Arr(
                    cell.counts
                        .iter()
                        .map(|(u, n)| Json::Arr(vec![Json::s(u), Json::Num(*n)]))
                        .collect(),
                ),
            ),
            ("passes", Json::strs(&cell.passes)),
            (
                "bugs",
                Json::Arr(
                    cell.bugs
                        .iter()
                        .map(|b| {
                            Json::Arr(vec![
                                Json::s(&b.scenario),
                                Json::s(&b.what),
                                Json::s(&b.replay),
                            ])
                        })
                        .collect(),
                ),
            ),
            (
                "mutants_caught",
                Json::Arr(
                    cell.mutants_caught
                        .iter()
                        .map(|(s, how)| Json::Arr(vec![Json::s(s), Json::s(how)]))
                        .collect(),
                ),
            ),
            ("mutant_sites", Json::strs(&cell.mutant_sites)),
            ("fails", Json::strs(&cell.fails)),
            (
                "skipped",
                cell.skipped.as_deref().map_or(Json::Null, Json::s),
            ),
            ("std_tests", Json::Num(cell.std_tests as f64)),
            (
                "bounds",
                Json::Arr(cell.bounds.iter().map(|b| Json::Num(*b as f64)).collect()),
            ),
        ])
    });
    let steps = p.steps.iter().map(|s| {
        Json::obj([
            ("name", Json::s(&s.name)),
            ("secs", Json::Num(s.secs)),
            ("result", Json::s(&s.result)),
            ("ok", Json::Bool(s.ok)),
            (
                "log",
                s.log
                    .as_ref()
                    .map_or(Json::Null, |l| Json::s(&l.display().to_string())),
            ),
        ])
    });
    let evidence = p.found.evidence.iter().map(|e| {
        Json::obj([
            ("target", Json::s(&e.target)),
            ("test", e.test.as_deref().map_or(Json::Null, Json::s)),
            (
                "schedule",
                e.schedule.as_deref().map_or(Json::Null, Json::s),
            ),
            (
                "fields",
                Json::Obj(
                    e.fields
                        .iter()
                        .map(|(k, v)| (k.clone(), Json::s(v)))
                        .collect(),
                ),
            ),
        ])
    });
    Json::obj([
        (
            "shard",
            Json::Arr(vec![
                Json::Num(p.shard.0 as f64),
                Json::Num(p.shard.1 as f64),
            ]),
        ),
        ("by_tier", Json::Bool(p.by_tier)),
        ("deep", Json::Bool(p.deep)),
        ("proptest_cases", Json::Num(p.proptest_cases as f64)),
        ("asan_ops", Json::Num(p.asan_ops as f64)),
        ("total", Json::Num(p.total)),
        ("notes", Json::strs(&p.notes)),
        ("problems", Json::strs(&p.found.problems)),
        ("steps", Json::Arr(steps.collect())),
        ("cells", Json::Arr(cells.collect())),
        ("evidence", Json::Arr(evidence.collect())),
    ])
}

/// A partial report from its JSON; an error names what is wrong.
pub fn from_json(j: &Json) -> Result<Partial, String> {
    let opt = |v: &Json| match v {
        Json::Str(s) => Some(s.clone()),
        _ => None,
    };
    let mut found = Findings {
        problems: j.get("problems").str_list(),
        ..Findings::default()
    };
    for c in j.get("cells").items() {
        let r = row(c.get("row").str()).ok_or(format!("unknown row {:?}", c.get("row")))?;
        let ch = Checker::from_key(c.get("checker").str())
            .ok_or(format!("unknown checker {:?}", c.get("checker")))?;
        // Each item a list of strings, padded so that short ones read as "".
        let pairs = |k: &str| -> Vec<Vec<String>> {
            c.get(k)
                .items()
                .iter()
                .map(|p| {
                    let mut v = p.str_list();
                    v.resize(3, String::new());
                    v
                })
                .collect()
        };
        let cell = Cell {
            counts: c
                .get("counts")
                .items()
                .iter()
                .map(|p| {
                    let (unit, n) = (p.items().first(), p.items().get(1));
                    (
                        unit.map_or("", Json::str).to_string(),
                        n.map_or(0.0, Json::num),
                    )
                })
                .collect(),
            passes: c.get("passes").str_list(),
            bugs: pairs("bugs")
                .into_iter()
                .map(|b| Bug {
                    scenario: b[0].clone(),
                    what: b[1].clone(),
                    replay: b[2].clone(),
                })
                .collect(),
            mutants_caught: pairs("mutants_caught")
                .into_iter()
                .map(|p| (p[0].clone(), p[1].clone()))
                .collect(),
            mutant_sites: c.get("mutant_sites").str_list(),
            fails: c.get("fails").str_list(),
            skipped: opt(c.get("skipped")),
            std_tests: c.get("std_tests").num() as usize,
            summary: None,
            bounds: c
                .get("bounds")
                .items()
                .iter()
                .map(|b| b.num() as u64)
                .collect(),
        };
        found.table.cell(r, ch).merge(cell);
    }
    for e in j.get("evidence").items() {
        let fields = match e.get("fields") {
            Json::Obj(kv) => kv
                .iter()
                .map(|(k, v)| (k.clone(), v.str().to_string()))
                .collect(),
            _ => Default::default(),
        };
        found.evidence.push(Evidence {
            fields,
            test: opt(e.get("test")),
            target: e.get("target").str().to_string(),
            schedule: opt(e.get("schedule")),
        });
    }
    let shard = j.get("shard").items();
    let num = |i: usize| shard.get(i).map_or(0, |v| v.num() as usize);
    Ok(Partial {
        shard: (num(0), num(1)),
        by_tier: j.get("by_tier") == &Json::Bool(true),
        deep: j.get("deep") == &Json::Bool(true),
        proptest_cases: j.get("proptest_cases").num() as u64,
        asan_ops: j.get("asan_ops").num() as u64,
        total: j.get("total").num(),
        notes: j.get("notes").str_list(),
        steps: j
            .get("steps")
            .items()
            .iter()
            .map(|s| StepRecord {
                name: s.get("name").str().to_string(),
                secs: s.get("secs").num(),
                result: s.get("result").str().to_string(),
                ok: s.get("ok") == &Json::Bool(true),
                log: opt(s.get("log")).map(PathBuf::from),
            })
            .collect(),
        found,
    })
}
