//! Autopsy of a typical incident with the heuristic provider and a clone present, without
//! running tests: parse the captured envelope, map the frames into the tree at the release,
//! read the snapshots and repository hints, blame the culprit line (the suspect) and
//! attribute it, diagnose, and `git apply --check` the patch. Also the diagnosis alone.
#![allow(clippy::unwrap_used)]

#[path = "../tests/accuracy/mod.rs"]
mod accuracy;

use accuracy::{input, Case};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use sentinel_core::autopsy::heuristic::diagnose;
use sentinel_git::Repo;
use std::time::Duration;

fn autopsy(c: &mut Criterion) {
    let mut group = c.benchmark_group("autopsy");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(10));
    for name in ["py-missing-key", "js-undefined-access"] {
        let case = Case::load(name);
        let built = case.build();
        let repo = Repo::open(built.dir.path()).unwrap();
        let envelope = case.envelope();
        group.bench_function(format!("{name}/end_to_end_without_tests"), |b| {
            b.iter(|| {
                let event = input::parse_event(&envelope);
                let autopsy_input = input::build(&event, &repo, &built.release);
                let diagnosis = diagnose(&autopsy_input);
                let patch = diagnosis.patch_diff.as_deref().unwrap();
                let applied = repo.apply_check(&built.release, patch).unwrap();
                assert!(black_box(applied).is_ok());
            })
        });
        let event = input::parse_event(&envelope);
        let autopsy_input = input::build(&event, &repo, &built.release);
        group.bench_function(format!("{name}/diagnose_only"), |b| {
            b.iter(|| black_box(diagnose(black_box(&autopsy_input))))
        });
    }
    group.finish();
}

criterion_group!(benches, autopsy);
criterion_main!(benches);
