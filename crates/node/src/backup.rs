//! Backups of a person (made from an open data dir) and their restoration into an empty one,
//! from a backup file or from the recovery phrase. The file format is
//! [`confab_core::backup`]; a restored or recovered data dir gets a new device key certified by
//! the account, so an account never runs under the id of a device that may still exist.

use std::path::Path;

use confab_core::backup::{self, Contents, Cost, SpaceEntry};
use confab_core::{now_ms, Identity};
use confab_store::Origin;
use ed25519_dalek::SigningKey;

use crate::engine::{
    create_private_dir, Engine, BOOTSTRAP_SETTING, PROFILE_SETTING, TICKET_BOOTSTRAP_SETTING,
};
use crate::view::{BackupView, RestoreView};
use crate::{NodeError, SETTINGS_FILE};

/// Settings that belong to the person, not to one device (a device's own addresses do not).
const PERSONAL_SETTINGS: &[&str] = &[PROFILE_SETTING, BOOTSTRAP_SETTING, TICKET_BOOTSTRAP_SETTING];

/// Encodings read per query when backing records up.
const RECORDS_PER_READ: usize = 16 << 20;

/// What a backup of this data dir holds.
pub(crate) async fn contents(engine: &Engine, with_records: bool) -> Result<Contents, NodeError> {
    let id = engine.identity();
    let Some(secret) = id.account_secret() else {
        return Err(NodeError::Refused(format!(
            "this device does not hold the secret of the account {}: make the backup on the device that does",
            id.account().peer_id()
        )));
    };
    let store = engine.store();
    let (spaces, settings) = personal(engine).await?;
    let mut records = Vec::new();
    if with_records {
        for s in &spaces {
            let id = s.space().map_err(|e| NodeError::Invalid(e.to_string()))?.id;
            let mut keys = store.sync_keys(id).await?;
            while !keys.is_empty() {
                let (mut got, handled) = store.records_by_keys(id, keys.clone(), RECORDS_PER_READ).await?;
                records.append(&mut got);
                keys.drain(..handled.max(1).min(keys.len()));
            }
        }
    }
    let config = match std::fs::read_to_string(engine.dir().join(SETTINGS_FILE)) {
        Ok(s) => Some(s),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(NodeError::io(engine.dir().join(SETTINGS_FILE), e)),
    };
    Ok(Contents {
        made_ms: now_ms(),
        device: id.author(),
        account_secret: secret.to_bytes(),
        spaces,
        settings,
        config,
        records,
    })
}

/// What a person carries to another device of theirs: every joined space (keys, epochs, mute,
/// read position) and the personal settings.
pub(crate) async fn personal(engine: &Engine) -> Result<(Vec<SpaceEntry>, Vec<(String, String)>), NodeError> {
    let store = engine.store();
    let muted = store.muted_spaces().await?;
    let mut spaces = Vec::new();
    for s in store.spaces().await? {
        let read = store.reading(s.id, engine.me()).await?.read_ts;
        spaces.push(SpaceEntry::of(&s, muted.contains(&s.id), read));
    }
    let mut settings = Vec::new();
    for key in PERSONAL_SETTINGS {
        if let Some(v) = store.get_setting(key).await? {
            settings.push((key.to_string(), v));
        }
    }
    Ok((spaces, settings))
}

/// Takes in what [`personal`] gave, on a new device.
pub(crate) async fn take_in(
    engine: &Engine,
    spaces: &[SpaceEntry],
    settings: &[(String, String)],
) -> Result<u32, NodeError> {
    let spaces = spaces
        .iter()
        .map(|e| Ok((e.space()?, e.muted, e.read_ts)))
        .collect::<Result<Vec<_>, backup::BackupError>>()
        .map_err(|e| NodeError::Invalid(e.to_string()))?;
    let store = engine.store();
    for (s, muted, read) in &spaces {
        store.add_space(s.clone()).await?;
        store.set_muted(s.id, *muted).await?;
        store.mark_read(s.id, *read).await?;
    }
    for (k, v) in settings {
        if PERSONAL_SETTINGS.contains(&k.as_str()) {
            store.set_setting(k, v).await?;
        }
    }
    // Counted as people see them: their own space is not one they talk in.
    Ok(spaces
        .iter()
        .filter(|(s, _, _)| s.kind != confab_core::SpaceKind::Personal)
        .count() as u32)
}

/// Makes a backup and writes it to `out` (readable by its owner only; replaced whole, never
/// left half-written).
pub(crate) async fn create(
    engine: &Engine,
    out: &Path,
    passphrase: &str,
    with_records: bool,
) -> Result<BackupView, NodeError> {
    let c = contents(engine, with_records).await?;
    let pass = passphrase.to_string();
    let c2 = c.clone();
    let bytes = tokio::task::spawn_blocking(move || backup::seal(&c2, &pass, Cost::DEFAULT))
        .await
        .map_err(|e| NodeError::Invalid(format!("sealing the backup failed: {e}")))?
        .map_err(|e| NodeError::Invalid(e.to_string()))?;
    write_private(out, &bytes)?;
    Ok(BackupView {
        path: out.display().to_string(),
        bytes: bytes.len() as u64,
        account: engine.me().peer_id(),
        spaces: c
            .spaces
            .iter()
            .filter(|s| s.kind != confab_core::SpaceKind::Personal.code())
            .count() as u32,
        records: c.records.len() as u64,
    })
}

/// Refuses a data dir that already holds an identity or a database: restoring never mixes two
/// people's data, nor replaces anyone's.
pub(crate) fn check_empty(dir: &Path) -> Result<(), NodeError> {
    for f in [confab_core::identity::IDENTITY_FILE, confab_store::DB_FILE] {
        if dir.join(f).exists() {
            return Err(NodeError::Refused(format!(
                "{} already holds an identity ({f}); restore into an empty data dir",
                dir.display()
            )));
        }
    }
    Ok(())
}

/// Restores a backup into `dir`, which must hold no identity. The passphrase is checked and
/// the whole file opened before anything is written.
pub async fn restore(dir: &Path, file: &[u8], passphrase: &str) -> Result<RestoreView, NodeError> {
    check_empty(dir)?;
    let (file, pass) = (file.to_vec(), passphrase.to_string());
    let c = tokio::task::spawn_blocking(move || backup::open(&file, &pass))
        .await
        .map_err(|e| NodeError::Invalid(format!("opening the backup failed: {e}")))?
        .map_err(|e| NodeError::Invalid(e.to_string()))?;
    for e in &c.spaces {
        e.space().map_err(|e| NodeError::Invalid(e.to_string()))?;
    }
    let account = SigningKey::from_bytes(&c.account_secret);
    let engine = new_device(dir, &account, c.config.as_deref()).await?;
    let spaces = take_in(&engine, &c.spaces, &c.settings).await?;
    let store = engine.store();
    let mut records = 0u64;
    if !c.records.is_empty() {
        let report = store.ingest(c.records, Origin::Sync).await?;
        records = report.inserted.len() as u64;
    }
    Ok(RestoreView {
        account: engine.me().peer_id(),
        device: engine.device().peer_id(),
        previous_device: Some(c.device.peer_id()),
        spaces,
        records,
        made_ms: Some(c.made_ms),
    })
}

/// Recovers an account from its recovery phrase into `dir`, which must hold no identity: a new
/// device of the account, with no spaces yet (rejoin them by ticket; a backup brings them back
/// whole).
pub async fn recover(dir: &Path, words: &str) -> Result<RestoreView, NodeError> {
    check_empty(dir)?;
    let secret =
        confab_core::account::secret_from_phrase(words).map_err(|e| NodeError::Invalid(e.to_string()))?;
    let engine = new_device(dir, &SigningKey::from_bytes(&secret), None).await?;
    Ok(RestoreView {
        account: engine.me().peer_id(),
        device: engine.device().peer_id(),
        previous_device: None,
        spaces: 0,
        records: 0,
        made_ms: None,
    })
}

/// A new device of `account` in `dir`, and its engine.
async fn new_device(dir: &Path, account: &SigningKey, config: Option<&str>) -> Result<Engine, NodeError> {
    create_private_dir(dir)?;
    if let Some(cfg) = config {
        write_private(&dir.join(SETTINGS_FILE), cfg.as_bytes())?;
    }
    Identity::create_device(dir, account, now_ms())?;
    Engine::open(dir).await
}

/// Writes a file readable by its owner only, whole: to a temporary name, synced, then renamed.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<(), NodeError> {
    use std::io::Write;
    let name = path
        .file_name()
        .ok_or_else(|| NodeError::Invalid(format!("{} is not a file name", path.display())))?;
    let tmp = path.with_file_name(format!(".{}.tmp", name.to_string_lossy()));
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let write = || -> std::io::Result<()> {
        let mut f = o.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    };
    write().map_err(|e| NodeError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| NodeError::io(path, e))
}
