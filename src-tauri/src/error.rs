//! The one error type the UI sees: a stable code and a human message.

use serde::Serialize;

/// An error as the UI receives it.
#[derive(Debug, Clone, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct UiError {
    /// Stable, for code: `invalid`, `not_found`, `refused`, `node`, `io`.
    pub code: &'static str,
    /// For people.
    pub message: String,
}

impl UiError {
    /// An error with this code and message.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
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
        use confab_node::NodeError as E;
        use confab_store::StoreError as S;
        let code = match &e {
            E::Invalid(_) | E::Ticket(_) | E::Record(_) => "invalid",
            E::Store(S::UnknownSpace(_)) => "not_found",
            E::Store(S::Refused(_)) => "refused",
            _ => "node",
        };
        Self::new(code, e.to_string())
    }
}

impl From<confab_store::StoreError> for UiError {
    fn from(e: confab_store::StoreError) -> Self {
        confab_node::NodeError::from(e).into()
    }
}
