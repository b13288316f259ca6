//! `GET /repos/{owner}/{repo}/compare/{base}...{head}`: the commits a deploy ships over the
//! previous deploy, when the repository has no local clone. GitHub pages the list oldest
//! first; a bounded number of pages is read, so a huge range comes back cut and says so.

use serde::Deserialize;

use super::client::{check_sha, split_full_name, GithubClient};
use super::error::GithubError;

/// The most commits one page of the compare API carries.
const PAGE_SIZE: usize = 100;

/// What GitHub says `head` adds over `base`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Comparison {
    /// Newest first, at most the limit asked for.
    Commits { shas: Vec<String>, truncated: bool },
    /// GitHub has no such base or head (404), e.g. force-pushed away.
    Missing,
}

#[derive(Deserialize)]
struct CompareWire {
    total_commits: usize,
    commits: Vec<ShaWire>,
}

#[derive(Deserialize)]
struct ShaWire {
    sha: String,
}

impl GithubClient {
    /// The commits reachable from `head` and not from `base`, newest first, reading at most
    /// `limit` of them (rounded up to whole pages of 100).
    pub async fn compare(
        &self,
        installation_id: u64,
        full_name: &str,
        base: &str,
        head: &str,
        limit: usize,
    ) -> Result<Comparison, GithubError> {
        let (owner, repo) = split_full_name(full_name)?;
        check_sha(base)?;
        check_sha(head)?;
        let basehead = format!("{base}...{head}");
        let first = match self
            .compare_page(installation_id, owner, repo, &basehead, 1)
            .await?
        {
            Some(page) => page,
            None => return Ok(Comparison::Missing),
        };
        let total = first.total_commits;
        let pages = total.div_ceil(PAGE_SIZE).max(1);
        // Pages run oldest first. When not all are needed, the newest commits are the ones
        // worth having: read the fewest last pages that hold `limit` of them.
        let mut last_pages = 1;
        while last_pages < pages && total - (pages - last_pages) * PAGE_SIZE < limit {
            last_pages += 1;
        }
        let (mut shas, wanted): (Vec<String>, Vec<usize>) = if last_pages == pages {
            (
                first.commits.into_iter().map(|c| c.sha).collect(),
                (2..=pages).collect(),
            )
        } else {
            (Vec::new(), (pages + 1 - last_pages..=pages).collect())
        };
        for number in wanted {
            match self
                .compare_page(installation_id, owner, repo, &basehead, number)
                .await?
            {
                Some(page) => shas.extend(page.commits.into_iter().map(|c| c.sha)),
                None => return Ok(Comparison::Missing),
            }
        }
        shas.reverse();
        shas.truncate(limit);
        Ok(Comparison::Commits {
            truncated: shas.len() < total,
            shas,
        })
    }

    async fn compare_page(
        &self,
        installation_id: u64,
        owner: &str,
        repo: &str,
        basehead: &str,
        page: usize,
    ) -> Result<Option<CompareWire>, GithubError> {
        let mut url = self.endpoint(&["repos", owner, repo, "compare", basehead])?;
        url.query_pairs_mut()
            .append_pair("per_page", &PAGE_SIZE.to_string())
            .append_pair("page", &page.to_string());
        let answer = self.get_as_installation(installation_id, url).await?;
        if matches!(answer.status, 404 | 422) {
            return Ok(None);
        }
        if !answer.is_success() {
            return Err(answer.into_error(self.now_ms()));
        }
        Ok(Some(answer.json()?))
    }
}
