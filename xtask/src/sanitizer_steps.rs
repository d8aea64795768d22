//! Running the sanitizer steps (reading them is `checkers/sanitizers.rs`):
//! the ASan stress on nightly, the seed's use-after-free within a time
//! budget, ThreadSanitizer where a toolchain for it exists, and Miri's
//! reason for not running.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::Run;
use crate::checkers::sanitizers::{self, UAF_TEST};
use crate::steps::{self, StepRecord, describe, first_line};
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

/// ThreadSanitizer needs `-Zbuild-std`, hence a compiler with its library
/// source; the TSan column is skipped with the reason where there is none.
/// Miri is never run (see [`NO_MIRI`]).
pub fn tsan_and_miri(run: &mut Run) {
    run.steps.skipped("Miri", NO_MIRI);
    run.notes.push(format!("Miri: not run: {NO_MIRI}."));
    let mut c = Command::new("rustc");
    c.args(["+nightly", "--print", "sysroot"])
        .env_remove("RUSTUP_TOOLCHAIN");
    let has_src = first_line(c).is_some_and(|sysroot| {
        Path::new(&sysroot)
            .join("lib/rustlib/src/rust/library/std")
            .is_dir()
    });
    if !has_src {
        let why = "TSan needs -Zbuild-std, and no toolchain here has the library source (the nightly has no rust-src; xtask installs none)";
        run.steps.skipped("TSan stress", why);
        run.found.skip_all(Checker::Tsan, why);
        return;
    }
    let mut c = run.cmds.sanitizer("-Zsanitizer=thread", "target/tsan");
    c.env("ASAN_STRESS_OPS", "200000")
        .env("TSAN_OPTIONS", "halt_on_error=1")
        .args(["-Zbuild-std", "--"])
        .args(["--ignored", "--nocapture", "--test-threads", "1", "safe_"]);
    let o = run.step("TSan stress: safe variants (200,000 ops)", c, 2400);
    run.found
        .merge(sanitizers::safe_variants(&o, Checker::Tsan));
}
