//! Running the sanitizer steps (reading them is `checkers/sanitizers.rs`):
//! the ASan stress on nightly, the seed's use-after-free within a time
//! budget, the ThreadSanitizer tier through `xtask/tsan-toolchain`, and
//! Miri's reason for not running.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::Run;
use crate::checkers::sanitizers::{self, UAF_TEST};
use crate::steps::{self, StepRecord, describe};
use crate::table::Checker;

/// ASan's RUSTFLAGS (`--cfg asan_stress` enables the stress tests).
const ASAN_FLAGS: &str = "-Zsanitizer=address --cfg asan_stress";

/// Why Miri is not run.
const NO_MIRI: &str =
    "no registry ships Miri (it comes only as a rustup component, which xtask does not install)";

/// The ASan stress run: the safe variants, then the seed's use-after-free.
pub fn asan(run: &mut Run) {
    let Some(version) = run.cmds.nightly() else {
        let why = "no nightly toolchain (`cargo +nightly` failed); xtask installs none";
        run.steps.skipped("ASan stress", why);
        run.found.skip_all(Checker::Asan, why);
        return;
    };
    run.notes.push(format!("ASan toolchain: {version}"));
    let mut build = run.cmds.sanitizer(ASAN_FLAGS, "target/asan");
    build.arg("--no-run");
    let b = run.step("build: ASan stress (nightly)", build, 1800);
    if !b.ok {
        let why = format!("ASan build failed (log: {})", b.log.display());
        run.found.fail_all(Checker::Asan, &why);
        return;
    }
    let mut c = run.cmds.sanitizer(ASAN_FLAGS, "target/asan");
    c.env("ASAN_STRESS_OPS", run.opts.asan_ops.to_string())
        .args(["--", "--ignored", "--nocapture", "--test-threads", "1"])
        .arg("safe_");
    let o = run.step("ASan stress: safe variants", c, 1200);
    run.found
        .merge(sanitizers::safe_variants(&o, Checker::Asan));
    asan_uaf(run);
}

/// The seed's multi-popper pop: ASan must report a heap-use-after-free,
/// within `--uaf-budget` seconds and at most five processes.
fn asan_uaf(run: &mut Run) {
    let name = "ASan: pointer-node pop_shared (expect use-after-free)";
    let t = steps::begin(name);
    let budget = Duration::from_secs(run.opts.uaf_budget.max(1));
    let start = Instant::now();
    let mut attempts = 0;
    let mut missed = Vec::new();
    let mut found = None;
    let mut log = run.steps.log(name);
    while start.elapsed() < budget && attempts < 5 {
        attempts += 1;
        let left = budget.saturating_sub(start.elapsed()).as_secs().max(1);
        let mut c = run.cmds.sanitizer(ASAN_FLAGS, "target/asan");
        c.env("ASAN_UAF_SECS", left.to_string()).args([
            "--",
            "--ignored",
            "--nocapture",
            "--exact",
            UAF_TEST,
        ]);
        log = run.steps.log(&format!("{name} attempt {attempts}"));
        let o = steps::run(c, &log, budget + Duration::from_secs(120));
        if sanitizers::uaf_found(&o) {
            found = Some(o);
            break;
        }
        missed.push(sanitizers::uaf_missed(&o));
    }
    let replay = {
        let mut c = run.cmds.sanitizer(ASAN_FLAGS, "target/asan");
        c.env_remove("CARGO_TERM_COLOR").args([
            "--",
            "--ignored",
            "--nocapture",
            "--exact",
            UAF_TEST,
        ]);
        describe(&c)
    };
    let (f, result) = sanitizers::uaf(
        found.as_ref(),
        &missed,
        attempts,
        budget.as_secs(),
        &log.display().to_string(),
        &replay,
    );
    run.found.merge(f);
    steps::end(name, t, &result);
    run.steps.records.push(StepRecord {
        name: name.into(),
        secs: start.elapsed().as_secs_f64(),
        result,
        ok: found.is_some(),
        log: Some(found.map_or(log, |o| o.log)),
    });
}

/// The TSan tier's script: sets up the toolchain (Debian packages under
/// target/tsan-toolchain), builds (`--build`) and runs (`--run`) the tier.
pub const TSAN_SCRIPT: &str = "xtask/tsan-toolchain";

/// The ThreadSanitizer tier, in three timed steps: the toolchain's set-up
/// (a failure skips the column with the script's reason), the build (the
/// TSan std is built once and cached in target/tsan), the run. Miri is
/// never run (see [`NO_MIRI`]).
pub fn tsan_and_miri(run: &mut Run) {
    run.steps.skipped("Miri", NO_MIRI);
    run.notes.push(format!("Miri: not run: {NO_MIRI}."));
    let setup = run.step("build: TSan toolchain", tsan_script(None), 1800);
    match sanitizers::tsan_toolchain(&setup) {
        Ok(ready) => run.notes.push(format!(
            "TSan toolchain (`{TSAN_SCRIPT}`): {ready}; the tier: `{TSAN_SCRIPT} --run`"
        )),
        Err(why) => {
            run.found.skip_all(Checker::Tsan, &why);
            return;
        }
    }
    let b = run.step(
        "build: TSan stress (-Zbuild-std)",
        tsan_script(Some("--build")),
        3600,
    );
    if !b.ok {
        let why = format!("TSan build failed (log: {})", b.log.display());
        run.found.fail_all(Checker::Tsan, &why);
        return;
    }
    let o = run.step(
        "TSan stress: tests/tsan_stress.rs",
        tsan_script(Some("--run")),
        1200,
    );
    let replay = format!("{TSAN_SCRIPT} --run --nocapture");
    run.found.merge(sanitizers::tsan(&o, &replay));
}

/// `xtask/tsan-toolchain [MODE]`, with no inherited RUSTFLAGS (the script
/// sets its own) and cargo's colours off.
fn tsan_script(mode: Option<&str>) -> Command {
    let mut c = Command::new(TSAN_SCRIPT);
    c.args(mode)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .env("CARGO_TERM_COLOR", "never");
    c
}
