//! The one error type the UI sees: a stable code and a human message.

use serde::Serialize;

/// An error as the UI receives it.
#[derive(Debug, Clone, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct UiError {
    /// Stable, for code: the node's codes (`invalid`, `refused`, `removed`, `not_found`,
    /// `locked`, `offline`, `network`, `io`, `node`).
    pub code: String,
    /// For people.
    pub message: String,
}

impl UiError {
    /// An error with this code and message.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
        }
    }

    /// Bad input from the UI.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new("invalid", message)
    }
}

impl From<confab_node::NodeError> for UiError {
    fn from(e: confab_node::NodeError) -> Self {
        Self::new(e.code(), e.to_string())
    }
}
