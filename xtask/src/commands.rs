//! The commands the steps run. The model tiers' settings (cfg, target
//! directory, bounds) are not here: `models/tier` holds them, for xtask,
//! `.ci/run` and anyone copying a command from README alike.

use std::process::Command;

use crate::steps::{describe, first_line};

/// The script that runs a model tier.
pub const TIER_SCRIPT: &str = "models/tier";

/// The nightly target of the sanitizer runs.
pub const SANITIZER_TARGET: &str = "x86_64-unknown-linux-gnu";

/// A model tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// `--cfg loom`.
    Loom,
    /// `--cfg shuttle`.
    Shuttle,
}

impl Tier {
    /// The tier's name, as `models/tier` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Tier::Loom => "loom",
            Tier::Shuttle => "shuttle",
        }
    }

    /// The prefix of its targets' names.
    pub fn prefix(self) -> &'static str {
        match self {
            Tier::Loom => "loom_",
            Tier::Shuttle => "shuttle_",
        }
    }
}

/// Builds commands for one run (quick or deep).
#[derive(Debug, Clone, Copy)]
pub struct Commands {
    /// `--deep`: the tiers' deep bounds.
    pub deep: bool,
}

impl Commands {
    /// `cargo` (optionally `+toolchain`) with no inherited RUSTFLAGS and an
    /// explicit target directory.
    pub fn cargo(&self, toolchain: Option<&str>, target_dir: &str) -> Command {
        let mut c = Command::new("cargo");
        if let Some(tc) = toolchain {
            c.arg(format!("+{tc}"));
            c.env_remove("RUSTUP_TOOLCHAIN");
        }
        c.env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env("CARGO_TARGET_DIR", target_dir)
            .env("CARGO_TERM_COLOR", "never");
        c
    }

    /// `models/tier [--deep] TIER cargo-args…`. Bounds set in the
    /// environment pass through (the script's defaults apply otherwise).
    pub fn tier(&self, tier: Tier, cargo_args: &[&str]) -> Command {
        let mut c = Command::new(TIER_SCRIPT);
        if self.deep {
            c.arg("--deep");
        }
        c.arg(tier.name())
            .args(cargo_args)
            .env("CARGO_TERM_COLOR", "never");
        c
    }

    /// The copyable command that reruns one target of a tier (a test's
    /// `--exact NAME` goes after it).
    pub fn tier_replay(&self, tier: Tier, target: &str) -> String {
        let mut c = self.tier(tier, &["test", "--release", "--test", target]);
        c.env_remove("CARGO_TERM_COLOR").args(["--", "--nocapture"]);
        describe(&c)
    }

    /// What `models/tier --env` says a tier runs with (`KEY=value`).
    pub fn tier_settings(&self, tier: Tier) -> Vec<String> {
        let mut c = Command::new(TIER_SCRIPT);
        if self.deep {
            c.arg("--deep");
        }
        c.args(["--env", tier.name()]);
        match c.output() {
            Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(str::to_string)
                .collect(),
            _ => vec![format!("({TIER_SCRIPT} --env {} failed)", tier.name())],
        }
    }

    /// `cargo +nightly test --release --target … --test asan_stress` with
    /// `flags` in RUSTFLAGS, in `target_dir`.
    pub fn sanitizer(&self, flags: &str, target_dir: &str) -> Command {
        let mut c = self.cargo(Some("nightly"), target_dir);
        c.env("RUSTFLAGS", flags).args([
            "test",
            "--release",
            "--target",
            SANITIZER_TARGET,
            "--test",
            "asan_stress",
        ]);
        c
    }

    /// `cargo +nightly --version`, if there is a nightly.
    pub fn nightly(&self) -> Option<String> {
        let mut c = Command::new("cargo");
        c.args(["+nightly", "--version"])
            .env_remove("RUSTUP_TOOLCHAIN");
        first_line(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_commands_go_through_the_tier_script() {
        let quick = Commands { deep: false };
        assert_eq!(
            quick.tier_replay(Tier::Shuttle, "shuttle_ring"),
            "models/tier shuttle test --release --test shuttle_ring -- --nocapture"
        );
        let deep = Commands { deep: true };
        assert_eq!(
            deep.tier_replay(Tier::Loom, "loom_stacks"),
            "models/tier --deep loom test --release --test loom_stacks -- --nocapture"
        );
    }

    #[test]
    fn the_tier_script_holds_the_settings() {
        // Run from the repository root, as xtask does.
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        let out = Command::new(format!("{root}/{TIER_SCRIPT}"))
            .args(["--env", "shuttle"])
            .env_remove("SHUTTLE_ITERATIONS")
            .env_remove("SHUTTLE_RANDOM_SEEDS")
            .output()
            .expect("models/tier runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("RUSTFLAGS=--cfg shuttle\n"), "{text}");
        assert!(text.contains("CARGO_TARGET_DIR=target/shuttle\n"), "{text}");
        assert!(text.contains("SHUTTLE_ITERATIONS=10000\n"), "{text}");
        assert!(text.contains("SHUTTLE_RANDOM_SEEDS=0\n"), "{text}");
        // Deep adds runs from fresh random seeds to the fixed-seed one.
        let out = Command::new(format!("{root}/{TIER_SCRIPT}"))
            .args(["--deep", "--env", "shuttle"])
            .env_remove("SHUTTLE_RANDOM_SEEDS")
            .output()
            .expect("models/tier runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("SHUTTLE_RANDOM_SEEDS=4\n"), "{text}");
        let out = Command::new(format!("{root}/{TIER_SCRIPT}"))
            .args(["--deep", "--env", "loom"])
            .env_remove("LOOM_MAX_PREEMPTIONS")
            .output()
            .expect("models/tier runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("RUSTFLAGS=--cfg loom --cfg crossbeam_loom\n"),
            "{text}"
        );
        assert!(text.contains("LOOM_MAX_PREEMPTIONS=3\n"), "{text}");
    }
}
