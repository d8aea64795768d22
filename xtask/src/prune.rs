//! Cutting the other algorithms out of a shared Rust file, for `cargo xtask
//! vendor`: the crate's glue (`src/lib.rs`, `src/stack/mod.rs`, …) and the
//! model files that cover several algorithms at once.
//!
//! The file is read as a sequence of top-level items, each with the doc
//! comments, comments and attributes right above it. An item whose code
//! names a foreign identifier (as a whole word, strings included: a model's
//! `must_pass("epoch", …)` names its algorithm) is dropped with its
//! comments; a `use` list loses the foreign names and is dropped when none
//! is left. Everything else (inner docs and attributes, blank lines, free
//! comments) is kept byte for byte.

/// `text` without the items that name any of `foreign`, and without the
/// names a private `use` list imports for them alone.
pub fn prune(text: &str, foreign: &[&str]) -> String {
    let first = prune_items(text, foreign);
    let mut unused: Vec<String> = Vec::new();
    for line in first.lines() {
        let t = line.trim_start();
        if let Some(list) = t
            .strip_prefix("use ")
            .and_then(|u| u.split_once('{'))
            .and_then(|(_, r)| r.split_once('}'))
            .map(|(l, _)| l)
        {
            for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                let local = name.rsplit([' ', ':']).next().unwrap_or(name);
                let uses = first
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .filter(|w| *w == local)
                    .count();
                if uses == 1 {
                    unused.push(local.to_string());
                }
            }
        }
    }
    if unused.is_empty() {
        return first;
    }
    let unused: Vec<&str> = unused.iter().map(String::as_str).collect();
    let mut out = String::new();
    for chunk in first.split_inclusive('\n') {
        let t = chunk.trim_start();
        if t.starts_with("use ") && t.contains('{') {
            match pruned_use(chunk, &unused) {
                Some(Some(u)) => out.push_str(&u),
                Some(None) => {}
                None => out.push_str(chunk),
            }
        } else {
            out.push_str(chunk);
        }
    }
    out
}

/// Pass one: the items naming a foreign identifier dropped.
fn prune_items(text: &str, foreign: &[&str]) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = String::new();
    let mut pending: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let t = line.trim();
        if pending.is_empty() && (t.is_empty() || t.starts_with("//!") || t.starts_with("#![")) {
            let end = balanced_end(&lines, i);
            out.extend(lines[i..end].iter().copied());
            i = end;
            continue;
        }
        if t.is_empty() {
            // A comment followed by a blank line belongs to no item.
            out.extend(pending.drain(..));
            out.push_str(line);
            i += 1;
            continue;
        }
        if t.starts_with("//") {
            pending.push(line);
            i += 1;
            continue;
        }
        if t.starts_with("#[") {
            let end = balanced_end(&lines, i);
            pending.extend(lines[i..end].iter().copied());
            i = end;
            continue;
        }
        let end = item_end(&lines, i);
        let item: String = lines[i..end].concat();
        let head: String = pending.concat();
        pending.clear();
        i = end;
        if let Some(kept) = pruned_use(&item, foreign) {
            if let Some(u) = kept {
                out.push_str(&head);
                out.push_str(&u);
            }
        } else if !names_any(&code_of(&head, &item), foreign) {
            out.push_str(&head);
            out.push_str(&item);
        }
    }
    out.extend(pending);
    out
}

/// The first line after the one at `start` where (), [] and {} balance.
fn balanced_end(lines: &[&str], start: usize) -> usize {
    let mut depth = 0i64;
    for (j, line) in lines.iter().enumerate().skip(start) {
        depth += depth_change(line);
        if depth <= 0 {
            return j + 1;
        }
    }
    lines.len()
}

/// The line after the item starting at `start`: brackets balanced and the
/// line ending in `}` or `;`.
fn item_end(lines: &[&str], start: usize) -> usize {
    let mut depth = 0i64;
    for (j, line) in lines.iter().enumerate().skip(start) {
        depth += depth_change(line);
        let code = strip_comment(line);
        let code = code.trim_end();
        if depth <= 0 && (code.ends_with('}') || code.ends_with(';')) {
            return j + 1;
        }
    }
    lines.len()
}

/// Opening minus closing brackets on a line, outside strings, char
/// literals and `//` comments.
fn depth_change(line: &str) -> i64 {
    let mut d = 0;
    for c in code_chars(line) {
        match c {
            '(' | '[' | '{' => d += 1,
            ')' | ']' | '}' => d -= 1,
            _ => {}
        }
    }
    d
}

/// The characters of a line's code: strings and char literals blanked,
/// the `//` comment cut.
fn code_chars(line: &str) -> Vec<char> {
    let cs: Vec<char> = line.chars().collect();
    let mut out = Vec::with_capacity(cs.len());
    let mut k = 0;
    while k < cs.len() {
        match cs[k] {
            '/' if cs.get(k + 1) == Some(&'/') => break,
            '"' => {
                k += 1;
                while k < cs.len() && cs[k] != '"' {
                    if cs[k] == '\\' {
                        k += 1;
                    }
                    k += 1;
                }
                out.push('"');
            }
            // 'x' or '\n' (a lifetime such as 'a has no closing quote).
            '\'' if cs.get(k + 2) == Some(&'\'') => k += 2,
            '\'' if cs.get(k + 1) == Some(&'\\') && cs.get(k + 3) == Some(&'\'') => k += 3,
            c => out.push(c),
        }
        k += 1;
    }
    out
}

fn strip_comment(line: &str) -> String {
    code_chars(line).into_iter().collect()
}

/// The lines of an item and its head that are not comments.
fn code_of(head: &str, item: &str) -> String {
    head.lines()
        .chain(item.lines())
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether `code` has one of `words` as a whole identifier.
fn names_any(code: &str, words: &[&str]) -> bool {
    code.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .any(|w| words.contains(&w))
}

/// For a `use` item with one flat `{…}` list: `Some(None)` if every name in
/// it is foreign, `Some(Some(item))` with the foreign names removed;
/// `None` for any other item.
fn pruned_use(item: &str, foreign: &[&str]) -> Option<Option<String>> {
    let t = item.trim_start();
    let body = t
        .strip_prefix("pub use ")
        .or_else(|| t.strip_prefix("use "))?;
    let (path, rest) = body.split_once('{')?;
    let (list, tail) = rest.rsplit_once('}')?;
    if list.contains('{') || names_any(path, foreign) {
        return None;
    }
    let names: Vec<&str> = list
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect();
    let kept: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| !names_any(n, foreign))
        .collect();
    if kept.len() == names.len() {
        return Some(Some(item.to_string()));
    }
    if kept.is_empty() {
        return Some(None);
    }
    let indent = &item[..item.len() - t.len()];
    let vis = if t.starts_with("pub ") {
        "pub use "
    } else {
        "use "
    };
    let list = match kept[..] {
        [one] => one.to_string(),
        _ => format!("{{{}}}", kept.join(", ")),
    };
    Some(Some(format!(
        "{indent}{vis}{path}{list}{}\n",
        tail.trim_end()
    )))
}

#[cfg(test)]
mod tests {
    use super::prune;

    #[test]
    fn items_naming_a_foreign_algorithm_go_with_their_comments() {
        let src = "\
//! Docs naming epoch stay.
#![allow(dead_code)]

mod epoch;
mod tagged;

pub use epoch::EpochStack;
pub use tagged::{IndexStack, TaggedStack};
use crate::{EpochStack as E, PointerNodeStack};
use support::{must_pass, must_pass_at};
pub use stack::{
    CapacityError, EpochStack, FreeList, TaggedStack,
};

/// Two poppers (see the epoch notes).
#[test]
fn tagged_two() {
    must_pass(\"tagged\", \"a{\", || run::<Safe<TaggedStack>>());
}

/// Epoch: `'static` lifetimes and '}' chars do not confuse the parser.
#[test]
fn epoch_two() {
    must_pass_at(\"epoch\", '}', || {
        run::<&'static Safe<EpochStack>>()
    });
}

// ---- negative models ----

#[test]
fn tagged_bad() {}
";
        let got = prune(src, &["epoch", "EpochStack", "PointerNodeStack"]);
        let want = "\
//! Docs naming epoch stay.
#![allow(dead_code)]

mod tagged;

pub use tagged::{IndexStack, TaggedStack};
use support::must_pass;
pub use stack::{CapacityError, FreeList, TaggedStack};

/// Two poppers (see the epoch notes).
#[test]
fn tagged_two() {
    must_pass(\"tagged\", \"a{\", || run::<Safe<TaggedStack>>());
}


// ---- negative models ----

#[test]
fn tagged_bad() {}
";
        assert_eq!(got, want);
    }

    #[test]
    fn nothing_foreign_changes_nothing() {
        let src = "//! x\n\nfn a() {\n    b();\n}\n\nstruct S;\n";
        assert_eq!(prune(src, &["epoch"]), src);
    }
}
