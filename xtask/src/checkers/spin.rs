//! `proofs/run --json FILE` (SPIN): one object per configuration, its row
//! the model it checks (`"model": "spin/<key>.pml"`), into the SPIN column.

use super::Findings;
use crate::json::Json;
use crate::steps::Outcome;
use crate::table::{Bug, Checker, Row, Status, human, row, short};

/// The rows with a SPIN model (the others are explained by `finish`).
const SPIN_ROWS: [Row; 4] = ["pointer_node", "epoch", "tagged", "ring"];

/// Reads a `proofs/run` run: `json` is what it wrote to `json_path` (or why
/// it could not be read); `deep` picks the replay command's flag.
pub fn check(o: &Outcome, json: Result<String, String>, json_path: &str, deep: bool) -> Findings {
    let mut f = Findings::default();
    let configs = match json.and_then(|t| Json::parse(&t)) {
        Ok(Json::Arr(items)) if !items.is_empty() => items,
        other => {
            let why = format!(
                "proofs/run {} without a readable {json_path} ({}) (log: {})",
                o.verdict(),
                match other {
                    Err(e) => e,
                    Ok(_) => "no configurations".into(),
                },
                o.log.display()
            );
            for row in SPIN_ROWS {
                f.fail(row, Checker::Spin, why.clone());
            }
            return f;
        }
    };
    // A model file is named by its algorithm's key, alone or followed by
    // `_<part>` (`ring_wait.pml` models a part of the ring).
    let model_row = |stem: &str| {
        row(stem).or_else(|| {
            crate::table::ROWS.iter().map(|(k, _)| *k).find(|k| {
                stem.strip_prefix(k)
                    .is_some_and(|rest| rest.starts_with('_'))
            })
        })
    };
    for cfg in configs {
        let name = cfg.get("name").str().to_string();
        let model = cfg.get("model").str();
        let key = model.rsplit('/').next().unwrap_or(model);
        let Some(row) = model_row(key.strip_suffix(".pml").unwrap_or(key)) else {
            f.problems.push(format!(
                "proofs/run: configuration {name} checks {model:?}, which names no algorithm key"
            ));
            continue;
        };
        let expected = cfg.get("expected").str();
        let got = cfg.get("got").str();
        let ok = cfg.get("ok") == &Json::Bool(true);
        let num = |k: &str| match cfg.get(k) {
            Json::Num(n) => *n,
            _ => 0.0,
        };
        let (states, secs) = (num("states"), num("seconds"));
        let cell = f.table.cell(row, Checker::Spin);
        match (ok, expected) {
            (true, "pass") => cell.add_pass(
                states,
                "states",
                format!("{name}: {} states in {secs} s", human(states)),
            ),
            (true, _) => cell.bugs.push(Bug {
                scenario: name.clone(),
                what: cfg.get("error").str().to_string(),
                replay: format!(
                    "proofs/run --only '^{name}$' --keep{} (trail summary in {json_path})",
                    if deep { " --deep" } else { "" }
                ),
            }),
            (false, _) => cell.fails.push(format!(
                "SPIN {name}: expected {expected}, got {got}: {}",
                short(cfg.get("error").str(), 120)
            )),
        }
    }
    if !o.ok {
        // proofs/run exits non-zero only on a mismatch, which the cells
        // above already name; anything else is a problem.
        let named = f
            .table
            .cells
            .iter()
            .any(|((_, c), cell)| *c == Checker::Spin && cell.status() == Status::Fail);
        if !named {
            f.problems.push(format!(
                "proofs/run {} though every configuration matched (log: {})",
                o.verdict(),
                o.log.display()
            ));
        }
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkers::fixtures::{outcome, text};

    const JSON: &str = "target/verify/spin.json";

    #[test]
    fn every_configuration_matched() {
        let o = outcome("spin.ok.log", Some(0), false);
        let f = check(&o, Ok(text("spin.ok.json")), JSON, false);
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        for row in SPIN_ROWS {
            let c = f.table.get(row, Checker::Spin);
            assert_eq!(c.status(), Status::Pass, "{row}: {}", c.text());
            assert!(
                !c.bugs.is_empty(),
                "{row}: each model has a negative configuration"
            );
        }
        let c = f.table.get("pointer_node", Checker::Spin);
        assert!(
            c.passes[0].starts_with("pointer_popper: "),
            "{:?}",
            c.passes
        );
    }

    #[test]
    fn unreadable_json_fails_every_modelled_row() {
        let o = outcome("spin.ok.log", Some(0), false);
        let f = check(&o, Err("No such file".into()), JSON, false);
        for row in SPIN_ROWS {
            assert_eq!(f.table.get(row, Checker::Spin).status(), Status::Fail);
        }
    }

    #[test]
    fn a_mismatch_fails_its_row_and_names_the_configuration() {
        // pan stopped at its memory bound (PROOFS_MEMLIM_MB=1).
        let o = outcome("spin.memlim.log", Some(1), false);
        let f = check(&o, Ok(text("spin.memlim.json")), JSON, false);
        assert!(
            f.problems.is_empty(),
            "the non-zero exit is explained: {:?}",
            f.problems
        );
        let c = f.table.get("ring", Checker::Spin);
        assert_eq!(c.status(), Status::Fail);
        assert_eq!(
            c.fails,
            [
                "SPIN ring_sc: expected pass, got incomplete: pan: reached -DMEMLIM bound",
                "SPIN ring_fifo_release: expected fail, got incomplete: pan: reached -DMEMLIM bound"
            ]
        );
        assert_eq!(f.table.cells.len(), 1);
    }

    #[test]
    fn a_timed_out_run_without_json_fails_every_modelled_row() {
        let o = outcome("spin.timeout.log", None, true);
        let f = check(
            &o,
            Err("No such file or directory (os error 2)".into()),
            JSON,
            false,
        );
        let c = f.table.get("tagged", Checker::Spin);
        assert_eq!(
            c.fails,
            [
                "proofs/run timed out without a readable target/verify/spin.json (No such file or directory (os error 2)) (log: target/verify/logs/spin.timeout.log)"
            ]
        );
    }
}
