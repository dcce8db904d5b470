//! Views of a person's account: who this device is, its phrase, backups, devices, links.

use serde::{Deserialize, Serialize};

/// A backup written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupView {
    /// The file.
    pub path: String,
    /// Its size.
    pub bytes: u64,
    /// The account it backs up (peer id).
    pub account: String,
    /// Spaces in it.
    pub spaces: u32,
    /// Records in it (0 unless asked for).
    pub records: u64,
}

/// An account restored (from a backup) or recovered (from its phrase) on a new device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreView {
    /// The account (the person), as before.
    pub account: String,
    /// This new device's peer id.
    pub device: String,
    /// The device that made the backup (revoke it if it is lost).
    pub previous_device: Option<String>,
    /// Spaces restored.
    pub spaces: u32,
    /// Records restored from the backup (the rest come from peers).
    pub records: u64,
    /// When the backup was made (ms).
    pub made_ms: Option<u64>,
}

/// One of this person's devices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceView {
    /// Its peer id.
    pub device: String,
    /// This device.
    pub me: bool,
    /// The account's own key (the device that made the account; it cannot be revoked).
    pub account: bool,
    /// When the account certified it (ms); null for the account's own key.
    pub linked_ms: Option<u64>,
    /// Revoked from this time on (ms); null if not.
    pub revoked: Option<u64>,
}

/// A device revoked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRevokedView {
    /// Its peer id.
    pub device: String,
    /// From when (ms): what it signs from then on is refused.
    pub at_ms: u64,
    /// Spaces the revocation was written into.
    pub spaces: u32,
    /// Spaces this person owns whose key was rotated without it.
    pub rotated: u32,
}

/// A link ticket made on the account's device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkTicketView {
    /// The ticket (text, also shown as a QR code).
    pub ticket: String,
    /// The six-digit code to approve the new device with.
    pub code: String,
    /// When it expires (ms).
    pub expires_ms: u64,
}

/// A device linked to an account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedView {
    /// The account (the person).
    pub account: String,
    /// This device.
    pub device: String,
    /// Spaces received.
    pub spaces: u32,
}

/// This node's identity and where it listens.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeView {
    /// The person: their account's id (a peer id). An identity from before accounts is an
    /// account whose only device is this one, so it equals `peer_id`.
    pub account: String,
    /// This device's peer id.
    pub peer_id: String,
    /// Whether this device holds the account's secret (it made the account, or restored it
    /// from a backup or the phrase): backups, links, revocations and the phrase need it. A
    /// linked device does not.
    #[serde(default)]
    pub holds_account: bool,
    /// Short name.
    pub short: String,
    /// The data dir.
    pub data_dir: String,
    /// Addresses the running node listens on (empty when none runs).
    pub listening: Vec<String>,
}

/// The recovery phrase of this person's account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhraseView {
    /// The account it recovers (its peer id).
    pub account: String,
    /// 24 BIP-39 words.
    pub words: String,
}
