//! What a resource says about the service that sent its spans or logs.

use super::attributes::Attributes;
use opentelemetry_proto::tonic::resource::v1::Resource;
use sentinel_core::event::Sdk;

/// The resource attributes Sentinel uses.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResourceInfo {
    /// `service.name`; SDKs default it to `unknown_service[:process]`, which names nothing.
    pub service_name: Option<String>,
    /// `service.version`.
    pub release: Option<String>,
    /// `deployment.environment.name`, or the older `deployment.environment`.
    pub environment: Option<String>,
    /// Sentry's platform name for `telemetry.sdk.language`.
    pub platform: String,
    /// `host.name`.
    pub server_name: Option<String>,
    pub sdk: Option<Sdk>,
}

impl ResourceInfo {
    pub fn read(resource: Option<&Resource>) -> Self {
        let attributes = Attributes(resource.map_or(&[], |r| r.attributes.as_slice()));
        let service_name = attributes
            .text("service.name")
            .map(|s| s.trim().to_string())
            .filter(|s| !s.starts_with("unknown_service"));
        let language = attributes.text("telemetry.sdk.language");
        let sdk = attributes.text("telemetry.sdk.name").map(|name| Sdk {
            name,
            version: attributes.text("telemetry.sdk.version").unwrap_or_default(),
        });
        Self {
            service_name,
            release: attributes.text("service.version"),
            environment: attributes
                .first_text(&["deployment.environment.name", "deployment.environment"]),
            platform: platform(language.as_deref()),
            server_name: attributes.text("host.name"),
            sdk,
        }
    }
}

/// `telemetry.sdk.language` in Sentry's platform names, which frames and grouping expect.
fn platform(language: Option<&str>) -> String {
    match language.unwrap_or("") {
        "nodejs" => "node",
        "webjs" => "javascript",
        "dotnet" => "csharp",
        "cpp" => "native",
        "" => "other",
        other => other,
    }
    .to_string()
}
