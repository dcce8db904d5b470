//! The client's exports of spaces.

use super::files::absolute;
use super::Client;
use crate::ops::*;
use crate::view::*;
use crate::NodeError;

impl Client {
    /// Exports a joined space into `out`, a new or empty folder: readable pages, the
    /// readable and the signed entries, and a manifest this identity signs; never a key.
    /// Check it with [`crate::verify_archive`].
    pub async fn space_export(&self, space: &str, out: &std::path::Path) -> Result<ExportView, NodeError> {
        self.call(SpaceExport {
            space: space.into(),
            out: absolute(out)?,
        })
        .await
    }
}
