//! Exporting a space to a folder (`confab space export`, the app's Export…).

use serde::{Deserialize, Serialize};

use super::{Op, Service};
use crate::view::ExportView;
use crate::NodeError;

/// Writes a joined space's archive into `out` (an absolute path to a new or empty folder).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SpaceExport {
    pub space: String,
    pub out: String,
}

impl Op for SpaceExport {
    const METHOD: &'static str = "space.export";
    type Output = ExportView;
    async fn run(self, svc: &Service) -> Result<ExportView, NodeError> {
        crate::export::export(svc, &self.space, std::path::Path::new(&self.out)).await
    }
}
