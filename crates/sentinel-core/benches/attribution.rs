//! Attribution cost per commit: a typical pushed commit of 10 files with their added lines,
//! a Claude trailer, a known pull request and a previous commit two minutes earlier.
#![allow(clippy::unwrap_used)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use sentinel_core::attribution::{attribute, AttributionContext, PullRequestText, RiskRules};
use sentinel_core::code::{Commit, FileChange, FileStatus, GitStamp, Person};

const PATHS: [&str; 10] = [
    "src/auth/session.rs",
    "src/routes/users.rs",
    "src/billing/invoice.rs",
    "src/crypto/token.rs",
    "src/utils/strings.rs",
    "web/src/users.js",
    "tests/users_test.rs",
    "docs/users.md",
    "Cargo.toml",
    "src/main.rs",
];

fn added_lines(i: usize) -> Vec<String> {
    (0..40)
        .map(|n| match n % 4 {
            0 => format!("    // Load the record {n} before the update"),
            1 => format!("    let record_{n} = store.load(id_{i}).await?;"),
            2 => format!("    total += record_{n}.amount * rate;"),
            _ => "    tracing::debug!(total, \"applied\");".to_owned(),
        })
        .collect()
}

fn typical_commit() -> Commit {
    let stamp = GitStamp {
        person: Person {
            name: "Ada Lovelace".into(),
            email: "ada@example.com".into(),
            login: Some("ada".into()),
        },
        at_ms: 1_709_647_200_000,
        utc_offset_minutes: 60,
    };
    Commit {
        sha: "0123456789abcdef0123456789abcdef01234567".into(),
        parents: vec!["f".repeat(40)],
        author: stamp.clone(),
        committer: stamp,
        message: "Apply rates on invoice update\n\nLonger body describing the change.\n\n\
                  Co-Authored-By: Claude <noreply@anthropic.com>\n"
            .into(),
        files: PATHS
            .iter()
            .enumerate()
            .map(|(i, path)| FileChange {
                path: (*path).into(),
                previous_path: None,
                status: FileStatus::Modified,
                lines_added: 40,
                lines_deleted: 5,
                binary: false,
                added_lines: added_lines(i),
            })
            .collect(),
    }
}

fn bench(c: &mut Criterion) {
    let commit = typical_commit();
    let rules = RiskRules::default();
    let context = AttributionContext {
        previous_commit_at: Some(commit.author.at_ms - 120_000),
        pull_request: Some(PullRequestText {
            number: Some(12),
            title: "Apply rates on invoice update",
            body: "Rates now apply when an invoice changes.",
        }),
    };
    // Compile the default patterns and phrases outside the measurement.
    attribute(&commit, &context, &rules);
    c.bench_function("attribute_10_file_commit", |b| {
        b.iter(|| attribute(black_box(&commit), black_box(&context), &rules))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
