//! Tier shares: `--shard TIER` runs the units of work of one tier (the
//! split a CI workflow shows as one job per tier), as `--shard K/N` runs a
//! hash share. Every unit belongs to exactly one tier, so the five tier
//! shares merged (`--merge`) are the whole run.

/// The tiers, in share order (share K of `TIERS.len()` is `TIERS[K-1]`).
pub const TIERS: &[&str] = &["test", "loom", "shuttle", "spin", "sanitizers"];

/// The tier of a unit of work, by the name `verify` gives it: the loom and
/// shuttle targets (negative models included), SPIN, the sanitizers; all
/// else (`cargo test`, linearizability, any unit added later) is `test`,
/// so no unit falls outside every share.
pub fn tier_of(unit: &str) -> &'static str {
    if unit.starts_with("loom_") {
        "loom"
    } else if unit.starts_with("shuttle_") {
        "shuttle"
    } else if unit.contains("SPIN") {
        "spin"
    } else if unit.contains("San ") || unit.starts_with("Miri") {
        "sanitizers"
    } else {
        "test"
    }
}

/// The share (K, N) of a tier name, if it is one.
pub fn of_name(name: &str) -> Option<(usize, usize)> {
    TIERS
        .iter()
        .position(|t| *t == name)
        .map(|i| (i + 1, TIERS.len()))
}

/// Whether `unit` is in tier share K.
pub fn mine(unit: &str, k: usize) -> bool {
    TIERS.get(k.wrapping_sub(1)) == Some(&tier_of(unit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit_is_in_exactly_one_tier_share() {
        let units = [
            ("cargo test", "test"),
            ("linearizability", "test"),
            ("loom_stacks", "loom"),
            ("loom_mutants", "loom"),
            ("shuttle_tls", "shuttle"),
            ("proofs/run (SPIN)", "spin"),
            ("ASan stress", "sanitizers"),
            ("TSan stress", "sanitizers"),
            ("a unit added later", "test"),
        ];
        for (unit, tier) in units {
            assert_eq!(tier_of(unit), tier, "{unit}");
            let shares: Vec<usize> = (1..=TIERS.len()).filter(|&k| mine(unit, k)).collect();
            assert_eq!(shares.len(), 1, "{unit}: {shares:?}");
            assert_eq!(of_name(tier), Some((shares[0], TIERS.len())));
        }
        assert_eq!(of_name("1/4"), None);
        assert!(!mine("cargo test", 0));
    }
}
