//! The client's account and devices: the recovery phrase, linked devices, backups.

use super::Client;
use crate::ops::*;
use crate::view::*;
use crate::NodeError;

impl Client {
    /// The recovery phrase of this person's account (24 words); `confirmed` says the person
    /// was asked and agreed to see it.
    pub async fn identity_phrase(&self, confirmed: bool) -> Result<PhraseView, NodeError> {
        self.call(IdentityPhrase { confirmed }).await
    }

    /// This person's devices.
    pub async fn devices(&self) -> Result<Vec<DeviceView>, NodeError> {
        self.call(DeviceList {}).await
    }

    /// Makes a one-time link ticket for a new device of this person (the node must run).
    pub async fn link_ticket(&self, ttl_secs: Option<u64>) -> Result<LinkTicketView, NodeError> {
        self.call(DeviceLinkTicket { ttl_secs }).await
    }

    /// Approves the new device that asked with the ticket of `code`.
    pub async fn approve_device(&self, code: &str) -> Result<DeviceView, NodeError> {
        self.call(DeviceApprove {
            code: code.to_string(),
        })
        .await
    }

    /// Revokes one of this person's devices (on a device that holds the account secret).
    pub async fn revoke_device(&self, device: &str) -> Result<DeviceRevokedView, NodeError> {
        self.call(DeviceRevoke {
            device: device.to_string(),
        })
        .await
    }

    /// Writes an encrypted backup of this person to `out`, sealed with `passphrase`
    /// (the records too if `with_records`).
    pub async fn backup_create(
        &self,
        out: &std::path::Path,
        passphrase: &str,
        with_records: bool,
    ) -> Result<crate::view::BackupView, NodeError> {
        self.call(BackupCreate {
            out: out.to_path_buf(),
            passphrase: passphrase.to_string(),
            with_records,
        })
        .await
    }
}
