//! Checking an archive offline: every signature, the space's header rules, the readable
//! entries against the signed ones, and every file against the signed manifest. Every
//! problem found is named (up to [`MAX_PROBLEMS`]); nothing needs a key, a node or a network.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::{
    feed_entries, kind_name, names, rfc3339, safe_path, signing_message, Content, Manifest, SignedEntry,
    ARCHIVE_VERSION, BOARD_SVG, CONTENT, FEED, FORMAT, INDEX, MANIFEST, RECORDS, SIGNATURE,
};
use crate::archive::{Readable, SpaceRules};
use crate::ids::{AuthorKey, SpaceId};
use crate::record::{verify_signature, Record, RecordError, RecordKind, Verified, MAX_FUTURE_MS};
use crate::space::{AuthError, Space, SpaceKind, MAX_EPOCHS};

/// Problems named one by one before the rest are counted.
pub const MAX_PROBLEMS: usize = 50;

/// What is wrong with an archive.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ArchiveError {
    /// A file the archive must have is not there.
    #[error("{0} is missing")]
    Missing(String),
    /// A file does not parse.
    #[error("{path} does not parse: {reason}")]
    Malformed {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// Not an archive of a version this build reads.
    #[error("{MANIFEST} is not a {FORMAT} of version {ARCHIVE_VERSION}: it says {0}")]
    Format(String),
    /// The manifest's signature does not verify.
    #[error("{SIGNATURE}: the signature of {MANIFEST} by its exporter {0} does not verify (the manifest was changed after the export)")]
    Signature(String),
    /// The manifest names a path that is not a plain relative one.
    #[error("{MANIFEST} names {0:?}, which is not a plain relative path")]
    UnsafePath(String),
    /// A file differs from what the manifest says.
    #[error("{0} was changed after the export: its size or BLAKE3 hash is not the one in {MANIFEST}")]
    Changed(String),
    /// A file the manifest does not list.
    #[error("{0} is not part of the archive: {MANIFEST} does not list it")]
    Unlisted(String),
    /// A signed entry that cannot be read or whose record fails.
    #[error("{RECORDS} line {line} (record {claimed}): {reason}")]
    Record {
        /// 1-based.
        line: usize,
        /// The id the entry gives.
        claimed: String,
        /// What fails.
        reason: String,
    },
    /// A written-out field that is not what the signed record says.
    #[error("{file}: record {id}'s {field} is written {written:?}, but its signed bytes say {signed:?}")]
    Field {
        /// The file.
        file: &'static str,
        /// The record.
        id: String,
        /// Which field.
        field: &'static str,
        /// What the file writes.
        written: String,
        /// What the record says.
        signed: String,
    },
    /// The same record twice.
    #[error("{file}: record {id} appears more than once")]
    Duplicate {
        /// The file.
        file: &'static str,
        /// The record.
        id: String,
    },
    /// A record the space's rules refuse.
    #[error("record {id} breaks a rule of the space: {err}")]
    Rule {
        /// The record.
        id: String,
        /// The rule.
        err: AuthError,
    },
    /// A record dated after the export (beyond the clock's allowance).
    #[error("record {0} is dated after the export")]
    Late(String),
    /// A key rotation the records do not bear out.
    #[error("key rotation {n}: {reason}")]
    Epoch {
        /// The epoch.
        n: u32,
        /// What is wrong.
        reason: String,
    },
    /// The manifest's count of records is not what `records.jsonl` holds.
    #[error("{MANIFEST} counts {manifest} records; {RECORDS} holds {found}")]
    Count {
        /// The manifest's count.
        manifest: usize,
        /// The lines.
        found: usize,
    },
    /// The readable entries and the signed ones disagree.
    #[error("{file}: {reason}")]
    Content {
        /// The file.
        file: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// What the space's key shows to be wrong.
    #[error("with the space's key: {0}")]
    Key(String),
    /// More problems than were named.
    #[error("… and {0} more problems")]
    More(usize),
}

impl ArchiveError {
    /// A stable code for the kind of problem.
    pub fn code(&self) -> &'static str {
        match self {
            ArchiveError::Missing(_) => "missing",
            ArchiveError::Malformed { .. } => "malformed",
            ArchiveError::Format(_) => "format",
            ArchiveError::Signature(_) => "signature",
            ArchiveError::UnsafePath(_) => "unsafe_path",
            ArchiveError::Changed(_) => "changed",
            ArchiveError::Unlisted(_) => "unlisted",
            ArchiveError::Record { .. } => "record",
            ArchiveError::Field { .. } => "field",
            ArchiveError::Duplicate { .. } => "duplicate",
            ArchiveError::Rule { .. } => "rule",
            ArchiveError::Late(_) => "late",
            ArchiveError::Epoch { .. } => "epoch",
            ArchiveError::Count { .. } => "count",
            ArchiveError::Content { .. } => "content",
            ArchiveError::Key(_) => "key",
            ArchiveError::More(_) => "more",
        }
    }
}

/// What a sound archive holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The space id.
    pub space: String,
    /// `chat`, `board` or `news`.
    pub kind: String,
    /// Its name.
    pub name: String,
    /// The owner's peer id.
    pub owner: String,
    /// Who exported it (its signature of the manifest holds).
    pub exporter: String,
    /// When (ms).
    pub exported_ms: u64,
    /// Records checked: every signature and header rule holds.
    pub records: usize,
    /// How many of each kind.
    pub by_kind: BTreeMap<String, usize>,
    /// Who wrote them, most records first.
    pub authors: Vec<AuthorCount>,
    /// Key rotations.
    pub epochs: usize,
    /// Files checked against the manifest.
    pub files: usize,
    /// Whether the bodies were checked too: with the space's key (from a ticket), every
    /// record opened and its readable entry found to say what its body says, and the space
    /// id found to belong to the kind and owner the manifest names.
    #[serde(default)]
    pub bodies: bool,
}

/// One author's records in an archive.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuthorCount {
    /// Peer id.
    pub peer: String,
    /// The name their newest profile in the space gives, if any.
    pub name: Option<String>,
    /// How many records.
    pub records: usize,
}

#[derive(Default)]
struct Problems {
    named: Vec<ArchiveError>,
    more: usize,
}

impl Problems {
    fn push(&mut self, e: ArchiveError) {
        if self.named.len() < MAX_PROBLEMS {
            self.named.push(e);
        } else {
            self.more += 1;
        }
    }

    fn into_result<T>(mut self, ok: impl FnOnce() -> T) -> Result<T, Vec<ArchiveError>> {
        if self.named.is_empty() {
            return Ok(ok());
        }
        if self.more > 0 {
            self.named.push(ArchiveError::More(self.more));
        }
        Err(self.named)
    }
}

fn malformed(path: &str, reason: impl ToString) -> ArchiveError {
    ArchiveError::Malformed {
        path: path.into(),
        reason: reason.to_string(),
    }
}

/// Checks an archive given as its files (relative `/`-separated path → bytes): the report
/// of a sound one, or every problem found.
pub fn verify(files: &BTreeMap<String, Vec<u8>>) -> Result<Report, Vec<ArchiveError>> {
    check(files, None)
}

/// [`verify`], and with the space's keys (a member's, from a ticket: never the archive's)
/// what an archive alone cannot show: that the space is the one the manifest names, that
/// every record opens and keeps every rule of the space, and that each readable entry says
/// what its record's body says.
pub fn verify_with_key(
    files: &BTreeMap<String, Vec<u8>>,
    space: &Space,
) -> Result<Report, Vec<ArchiveError>> {
    check(files, Some(space))
}

fn check(files: &BTreeMap<String, Vec<u8>>, key: Option<&Space>) -> Result<Report, Vec<ArchiveError>> {
    let mut p = Problems::default();
    let Some(raw) = files.get(MANIFEST) else {
        return Err(vec![ArchiveError::Missing(MANIFEST.into())]);
    };
    let m: Manifest = match serde_json::from_slice(raw) {
        Ok(m) => m,
        Err(e) => {
            // Say what it is if it is at least a manifest of another version.
            let v: Option<serde_json::Value> = serde_json::from_slice(raw).ok();
            return Err(vec![match v {
                Some(v) if v["format"] != FORMAT || v["version"] != ARCHIVE_VERSION => {
                    ArchiveError::Format(format!("format {}, version {}", v["format"], v["version"]))
                }
                _ => malformed(MANIFEST, e),
            }]);
        }
    };
    if m.format != FORMAT || m.version != ARCHIVE_VERSION {
        return Err(vec![ArchiveError::Format(format!(
            "format {:?}, version {}",
            m.format, m.version
        ))]);
    }
    let space = SpaceId::from_hex(&m.space).filter(|_| m.space.len() == 64);
    let kind: Option<SpaceKind> = m.kind.parse().ok();
    let owner = AuthorKey::from_peer_id(&m.owner);
    let (Some(space), Some(kind), Some(owner)) = (space, kind, owner) else {
        return Err(vec![malformed(
            MANIFEST,
            "its space id, kind or owner is not one",
        )]);
    };
    check_signature(files, &m, raw, &mut p);
    check_files(files, &m, kind, &mut p);

    let mut epochs = Vec::new();
    for (i, e) in m.epochs.iter().enumerate() {
        match e.to_epoch() {
            Ok(ep) if ep.n as usize == i + 1 && i < MAX_EPOCHS => epochs.push(ep),
            Ok(ep) => p.push(ArchiveError::Epoch {
                n: ep.n,
                reason: format!("listed as rotation {} of at most {MAX_EPOCHS}", i + 1),
            }),
            Err(reason) => p.push(ArchiveError::Epoch { n: e.n, reason }),
        }
    }
    let rules = SpaceRules {
        id: space,
        kind,
        name: &m.name,
        owner,
        epochs: &epochs,
        // Revocations are in record bodies, which only a member can read.
        revoked: None,
    };

    let records = read_records(files, &m, &rules, &mut p);
    check_epochs(&rules, &records, &mut p);
    let content = check_content(files, &m, &records, &mut p);
    if let Some(space) = key {
        check_bodies(space, &rules, &records, content.as_ref(), &mut p);
    }
    if kind == SpaceKind::News {
        check_feed(files, &records, &mut p);
    }
    p.into_result(|| {
        let mut by_kind = BTreeMap::new();
        let mut by_author: HashMap<AuthorKey, usize> = HashMap::new();
        for r in &records {
            *by_kind.entry(kind_name(r.kind).to_string()).or_insert(0) += 1;
            *by_author.entry(r.person()).or_insert(0) += 1;
        }
        let known = content.map(|c| names(&c.entries)).unwrap_or_default();
        let mut authors: Vec<AuthorCount> = by_author
            .into_iter()
            .map(|(a, n)| {
                let peer = a.peer_id();
                AuthorCount {
                    name: known.get(&peer).map(|(n, _)| n.clone()),
                    peer,
                    records: n,
                }
            })
            .collect();
        authors.sort_by(|a, b| b.records.cmp(&a.records).then(a.peer.cmp(&b.peer)));
        Report {
            space: m.space.clone(),
            kind: m.kind.clone(),
            name: m.name.clone(),
            owner: m.owner.clone(),
            exporter: m.exporter.clone(),
            exported_ms: m.exported_ms,
            records: records.len(),
            by_kind,
            authors,
            epochs: epochs.len(),
            files: m.files.len(),
            bodies: key.is_some(),
        }
    })
}

fn check_signature(files: &BTreeMap<String, Vec<u8>>, m: &Manifest, raw: &[u8], p: &mut Problems) {
    let Some(sig) = files.get(SIGNATURE) else {
        p.push(ArchiveError::Missing(SIGNATURE.into()));
        return;
    };
    let sig = std::str::from_utf8(sig).ok().and_then(|s| {
        data_encoding::HEXLOWER_PERMISSIVE
            .decode(s.trim().as_bytes())
            .ok()
    });
    let Some(sig) = sig else {
        p.push(malformed(SIGNATURE, "it is not a signature in hex"));
        return;
    };
    let Some(exporter) = AuthorKey::from_peer_id(&m.exporter) else {
        p.push(malformed(
            MANIFEST,
            format!("its exporter {:?} is not a peer id", m.exporter),
        ));
        return;
    };
    if !verify_signature(&exporter.0, &signing_message(raw), &sig) {
        p.push(ArchiveError::Signature(m.exporter.clone()));
    }
}

fn check_files(files: &BTreeMap<String, Vec<u8>>, m: &Manifest, kind: SpaceKind, p: &mut Problems) {
    let mut listed = HashSet::new();
    for f in &m.files {
        if !safe_path(&f.path) || f.path == MANIFEST || f.path == SIGNATURE {
            p.push(ArchiveError::UnsafePath(f.path.clone()));
            continue;
        }
        if !listed.insert(f.path.as_str()) {
            p.push(malformed(MANIFEST, format!("it lists {} twice", f.path)));
            continue;
        }
        match files.get(&f.path) {
            None => p.push(ArchiveError::Missing(f.path.clone())),
            Some(bytes) => {
                if bytes.len() as u64 != f.size || blake3::hash(bytes).to_hex().as_str() != f.blake3 {
                    p.push(ArchiveError::Changed(f.path.clone()));
                }
            }
        }
    }
    let mut required = vec![RECORDS, CONTENT, INDEX];
    match kind {
        SpaceKind::Board => required.push(BOARD_SVG),
        SpaceKind::News => required.push(FEED),
        SpaceKind::Chat | SpaceKind::Personal => {}
    }
    for r in required {
        // A required file the manifest does not list was removed from it: missing either way.
        if !listed.contains(r) && !files.contains_key(r) {
            p.push(ArchiveError::Missing(r.into()));
        }
    }
    for path in files.keys() {
        if path != MANIFEST && path != SIGNATURE && !listed.contains(path.as_str()) {
            p.push(ArchiveError::Unlisted(path.clone()));
        }
    }
}

/// Opens a signed entry: its bytes decode and verify.
pub(super) fn open(e: &SignedEntry, file: &'static str) -> Result<Verified, ArchiveError> {
    let fail = |reason: String| ArchiveError::Content { file, reason };
    let bytes = data_encoding::BASE64
        .decode(e.record.as_bytes())
        .map_err(|_| fail(format!("record {}: its signed bytes are not base64", e.id)))?;
    Record::decode(&bytes)
        .and_then(Record::verify)
        .map_err(|err: RecordError| fail(format!("entry of record {}: {err}", e.id)))
}

/// The written-out fields of a signed entry are those of its record.
pub(super) fn entry_fields(file: &'static str, e: &SignedEntry, rec: &Record) -> Result<(), ArchiveError> {
    check_fields(file, &e.id, &e.kind, (&e.author, &e.account), e.ts, &e.refs, rec)
}

fn check_fields(
    file: &'static str,
    id: &str,
    kind: &str,
    (author, account): (&str, &str),
    ts: u64,
    refs: &[String],
    rec: &Record,
) -> Result<(), ArchiveError> {
    let differ = |field: &'static str, written: String, signed: String| {
        (written != signed).then(|| ArchiveError::Field {
            file,
            id: rec.id.to_string(),
            field,
            written,
            signed,
        })
    };
    let refs_signed: Vec<String> = rec.refs.iter().map(|r| r.to_string()).collect();
    let problem = differ("id", id.into(), rec.id.to_string())
        .or_else(|| differ("kind", kind.into(), kind_name(rec.kind).into()))
        .or_else(|| differ("author", author.into(), rec.author.peer_id()))
        .or_else(|| differ("account", account.into(), rec.person().peer_id()))
        .or_else(|| differ("timestamp", ts.to_string(), rec.ts.0.to_string()))
        .or_else(|| differ("refs", refs.join(","), refs_signed.join(",")));
    problem.map_or(Ok(()), Err)
}

fn read_records(
    files: &BTreeMap<String, Vec<u8>>,
    m: &Manifest,
    rules: &SpaceRules<'_>,
    p: &mut Problems,
) -> Vec<Verified> {
    let Some(raw) = files.get(RECORDS) else {
        return Vec::new();
    };
    let Ok(text) = std::str::from_utf8(raw) else {
        p.push(malformed(RECORDS, "it is not UTF-8"));
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut lines = 0;
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        lines += 1;
        let fail = |claimed: &str, reason: String| ArchiveError::Record {
            line: i + 1,
            claimed: claimed.to_string(),
            reason,
        };
        let entry: SignedEntry = match serde_json::from_str(line) {
            Ok(e) => e,
            Err(e) => {
                p.push(fail("?", format!("the entry does not parse: {e}")));
                continue;
            }
        };
        let rec = match open(&entry, RECORDS) {
            Ok(r) => r,
            Err(ArchiveError::Content { reason, .. }) => {
                p.push(fail(&entry.id, reason));
                continue;
            }
            Err(e) => {
                p.push(e);
                continue;
            }
        };
        // A sound record whose entry misstates it: the entry is wrong, the record stands.
        if let Err(e) = entry_fields(RECORDS, &entry, &rec) {
            p.push(e);
        }
        if !seen.insert(rec.id) {
            p.push(ArchiveError::Duplicate {
                file: RECORDS,
                id: rec.id.to_string(),
            });
            continue;
        }
        if let Err(err) = rules.check(&rec) {
            p.push(ArchiveError::Rule {
                id: rec.id.to_string(),
                err,
            });
        }
        if rec.ts.ms() > m.exported_ms.saturating_add(MAX_FUTURE_MS) {
            p.push(ArchiveError::Late(rec.id.to_string()));
        }
        out.push(rec);
    }
    if lines != m.records {
        p.push(ArchiveError::Count {
            manifest: m.records,
            found: lines,
        });
    }
    out
}

/// Each rotation the manifest lists is a rotation record the owner signed at its start, in
/// order; and each rotation record is listed.
fn check_epochs(rules: &SpaceRules<'_>, records: &[Verified], p: &mut Problems) {
    let rekeys: HashSet<u64> = records
        .iter()
        .filter(|r| r.kind == RecordKind::Rekey)
        .map(|r| r.ts.0)
        .collect();
    let mut last = 0;
    for e in rules.epochs {
        if e.since <= last {
            p.push(ArchiveError::Epoch {
                n: e.n,
                reason: "it starts before the rotation it follows".into(),
            });
        }
        last = e.since;
        if !rekeys.contains(&e.since) {
            p.push(ArchiveError::Epoch {
                n: e.n,
                reason: format!(
                    "no rotation record by the owner is dated at its start ({})",
                    rfc3339(e.since >> 16)
                ),
            });
        }
    }
    for ts in rekeys {
        if !rules.epochs.iter().any(|e| e.since == ts) {
            p.push(ArchiveError::Epoch {
                n: 0,
                reason: format!(
                    "a rotation record dated {} is not among the manifest's rotations",
                    rfc3339(ts >> 16)
                ),
            });
        }
    }
}

fn check_content(
    files: &BTreeMap<String, Vec<u8>>,
    m: &Manifest,
    records: &[Verified],
    p: &mut Problems,
) -> Option<Content> {
    let c: Content = match serde_json::from_slice(files.get(CONTENT)?) {
        Ok(c) => c,
        Err(e) => {
            p.push(malformed(CONTENT, e));
            return None;
        }
    };
    let fail = |reason: String| ArchiveError::Content {
        file: CONTENT,
        reason,
    };
    for (field, written, manifest) in [
        ("id", &c.space, &m.space),
        ("kind", &c.kind, &m.kind),
        ("name", &c.name, &m.name),
    ] {
        if written != manifest {
            p.push(fail(format!(
                "it gives the space's {field} as {written:?}; {MANIFEST} says {manifest:?}"
            )));
        }
    }
    let by_id: HashMap<String, &Verified> = records.iter().map(|r| (r.id.to_string(), r)).collect();
    let mut seen = HashSet::new();
    for e in &c.entries {
        let Some(rec) = by_id.get(&e.id) else {
            p.push(fail(format!(
                "it has an entry for record {}, which is not among the signed records",
                e.id
            )));
            continue;
        };
        if !seen.insert(e.id.as_str()) {
            p.push(ArchiveError::Duplicate {
                file: CONTENT,
                id: e.id.clone(),
            });
            continue;
        }
        if let Err(err) = check_fields(
            CONTENT,
            &e.id,
            &e.kind,
            (&e.author, &e.account),
            e.ts,
            &e.refs,
            rec,
        ) {
            p.push(err);
            continue;
        }
        if e.time != rfc3339(rec.ts.ms()) {
            p.push(fail(format!("record {}'s time is not its timestamp's", e.id)));
        }
        if e.body.kind() != rec.kind {
            p.push(fail(format!(
                "record {}'s body is that of a {}",
                e.id,
                kind_name(e.body.kind())
            )));
        }
        if let Readable::Rekey { epoch, removed, .. } = &e.body {
            let listed = m.epochs.iter().find(|x| x.since == rec.ts.0);
            if listed.is_none_or(|x| x.n != *epoch || &x.removed != removed) {
                p.push(fail(format!(
                    "rotation record {} says it removed {removed:?} (epoch {epoch}), unlike {MANIFEST}",
                    e.id
                )));
            }
        }
    }
    for r in records {
        if !seen.contains(r.id.to_string().as_str()) {
            p.push(fail(format!("it has no entry for record {}", r.id)));
        }
    }
    Some(c)
}

/// A newsletter's feed carries every issue's and correction's signed entry, and only those.
fn check_feed(files: &BTreeMap<String, Vec<u8>>, records: &[Verified], p: &mut Problems) {
    let Some(raw) = files.get(FEED) else { return };
    let entries = match std::str::from_utf8(raw)
        .map_err(|_| "it is not UTF-8".to_string())
        .and_then(feed_entries)
    {
        Ok(e) => e,
        Err(reason) => {
            p.push(malformed(FEED, reason));
            return;
        }
    };
    let issues: HashMap<_, &Verified> = records
        .iter()
        .filter(|r| matches!(r.kind, RecordKind::NewsIssue | RecordKind::Correction))
        .map(|r| (r.id, r))
        .collect();
    let mut seen = HashSet::new();
    for e in &entries {
        let rec = match open(e, FEED) {
            Ok(r) => r,
            Err(err) => {
                p.push(err);
                continue;
            }
        };
        if let Err(err) = entry_fields(FEED, e, &rec) {
            p.push(err);
        }
        if !seen.insert(rec.id) {
            p.push(ArchiveError::Duplicate {
                file: FEED,
                id: rec.id.to_string(),
            });
        } else if issues.get(&rec.id).is_none_or(|r| r.encoded() != rec.encoded()) {
            p.push(ArchiveError::Content {
                file: FEED,
                reason: format!(
                    "record {} is not an issue or correction among the signed records",
                    rec.id
                ),
            });
        }
    }
    for id in issues.keys().filter(|id| !seen.contains(*id)) {
        p.push(ArchiveError::Content {
            file: FEED,
            reason: format!("it has no entry for issue {id}"),
        });
    }
}

/// With the key: the space is the manifest's, and each record opens, keeps the rules and says
/// what its readable entry says.
fn check_bodies(
    space: &Space,
    rules: &SpaceRules<'_>,
    records: &[Verified],
    content: Option<&Content>,
    p: &mut Problems,
) {
    if space.id != rules.id || space.kind != rules.kind || space.owner != rules.owner {
        p.push(ArchiveError::Key(format!(
            "the key is of {} space {} owned by {}, not of the space {MANIFEST} names",
            space.kind,
            space.id,
            space.owner.peer_id()
        )));
        return;
    }
    let readable: HashMap<&str, &Readable> = content
        .map(|c| c.entries.iter().map(|e| (e.id.as_str(), &e.body)).collect())
        .unwrap_or_default();
    for r in records {
        match space.authorize(r) {
            Err(err) => p.push(ArchiveError::Key(format!("record {}: {err}", r.id))),
            Ok(body) => {
                let id = r.id.to_string();
                if readable
                    .get(id.as_str())
                    .is_some_and(|b| **b != Readable::of(&body))
                {
                    p.push(ArchiveError::Key(format!(
                        "record {id}'s body does not say what {CONTENT} says"
                    )));
                }
            }
        }
    }
}
