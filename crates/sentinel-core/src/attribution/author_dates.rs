//! The author dates of a repository's commits, by author: what "the same author's previous
//! commit" (the velocity signal's context) is when a whole history is attributed at once.
//!
//! The attribution job asks the store for the latest author date of the same author before
//! the commit's own. A scan of thousands of commits answers the same question from memory:
//! it loads the dates the store has, adds those of every commit it is about to record, and
//! then asks, so each commit gets the answer it would get with everything already stored.

use crate::clock::Millis;
use std::collections::{BTreeSet, HashMap};

/// Author dates by author e-mail (exactly as git wrote it, as the store compares them).
#[derive(Debug, Clone, Default)]
pub struct AuthorDates {
    by_author: HashMap<String, BTreeSet<Millis>>,
}

impl AuthorDates {
    pub fn new() -> Self {
        Self::default()
    }

    /// Notes that `email` authored a commit at `at`.
    pub fn insert(&mut self, email: &str, at: Millis) {
        match self.by_author.get_mut(email) {
            Some(dates) => {
                dates.insert(at);
            }
            None => {
                self.by_author
                    .insert(email.to_owned(), BTreeSet::from([at]));
            }
        }
    }

    /// The latest date of `email`'s commits strictly before `before`.
    pub fn previous(&self, email: &str, before: Millis) -> Option<Millis> {
        self.by_author
            .get(email)?
            .range(..before)
            .next_back()
            .copied()
    }

    /// How many distinct (author, date) pairs are known.
    pub fn len(&self) -> usize {
        self.by_author.values().map(BTreeSet::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.by_author.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_previous_date_is_strictly_earlier_and_per_author() {
        let mut dates = AuthorDates::new();
        for at in [300, 100, 200, 200] {
            dates.insert("ann@example.com", at);
        }
        dates.insert("bob@example.com", 250);
        assert_eq!(dates.len(), 4);
        assert_eq!(dates.previous("ann@example.com", 100), None);
        assert_eq!(dates.previous("ann@example.com", 101), Some(100));
        assert_eq!(dates.previous("ann@example.com", 200), Some(100));
        assert_eq!(dates.previous("ann@example.com", 1_000), Some(300));
        assert_eq!(dates.previous("bob@example.com", 300), Some(250));
        // E-mails are compared exactly, as the store compares them.
        assert_eq!(dates.previous("Ann@example.com", 1_000), None);
        assert_eq!(dates.previous("cy@example.com", 1_000), None);
    }
}
