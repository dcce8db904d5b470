//! Exporting a space to a folder people can read and anyone can check (the format is
//! [`confab_core::archive`]), and checking such a folder. The export reads the space's
//! records from the store, decrypts them here with the space's keys, and writes readable
//! pages, the readable entries, the signed entries and the manifest this identity signs —
//! never a key. Checking needs no data dir: [`verify_archive`].

mod board;
mod html;
mod news;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use confab_core::archive::{self, Content, ContentEntry, Report};
use confab_core::{Record, Space, SpaceKind, SyncKey};
use ed25519_dalek::SigningKey;

use crate::ops::Service;
use crate::view::{ExportView, FeedView};
use crate::NodeError;

/// Most files, and most bytes in all, [`verify_archive`] reads.
const MAX_FILES: usize = 100_000;
const MAX_BYTES: u64 = 4 << 30;

/// Keys asked of the store at a time, and the bytes of records it answers with at most.
const BATCH_KEYS: usize = 4096;
const BATCH_BYTES: usize = 8 << 20;

/// Exports a joined space into `out`, a folder that must be new or empty.
pub(crate) async fn export(svc: &Service, space: &str, out: &Path) -> Result<ExportView, NodeError> {
    let s = svc.space(space).await?;
    check_out(out)?;
    let raws = all_records(svc, &s).await?;
    let key = svc.engine.identity().signing_key().clone();
    let out = out.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let (files, records) = build(&s, raws, &key, confab_core::now_ms())?;
        write_folder(&out, &files)?;
        Ok(ExportView {
            space: s.id.to_string(),
            kind: s.kind.as_str().into(),
            name: s.name.clone(),
            dir: out.display().to_string(),
            records,
            files: files.keys().cloned().collect(),
        })
    })
    .await
    .map_err(|e| NodeError::Invalid(format!("exporting: {e}")))?
}

/// Every live record of a space, encoded.
async fn all_records(svc: &Service, s: &Space) -> Result<Vec<Vec<u8>>, NodeError> {
    let store = svc.engine.store();
    let keys = store.sync_keys(s.id).await?;
    let mut raws = Vec::with_capacity(keys.len());
    let mut rest: &[SyncKey] = &keys;
    while !rest.is_empty() {
        let batch = rest[..rest.len().min(BATCH_KEYS)].to_vec();
        let (got, handled) = store.records_by_keys(s.id, batch, BATCH_BYTES).await?;
        raws.extend(got);
        rest = &rest[handled.clamp(1, rest.len())..];
    }
    Ok(raws)
}

/// Writes a newsletter's Atom feed to `out`, a new file (written beside it, then renamed).
pub(crate) async fn feed(svc: &Service, space: &str, out: &Path) -> Result<FeedView, NodeError> {
    let s = svc.space(space).await?;
    if s.kind != SpaceKind::News {
        return Err(NodeError::Invalid(format!(
            "{:?} is a {} space; feeds are of newsletters",
            s.name, s.kind
        )));
    }
    if out.exists() {
        return Err(NodeError::Invalid(format!(
            "{} exists: a feed is written to a new file",
            out.display()
        )));
    }
    let raws = all_records(svc, &s).await?;
    let out = out.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let (recs, entries) = decrypt_all(&s, raws)?;
        let names = archive::names(&entries);
        let meta = html::Meta {
            kind: s.kind.as_str(),
            name: &s.name,
            exporter: "",
            exported_ms: confab_core::now_ms(),
            records: recs.len(),
            names: &names,
        };
        let by_id: HashMap<String, &Record> = recs.iter().map(|r| (r.id.to_string(), r)).collect();
        let (xml, issues, corrections) = news::feed_only(&entries, &by_id, &s.id.to_string(), &meta);
        let tmp = out.with_extension(format!("partial-{}", std::process::id()));
        std::fs::write(&tmp, xml.as_bytes()).map_err(|e| NodeError::io(&tmp, e))?;
        std::fs::rename(&tmp, &out).map_err(|e| NodeError::io(&out, e))?;
        Ok(FeedView {
            space: s.id.to_string(),
            file: out.display().to_string(),
            issues,
            corrections,
            bytes: xml.len(),
        })
    })
    .await
    .map_err(|e| NodeError::Invalid(format!("writing the feed: {e}")))?
}

/// Records decoded, in (ts, id) order, with their readable entries.
fn decrypt_all(s: &Space, raws: Vec<Vec<u8>>) -> Result<(Vec<Record>, Vec<ContentEntry>), NodeError> {
    let mut recs = Vec::with_capacity(raws.len());
    for raw in raws {
        recs.push(Record::decode(&raw)?);
    }
    recs.sort_by_key(|r| (r.ts, r.id));
    let mut entries = Vec::with_capacity(recs.len());
    for r in &recs {
        let body = s
            .decrypt(r)
            .map_err(|e| NodeError::Invalid(format!("cannot export {:?}: {e}", s.name)))?;
        entries.push(ContentEntry::of(r, &body));
    }
    Ok((recs, entries))
}

/// The archive's files: every record decrypted into the readable entries and pages, the
/// signed entries, the manifest and its signature; checked as `confab verify` will check it
/// before anything is written.
fn build(
    s: &Space,
    raws: Vec<Vec<u8>>,
    exporter: &SigningKey,
    now_ms: u64,
) -> Result<(BTreeMap<String, Vec<u8>>, usize), NodeError> {
    let (recs, entries) = decrypt_all(s, raws)?;
    let names = archive::names(&entries);
    let exporter_peer = confab_core::AuthorKey(exporter.verifying_key().to_bytes()).peer_id();
    let meta = html::Meta {
        kind: s.kind.as_str(),
        name: &s.name,
        exporter: &exporter_peer,
        exported_ms: now_ms,
        records: recs.len(),
        names: &names,
    };
    let mut files = BTreeMap::new();
    files.insert(archive::RECORDS.to_string(), archive::records_file(&recs));
    match s.kind {
        SpaceKind::Personal => {
            return Err(NodeError::Refused(
                "a person's own space is not exported: it holds the keys of all their spaces".into(),
            ))
        }
        SpaceKind::Chat => {
            let page = html::chat(&entries, &s.owner.peer_id(), &meta);
            files.insert(archive::INDEX.into(), page.into_bytes());
        }
        SpaceKind::Board => {
            let mut merged = confab_core::Board::new();
            for r in &recs {
                if let Ok(body) = s.decrypt(r) {
                    merged.apply(confab_core::Stamp::of(r), &r.refs, &body);
                }
            }
            let d = board::draw(&merged);
            let body = format!(
                "{}<p class=\"muted\">{} shapes, {} strokes and {} pictures; the pictures as their senders' previews. \
                 Also as <a href=\"{}\">{}</a>.</p>",
                d.svg,
                d.shapes,
                d.strokes,
                d.pictures,
                archive::BOARD_SVG,
                archive::BOARD_SVG
            );
            files.insert(
                archive::INDEX.into(),
                html::page(&s.name, &meta, "", &body).into_bytes(),
            );
            let svg = format!("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n{}\n", d.svg);
            files.insert(archive::BOARD_SVG.into(), svg.into_bytes());
        }
        SpaceKind::News => {
            let by_id: HashMap<String, &Record> = recs.iter().map(|r| (r.id.to_string(), r)).collect();
            files.extend(news::pages(&entries, &by_id, &s.id.to_string(), &meta));
        }
    }
    let content = Content {
        space: s.id.to_string(),
        kind: s.kind.as_str().into(),
        name: s.name.clone(),
        entries,
    };
    let mut json = serde_json::to_vec_pretty(&content).expect("content serialises");
    json.push(b'\n');
    files.insert(archive::CONTENT.into(), json);
    let files = archive::finish(s, recs.len(), files, exporter, now_ms);
    archive::verify(&files).map_err(|problems| NodeError::Archive {
        what: format!("the export of {:?}", s.name),
        problems,
    })?;
    Ok((files, recs.len()))
}

/// An export goes into a new folder or an empty one, never over anything.
fn check_out(out: &Path) -> Result<(), NodeError> {
    match std::fs::read_dir(out) {
        Ok(mut d) => match d.next() {
            None => Ok(()),
            Some(_) => Err(NodeError::Invalid(format!(
                "{} is not empty: an export goes into a new or empty folder",
                out.display()
            ))),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(_) if out.exists() => Err(NodeError::Invalid(format!(
            "{} exists and is not a folder: an export goes into a new or empty folder",
            out.display()
        ))),
        Err(e) => Err(NodeError::io(out, e)),
    }
}

/// Writes the files into a private folder beside `out` and renames it into place, so an
/// export that fails leaves nothing half written.
fn write_folder(out: &Path, files: &BTreeMap<String, Vec<u8>>) -> Result<(), NodeError> {
    check_out(out)?;
    let name = out
        .file_name()
        .ok_or_else(|| NodeError::Invalid(format!("{} names no folder", out.display())))?;
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| NodeError::io(parent, e))?;
    let tmp = parent.join(format!(
        ".{}.partial-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&tmp);
    let written = (|| {
        let mut b = std::fs::DirBuilder::new();
        // What the space's members wrote, decrypted: for this user only, as the data dir is.
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
        b.create(&tmp).map_err(|e| NodeError::io(&tmp, e))?;
        for (path, bytes) in files {
            let p = tmp.join(path);
            if let Some(dir) = p.parent() {
                b.recursive(true);
                b.create(dir).map_err(|e| NodeError::io(dir, e))?;
            }
            std::fs::write(&p, bytes).map_err(|e| NodeError::io(&p, e))?;
        }
        if out.exists() {
            std::fs::remove_dir(out).map_err(|e| NodeError::io(out, e))?;
        }
        std::fs::rename(&tmp, out).map_err(|e| NodeError::io(out, e))
    })();
    if written.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    written
}

/// Checks the archive in `dir` offline: the report of a sound one, or
/// [`NodeError::Archive`] naming every problem found (up to
/// [`confab_core::archive::MAX_PROBLEMS`]). With the space's `ticket` (a member's), the
/// bodies too. Needs no data dir, identity or network.
pub fn verify_archive(dir: &Path, ticket: Option<&str>) -> Result<Report, NodeError> {
    let key = ticket
        .map(|t| confab_core::Ticket::parse(t).map(|t| t.space))
        .transpose()?;
    if !dir.is_dir() {
        return Err(NodeError::NotFound(format!(
            "{} is not a folder (give the folder an export wrote)",
            dir.display()
        )));
    }
    let mut files = BTreeMap::new();
    let mut total = 0u64;
    read_tree(dir, "", &mut files, &mut total)?;
    match &key {
        Some(space) => archive::verify_with_key(&files, space),
        None => archive::verify(&files),
    }
    .map_err(|problems| NodeError::Archive {
        what: format!("the archive in {}", dir.display()),
        problems,
    })
}

/// Checks a newsletter's Atom feed file (see [`archive::verify_feed`]); `publisher` is the
/// publisher's peer id when the reader knows it.
pub fn verify_feed_file(file: &Path, publisher: Option<&str>) -> Result<archive::FeedReport, NodeError> {
    let want = publisher
        .map(|p| {
            confab_core::AuthorKey::from_peer_id(p)
                .ok_or_else(|| NodeError::Invalid(format!("{p:?} is not a peer id")))
        })
        .transpose()?;
    let meta = std::fs::metadata(file).map_err(|e| NodeError::io(file, e))?;
    if meta.len() > MAX_BYTES {
        return Err(NodeError::Invalid(format!(
            "{} is {} bytes; a feed is checked up to {MAX_BYTES}",
            file.display(),
            meta.len()
        )));
    }
    let bytes = std::fs::read(file).map_err(|e| NodeError::io(file, e))?;
    let xml = String::from_utf8(bytes)
        .map_err(|_| NodeError::Invalid(format!("{} is not UTF-8 text", file.display())))?;
    archive::verify_feed(&xml, want.as_ref()).map_err(|problems| NodeError::Archive {
        what: format!("the feed {}", file.display()),
        problems,
    })
}

fn read_tree(
    dir: &Path,
    prefix: &str,
    files: &mut BTreeMap<String, Vec<u8>>,
    total: &mut u64,
) -> Result<(), NodeError> {
    let entries = std::fs::read_dir(dir).map_err(|e| NodeError::io(dir, e))?;
    for e in entries {
        let e = e.map_err(|e| NodeError::io(dir, e))?;
        let path = e.path();
        let name = e.file_name();
        let name = name.to_str().ok_or_else(|| {
            NodeError::Invalid(format!("{} is not a name an archive holds", path.display()))
        })?;
        let rel = format!("{prefix}{name}");
        let kind = e.file_type().map_err(|err| NodeError::io(&path, err))?;
        if kind.is_dir() {
            read_tree(&path, &format!("{rel}/"), files, total)?;
        } else if kind.is_file() {
            *total += e.metadata().map_err(|err| NodeError::io(&path, err))?.len();
            if files.len() >= MAX_FILES || *total > MAX_BYTES {
                return Err(NodeError::Invalid(format!(
                    "{} holds more than an archive can ({MAX_FILES} files, {} GiB)",
                    dir.display(),
                    MAX_BYTES >> 30
                )));
            }
            let bytes = std::fs::read(&path).map_err(|err| NodeError::io(&path, err))?;
            files.insert(rel, bytes);
        } else {
            return Err(NodeError::Invalid(format!(
                "{} is not a plain file (a symbolic link?): an archive holds plain files only",
                path.display()
            )));
        }
    }
    Ok(())
}
