//! The heuristic autopsy judged on real bugs: for every case under
//! `tests/fixtures/autopsy/` a repository is built with git (a good commit, a buggy one by
//! another author, some with AI trailers, and a later unrelated one), the envelope the real
//! SDK sent for the bug is parsed by the ingest parser, and the diagnosis is checked — the
//! suspect commit (blame at the release), the category, the culprit file and line, that
//! the patch applies and that the regression test fails before it and passes after it
//! (pytest and node run for real). The table is printed and written to
//! `$CARGO_TARGET_TMPDIR/autopsy-accuracy.md`.
#![allow(clippy::unwrap_used)]

mod accuracy;

use accuracy::{cases, input, Case};
use sentinel_core::autopsy::heuristic::diagnose;
use sentinel_git::{Repo, TestCommand};
use std::time::{Duration, Instant};

struct Outcome {
    name: String,
    suspect: bool,
    ai_suspect: bool,
    category: (String, bool),
    culprit: bool,
    patch_applies: bool,
    verified: bool,
    /// The test's output before the patch shows the production exception's type.
    same_failure: bool,
    expected_verified: bool,
    millis: u128,
}

fn run_case(case: &Case) -> Outcome {
    let started = Instant::now();
    let built = case.build();
    let repo = Repo::open(built.dir.path()).unwrap();
    let event = input::parse_event(&case.envelope());
    let autopsy_input = input::build(&event, &repo, &built.release);
    let diagnosis = diagnose(&autopsy_input);
    let mut command = TestCommand::new(case.test_command());
    command.timeout = Duration::from_secs(60);
    command
        .env
        .push(("PYTHONDONTWRITEBYTECODE".into(), "1".into()));
    let verification = repo
        .verify_diagnosis(
            &built.release,
            diagnosis.patch_diff.as_deref(),
            diagnosis.test_case.as_ref(),
            Some(&command),
        )
        .unwrap();
    let culprit = diagnosis
        .culprit
        .as_ref()
        .map(|c| (c.path.as_str(), u64::from(c.line)));
    let expected_culprit = (
        case.expect("file").as_str().unwrap(),
        case.expect("line").as_u64().unwrap(),
    );
    let suspect = autopsy_input.suspect.as_ref();
    let outcome = Outcome {
        name: case.name.clone(),
        suspect: suspect.map(|s| s.sha.as_str()) == Some(built.buggy.as_str()),
        ai_suspect: suspect.is_some_and(|s| s.ai_tool.is_some()),
        category: (
            diagnosis.category.as_str().to_string(),
            diagnosis.category.as_str() == case.expect("category").as_str().unwrap(),
        ),
        culprit: culprit == Some(expected_culprit),
        patch_applies: verification.patch_applies == Some(true),
        verified: verification.patch_applies == Some(true) && verification.test_verified(),
        same_failure: verification
            .output_before
            .contains(&autopsy_input.exception_type),
        expected_verified: case.expect("verified").as_bool().unwrap(),
        millis: started.elapsed().as_millis(),
    };
    if outcome.verified != outcome.expected_verified || !outcome.category.1 {
        eprintln!(
            "--- {}\n{:#?}\n{}\n{}\nbefore:\n{}\nafter:\n{}",
            case.name,
            diagnosis.category,
            diagnosis.patch_diff.as_deref().unwrap_or("(no patch)"),
            diagnosis
                .test_case
                .as_ref()
                .map(|t| t.content.as_str())
                .unwrap_or("(no test)"),
            verification.output_before,
            verification.output_after
        );
    }
    outcome
}

fn mark(ok: bool) -> &'static str {
    if ok {
        "yes"
    } else {
        "no"
    }
}

fn table(outcomes: &[Outcome]) -> String {
    let mut out = String::from(
        "| case | suspect commit | AI-attributed | category | culprit file:line | patch applies | test fails before, passes after |\n|---|---|---|---|---|---|---|\n",
    );
    for o in outcomes {
        out.push_str(&format!(
            "| {} | {} | {} | {} ({}) | {} | {} | {} |\n",
            o.name,
            mark(o.suspect),
            mark(o.ai_suspect),
            mark(o.category.1),
            o.category.0,
            mark(o.culprit),
            mark(o.patch_applies),
            mark(o.verified)
        ));
    }
    let n = outcomes.len();
    let count = |f: &dyn Fn(&Outcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
    out.push_str(&format!(
        "| **{n} cases** | **{}/{n}** | {}/{n} | **{}/{n}** | {}/{n} | {}/{n} | **{}/{n}** |\n",
        count(&|o| o.suspect),
        count(&|o| o.ai_suspect),
        count(&|o| o.category.1),
        count(&|o| o.culprit),
        count(&|o| o.patch_applies),
        count(&|o| o.verified),
    ));
    out
}

fn require(program: &str, args: &[&str]) {
    let ok = std::process::Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "the accuracy suite runs `{program} {}`: install it (see .ci/run)",
        args.join(" ")
    );
}

#[test]
fn heuristic_autopsy_accuracy_on_real_bugs() {
    require("python3", &["-m", "pytest", "--version"]);
    require("node", &["--version"]);
    let started = Instant::now();
    let cases = cases();
    assert!(cases.len() >= 10, "at least ten cases");
    // Two at a time: the machine this runs on has two cores.
    let (left, right): (Vec<&Case>, Vec<&Case>) = cases
        .iter()
        .enumerate()
        .partition(|(i, _)| i % 2 == 0)
        .into_iter_pair();
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| left.iter().map(|c| run_case(c)).collect::<Vec<_>>());
        let b = s.spawn(|| right.iter().map(|c| run_case(c)).collect::<Vec<_>>());
        (a.join().unwrap(), b.join().unwrap())
    });
    let mut outcomes: Vec<Outcome> = a.into_iter().chain(b).collect();
    outcomes.sort_by(|x, y| x.name.cmp(&y.name));
    let report = table(&outcomes);
    let elapsed = started.elapsed();
    println!(
        "{report}\n{} cases in {:.1} s",
        outcomes.len(),
        elapsed.as_secs_f64()
    );
    for o in &outcomes {
        println!("{}: {} ms", o.name, o.millis);
    }
    let _ = std::fs::write(
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("autopsy-accuracy.md"),
        &report,
    );
    for o in &outcomes {
        assert!(
            o.suspect,
            "{}: the suspect commit is the buggy one\n{report}",
            o.name
        );
        assert!(o.culprit, "{}: culprit file and line\n{report}", o.name);
        assert!(
            o.category.1,
            "{}: category {}\n{report}",
            o.name, o.category.0
        );
        assert_eq!(
            o.verified, o.expected_verified,
            "{}: patch and test verified\n{report}",
            o.name
        );
        if o.expected_verified {
            assert!(o.patch_applies, "{}: patch applies", o.name);
            assert!(
                o.same_failure,
                "{}: the test fails before with the production error",
                o.name
            );
        }
    }
    let n = outcomes.len() as f64;
    let verified = outcomes.iter().filter(|o| o.verified).count() as f64;
    assert!(
        verified / n >= 0.6,
        "patch and test verified on at least 60%\n{report}"
    );
    assert!(
        elapsed < Duration::from_secs(120),
        "the suite stays under two minutes"
    );
}

/// Splits `(index, item)` pairs by a predicate into two lists of items.
trait IntoIterPair<'a> {
    fn into_iter_pair(self) -> (Vec<&'a Case>, Vec<&'a Case>);
}

impl<'a> IntoIterPair<'a> for (Vec<(usize, &'a Case)>, Vec<(usize, &'a Case)>) {
    fn into_iter_pair(self) -> (Vec<&'a Case>, Vec<&'a Case>) {
        (
            self.0.into_iter().map(|(_, c)| c).collect(),
            self.1.into_iter().map(|(_, c)| c).collect(),
        )
    }
}
