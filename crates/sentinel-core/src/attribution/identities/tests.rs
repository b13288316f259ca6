//! Every identity of the reference notes is recognised with its tool; near misses are not.
use super::*;
use crate::code::{Commit, GitStamp};

fn person(name: &str, email: &str) -> Person {
    Person {
        name: name.into(),
        email: email.into(),
        login: None,
    }
}

fn human() -> Person {
    person("Ada Lovelace", "ada@example.com")
}

fn commit(author: Person, committer: Person, message: &str) -> Commit {
    let stamp = |person| GitStamp {
        person,
        at_ms: 1_704_103_200_000,
        utc_offset_minutes: 0,
    };
    Commit {
        sha: "a".repeat(40),
        parents: vec!["b".repeat(40)],
        author: stamp(author),
        committer: stamp(committer),
        message: message.into(),
        files: Vec::new(),
    }
}

fn by_message(message: &str) -> Declared {
    declared_signals(&commit(human(), human(), message))
}

fn tools(declared: &Declared) -> Vec<AiTool> {
    declared.signals.iter().filter_map(|s| s.tool).collect()
}

/// The message, with a subject and body before the trailer, names exactly this tool once.
#[track_caller]
fn assert_trailer(trailer: &str, tool: AiTool) {
    let declared = by_message(&format!("Fix the retry loop\n\nBody text.\n\n{trailer}\n"));
    assert_eq!(tools(&declared), vec![tool], "{trailer}");
    let signal = &declared.signals[0];
    assert_eq!(signal.weight, DECLARED_WEIGHT);
    assert_eq!(signal.evidence, trailer.trim());
    assert!(signal.name.starts_with(signal_names::TRAILER_PREFIX));
}

#[track_caller]
fn assert_author(author: Person, tool: AiTool) {
    let declared = declared_signals(&commit(author.clone(), human(), "Update things"));
    assert_eq!(tools(&declared), vec![tool], "{author:?}");
    assert_eq!(declared.signals[0].name, signal_names::AUTHOR_IDENTITY);
    assert!(declared.dependency_bot.is_none());
}

#[track_caller]
fn assert_nothing(message: &str) {
    let declared = by_message(message);
    assert!(declared.signals.is_empty(), "{message}: {declared:?}");
}

#[test]
fn claude_code_footer_and_co_author() {
    let message = "Add retry budget\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n";
    let declared = by_message(message);
    assert_eq!(tools(&declared), vec![AiTool::Claude, AiTool::Claude]);
    assert_eq!(declared.signals[0].name, signal_names::MESSAGE_FOOTER);
    assert_eq!(declared.signals[1].name, "trailer_co_authored_by");
    // Older builds linked claude.ai; a footer without the link is still the footer.
    let older = by_message("x\n\n🤖 Generated with [Claude Code](https://claude.ai/code)");
    assert_eq!(tools(&older), vec![AiTool::Claude]);
    assert_eq!(
        tools(&by_message("x\n\nGenerated with [Claude Code]")),
        vec![AiTool::Claude]
    );
}

#[test]
fn claude_code_names_the_model_in_newer_builds() {
    assert_trailer(
        "Co-Authored-By: Claude Opus 4.5 <noreply@anthropic.com>",
        AiTool::Claude,
    );
    assert_trailer(
        "Co-Authored-By: Claude Sonnet 4 <noreply@anthropic.com>",
        AiTool::Claude,
    );
}

#[test]
fn claude_github_app() {
    assert_author(
        person(
            "claude[bot]",
            "209825114+claude[bot]@users.noreply.github.com",
        ),
        AiTool::Claude,
    );
    assert_trailer(
        "Co-authored-by: claude[bot] <209825114+claude[bot]@users.noreply.github.com>",
        AiTool::Claude,
    );
}

#[test]
fn copilot_coding_agent_as_author() {
    assert_author(
        person(
            "copilot-swe-agent[bot]",
            "198982749+Copilot@users.noreply.github.com",
        ),
        AiTool::Copilot,
    );
    // The bot's name alone, and its login alone, are its identity too.
    assert_author(
        person("copilot-swe-agent[bot]", "unknown@example.com"),
        AiTool::Copilot,
    );
    let mut by_login = human();
    by_login.login = Some("Copilot".into());
    assert_author(by_login, AiTool::Copilot);
}

#[test]
fn copilot_autofix_suggestions_sdk_and_vscode() {
    assert_trailer(
        "Co-authored-by: Copilot Autofix powered by AI <175728472+Copilot@users.noreply.github.com>",
        AiTool::Copilot,
    );
    assert_trailer(
        "Co-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>",
        AiTool::Copilot,
    );
    assert_trailer(
        "Co-authored-by: Copilot <223556219+Copilot@users.noreply.github.com>",
        AiTool::Copilot,
    );
    assert_trailer(
        "Co-authored-by: GitHub Copilot <copilot@github.com>",
        AiTool::Copilot,
    );
}

#[test]
fn cursor_trailers_footer_and_bot() {
    assert_trailer(
        "Co-authored-by: Cursor Agent <cursoragent@cursor.com>",
        AiTool::Cursor,
    );
    assert_trailer(
        "Co-authored-by: Cursor <cursoragent@cursor.com>",
        AiTool::Cursor,
    );
    assert_trailer("Made-with: Cursor", AiTool::Cursor);
    let footer = by_message("Fix\n\nMade with [Cursor](https://cursor.com)");
    assert_eq!(tools(&footer), vec![AiTool::Cursor]);
    assert_author(
        person(
            "cursor[bot]",
            "206951365+cursor[bot]@users.noreply.github.com",
        ),
        AiTool::Cursor,
    );
}

#[test]
fn aider_name_suffix_and_co_author() {
    assert_author(
        person("Paul Gauthier (aider)", "paul@example.com"),
        AiTool::Aider,
    );
    let committed = declared_signals(&commit(
        human(),
        person("Ada Lovelace (aider)", "ada@example.com"),
        "x",
    ));
    assert_eq!(tools(&committed), vec![AiTool::Aider]);
    assert_eq!(committed.signals[0].name, signal_names::COMMITTER_IDENTITY);
    assert_trailer(
        "Co-authored-by: aider (gpt-4o) <noreply@aider.chat>",
        AiTool::Aider,
    );
    assert_trailer(
        "Co-authored-by: aider (anthropic/claude-3-5-sonnet) <aider@aider.chat>",
        AiTool::Aider,
    );
}

#[test]
fn codex_cli_and_cloud() {
    assert_trailer("Co-authored-by: Codex <noreply@openai.com>", AiTool::Codex);
    assert_author(
        person(
            "chatgpt-codex-connector[bot]",
            "199175422+chatgpt-codex-connector[bot]@users.noreply.github.com",
        ),
        AiTool::Codex,
    );
}

#[test]
fn devin_with_and_without_the_numeric_prefix() {
    assert_author(
        person(
            "devin-ai-integration[bot]",
            "158243242+devin-ai-integration[bot]@users.noreply.github.com",
        ),
        AiTool::Devin,
    );
    assert_author(
        person(
            "Devin",
            "devin-ai-integration[bot]@users.noreply.github.com",
        ),
        AiTool::Devin,
    );
    assert_trailer(
        "Co-Authored-By: Devin <158243242+devin-ai-integration[bot]@users.noreply.github.com>",
        AiTool::Devin,
    );
}

#[test]
fn google_jules() {
    assert_author(
        person(
            "google-labs-jules[bot]",
            "161369871+google-labs-jules[bot]@users.noreply.github.com",
        ),
        AiTool::Jules,
    );
}

#[test]
fn gemini_cli_and_code_assist() {
    assert_trailer(
        "Co-authored-by: Gemini CLI <gemini-cli@google.com>",
        AiTool::Gemini,
    );
    assert_author(
        person(
            "gemini-code-assist[bot]",
            "176961590+gemini-code-assist[bot]@users.noreply.github.com",
        ),
        AiTool::Gemini,
    );
}

#[test]
fn other_tools_by_email_and_bot() {
    let by_email = [
        ("OpenHands", "openhands@all-hands.dev", AiTool::OpenHands),
        ("opencode", "noreply@opencode.ai", AiTool::OpenCode),
        ("Continue", "noreply@continue.dev", AiTool::Continue),
        ("Roomote", "roomote@roocode.com", AiTool::RooCode),
        ("Amazon Q", "amazon-q@amazon.com", AiTool::AmazonQ),
        ("Cascade", "cascade@windsurf.ai", AiTool::Windsurf),
    ];
    for (name, email, tool) in by_email {
        assert_trailer(&format!("Co-authored-by: {name} <{email}>"), tool);
        assert_author(person(name, email), tool);
    }
    assert_author(
        person(
            "factory-droid[bot]",
            "138933559+factory-droid[bot]@users.noreply.github.com",
        ),
        AiTool::Factory,
    );
    assert_author(
        person("opencode-agent[bot]", "x@example.com"),
        AiTool::OpenCode,
    );
}

#[test]
fn kernel_and_apache_declaration_trailers() {
    assert_trailer("Assisted-by: Claude:claude-3-opus", AiTool::Claude);
    assert_trailer("Generated-by: GitHub Copilot", AiTool::Copilot);
    assert_trailer("Generated-by: Claude Code", AiTool::Claude);
    assert_trailer("Co-developed-by: Codex <noreply@openai.com>", AiTool::Codex);
}

#[test]
fn trailer_keys_match_in_any_case_and_with_leading_space() {
    assert_trailer(
        "co-authored-by: Claude <noreply@anthropic.com>",
        AiTool::Claude,
    );
    assert_trailer(
        "CO-AUTHORED-BY: Claude <NoReply@Anthropic.com>",
        AiTool::Claude,
    );
    assert_trailer(
        "    Co-authored-by: Claude <noreply@anthropic.com>",
        AiTool::Claude,
    );
}

#[test]
fn every_rule_of_the_table_is_reachable() {
    // A product name or e-mail shadowed by an earlier rule of another tool would be dead.
    for rule in AI_IDENTITIES {
        let found = match rule.identity {
            Email(email) => tool_of_person(&person("x", email)),
            Account(login) => {
                tool_of_person(&person("x", &format!("1+{login}@users.noreply.github.com")))
            }
            NameSuffix(suffix) => tool_of_person(&person(&format!("x{suffix}"), "x@example.com")),
            ProductName(product) => tool_of_product(product),
        };
        assert_eq!(found, Some(rule.tool), "{:?}", rule.identity);
    }
}

#[test]
fn a_human_named_claude_is_a_human() {
    assert!(declared_signals(&commit(
        person("Claude Monet", "claude@monet.example"),
        human(),
        "x"
    ))
    .signals
    .is_empty());
    assert!(declared_signals(&commit(
        person("Claude", "claude@example.com"),
        human(),
        "x"
    ))
    .signals
    .is_empty());
    assert_nothing("x\n\nCo-authored-by: Claude Shannon <claude@bell-labs.example>");
    // A co-author named only by name could be anyone.
    assert_nothing("x\n\nCo-authored-by: Claude");
    assert_nothing("x\n\nCo-authored-by: Cursor");
    // "(aider)" must end the name, after a space.
    assert!(declared_signals(&commit(
        person("Jo (aider) Smith", "jo@example.com"),
        human(),
        "x"
    ))
    .signals
    .is_empty());
}

#[test]
fn a_trailer_in_the_middle_of_a_line_is_not_a_trailer() {
    assert_nothing("x\n\nWe could add Co-authored-by: Claude <noreply@anthropic.com> here.");
    assert_nothing("x\n\n> Co-authored-by: Claude <noreply@anthropic.com>");
    assert_nothing("x\n\n- Co-authored-by: Claude <noreply@anthropic.com>");
    assert_nothing("x\n\nThis was Generated with [Claude Code](https://claude.com/claude-code)");
    assert_nothing("x\n\nGenerated with [Claude Code](https://claude.com/claude-code) and love");
    assert_nothing("x\n\nI said: Made-with: Cursor");
}

#[test]
fn look_alike_domains_and_addresses_are_not_identities() {
    let look_alikes = [
        "noreply@anthropic.com.evil.example",
        "noreply@anthropic.co",
        "noreply@anthropic-ai.com",
        "xnoreply@anthropic.com",
        "noreply@fakeanthropic.com",
        "cursoragent@cursor.com.example",
        "cursoragent@cursor.co",
        "198982749+Copilot@users.noreply.github.com.evil.example",
        "198982749+Copilot-fan@users.noreply.github.com",
        "abc+Copilot@users.noreply.github.com",
        "198982749+Copilot@users.noreply.github.co",
        "noreply@openai.co",
        "noreply@aider.chat.example",
    ];
    for email in look_alikes {
        assert_nothing(&format!("x\n\nCo-authored-by: Claude <{email}>"));
        assert!(
            declared_signals(&commit(person("Claude", email), human(), "x"))
                .signals
                .is_empty(),
            "{email}"
        );
    }
    // A product name must be the whole word.
    assert_nothing("x\n\nGenerated-by: Amazon Quicksight");
    assert_nothing("x\n\nMade-with: Cursorless");
}

#[test]
fn only_authorship_trailers_count() {
    assert_nothing("x\n\nReviewed-by: Claude <noreply@anthropic.com>");
    assert_nothing("x\n\nReported-by: Copilot <175728472+Copilot@users.noreply.github.com>");
}

#[test]
fn dependabot_and_renovate_are_bots_not_ai() {
    let bots = [
        person(
            "dependabot[bot]",
            "49699333+dependabot[bot]@users.noreply.github.com",
        ),
        person("dependabot[bot]", "support@github.com"),
        person(
            "renovate[bot]",
            "29139614+renovate[bot]@users.noreply.github.com",
        ),
        person("Renovate Bot", "bot@renovateapp.com"),
    ];
    for bot in bots {
        let declared = declared_signals(&commit(
            bot.clone(),
            human(),
            "Bump serde from 1.0.1 to 1.0.2",
        ));
        assert!(declared.signals.is_empty(), "{bot:?}");
        let note = declared.dependency_bot.as_ref();
        assert!(
            note.is_some_and(|n| n.weight == 0.0 && n.tool.is_none()),
            "{bot:?}"
        );
        assert!(note.is_some_and(|n| n.name == signal_names::DEPENDENCY_BOT));
    }
    let mut by_login = human();
    by_login.login = Some("dependabot[bot]".into());
    assert!(declared_signals(&commit(human(), by_login, "x"))
        .dependency_bot
        .is_some());
}
