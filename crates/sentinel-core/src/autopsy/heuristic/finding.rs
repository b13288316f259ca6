//! What a rule concludes: the category, the expression on the focus line the fault is
//! about, and how sure the rule is. The guard and the test are written from this.

use crate::autopsy::Category;

/// The expression on the focus line that the fault is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Subject {
    /// `receiver.member` where the receiver was None/undefined/null.
    Receiver { receiver: String, member: String },
    /// `container[key]` where the key was missing or the index out of range; `key` is the
    /// source text inside the brackets.
    Subscript { container: String, key: String },
    /// The divisor that was zero.
    Divisor(String),
    /// A variable whose value had the wrong type, and the conversion that fixes it
    /// (`int`, `str`, `float`, `String`, `Number`).
    Coerce { name: String, into: String },
    /// A configuration value read from the environment: its name and the expression that
    /// reads it (`os.environ["X"]`, `process.env.X`).
    Setting { name: String, read: String },
    /// `receiver.unwrap()` / `.expect(…)` in Rust.
    Unwrap { receiver: String },
    /// The whole statement on the focus line (a call that raised: parse, dependency,
    /// upstream).
    Statement,
}

impl Subject {
    /// The variable or expression the root cause names.
    pub(crate) fn expression(&self) -> String {
        match self {
            Self::Receiver { receiver, .. } => receiver.clone(),
            Self::Subscript { container, key } => format!("{container}[{key}]"),
            Self::Divisor(d) => d.clone(),
            Self::Coerce { name, .. } => name.clone(),
            Self::Setting { read, .. } => read.clone(),
            Self::Unwrap { receiver } => receiver.clone(),
            Self::Statement => String::new(),
        }
    }
}

/// One rule's conclusion.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Finding {
    pub category: Category,
    /// `None` when the rule recognised the exception but not the expression on the line.
    pub subject: Option<Subject>,
    pub confidence: f64,
    /// One sentence on why this happens, without file and line (added by the caller).
    pub explanation: String,
}

impl Finding {
    pub(crate) fn new(category: Category, confidence: f64, explanation: impl Into<String>) -> Self {
        Self {
            category,
            subject: None,
            confidence,
            explanation: explanation.into(),
        }
    }

    pub(crate) fn with(mut self, subject: Option<Subject>) -> Self {
        if subject.is_none() {
            // The exception was recognised but the line does not show the expression.
            self.confidence *= 0.7;
        }
        self.subject = subject;
        self
    }
}
