//! Setup snippets for each SDK, filled in with a service's DSN.

/// One SDK's setup instructions.
pub struct Snippet {
    pub sdk: &'static str,
    pub install: &'static str,
    pub code: String,
}

/// The snippets for Python, JavaScript, Rust, Go, Java and .NET, configured with `dsn`.
pub fn snippets(dsn: &str) -> Vec<Snippet> {
    vec![
        Snippet {
            sdk: "Python",
            install: "pip install sentry-sdk",
            code: format!(
                "import sentry_sdk\n\nsentry_sdk.init(\n    dsn=\"{dsn}\",\n    environment=\"production\",\n    release=\"my-app@1.0.0\",\n)"
            ),
        },
        Snippet {
            sdk: "JavaScript",
            install: "npm install @sentry/node",
            code: format!(
                "const Sentry = require(\"@sentry/node\");\n\nSentry.init({{\n  dsn: \"{dsn}\",\n  environment: \"production\",\n  release: \"my-app@1.0.0\",\n}});"
            ),
        },
        Snippet {
            sdk: "Rust",
            install: "cargo add sentry",
            code: format!(
                "let _guard = sentry::init((\n    \"{dsn}\",\n    sentry::ClientOptions {{\n        release: sentry::release_name!(),\n        environment: Some(\"production\".into()),\n        ..Default::default()\n    }},\n));"
            ),
        },
        Snippet {
            sdk: "Go",
            install: "go get github.com/getsentry/sentry-go",
            code: format!(
                "err := sentry.Init(sentry.ClientOptions{{\n\tDsn:         \"{dsn}\",\n\tEnvironment: \"production\",\n\tRelease:     \"my-app@1.0.0\",\n}})\nif err != nil {{\n\tlog.Fatalf(\"sentry.Init: %s\", err)\n}}\ndefer sentry.Flush(2 * time.Second)"
            ),
        },
        Snippet {
            sdk: "Java",
            install: "implementation 'io.sentry:sentry:7.+'",
            code: format!(
                "import io.sentry.Sentry;\n\nSentry.init(options -> {{\n    options.setDsn(\"{dsn}\");\n    options.setEnvironment(\"production\");\n    options.setRelease(\"my-app@1.0.0\");\n}});"
            ),
        },
        Snippet {
            sdk: ".NET",
            install: "dotnet add package Sentry",
            code: format!(
                "using Sentry;\n\nSentrySdk.Init(options =>\n{{\n    options.Dsn = \"{dsn}\";\n    options.Environment = \"production\";\n    options.Release = \"my-app@1.0.0\";\n}});"
            ),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::snippets;

    #[test]
    fn every_sdk_gets_the_dsn() {
        let all = snippets("http://abc@127.0.0.1:8080/7");
        let names: Vec<_> = all.iter().map(|s| s.sdk).collect();
        assert_eq!(
            names,
            ["Python", "JavaScript", "Rust", "Go", "Java", ".NET"]
        );
        assert!(all
            .iter()
            .all(|s| s.code.contains("http://abc@127.0.0.1:8080/7")));
    }
}
