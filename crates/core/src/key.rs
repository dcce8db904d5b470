//! The symmetric key of a space (or of one of its epochs).

use std::fmt;

/// The 32-byte symmetric key every member holds; it encrypts bodies and derives the space id.
#[derive(Clone, PartialEq, Eq)]
pub struct SpaceKey(pub [u8; 32]);

impl fmt::Debug for SpaceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SpaceKey(…)")
    }
}

impl SpaceKey {
    /// A fresh random key.
    pub fn random() -> Self {
        Self(rand::random())
    }
}
