//! Which GitHub-style `OWNER/NAME` a remote URL points at.

fn owner_like(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('.')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn name_like(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The path part of `user@host:path`, git's scp-like syntax: a colon before any slash.
fn scp_path(url: &str) -> Option<&str> {
    let (host, path) = url.split_once(':')?;
    if host.len() < 2 || host.contains('/') {
        // `C:` is a drive letter, `./a:b` a local path.
        return None;
    }
    Some(path)
}

/// `OWNER/NAME` from a remote URL: `https://github.com/o/n(.git)`, `git@github.com:o/n.git`,
/// `ssh://git@host/o/n.git`, or a local path or `file://` URL whose last two components look
/// like an owner and a name. `None` when the URL names no such pair.
pub fn full_name_from_url(url: &str) -> Option<String> {
    let url = url.trim();
    let path = if let Some((_, after)) = url.split_once("://") {
        &after[after.find('/')?..]
    } else if let Some(path) = scp_path(url) {
        path
    } else {
        url
    };
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let path = path.trim_end_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    let mut parts = path.rsplit('/');
    let name = parts.next()?;
    let owner = parts.next()?;
    (owner_like(owner) && name_like(name)).then(|| format!("{owner}/{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(url: &str) -> Option<&'static str> {
        full_name_from_url(url).map(|s| &*s.leak())
    }

    #[test]
    fn reads_https_ssh_and_scp_urls() {
        assert_eq!(full("https://github.com/curl/curl"), Some("curl/curl"));
        assert_eq!(full("https://github.com/curl/curl.git"), Some("curl/curl"));
        assert_eq!(full("https://github.com/curl/curl/"), Some("curl/curl"));
        assert_eq!(full("https://user:tok@github.com/o/n.git"), Some("o/n"));
        assert_eq!(full("git@github.com:o/n.git"), Some("o/n"));
        assert_eq!(full("github.com:o/n"), Some("o/n"));
        assert_eq!(full("ssh://git@host:22/o/n.git"), Some("o/n"));
        assert_eq!(full("git://host/o/my.repo.git"), Some("o/my.repo"));
    }

    #[test]
    fn local_paths_count_only_when_they_end_in_owner_and_name() {
        assert_eq!(full("/srv/git/o/n.git"), Some("o/n"));
        assert_eq!(full("file:///srv/git/o/n"), Some("o/n"));
        assert_eq!(full("/repo"), None);
        assert_eq!(full("repo"), None);
        assert_eq!(full("/tmp/.tmpXyZ/repo"), None);
        assert_eq!(full("../.."), None);
        assert_eq!(full("https://github.com/"), None);
        assert_eq!(full("https://github.com"), None);
        assert_eq!(full(""), None);
    }
}
