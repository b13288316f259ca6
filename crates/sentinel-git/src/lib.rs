//! Reading repositories with the git CLI.
//!
//! A local clone's history becomes [`sentinel_core::code::Commit`] values: [`Repo::log`]
//! spawns one `git log -p` and parses its output as it arrives, oldest commit first, so a
//! history of any length is read in bounded memory. [`Repo`] also answers the small questions
//! a scan needs first: which GitHub repository the clone belongs to, its default branch, and
//! what a revision names. [`Repo::verify_diagnosis`] checks an autopsy's patch and regression test
//! in a throwaway work tree.

mod blame;
mod blob;
mod command;
mod error;
mod header;
mod lines;
mod parser;
mod patch;
mod quote;
mod range;
mod remote;
mod repo;
mod stream;
mod verify;

pub use blame::BlamedLine;
pub use blob::FileAt;
pub use error::GitError;
pub use parser::{Limits, LogParser};
pub use range::CommitRange;
pub use remote::full_name_from_url;
pub use repo::{CommitSummary, LogOptions, Repo};
pub use stream::CommitStream;
pub use verify::{PatchedFile, RunOutcome, TestCommand, Worktree};
