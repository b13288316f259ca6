//! Code style: habits of generated code, read from one file's own added lines.
//!
//! Only source files are read (by extension; docs and configuration are not), and only when
//! at least [`MIN_LINES`] non-blank lines were added. Each feature below is a plain count a
//! person can check against the diff:
//!
//! | feature | fires when | weight |
//! |---|---|---|
//! | numbered step comments | ≥ 3 comments like `// Step 2: …` or `# 3. …` directly above code | 0.15 |
//! | restating comments | ≥ 4 short comments in a body whose words are the next statement's identifiers (`// Create the user` over `let user = create_user()`), at least half of such comments | 0.15 |
//! | uniform docstrings | ≥ 3 functions, every one documented with an `Args:`/`Returns:`/`@param`/`# Arguments` section | 0.15 |
//! | emoji | ≥ 2 lines with an emoji | 0.1 |
//! | comment density | ≥ 40 % of the added lines are comments | 0.1 |
//! | narration | ≥ 3 comment lines longer than 150 characters | 0.1 |
//!
//! "Comments" are comments among the code (`//`, `/* */`, `#`, `--`); documentation
//! (`///`, `//!`, `/** */`, docstrings) only counts for uniform docstrings, since documenting
//! every item is many projects' rule.
//!
//! One habit alone is a person's style, so the signal fires only when at least two features
//! do; its weight is their sum, at most [`STYLE_MAX_WEIGHT`]. It names no tool.

use super::signal_names;
use crate::code::{FileChange, Signal};
use regex::Regex;
use std::sync::OnceLock;

/// The most the style of one file can weigh.
pub const STYLE_MAX_WEIGHT: f64 = 0.4;
/// Fewer non-blank added lines than this say nothing about style.
pub(super) const MIN_LINES: usize = 12;
/// Features that must fire together.
const MIN_FEATURES: usize = 2;

/// How a language writes comments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CommentSyntax {
    /// `//` and `/* … */`.
    Slash,
    /// `#`, and Python's `"""` docstrings.
    Hash,
    /// `--`.
    Dash,
}

fn syntax_of(path: &str) -> Option<CommentSyntax> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let extension = name.rsplit_once('.')?.1.to_ascii_lowercase();
    let syntax = match extension.as_str() {
        "rs" | "c" | "h" | "cc" | "cpp" | "cxx" | "hpp" | "cs" | "java" | "kt" | "kts"
        | "scala" | "go" | "js" | "jsx" | "mjs" | "cjs" | "ts" | "tsx" | "swift" | "dart"
        | "php" | "m" | "zig" => CommentSyntax::Slash,
        "py" | "rb" | "sh" | "bash" | "zsh" | "pl" | "r" | "ex" | "exs" | "jl" => {
            CommentSyntax::Hash
        }
        "sql" | "lua" | "hs" => CommentSyntax::Dash,
        _ => return None,
    };
    Some(syntax)
}

/// One non-blank added line.
#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    /// The line without surrounding whitespace.
    text: &'a str,
    /// The comment's words when the whole line is a comment or documentation line.
    comment: Option<&'a str>,
    /// Documentation (`///`, `/** … */`, a docstring) rather than a comment among the code.
    doc: bool,
    /// Indented: inside a body, not at the top level of the file.
    indented: bool,
}

impl Line<'_> {
    fn is_code(&self) -> bool {
        self.comment.is_none()
    }

    /// A comment among the code, not documentation.
    fn plain_comment(&self) -> Option<&str> {
        self.comment.filter(|_| !self.doc)
    }
}

/// An open `/* … */` block or docstring, and whether it is documentation.
type OpenBlock = Option<bool>;

fn classify(added: &[String], syntax: CommentSyntax) -> Vec<Line<'_>> {
    let mut open: OpenBlock = None;
    let mut lines = Vec::new();
    for raw in added {
        let text = raw.trim();
        if text.is_empty() {
            continue;
        }
        let found = match syntax {
            CommentSyntax::Slash => slash_comment(text, &mut open),
            CommentSyntax::Hash => hash_comment(text, &mut open),
            CommentSyntax::Dash => text.strip_prefix("--").map(|c| (c.trim(), false)),
        };
        lines.push(Line {
            text,
            indented: raw.starts_with([' ', '\t']),
            comment: found.map(|(comment, _)| comment),
            doc: found.is_some_and(|(_, doc)| doc),
        });
    }
    lines
}

fn slash_comment<'a>(text: &'a str, open: &mut OpenBlock) -> Option<(&'a str, bool)> {
    if let Some(doc) = *open {
        if text.contains("*/") {
            *open = None;
        }
        return Some((strip_block_decoration(text), doc));
    }
    if let Some(rest) = text.strip_prefix("//") {
        let doc = rest.starts_with(['/', '!']);
        return Some((rest.trim_start_matches(['/', '!']).trim(), doc));
    }
    if text.starts_with("/*") {
        let doc = text.starts_with("/**") || text.starts_with("/*!");
        if !text.contains("*/") {
            *open = Some(doc);
        }
        return Some((strip_block_decoration(text), doc));
    }
    None
}

fn strip_block_decoration(text: &str) -> &str {
    let text = text.strip_suffix("*/").unwrap_or(text);
    text.trim_start_matches('/')
        .trim_start_matches(['*', '!'])
        .trim()
}

fn hash_comment<'a>(text: &'a str, open: &mut OpenBlock) -> Option<(&'a str, bool)> {
    let quote = ["\"\"\"", "'''"].into_iter().find(|q| text.contains(q));
    if open.is_some() {
        if quote.is_some() {
            *open = None;
        }
        return Some((text.trim_matches(['"', '\'']).trim(), true));
    }
    if let Some(quote) = quote.filter(|q| text.starts_with(q)) {
        // Opening and closing on one line is a one-line docstring.
        if text.matches(quote).count() == 1 {
            *open = Some(true);
        }
        return Some((text.trim_matches(['"', '\'']).trim(), true));
    }
    match text.strip_prefix('#') {
        Some(rest) if !rest.starts_with('!') => Some((rest.trim(), false)),
        _ => None,
    }
}

/// A feature: its name, weight, and a check returning what it saw when it fires.
struct Feature {
    name: &'static str,
    weight: f64,
    check: fn(&[Line<'_>]) -> Option<String>,
}

const FEATURES: &[Feature] = &[
    Feature {
        name: "numbered step comments",
        weight: 0.15,
        check: numbered_steps,
    },
    Feature {
        name: "restating comments",
        weight: 0.15,
        check: restating_comments,
    },
    Feature {
        name: "uniform docstrings",
        weight: 0.15,
        check: uniform_docstrings,
    },
    Feature {
        name: "emoji",
        weight: 0.1,
        check: emoji_lines,
    },
    Feature {
        name: "comment density",
        weight: 0.1,
        check: comment_density,
    },
    Feature {
        name: "narration",
        weight: 0.1,
        check: narration_lines,
    },
];

/// The style signal of one file, when at least two features fire.
pub(super) fn style_signal(file: &FileChange) -> Option<Signal> {
    let syntax = syntax_of(&file.path)?;
    let lines = classify(&file.added_lines, syntax);
    if lines.len() < MIN_LINES {
        return None;
    }
    let fired: Vec<(&Feature, String)> = FEATURES
        .iter()
        .filter_map(|feature| (feature.check)(&lines).map(|seen| (feature, seen)))
        .collect();
    if fired.len() < MIN_FEATURES {
        return None;
    }
    let weight = fired
        .iter()
        .map(|(feature, _)| feature.weight)
        .sum::<f64>()
        .min(STYLE_MAX_WEIGHT);
    let seen: Vec<String> = fired
        .iter()
        .map(|(feature, seen)| format!("{} ({seen})", feature.name))
        .collect();
    Some(Signal {
        name: signal_names::CODE_STYLE.to_owned(),
        weight,
        evidence: format!("in {} added lines: {}", lines.len(), seen.join("; ")),
        tool: None,
    })
}

/// Plain comments directly followed by a code line, with that line.
fn comments_over_code<'a>(lines: &'a [Line<'a>]) -> impl Iterator<Item = (&'a str, &'a str)> {
    lines.windows(2).filter_map(|pair| match pair {
        [comment, code] if code.is_code() => comment.plain_comment().map(|c| (c, code.text)),
        _ => None,
    })
}

fn numbered_steps(lines: &[Line<'_>]) -> Option<String> {
    static STEP: OnceLock<Option<Regex>> = OnceLock::new();
    let step = STEP
        .get_or_init(|| Regex::new(r"(?i)^(?:step\s*\d+\b|\d{1,2}[.)]\s+\S)").ok())
        .as_ref()?;
    let count = comments_over_code(lines)
        .filter(|(comment, _)| step.is_match(comment))
        .count();
    (count >= 3).then(|| format!("{count}"))
}

const STOPWORDS: &[&str] = &[
    "the", "and", "for", "this", "that", "with", "from", "into", "then", "our", "its", "all",
    "each", "now", "here", "are", "was", "will", "any", "new",
];

/// Lower-case words of three letters or more, a plural `s` dropped, identifiers split at
/// `_` and camel-case humps.
fn words(text: &str) -> Vec<String> {
    fn flush(current: &mut String, words: &mut Vec<String>) {
        if current.len() >= 3 && !STOPWORDS.contains(&current.as_str()) {
            let word = match current.strip_suffix('s') {
                Some(stem) if stem.len() >= 3 && !stem.ends_with('s') => stem.to_owned(),
                _ => current.clone(),
            };
            words.push(word);
        }
        current.clear();
    }
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in text.chars() {
        if c.is_ascii_alphabetic() {
            if c.is_ascii_uppercase() && previous_lower {
                flush(&mut current, &mut words);
            }
            current.push(c.to_ascii_lowercase());
            previous_lower = c.is_ascii_lowercase();
        } else {
            flush(&mut current, &mut words);
            previous_lower = false;
        }
    }
    flush(&mut current, &mut words);
    words
}

fn restates(comment: &str, code: &str) -> bool {
    let said = words(comment);
    if said.is_empty() || said.len() > 8 {
        return false;
    }
    let identifiers = words(code);
    let repeated = said.iter().filter(|w| identifiers.contains(w)).count();
    repeated * 2 >= said.len()
}

/// Only comments inside bodies over statements: a top-level comment over a declaration is
/// an API's documentation, which names what it documents.
fn restating_comments(lines: &[Line<'_>]) -> Option<String> {
    let (mut over_code, mut restating) = (0usize, 0usize);
    for pair in lines.windows(2) {
        let [comment, code] = pair else { continue };
        let Some(said) = comment.plain_comment() else {
            continue;
        };
        if !code.is_code() || !comment.indented || is_function_definition(code.text) {
            continue;
        }
        over_code += 1;
        if restates(said, code.text) {
            restating += 1;
        }
    }
    (restating >= 4 && restating * 2 >= over_code).then(|| format!("{restating} of {over_code}"))
}

/// Section headings of a generated docstring.
const DOC_SECTIONS: &[&str] = &[
    "Args:",
    "Arguments:",
    "Parameters:",
    "Returns:",
    "Raises:",
    "@param",
    "@return",
    "# Arguments",
    "# Returns",
    ":param",
    ":return",
];

fn is_function_definition(text: &str) -> bool {
    static DEFINITION: OnceLock<Option<Regex>> = OnceLock::new();
    DEFINITION
        .get_or_init(|| {
            Regex::new(concat!(
                r"^(?:(?:pub(?:\([^)]*\))?|export|default|public|private|protected|static|",
                r"async|unsafe|const|override|final)\s+)*",
                r"(?:fn|def|function|func)\s+[\w$]+",
            ))
            .ok()
        })
        .as_ref()
        .is_some_and(|re| re.is_match(text))
}

/// The documentation of the function defined at `index`: the comment block just above it
/// (attributes and decorators skipped), and a docstring just below it.
fn documentation<'a>(lines: &'a [Line<'a>], index: usize) -> Vec<&'a str> {
    let mut doc = Vec::new();
    for line in lines[..index].iter().rev() {
        match line.comment {
            Some(comment) => doc.push(comment),
            None if line.text.starts_with("#[") || line.text.starts_with('@') => {}
            None => break,
        }
    }
    doc.extend(lines[index + 1..].iter().map_while(|line| line.comment));
    doc
}

fn uniform_docstrings(lines: &[Line<'_>]) -> Option<String> {
    let definitions: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].is_code() && is_function_definition(lines[i].text))
        .collect();
    if definitions.len() < 3 {
        return None;
    }
    let all_sectioned = definitions.iter().all(|&i| {
        documentation(lines, i)
            .iter()
            .any(|doc| DOC_SECTIONS.iter().any(|section| doc.starts_with(section)))
    });
    all_sectioned.then(|| format!("{} functions", definitions.len()))
}

fn is_emoji(c: char) -> bool {
    matches!(u32::from(c), 0x1F300..=0x1FAFF | 0x2600..=0x27BF | 0x2B50 | 0x2B55)
}

fn emoji_lines(lines: &[Line<'_>]) -> Option<String> {
    let count = lines
        .iter()
        .filter(|line| line.text.chars().any(is_emoji))
        .count();
    (count >= 2).then(|| format!("{count} lines"))
}

fn comment_density(lines: &[Line<'_>]) -> Option<String> {
    let comments = lines
        .iter()
        .filter(|line| line.plain_comment().is_some())
        .count();
    let percent = comments * 100 / lines.len().max(1);
    (percent >= 40).then(|| format!("{percent} %"))
}

/// A comment line longer than this narrates.
const NARRATION_CHARS: usize = 150;

fn narration_lines(lines: &[Line<'_>]) -> Option<String> {
    let count = lines
        .iter()
        .filter(|line| {
            line.plain_comment().is_some() && line.text.chars().count() > NARRATION_CHARS
        })
        .count();
    (count >= 3).then(|| format!("{count} lines"))
}

#[cfg(test)]
mod tests;
