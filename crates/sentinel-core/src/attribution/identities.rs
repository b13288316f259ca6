//! Declared identities: the marks AI tools leave on the commits they write.
//!
//! One table, [`AI_IDENTITIES`], names each identity and its tool. They are looked for in
//! three places:
//! - the author and the committer: e-mail, GitHub login and name;
//! - every authorship trailer of the message — a whole line `Key: value` whose key (any case)
//!   is one of [`DECLARATION_KEYS`];
//! - tool footers, whole lines a tool writes itself ("🤖 Generated with [Claude Code](…)").
//!
//! Matching is exact, never a substring: an e-mail equals the identity (any case); a GitHub
//! account matches its login, its `[digits+]login@users.noreply.github.com` address, or — for
//! `[bot]` accounts only, whose names nobody else carries — the git name. A product name
//! counts only in the value of a declaration trailer other than `Co-authored-by` (there a
//! name alone could be a person: only the e-mail counts). So a human named Claude, a
//! `Co-authored-by:` quoted mid-sentence and `noreply@anthropic.com.example` are not matches.
//!
//! Dependency bots (dependabot, renovate) are recognised the same way, from their own table,
//! and reported apart: they are bots, never AI.

use super::signal_names;
use crate::code::{AiTool, Commit, Person, Signal};

/// The weight of a declared identity: a tool saying it wrote the commit.
pub const DECLARED_WEIGHT: f64 = 0.95;

/// Trailer keys that declare who (or what) took part in writing a commit, lower case.
pub(super) const DECLARATION_KEYS: &[&str] = &[
    "co-authored-by",
    "co-developed-by",
    "generated-by",
    "assisted-by",
    "made-with",
];

/// Keys whose value names a co-author: only an e-mail identifies a tool there.
const PERSON_KEYS: &[&str] = &["co-authored-by", "co-developed-by"];

/// How a tool is recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Identity {
    /// An e-mail address, whole, in any case.
    Email(&'static str),
    /// A GitHub account, by its login.
    Account(&'static str),
    /// The end of an author's or committer's name.
    NameSuffix(&'static str),
    /// A product name leading a declaration trailer's value (`Made-with: Cursor`,
    /// `Assisted-by: Claude:claude-opus-4`).
    ProductName(&'static str),
}

/// An identity and the tool it belongs to.
#[derive(Debug, Clone, Copy)]
pub(super) struct IdentityRule {
    pub tool: AiTool,
    pub identity: Identity,
}

const fn rule(tool: AiTool, identity: Identity) -> IdentityRule {
    IdentityRule { tool, identity }
}

use Identity::{Account, Email, NameSuffix, ProductName};

/// Every identity Sentinel recognises as an AI tool's (reference: ai-attribution notes).
pub(super) const AI_IDENTITIES: &[IdentityRule] = &[
    rule(AiTool::Claude, Email("noreply@anthropic.com")),
    rule(AiTool::Claude, Account("claude[bot]")),
    rule(AiTool::Claude, ProductName("Claude Code")),
    rule(AiTool::Claude, ProductName("Claude")),
    rule(AiTool::Copilot, Account("copilot-swe-agent[bot]")),
    rule(AiTool::Copilot, Account("Copilot")),
    rule(AiTool::Copilot, Email("copilot@github.com")),
    rule(AiTool::Copilot, ProductName("GitHub Copilot")),
    rule(AiTool::Copilot, ProductName("Copilot")),
    rule(AiTool::Cursor, Email("cursoragent@cursor.com")),
    rule(AiTool::Cursor, Account("cursor[bot]")),
    rule(AiTool::Cursor, ProductName("Cursor")),
    rule(AiTool::Aider, NameSuffix(" (aider)")),
    rule(AiTool::Aider, Email("noreply@aider.chat")),
    rule(AiTool::Aider, Email("aider@aider.chat")),
    rule(AiTool::Aider, ProductName("Aider")),
    rule(AiTool::Codex, Email("noreply@openai.com")),
    rule(AiTool::Codex, Account("chatgpt-codex-connector[bot]")),
    rule(AiTool::Codex, ProductName("OpenAI Codex")),
    rule(AiTool::Codex, ProductName("Codex")),
    rule(AiTool::Devin, Account("devin-ai-integration[bot]")),
    rule(AiTool::Devin, ProductName("Devin")),
    rule(AiTool::Jules, Account("google-labs-jules[bot]")),
    rule(AiTool::Jules, ProductName("Google Jules")),
    rule(AiTool::Jules, ProductName("Jules")),
    rule(AiTool::Gemini, Email("gemini-cli@google.com")),
    rule(AiTool::Gemini, Account("gemini-code-assist[bot]")),
    rule(AiTool::Gemini, ProductName("Gemini")),
    rule(AiTool::OpenHands, Email("openhands@all-hands.dev")),
    rule(AiTool::OpenHands, ProductName("OpenHands")),
    rule(AiTool::OpenCode, Email("noreply@opencode.ai")),
    rule(AiTool::OpenCode, Account("opencode-agent[bot]")),
    rule(AiTool::OpenCode, ProductName("OpenCode")),
    rule(AiTool::Continue, Email("noreply@continue.dev")),
    rule(AiTool::Continue, ProductName("Continue")),
    rule(AiTool::RooCode, Email("roomote@roocode.com")),
    rule(AiTool::RooCode, ProductName("Roo Code")),
    rule(AiTool::Factory, Account("factory-droid[bot]")),
    rule(AiTool::Factory, ProductName("Factory Droid")),
    rule(AiTool::Factory, ProductName("Factory")),
    rule(AiTool::AmazonQ, Email("amazon-q@amazon.com")),
    rule(AiTool::AmazonQ, ProductName("Amazon Q")),
    rule(AiTool::Windsurf, Email("cascade@windsurf.ai")),
    rule(AiTool::Windsurf, ProductName("Windsurf")),
];

/// Bots that update dependencies: recognised so they are never taken for AI.
pub(super) const DEPENDENCY_BOTS: &[Identity] = &[
    Account("dependabot[bot]"),
    Account("dependabot-preview[bot]"),
    Account("renovate[bot]"),
    Account("renovate-bot"),
    Email("bot@renovateapp.com"),
];

/// Footer lines tools write themselves: the line, stripped of a leading emoji, starts with
/// the label and goes on with nothing or one `(link)`.
const FOOTERS: &[(AiTool, &str)] = &[
    (AiTool::Claude, "Generated with [Claude Code]"),
    (AiTool::Cursor, "Made with [Cursor]"),
];

/// What the declared identities of a commit say.
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct Declared {
    /// One signal per place a tool identity was found, in order: author, committer, then the
    /// message's lines.
    pub signals: Vec<Signal>,
    /// A zero-weight note when the author or committer is a dependency bot.
    pub dependency_bot: Option<Signal>,
}

/// Looks for declared identities in a commit's people and message.
pub(super) fn declared_signals(commit: &Commit) -> Declared {
    let people = [
        (
            signal_names::AUTHOR_IDENTITY,
            "author",
            &commit.author.person,
        ),
        (
            signal_names::COMMITTER_IDENTITY,
            "committer",
            &commit.committer.person,
        ),
    ];
    let dependency_bot = people.iter().find_map(|(_, role, person)| {
        DEPENDENCY_BOTS
            .iter()
            .any(|identity| person_matches(person, *identity))
            .then(|| Signal {
                name: signal_names::DEPENDENCY_BOT.to_owned(),
                weight: 0.0,
                evidence: format!(
                    "{role} {}: a dependency bot, not an AI tool",
                    describe(person)
                ),
                tool: None,
            })
    });

    let mut signals = Vec::new();
    for (name, role, person) in people {
        if let Some(tool) = tool_of_person(person) {
            signals.push(declared(name, format!("{role} {}", describe(person)), tool));
        }
    }
    for line in commit.message.lines() {
        if let Some(signal) = trailer_signal(line).or_else(|| footer_signal(line)) {
            signals.push(signal);
        }
    }
    Declared {
        signals,
        dependency_bot,
    }
}

fn declared(name: &str, evidence: String, tool: AiTool) -> Signal {
    Signal {
        name: name.to_owned(),
        weight: DECLARED_WEIGHT,
        evidence: clip(&evidence),
        tool: Some(tool),
    }
}

fn describe(person: &Person) -> String {
    match &person.login {
        Some(login) => format!("{} <{}> (@{login})", person.name, person.email),
        None => format!("{} <{}>", person.name, person.email),
    }
}

/// The tool whose identity a person (author, committer) carries.
pub(super) fn tool_of_person(person: &Person) -> Option<AiTool> {
    AI_IDENTITIES
        .iter()
        .find(|rule| person_matches(person, rule.identity))
        .map(|rule| rule.tool)
}

fn person_matches(person: &Person, identity: Identity) -> bool {
    match identity {
        Email(_) | Account(_) if email_matches(&person.email, identity) => true,
        Account(login) => {
            person
                .login
                .as_deref()
                .is_some_and(|l| l.eq_ignore_ascii_case(login))
                || (is_bot_login(login) && person.name.trim().eq_ignore_ascii_case(login))
        }
        NameSuffix(suffix) => person.name.trim_end().ends_with(suffix),
        Email(_) | ProductName(_) => false,
    }
}

fn is_bot_login(login: &str) -> bool {
    login.ends_with("[bot]")
}

/// An e-mail equal to the identity's; for an account, its GitHub noreply address with or
/// without the `<digits>+` prefix.
fn email_matches(email: &str, identity: Identity) -> bool {
    let email = email.trim();
    match identity {
        Email(expected) => email.eq_ignore_ascii_case(expected),
        Account(login) => {
            let Some(local) = strip_suffix_ignore_case(email, "@users.noreply.github.com") else {
                return false;
            };
            let local = match local.split_once('+') {
                Some((digits, rest))
                    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    rest
                }
                _ => local,
            };
            local.eq_ignore_ascii_case(login)
        }
        NameSuffix(_) | ProductName(_) => false,
    }
}

fn strip_suffix_ignore_case<'a>(text: &'a str, suffix: &str) -> Option<&'a str> {
    let split = text.len().checked_sub(suffix.len())?;
    let (head, tail) = (text.get(..split)?, text.get(split..)?);
    tail.eq_ignore_ascii_case(suffix).then_some(head)
}

/// A whole line `Key: value` with a declaration key whose value carries a tool's identity.
fn trailer_signal(line: &str) -> Option<Signal> {
    let line = line.trim();
    let (key, value) = line.split_once(':')?;
    let is_token = !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !is_token {
        return None;
    }
    let key = key.to_ascii_lowercase();
    if !DECLARATION_KEYS.contains(&key.as_str()) {
        return None;
    }
    let value = value.trim();
    let tool = match email_of(value) {
        Some((name, email)) => tool_of_trailer_person(name, email),
        None => None,
    }
    .or_else(|| {
        if PERSON_KEYS.contains(&key.as_str()) {
            None
        } else {
            tool_of_product(value)
        }
    })?;
    let name = format!("{}{}", signal_names::TRAILER_PREFIX, key.replace('-', "_"));
    Some(declared(&name, line.to_owned(), tool))
}

/// `Name <e-mail>`: the name and the e-mail, when the value ends with a bracketed address.
fn email_of(value: &str) -> Option<(&str, &str)> {
    let inner = value.strip_suffix('>')?;
    let open = inner.rfind('<')?;
    let email = inner.get(open + 1..)?.trim();
    let name = inner.get(..open)?.trim();
    email.contains('@').then_some((name, email))
}

fn tool_of_trailer_person(name: &str, email: &str) -> Option<AiTool> {
    let person = Person {
        name: name.to_owned(),
        email: email.to_owned(),
        login: None,
    };
    // A co-author's name alone proves nothing; the suffix rule is for author and committer.
    AI_IDENTITIES
        .iter()
        .filter(|rule| matches!(rule.identity, Email(_) | Account(_)))
        .find(|rule| email_matches(&person.email, rule.identity))
        .map(|rule| rule.tool)
}

/// A product name leading the value, followed by its end or a separator (`Claude:model`,
/// `Cursor (agent)`), in any case. "Amazon Quicksight" is not "Amazon Q".
fn tool_of_product(value: &str) -> Option<AiTool> {
    AI_IDENTITIES.iter().find_map(|rule| {
        let ProductName(product) = rule.identity else {
            return None;
        };
        let head = value.get(..product.len())?;
        let rest = value.get(product.len()..)?;
        let ends_word = rest
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric() && c != '-' && c != '_');
        (head.eq_ignore_ascii_case(product) && ends_word).then_some(rule.tool)
    })
}

fn footer_signal(line: &str) -> Option<Signal> {
    let trimmed = line.trim();
    let text = trimmed
        .trim_start_matches(|c: char| !c.is_ascii() && !c.is_alphanumeric())
        .trim_start();
    FOOTERS.iter().find_map(|(tool, label)| {
        let rest = text.strip_prefix(label)?.trim_end();
        let link_only = rest.is_empty()
            || (rest.starts_with('(')
                && rest.ends_with(')')
                && !rest.contains(char::is_whitespace));
        link_only.then(|| declared(signal_names::MESSAGE_FOOTER, trimmed.to_owned(), *tool))
    })
}

/// Evidence is for reading: a very long line is cut.
fn clip(text: &str) -> String {
    const MAX_CHARS: usize = 200;
    if text.chars().count() <= MAX_CHARS {
        text.to_owned()
    } else {
        let mut clipped: String = text.chars().take(MAX_CHARS).collect();
        clipped.push('…');
        clipped
    }
}

#[cfg(test)]
mod tests;
