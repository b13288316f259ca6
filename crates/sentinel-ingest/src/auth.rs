//! Sentry's client authentication: the `X-Sentry-Auth` header and DSNs.
//!
//! SDKs identify themselves with their DSN's public key, sent as
//! `X-Sentry-Auth: Sentry sentry_version=7, sentry_client=…, sentry_key=…`, as the
//! `sentry_key` query parameter, or as the envelope header `dsn`. The secret part of old
//! DSNs is optional and deprecated; it is parsed but not required.

/// The fields of an `X-Sentry-Auth` (or `Authorization: Sentry …`) header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentryAuth {
    pub key: String,
    pub secret: Option<String>,
    pub version: Option<String>,
    pub client: Option<String>,
}

/// Parses `"Sentry sentry_key=abc, sentry_version=7"`; the `Sentry ` prefix and the
/// `sentry_` prefixes of the names are optional. `None` when no key is present.
pub fn parse_sentry_auth(header: &str) -> Option<SentryAuth> {
    let header = header.trim();
    let rest = match header.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("sentry ") => &header[7..],
        _ => header,
    };
    let mut auth = SentryAuth {
        key: String::new(),
        secret: None,
        version: None,
        client: None,
    };
    for pair in rest.split(',') {
        let Some((name, value)) = pair.split_once('=') else {
            continue;
        };
        let name = name.trim().to_ascii_lowercase();
        let name = name.strip_prefix("sentry_").unwrap_or(&name);
        let value = value.trim().trim_matches('"').trim();
        if value.is_empty() {
            continue;
        }
        match name {
            "key" => auth.key = value.to_string(),
            "secret" => auth.secret = Some(value.to_string()),
            "version" => auth.version = Some(value.to_string()),
            "client" => auth.client = Some(value.to_string()),
            _ => {}
        }
    }
    (!auth.key.is_empty()).then_some(auth)
}

/// The parts of a DSN that identify a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DsnParts {
    pub public_key: String,
    /// The project id, the DSN's last path segment.
    pub project: Option<String>,
}

/// Parses `{scheme}://{public_key}[:{secret}]@{host}[/{path}]/{project}`.
pub fn dsn_public_key(dsn: &str) -> Option<DsnParts> {
    let (_scheme, rest) = dsn.trim().split_once("://")?;
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let (userinfo, host) = authority.rsplit_once('@')?;
    if host.is_empty() {
        return None;
    }
    let public_key = userinfo.split(':').next().unwrap_or("").trim();
    if public_key.is_empty() {
        return None;
    }
    let path = path.split(['?', '#']).next().unwrap_or("");
    let project = path
        .rsplit('/')
        .find(|segment| !segment.is_empty())
        .map(str::to_string);
    Some(DsnParts {
        public_key: public_key.to_string(),
        project,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_headers_parse_with_or_without_prefix() {
        let auth = parse_sentry_auth(
            "Sentry sentry_version=7, sentry_client=sentry.python/2.75.0, sentry_key=b8305d14, sentry_secret=s3",
        );
        assert_eq!(
            auth,
            Some(SentryAuth {
                key: "b8305d14".into(),
                secret: Some("s3".into()),
                version: Some("7".into()),
                client: Some("sentry.python/2.75.0".into()),
            })
        );
        let bare = parse_sentry_auth("sentry_key=abc,sentry_version=7");
        assert_eq!(bare.map(|a| a.key), Some("abc".into()));
        assert_eq!(parse_sentry_auth("Sentry sentry_version=7"), None);
        assert_eq!(parse_sentry_auth("Bearer xyz"), None);
        assert_eq!(parse_sentry_auth(""), None);
    }

    #[test]
    fn dsns_yield_key_and_project() {
        assert_eq!(
            dsn_public_key("https://e12d836b15bb49d7bbf99e64295d995b:@sentry.io/42"),
            Some(DsnParts {
                public_key: "e12d836b15bb49d7bbf99e64295d995b".into(),
                project: Some("42".into()),
            })
        );
        assert_eq!(
            dsn_public_key("http://b8305d14@127.0.0.1:8123/sub/path/1"),
            Some(DsnParts {
                public_key: "b8305d14".into(),
                project: Some("1".into()),
            })
        );
        assert_eq!(
            dsn_public_key("http://key@host").map(|d| d.project),
            Some(None)
        );
        assert_eq!(dsn_public_key("http://127.0.0.1:8080/1"), None);
        assert_eq!(dsn_public_key("not a dsn"), None);
    }
}
