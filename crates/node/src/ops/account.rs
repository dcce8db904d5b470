//! Operations on this person's account: backups (restore and recovery run before a node
//! exists: see [`crate::backup`]).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{Op, Service};
use crate::view::{BackupView, DeviceRevokedView, DeviceView, LinkTicketView};
use crate::NodeError;

/// Writes an encrypted backup of this person: the account secret, every space with its keys,
/// settings and mutes, and the records if asked.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BackupCreate {
    /// Where to write it (replaced whole if it exists).
    pub out: PathBuf,
    /// What seals it.
    pub passphrase: String,
    /// Also the records held here (otherwise they come back from peers).
    #[serde(default)]
    pub with_records: bool,
}

impl Op for BackupCreate {
    const METHOD: &'static str = "backup.create";
    type Output = BackupView;
    async fn run(self, svc: &Service) -> Result<BackupView, NodeError> {
        crate::backup::create(&svc.engine, &self.out, &self.passphrase, self.with_records).await
    }
}

/// This person's devices.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeviceList {}

impl Op for DeviceList {
    const METHOD: &'static str = "device.list";
    type Output = Vec<DeviceView>;
    async fn run(self, svc: &Service) -> Result<Vec<DeviceView>, NodeError> {
        svc.engine.devices().await
    }
}

/// Revokes one of this person's devices (lost or stolen).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeviceRevoke {
    /// Its peer id.
    pub device: String,
}

impl Op for DeviceRevoke {
    const METHOD: &'static str = "device.revoke";
    type Output = DeviceRevokedView;
    async fn run(self, svc: &Service) -> Result<DeviceRevokedView, NodeError> {
        svc.engine.revoke_device(&self.device).await
    }
}

/// Makes a one-time link ticket for a new device (the node must run: the new device dials it).
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeviceLinkTicket {
    /// How long it lasts (default ten minutes).
    #[serde(default)]
    pub ttl_secs: Option<u64>,
}

impl Op for DeviceLinkTicket {
    const METHOD: &'static str = "device.link_ticket";
    type Output = LinkTicketView;
    async fn run(self, svc: &Service) -> Result<LinkTicketView, NodeError> {
        let node = svc.node("making a link ticket")?;
        crate::linking::ticket(&svc.engine, node, self.ttl_secs).await
    }
}

/// Approves the new device that asked with the ticket of this code.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeviceApprove {
    /// The ticket's six-digit code.
    pub code: String,
}

impl Op for DeviceApprove {
    const METHOD: &'static str = "device.approve";
    type Output = DeviceView;
    async fn run(self, svc: &Service) -> Result<DeviceView, NodeError> {
        let node = svc.node("approving a device")?;
        crate::linking::approve(&svc.engine, node, &self.code).await
    }
}
