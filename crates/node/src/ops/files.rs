//! Files: attaching them to what is written (each encrypted into a blob of its own, with a
//! preview for pictures), listing a space's files, and saving one where the user says.

use std::path::PathBuf;
use std::time::Duration;

use confab_blobs::BlobId;
use confab_core::body::MAX_FILES;
use confab_core::{check_file_name, FileRef};
use confab_store::StoredFile;
use serde::{Deserialize, Serialize};

use super::{Op, Service};
use crate::view::{BlobView, FileView, SavedView};
use crate::NodeError;

/// How long `blob get` waits for a running node to fetch a file, unless told.
pub const DEFAULT_FETCH_SECS: u64 = 300;

/// Encrypts each file into a blob and describes it for a record: name, size, media type,
/// and a preview for pictures. Refused by name: more than [`MAX_FILES`], a file over the
/// size cap, a picture over the decoding limits.
pub(crate) async fn attach(svc: &Service, paths: &[String]) -> Result<Vec<FileRef>, NodeError> {
    if paths.len() > MAX_FILES {
        return Err(NodeError::Invalid(format!(
            "{} files attached; at most {MAX_FILES} per message",
            paths.len()
        )));
    }
    let limits = svc.engine.file_limits()?;
    let mut out = Vec::with_capacity(paths.len());
    for p in paths {
        let src = Source::Path(PathBuf::from(p));
        out.push(import(svc, src, limits.max_file, false).await?);
    }
    Ok(out)
}

/// Largest picture placed on a board: every member fetches it by itself to show it whole.
pub const MAX_BOARD_PICTURE: u64 = 25 << 20;

/// What a file is attached from: a file on this machine, or bytes (a picture pasted or
/// dropped in the app; through the local socket only as large as a request may be).
#[derive(Debug)]
pub(crate) enum Source {
    /// A file.
    Path(PathBuf),
    /// Bytes and the name they go by.
    Bytes {
        /// A file name (no directories); its extension gives the media type.
        name: String,
        /// The picture.
        bytes: Vec<u8>,
    },
}

impl Source {
    fn name(&self) -> Result<String, NodeError> {
        let name = match self {
            Source::Path(p) => p
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| NodeError::Invalid(format!("{} does not name a file", p.display())))?
                .to_string(),
            Source::Bytes { name, .. } => name.clone(),
        };
        check_file_name(&name)?;
        Ok(name)
    }
}

/// Encrypts a picture for a board into a blob and describes it, with the sender's preview:
/// only the kinds of picture the app shows ([`PICTURE_TYPES`]), that decode, up to
/// [`MAX_BOARD_PICTURE`] (and the node's file cap).
pub(crate) async fn attach_picture(svc: &Service, src: Source) -> Result<FileRef, NodeError> {
    let name = src.name()?;
    let mime = crate::media::mime_of(&name);
    if !PICTURE_TYPES.contains(&mime.as_str()) {
        return Err(NodeError::Invalid(format!(
            "{name:?} is not a picture the board shows (PNG, JPEG, GIF or WebP, by its name)"
        )));
    }
    let max = svc.engine.file_limits()?.max_file.min(MAX_BOARD_PICTURE);
    import(svc, src, max, true).await
}

/// Encrypts one file into a blob (refused over `max` bytes before anything is stored) and
/// describes it, with a preview if it is a picture; `picture`: it must be one that decodes.
async fn import(svc: &Service, src: Source, max: u64, picture: bool) -> Result<FileRef, NodeError> {
    let name = src.name()?;
    let mime = crate::media::mime_of(&name);
    let blobs = svc.engine.blobs().clone();
    let what = name.clone();
    let (imported, thumb) = tokio::task::spawn_blocking(move || -> Result<_, NodeError> {
        let too_large = |size: u64| -> NodeError {
            confab_blobs::BlobError::TooLarge {
                what: format!("file {name:?}"),
                size,
                max,
            }
            .into()
        };
        let image = mime.starts_with("image/");
        match &src {
            Source::Path(path) => {
                // Checked before anything is stored.
                let meta = std::fs::metadata(path).map_err(|e| NodeError::io(path, e))?;
                if meta.len() > max {
                    return Err(too_large(meta.len()));
                }
                let thumb = if image {
                    crate::media::thumbnail(path, &name)?
                } else {
                    None
                };
                if picture && thumb.is_none() {
                    return Err(not_a_picture(&name));
                }
                Ok((blobs.import(path, max)?, thumb))
            }
            Source::Bytes { bytes, .. } => {
                if bytes.len() as u64 > max {
                    return Err(too_large(bytes.len() as u64));
                }
                let thumb = if image {
                    crate::media::thumbnail_of_bytes(bytes, &name)?
                } else {
                    None
                };
                if picture && thumb.is_none() {
                    return Err(not_a_picture(&name));
                }
                Ok((blobs.import_bytes(bytes)?, thumb))
            }
        }
    })
    .await
    .map_err(|e| NodeError::Invalid(format!("attaching {what:?}: {e}")))??;
    Ok(FileRef {
        blob: imported.id.0,
        key: imported.key.0,
        size: imported.size,
        mime: crate::media::mime_of(&what),
        name: what,
        thumb,
    })
}

fn not_a_picture(name: &str) -> NodeError {
    NodeError::Invalid(format!(
        "{name:?} cannot be read as a picture (damaged, or not the kind its name says)"
    ))
}

/// Fills in which files are here whole.
pub(crate) fn mark_held(svc: &Service, files: &mut [FileView]) {
    for f in files {
        f.held = f
            .blob
            .parse::<BlobId>()
            .is_ok_and(|b| svc.engine.blobs().is_complete(&b));
    }
}

/// The one blob whose id starts with `prefix`, and the first file stored in it.
async fn resolve(svc: &Service, prefix: &str) -> Result<StoredFile, NodeError> {
    let p = prefix.trim();
    if p.is_empty() || p.len() > 64 || !p.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Err(NodeError::Invalid(format!(
            "{prefix:?} is not a blob id (64 hex digits, or a unique prefix)"
        )));
    }
    let files = svc.engine.store().files_by_blob(p.to_string()).await?;
    let mut blobs: Vec<[u8; 32]> = files.iter().map(|f| f.blob).collect();
    blobs.dedup();
    match blobs.len() {
        0 => Err(NodeError::NotFound(format!(
            "no file held here is stored in a blob {p}…"
        ))),
        1 => Ok(files.into_iter().next().expect("one")),
        n => Err(NodeError::Invalid(format!(
            "{p} is the start of {n} blobs' ids; give more digits"
        ))),
    }
}

/// The files of a space: each blob once, whether it is here and who is known to hold it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BlobList {
    pub space: String,
}

impl Op for BlobList {
    const METHOD: &'static str = "blob.list";
    type Output = Vec<BlobView>;
    async fn run(self, svc: &Service) -> Result<Vec<BlobView>, NodeError> {
        let s = svc.space(&self.space).await?;
        let files = svc.engine.store().files(s.id).await?;
        let holders = match &svc.node {
            Some(n) => n.blob_holders().await?,
            None => Default::default(),
        };
        let mut out: Vec<BlobView> = Vec::new();
        for f in files {
            let id = BlobId(f.blob);
            let hex = id.to_string();
            if out.iter().any(|b| b.blob == hex) {
                continue;
            }
            let mut hs: Vec<String> = holders
                .get(&id)
                .map(|v| v.iter().map(|p| p.to_string()).collect())
                .unwrap_or_default();
            hs.sort();
            out.push(BlobView {
                blob: hex,
                name: f.name,
                size: f.size,
                mime: f.mime,
                held: svc.engine.blobs().is_complete(&id),
                holders: hs,
            });
        }
        Ok(out)
    }
}

/// Media types shown as pictures in the app (never SVG, which can carry script).
pub const PICTURE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// A picture to show: the sender's preview, or the whole picture once it is here (up to the
/// automatic fetch size). `None` if there is none to show (not a picture, not here yet).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FilePicture {
    pub blob: String,
    #[serde(default)]
    pub thumb: bool,
}

/// A picture's bytes and media type.
#[derive(Debug, Serialize, Deserialize)]
pub struct Picture {
    /// `image/png`, …
    pub mime: String,
    /// The encoded picture.
    pub bytes: Vec<u8>,
}

impl Op for FilePicture {
    const METHOD: &'static str = "file.picture";
    type Output = Option<Picture>;
    async fn run(self, svc: &Service) -> Result<Option<Picture>, NodeError> {
        let id: BlobId = self.blob.parse()?;
        if self.thumb {
            return Ok(svc.engine.store().file_thumb(id.0).await?.map(|bytes| Picture {
                mime: "image/jpeg".into(),
                bytes,
            }));
        }
        let Some(f) = svc
            .engine
            .store()
            .files_by_blob(id.to_string())
            .await?
            .into_iter()
            .next()
        else {
            return Ok(None);
        };
        if !PICTURE_TYPES.contains(&f.mime.as_str()) || !svc.engine.blobs().is_complete(&id) {
            return Ok(None);
        }
        let max = svc.engine.file_limits()?.auto_fetch.max(25 << 20);
        let blobs = svc.engine.blobs().clone();
        let key = confab_blobs::BlobKey(f.key);
        let bytes = tokio::task::spawn_blocking(move || blobs.read(&id, &key, max))
            .await
            .map_err(|e| NodeError::Invalid(format!("reading a picture: {e}")))??;
        Ok(Some(Picture { mime: f.mime, bytes }))
    }
}

/// Saves a file (decrypted) at `out`, or inside `out` under its own name if `out` is a
/// directory. A running node fetches it first if it is not here, waiting up to
/// `timeout_secs`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BlobGet {
    pub blob: String,
    pub out: String,
    #[serde(default)]
    pub timeout_secs: Option<u64>,
}

impl Op for BlobGet {
    const METHOD: &'static str = "blob.get";
    type Output = SavedView;
    async fn run(self, svc: &Service) -> Result<SavedView, NodeError> {
        let f = resolve(svc, &self.blob).await?;
        let id = BlobId(f.blob);
        let mut out = PathBuf::from(&self.out);
        if out.is_dir() {
            // The sender's name, but only as a name inside the directory the user chose.
            check_file_name(&f.name)?;
            out = out.join(&f.name);
        }
        if !svc.engine.blobs().is_complete(&id) {
            let max = svc.engine.file_limits()?.max_file;
            if f.size > max {
                return Err(confab_blobs::BlobError::TooLarge {
                    what: format!("file {:?}", f.name),
                    size: f.size,
                    max,
                }
                .into());
            }
            let node = svc.node("fetching a file that is not here")?;
            let secs = self.timeout_secs.unwrap_or(DEFAULT_FETCH_SECS);
            match tokio::time::timeout(Duration::from_secs(secs), node.fetch_blob(id, f.size, f.space)).await
            {
                Err(_) => {
                    return Err(NodeError::Network(format!(
                    "file {:?} ({}) was not fetched within {secs} s: no member that holds it is reachable",
                    f.name,
                    id.short()
                )))
                }
                Ok(r) => r?.map_err(NodeError::Network)?,
            }
        }
        let blobs = svc.engine.blobs().clone();
        let key = confab_blobs::BlobKey(f.key);
        let path = out.clone();
        let size = tokio::task::spawn_blocking(move || blobs.export(&id, &key, &path))
            .await
            .map_err(|e| NodeError::Invalid(format!("saving: {e}")))??;
        Ok(SavedView {
            blob: id.to_string(),
            name: f.name,
            size,
            path: out.display().to_string(),
        })
    }
}
