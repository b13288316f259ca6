//! Every GlitchTip fixture (payloads real SDKs sent) read through the public entry points.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use sentinel_core::event::{EventKind, Level};
use sentinel_core::incident::ErrorClass;
use sentinel_core::{classify, fingerprint};
use sentinel_ingest::{read_envelope, read_store_payload, IngestBatch};

fn store(relative: &str) -> IngestBatch {
    read_store_payload(&fixture_bytes(relative), RECEIVED_MS).unwrap()
}

fn envelope(relative: &str, framing: Framing, trailing_newline: bool) -> IngestBatch {
    let array = json_file(&fixture_dir().join(relative));
    read_envelope(
        &envelope_from_array(&array, framing, trailing_newline),
        RECEIVED_MS,
    )
    .unwrap()
}

struct Expected {
    file: &'static str,
    event_id: &'static str,
    title: &'static str,
    culprit: &'static str,
    class: ErrorClass,
    level: Level,
    platform: &'static str,
}

const SINGLE_EVENTS: &[Expected] = &[
    Expected { file: "django_fingerprint.json", event_id: "3ae3fd09af864ff2b47b5660ffdd2335", title: "Exception: something 9", culprit: "errors.views in get", class: ErrorClass::HandledException, level: Level::Error, platform: "python" },
    Expected { file: "django_message_params.json", event_id: "a968a7f1f494452f96e8be1a017d81ec", title: "Here is a new error", culprit: "/message/Z", class: ErrorClass::Message, level: Level::Info, platform: "python" },
    Expected { file: "django_template_error.json", event_id: "3e7c1345914d4924926d795ade8240cb", title: "NoReverseMatch: Reverse for 'nope' not found. 'nope' is not a valid view function or pattern name.", culprit: "django.urls.resolvers in _reverse_with_prefix", class: ErrorClass::UnhandledException, level: Level::Error, platform: "python" },
    Expected { file: "dotnet_divide_zero.json", event_id: "78d7a93554124469a5a1d33518a60373", title: "System.DivideByZeroException: Attempted to divide by zero.", culprit: "myWebApp.Pages.DivideZeroModel in DivideByZero", class: ErrorClass::HandledException, level: Level::Error, platform: "csharp" },
    Expected { file: "dotnet_error.json", event_id: "8a4042d4de914977a966a0106f2e03bd", title: "System.NullReferenceException: Object reference not set to an instance of an object.", culprit: "myWebApp.Pages.IndexModel in OnGet", class: ErrorClass::HandledException, level: Level::Error, platform: "csharp" },
    Expected { file: "elixir_error.json", event_id: "af7344af737b4811b76fc343679d6e0d", title: "UndefinedFunctionError: function FakeModule.fake_function/0 is undefined (module FakeModule is not available)", culprit: "Elixir.FakeModule in FakeModule.fake_function/0", class: ErrorClass::HandledException, level: Level::Error, platform: "elixir" },
    Expected { file: "go_file_not_found.json", event_id: "af536c31b68a473f97e579507ce155e3", title: "*os.PathError: open ./test.txt: no such file or directory", culprit: "main in main", class: ErrorClass::HandledException, level: Level::Error, platform: "go" },
    Expected { file: "incoming.json", event_id: "ddfd2bbf7b4c482983bda75c70771345", title: "ZeroDivisionError: division by zero", culprit: "errors.views in get", class: ErrorClass::UnhandledException, level: Level::Error, platform: "python" },
    Expected { file: "js_error_with_context.json", event_id: "34526172dfbe4c9c92bf1e6f14d6cd25", title: "Error: Error with context", culprit: "http://localhost:4201/polyfills.js in globalZoneAwareCallback", class: ErrorClass::HandledException, level: Level::Error, platform: "javascript" },
    Expected { file: "js_event_with_unix_timestamp.json", event_id: "0deedc6e122944f093c29d6e6182fce9", title: "Error: A Generic Error 9371d7", culprit: "http://localhost:4201/vendor.js in viewWrappedDebugError", class: ErrorClass::HandledException, level: Level::Error, platform: "javascript" },
    Expected { file: "php_message_event.json", event_id: "ca2f3e4a95694dfb81c3cbb1eaca4e49", title: "My raw message with interpreted strings8 like {foo}", culprit: "php", class: ErrorClass::Message, level: Level::Error, platform: "php" },
    Expected { file: "python_logging.json", event_id: "d2e68809a8524be4b1a1d314a1f159ec", title: "This is a warning: warning", culprit: "/logger-warning/", class: ErrorClass::Message, level: Level::Warning, platform: "python" },
    Expected { file: "python_zero_division.json", event_id: "dd9e1afb828a44d5b4df0183adaee5d8", title: "ZeroDivisionError: division by zero", culprit: "errors.views in get", class: ErrorClass::UnhandledException, level: Level::Error, platform: "python" },
    Expected { file: "ruby_zero_division.json", event_id: "a3733befe5c1409090eb8a34cbb58e1c", title: "ZeroDivisionError: divided by 0 (ZeroDivisionError)", culprit: "app/controllers/articles_controller.rb in /", class: ErrorClass::UnhandledException, level: Level::Error, platform: "ruby" },
    Expected { file: "sentry_cli_send_event_no_level.json", event_id: "142a8bb0193f447a9508180d1904f614", title: "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut …", culprit: "", class: ErrorClass::Message, level: Level::Error, platform: "native" },
    Expected { file: "small_js_error.json", event_id: "00952c9936084f759aecdb0f195dd82f", title: "Error: this is an error", culprit: "http://127.0.0.1:8080/dist/bundle.js in ?", class: ErrorClass::UnhandledException, level: Level::Error, platform: "javascript" },
    Expected { file: "small_js_error_source.json", event_id: "f4e67b1b9293445a9545465b0b58696c", title: "Error: this is an error", culprit: "http://localhost:8080/dist/bundle.js in ?", class: ErrorClass::UnhandledException, level: Level::Error, platform: "javascript" },
    Expected { file: "very_small_event.json", event_id: "cf536c31b68a473f97e579507ce155e3", title: "<unlabeled event>", culprit: "", class: ErrorClass::Message, level: Level::Error, platform: "go" },
];

#[test]
fn every_single_event_fixture_reads_as_expected() {
    let files: Vec<String> = fixture_files("incoming_events")
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .filter(|name| name != "android_sdk_envelope.json")
        .collect();
    let covered: Vec<&str> = SINGLE_EVENTS.iter().map(|e| e.file).collect();
    assert_eq!(
        files, covered,
        "every single-event fixture has an expectation"
    );
    for expected in SINGLE_EVENTS {
        let batch = store(&format!("incoming_events/{}", expected.file));
        assert_eq!(batch.events.len(), 1, "{}", expected.file);
        let event = &batch.events[0];
        assert_eq!(event.event_id, expected.event_id, "{}", expected.file);
        assert_eq!(event.kind, EventKind::Error, "{}", expected.file);
        assert_eq!(classify::title(event), expected.title, "{}", expected.file);
        assert_eq!(
            classify::culprit(event),
            expected.culprit,
            "{}",
            expected.file
        );
        assert_eq!(
            classify::error_class(event),
            expected.class,
            "{}",
            expected.file
        );
        assert_eq!(event.level, expected.level, "{}", expected.file);
        assert_eq!(event.platform, expected.platform, "{}", expected.file);
        assert_ne!(
            event.timestamp_ms, RECEIVED_MS,
            "{} has its own time",
            expected.file
        );
        assert_eq!(fingerprint::fingerprint(event, "svc").hash.len(), 64);
    }
}

#[test]
fn payload_details_survive_parsing() {
    let python = &store("incoming_events/python_zero_division.json").events[0];
    assert_eq!(
        python.trace_id.as_deref(),
        Some("9aaeffa209dd4e2d85a084826e8ef964")
    );
    assert_eq!(python.transaction.as_deref(), Some("/divide-zero/"));
    assert_eq!(python.route.as_deref(), Some("/divide-zero/"));
    let raising = python.exceptions[0].frames.last().unwrap();
    assert_eq!(raising.function.as_deref(), Some("get"));
    assert_eq!(raising.in_app, Some(true));
    assert!(raising.lineno.is_some());
    assert!(raising.context_line.is_some());
    assert!(python.request.as_ref().unwrap().url.is_some());

    let ruby = &store("incoming_events/ruby_zero_division.json").events[0];
    assert_eq!(
        ruby.fingerprint, None,
        "an empty fingerprint means default grouping"
    );
    assert!(ruby.breadcrumbs.len() > 10);

    let js = &store("incoming_events/js_event_with_unix_timestamp.json").events[0];
    assert_eq!(js.timestamp_ms, 1_595_472_880_109, "Unix float seconds");

    let logging = &store("incoming_events/python_logging.json").events[0];
    let message = logging.message.as_ref().unwrap();
    assert_eq!(message.template.as_deref(), Some("This is a warning: %s"));

    let params = &store("incoming_events/django_message_params.json").events[0];
    assert_eq!(
        params.message.as_ref().unwrap().template.as_deref(),
        Some("Here is a new {foo}")
    );

    let elixir = &store("incoming_events/elixir_error.json").events[0];
    assert_eq!(elixir.fingerprint, Some(vec!["{{ default }}".to_string()]));
    assert!(
        !elixir.exceptions[0].frames.is_empty(),
        "legacy top-level stacktrace attached"
    );

    let cli = &store("incoming_events/sentry_cli_send_event_no_level.json").events[0];
    assert_eq!(cli.level, Level::Error, "missing level defaults to error");
}

#[test]
fn groupings_of_real_events() {
    let hash = |file: &str| {
        fingerprint::fingerprint(&store(&format!("incoming_events/{file}")).events[0], "svc").hash
    };
    // The same Django view raising the same error, captured twice by different SDK versions.
    assert_eq!(hash("incoming.json"), hash("python_zero_division.json"));
    // The same minified bundle served from another host, with a release set.
    assert_eq!(
        hash("small_js_error.json"),
        hash("small_js_error_source.json")
    );
    assert_ne!(hash("incoming.json"), hash("django_template_error.json"));
    assert_ne!(hash("dotnet_error.json"), hash("dotnet_divide_zero.json"));

    let custom = &store("incoming_events/django_fingerprint.json").events[0];
    let input = fingerprint::grouping_input(custom, "svc");
    assert_eq!(input.basis, fingerprint::GroupingBasis::Custom);
    assert_eq!(input.components, vec!["fingerprint=foo".to_string()]);

    // `{{ default }}` alone differs from the plain default only by the wrapping, and is
    // stable across captures.
    let elixir = &store("incoming_events/elixir_error.json").events[0];
    let mut without = elixir.clone();
    without.fingerprint = None;
    let default_hash = fingerprint::fingerprint(&without, "svc").hash;
    assert_eq!(
        fingerprint::grouping_input(elixir, "svc").components,
        vec![format!("fingerprint={default_hash}")]
    );
}

/// A fixture, how many events it holds, and the skipped item counts by type.
type EnvelopeCase = (&'static str, usize, &'static [(&'static str, u32)]);

#[test]
fn envelope_fixtures_read_the_same_in_every_framing() {
    let cases: &[EnvelopeCase] = &[
        ("envelopes/django_message.json", 1, &[("client_report", 1)]),
        ("envelopes/js_angular_message.json", 1, &[]),
        (
            "incoming_events/android_sdk_envelope.json",
            1,
            &[("session", 1)],
        ),
        ("transactions/django_simple.json", 1, &[]),
        ("transactions/environment_release.json", 1, &[]),
        ("transactions/js_angular.json", 1, &[]),
        ("transactions/js_simple.json", 1, &[]),
    ];
    for (file, events, skipped) in cases {
        let reference = envelope(file, Framing::WithLength, true);
        assert_eq!(reference.events.len(), *events, "{file}");
        let expected_skipped: Vec<(String, u32)> =
            skipped.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        let actual_skipped: Vec<(String, u32)> = reference.skipped.clone().into_iter().collect();
        assert_eq!(actual_skipped, expected_skipped, "{file}");
        for (framing, trailing) in [
            (Framing::WithLength, false),
            (Framing::WithoutLength, true),
            (Framing::WithoutLength, false),
        ] {
            assert_eq!(
                envelope(file, framing, trailing),
                reference,
                "{file} {framing:?}"
            );
        }
    }
}

#[test]
fn envelope_fixtures_carry_their_header_fields() {
    let django = envelope("envelopes/django_message.json", Framing::WithLength, true);
    let event = &django.events[0];
    assert_eq!(event.event_id, "e1681aa101a042548a99f82613b39727");
    assert_eq!(classify::title(event), "Page not found!");
    assert_eq!(classify::error_class(event), ErrorClass::Message);
    assert_eq!(
        event.trace_id.as_deref(),
        Some("6a02ac9d014e460dbb1d7f279ecaee07")
    );

    let android = envelope(
        "incoming_events/android_sdk_envelope.json",
        Framing::WithLength,
        true,
    );
    let event = &android.events[0];
    assert_eq!(event.platform, "java");
    assert_eq!(
        classify::culprit(event),
        "com.example.androiderrorfactory.MainActivity in onCreate"
    );
    assert_eq!(
        event.user.as_ref().and_then(|u| u.id.as_deref()),
        Some("3968871acdaea46f")
    );
}

#[test]
fn transactions_read_from_envelopes_and_store_bodies_agree() {
    let from_envelope = envelope("transactions/django_simple.json", Framing::WithLength, true);
    let from_store = store("transactions/fun.json");
    for batch in [&from_envelope, &from_store] {
        let event = &batch.events[0];
        assert_eq!(event.kind, EventKind::Transaction);
        assert_eq!(classify::error_class(event), ErrorClass::Latency);
        assert_eq!(event.route.as_deref(), Some("/"));
        assert_eq!(event.duration_ms, Some(10.0));
        assert_eq!(event.http_status, Some(200));
    }
    let js = store("transactions/fun2.json");
    assert_eq!(js.events[0].kind, EventKind::Transaction);
    assert_eq!(js.events[0].duration_ms, Some(183.0));
    let release = envelope(
        "transactions/environment_release.json",
        Framing::WithoutLength,
        false,
    );
    assert_eq!(release.events[0].release.as_deref(), Some("1.0"));
    assert_eq!(release.events[0].environment.as_deref(), Some("dev"));
    assert_eq!(release.events[0].route.as_deref(), Some("/tracing"));
}

#[test]
fn a_csp_report_posted_as_an_event_is_read_without_failing() {
    let batch = store("csp/mozilla_example.json");
    assert_eq!(batch.events.len(), 1);
    assert!(batch.events[0].exceptions.is_empty());
    assert_eq!(batch.events[0].timestamp_ms, RECEIVED_MS);
    assert_eq!(batch.events[0].event_id.len(), 32);
}
