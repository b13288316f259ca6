//! Line survival: of the lines a class of commits added, the share still present unchanged at
//! the default branch's head (blame attributes them to the commit that added them).

use serde::{Deserialize, Serialize};

/// Lines added and lines of them still blamed on their commit, for one class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurvivalCounts {
    pub added: u64,
    pub surviving: u64,
}

impl SurvivalCounts {
    /// Surviving over added, 0..=1; `None` when nothing was added.
    pub fn share(&self) -> Option<f64> {
        (self.added > 0).then(|| self.surviving.min(self.added) as f64 / self.added as f64)
    }
}

/// AI lines and human lines (the control) side by side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurvivalShare {
    pub ai: SurvivalCounts,
    pub human: SurvivalCounts,
}
