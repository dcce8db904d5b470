//! The blob files in the data dir: `<hash>.data` (the encrypted bytes) and `<hash>.obao` (the
//! BLAKE3 tree's hashes in pre-order) for each complete blob; a download in progress keeps
//! the same two files under `partial/`, where nothing is written that was not verified.

use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

use bao_tree::io::outboard::PreOrderOutboard;
use bao_tree::io::sync::{encode_ranges, encode_ranges_validated, valid_ranges, DecodeResponseIter, WriteAt};
use bao_tree::io::{BaoContentItem, DecodeError, Leaf, Parent};
use bao_tree::{ChunkNum, ChunkRanges};

use crate::crypt::{decrypt, BlobKey, Encrypting};
use crate::{groups, io, tree, BlobError, BlobId, GROUP_BYTES, MAX_REQUEST_GROUPS};

/// A directory of blobs.
#[derive(Clone, Debug)]
pub struct BlobStore {
    root: PathBuf,
}

/// A file just added as a blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Imported {
    /// Its name.
    pub id: BlobId,
    /// The key it is encrypted with.
    pub key: BlobKey,
    /// Its size in bytes (encrypted and plain alike).
    pub size: u64,
}

/// How much of a blob is here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Held {
    /// Nothing.
    Absent,
    /// Some groups, verified (a download under way or interrupted).
    Partial {
        /// The blob's size.
        size: u64,
        /// Which groups are here.
        have: Vec<bool>,
    },
    /// All of it, verified.
    Complete {
        /// Its size.
        size: u64,
    },
}

/// What one response added to a partial blob.
#[derive(Debug)]
pub struct Ingested {
    /// The groups now written (all verified).
    pub groups: Vec<u64>,
    /// Why the response stopped before its end, if it did (the groups before that point are
    /// kept).
    pub failure: Option<BlobError>,
}

fn chunk_ranges(start: u64, count: u64) -> ChunkRanges {
    let per = GROUP_BYTES / 1024;
    ChunkRanges::from(ChunkNum(start * per)..ChunkNum((start + count) * per))
}

impl BlobStore {
    /// Opens (creating) the blob directory `root`. Imports left half-done by a crash are
    /// removed.
    pub fn open(root: &Path) -> Result<Self, BlobError> {
        for d in [root.to_path_buf(), root.join("partial"), root.join("tmp")] {
            fs::create_dir_all(&d).map_err(io(format!("creating {}", d.display())))?;
        }
        if let Ok(rd) = fs::read_dir(root.join("tmp")) {
            for e in rd.flatten() {
                let _ = fs::remove_file(e.path());
            }
        }
        Ok(BlobStore {
            root: root.to_path_buf(),
        })
    }

    fn complete_path(&self, id: &BlobId, ext: &str) -> PathBuf {
        self.root.join(format!("{id}.{ext}"))
    }

    fn partial_path(&self, id: &BlobId, ext: &str) -> PathBuf {
        self.root.join("partial").join(format!("{id}.{ext}"))
    }

    /// Encrypts a file with a new key into a new blob. Refused if it is over `max` bytes.
    pub fn import(&self, path: &Path, max: u64) -> Result<Imported, BlobError> {
        let f = File::open(path).map_err(io(format!("opening {}", path.display())))?;
        let meta = f.metadata().map_err(io(format!("reading {}", path.display())))?;
        if !meta.is_file() {
            return Err(BlobError::Invalid(format!("{} is not a file", path.display())));
        }
        let size = meta.len();
        if size > max {
            return Err(BlobError::TooLarge {
                what: path.display().to_string(),
                size,
                max,
            });
        }
        self.import_reader(
            BufReader::with_capacity(256 * 1024, f),
            size,
            &path.display().to_string(),
        )
    }

    /// Encrypts bytes in memory into a new blob.
    pub fn import_bytes(&self, bytes: &[u8]) -> Result<Imported, BlobError> {
        self.import_reader(Cursor::new(bytes), bytes.len() as u64, "bytes")
    }

    fn import_reader(&self, src: impl Read, size: u64, what: &str) -> Result<Imported, BlobError> {
        let key = BlobKey::random();
        let tag = data_encoding::HEXLOWER.encode(&rand::random::<[u8; 16]>());
        let data_tmp = self.root.join("tmp").join(format!("{tag}.data"));
        let obao_tmp = self.root.join("tmp").join(format!("{tag}.obao"));
        let result = (|| {
            let out = File::create(&data_tmp).map_err(io("creating a blob file"))?;
            let mut enc = Encrypting {
                inner: src.take(size),
                cipher: key.cipher(),
                out: std::io::BufWriter::with_capacity(256 * 1024, out),
                count: 0,
            };
            let t = tree(size);
            let ob_file = File::create(&obao_tmp).map_err(io("creating a blob's tree file"))?;
            let mut ob = PreOrderOutboard {
                root: blake3::Hash::from_bytes([0; 32]),
                tree: t,
                data: ob_file,
            };
            let root =
                bao_tree::io::sync::outboard(&mut enc, t, &mut ob).map_err(io(format!("reading {what}")))?;
            if enc.count != size {
                return Err(BlobError::Invalid(format!(
                    "{what} changed while it was read ({} bytes, not {size})",
                    enc.count
                )));
            }
            let out = enc.out.into_inner().map_err(|e| BlobError::Io {
                what: "writing a blob".into(),
                source: e.into_error(),
            })?;
            out.sync_all().map_err(io("writing a blob"))?;
            ob.data.sync_all().map_err(io("writing a blob's tree"))?;
            let id = BlobId(*root.as_bytes());
            if !self.complete_path(&id, "data").exists() {
                fs::rename(&obao_tmp, self.complete_path(&id, "obao")).map_err(io("storing a blob"))?;
                fs::rename(&data_tmp, self.complete_path(&id, "data")).map_err(io("storing a blob"))?;
            }
            Ok(Imported { id, key, size })
        })();
        let _ = fs::remove_file(&data_tmp);
        let _ = fs::remove_file(&obao_tmp);
        result
    }

    /// How much of a blob is here. A partial one is verified again from its files (so what a
    /// crash left unwritten is simply missing).
    pub fn held(&self, id: &BlobId) -> Result<Held, BlobError> {
        if let Ok(m) = fs::metadata(self.complete_path(id, "data")) {
            return Ok(Held::Complete { size: m.len() });
        }
        let Ok(size) = fs::read(self.partial_path(id, "size")) else {
            return Ok(Held::Absent);
        };
        let size = u64::from_le_bytes(
            size.try_into()
                .map_err(|_| BlobError::Invalid(format!("blob {id}: its partial size file is damaged")))?,
        );
        Ok(Held::Partial {
            size,
            have: self.verified(id, size)?,
        })
    }

    fn open_partial(&self, id: &BlobId, size: u64) -> Result<(File, PreOrderOutboard<File>), BlobError> {
        let open = |p: PathBuf| {
            OpenOptions::new()
                .read(true)
                .write(true)
                .open(&p)
                .map_err(io(format!("opening {}", p.display())))
        };
        let data = open(self.partial_path(id, "data"))?;
        let ob = PreOrderOutboard {
            root: id.hash(),
            tree: tree(size),
            data: open(self.partial_path(id, "obao"))?,
        };
        Ok((data, ob))
    }

    /// The groups of a partial blob that verify against its hash.
    fn verified(&self, id: &BlobId, size: u64) -> Result<Vec<bool>, BlobError> {
        let (data, ob) = self.open_partial(id, size)?;
        let n = groups(size);
        let total_chunks = size.div_ceil(1024);
        let per = GROUP_BYTES / 1024;
        let mut have = vec![false; n as usize];
        let all = ChunkRanges::from(ChunkNum(0)..ChunkNum(total_chunks.max(1)));
        for r in valid_ranges(&ob, &data, &all) {
            let r = r.map_err(io(format!("checking blob {id}")))?;
            let (a, b) = (r.start.0, r.end.0);
            let first = a.div_ceil(per);
            let end = if b >= total_chunks { n } else { b / per };
            for g in first..end {
                have[g as usize] = true;
            }
        }
        Ok(have)
    }

    /// Starts (or resumes) fetching a blob of `size` bytes: what is already here, verified.
    pub fn begin(&self, id: &BlobId, size: u64) -> Result<Held, BlobError> {
        match self.held(id)? {
            Held::Absent => {}
            Held::Partial { size: s, .. } if s != size => {
                // Another size was asked before: the bytes verify against neither both.
                self.remove(id)?;
            }
            h => return Ok(h),
        }
        let data = File::create(self.partial_path(id, "data")).map_err(io("creating a partial blob"))?;
        data.set_len(size).map_err(io("sizing a partial blob"))?;
        let ob = File::create(self.partial_path(id, "obao")).map_err(io("creating a partial blob"))?;
        ob.set_len(tree(size).outboard_size())
            .map_err(io("sizing a partial blob"))?;
        fs::write(self.partial_path(id, "size"), size.to_le_bytes())
            .map_err(io("creating a partial blob"))?;
        Ok(Held::Partial {
            size,
            have: vec![false; groups(size) as usize],
        })
    }

    /// The verified encoding of `count` groups from `start` (tree hashes and data
    /// interleaved), for a peer that asks; `None` if they are not all here.
    pub fn encode(&self, id: &BlobId, start: u64, count: u32) -> Result<Option<Vec<u8>>, BlobError> {
        if count == 0 || count > MAX_REQUEST_GROUPS {
            return Err(BlobError::Invalid(format!(
                "a request asks for 1..={MAX_REQUEST_GROUPS} groups, not {count}"
            )));
        }
        let ranges = chunk_ranges(start, count as u64);
        let mut out = Vec::with_capacity(count as usize * GROUP_BYTES as usize + 4096);
        if let Ok(m) = fs::metadata(self.complete_path(id, "data")) {
            // A whole blob was verified when it was stored; the asker verifies again.
            if start >= groups(m.len()).max(1) {
                return Ok(None);
            }
            let data = File::open(self.complete_path(id, "data")).map_err(io("opening a blob"))?;
            let ob = PreOrderOutboard {
                root: id.hash(),
                tree: tree(m.len()),
                data: File::open(self.complete_path(id, "obao")).map_err(io("opening a blob"))?,
            };
            return match encode_ranges(&data, &ob, &ranges, &mut out) {
                Ok(()) => Ok(Some(out)),
                Err(_) => Ok(None),
            };
        }
        // Part of a blob: only groups that verify (the rest is not here yet).
        let (data, ob) = match fs::read(self.partial_path(id, "size")) {
            Ok(s) if s.len() == 8 => {
                self.open_partial(id, u64::from_le_bytes(s.try_into().expect("8 bytes")))?
            }
            _ => return Ok(None),
        };
        if start >= groups(ob.tree.size()).max(1) {
            return Ok(None);
        }
        match encode_ranges_validated(&data, &ob, &ranges, &mut out) {
            Ok(()) => Ok(Some(out)),
            Err(_) => Ok(None),
        }
    }

    /// Verifies a response to a request for `count` groups from `start` and writes what
    /// verifies into the partial blob (see [`Self::begin`]). Each group is checked against the
    /// hash before it is written; the first that fails stops the response.
    pub fn ingest(
        &self,
        id: &BlobId,
        size: u64,
        start: u64,
        count: u32,
        encoded: &[u8],
    ) -> Result<Ingested, BlobError> {
        let (mut data, mut ob) = self.open_partial(id, size)?;
        let ranges = chunk_ranges(start, count as u64);
        let mut reader = Cursor::new(encoded);
        let mut out = Ingested {
            groups: Vec::new(),
            failure: None,
        };
        let corrupt = |what, at| BlobError::Corrupt {
            blob: id.to_string(),
            what,
            at,
        };
        // A run of verified groups not yet written: where it starts, and its bytes.
        let mut run: (u64, Vec<u8>) = (0, Vec::with_capacity(count as usize * GROUP_BYTES as usize));
        let mut flush = |run: &mut (u64, Vec<u8>)| -> Result<(), BlobError> {
            if !run.1.is_empty() {
                data.write_all_at(run.0, &run.1).map_err(io("writing a blob"))?;
                run.1.clear();
            }
            Ok(())
        };
        for item in DecodeResponseIter::new(id.hash(), tree(size), &mut reader, &ranges) {
            match item {
                Ok(BaoContentItem::Parent(Parent { node, pair })) => {
                    use bao_tree::io::sync::OutboardMut;
                    ob.save(node, &pair).map_err(io("writing a blob's tree"))?;
                }
                Ok(BaoContentItem::Leaf(Leaf { offset, data: bytes })) => {
                    // Verified groups that follow each other are written at once (one write,
                    // one lock of the file, rather than one a group).
                    if run.1.is_empty() || run.0 + run.1.len() as u64 != offset {
                        flush(&mut run)?;
                        run.0 = offset;
                    }
                    run.1.extend_from_slice(&bytes);
                    out.groups.push(offset / GROUP_BYTES);
                }
                Err(DecodeError::LeafHashMismatch(c)) => {
                    out.failure = Some(corrupt("the group", c.to_bytes()));
                    flush(&mut run)?;
                    return Ok(out);
                }
                Err(DecodeError::ParentHashMismatch(n)) => {
                    out.failure = Some(corrupt("a tree node", n.mid().to_bytes()));
                    flush(&mut run)?;
                    return Ok(out);
                }
                Err(DecodeError::LeafNotFound(c)) => {
                    out.failure = Some(BlobError::Invalid(format!(
                        "blob {}: the response ends before the group at byte {}",
                        id.short(),
                        c.to_bytes()
                    )));
                    flush(&mut run)?;
                    return Ok(out);
                }
                Err(DecodeError::ParentNotFound(n)) => {
                    out.failure = Some(BlobError::Invalid(format!(
                        "blob {}: the response ends before the tree node at byte {}",
                        id.short(),
                        n.mid().to_bytes()
                    )));
                    flush(&mut run)?;
                    return Ok(out);
                }
                Err(DecodeError::Io(e)) => {
                    flush(&mut run)?;
                    return Err(BlobError::Io {
                        what: "reading a response".into(),
                        source: e,
                    });
                }
            }
        }
        flush(&mut run)?;
        if (reader.position() as usize) < encoded.len() {
            out.failure = Some(corrupt("bytes past the end of the response", start * GROUP_BYTES));
        }
        Ok(out)
    }

    /// Puts what has been written of a partial blob on disk (done now and then while it is
    /// fetched, so that [`Self::finish`] has little left to wait for).
    pub fn sync_partial(&self, id: &BlobId, size: u64) -> Result<(), BlobError> {
        let (data, ob) = self.open_partial(id, size)?;
        data.sync_data().map_err(io("writing a blob"))?;
        ob.data.sync_data().map_err(io("writing a blob's tree"))
    }

    /// Moves a partial blob into place once it is on disk. The caller knows that every group
    /// came and was verified as it was written ([`Self::ingest`]); what a crash leaves is
    /// verified again by [`Self::begin`]. False if there is no such partial blob.
    pub fn finish(&self, id: &BlobId, size: u64) -> Result<bool, BlobError> {
        if self.complete_path(id, "data").exists() {
            return Ok(true);
        }
        if !self.partial_path(id, "size").exists() {
            return Ok(false);
        }
        let (data, ob) = self.open_partial(id, size)?;
        data.sync_all().map_err(io("writing a blob"))?;
        ob.data.sync_all().map_err(io("writing a blob's tree"))?;
        fs::rename(self.partial_path(id, "obao"), self.complete_path(id, "obao"))
            .map_err(io("storing a blob"))?;
        fs::rename(self.partial_path(id, "data"), self.complete_path(id, "data"))
            .map_err(io("storing a blob"))?;
        let _ = fs::remove_file(self.partial_path(id, "size"));
        Ok(true)
    }

    /// Decrypts a complete blob into the file `out` (written beside it, then renamed, so a
    /// half-written file never has the name).
    pub fn export(&self, id: &BlobId, key: &BlobKey, out: &Path) -> Result<u64, BlobError> {
        let src =
            File::open(self.complete_path(id, "data")).map_err(|_| BlobError::NotHeld(id.to_string()))?;
        let dir = out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let tmp = dir.join(format!(
            ".confab-{}.part",
            data_encoding::HEXLOWER.encode(&rand::random::<[u8; 8]>())
        ));
        let result = (|| {
            let f = File::create(&tmp).map_err(io(format!("creating {}", tmp.display())))?;
            let mut w = std::io::BufWriter::new(f);
            let n = decrypt(key, BufReader::with_capacity(256 * 1024, src), &mut w)
                .map_err(io(format!("writing {}", out.display())))?;
            let f = w.into_inner().map_err(|e| BlobError::Io {
                what: format!("writing {}", out.display()),
                source: e.into_error(),
            })?;
            f.sync_all().map_err(io(format!("writing {}", out.display())))?;
            fs::rename(&tmp, out).map_err(io(format!("writing {}", out.display())))?;
            Ok(n)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    /// Reads a whole complete blob, decrypted (for small ones: thumbnails, images to show).
    pub fn read(&self, id: &BlobId, key: &BlobKey, max: u64) -> Result<Vec<u8>, BlobError> {
        let src =
            File::open(self.complete_path(id, "data")).map_err(|_| BlobError::NotHeld(id.to_string()))?;
        let len = src.metadata().map_err(io("reading a blob"))?.len();
        if len > max {
            return Err(BlobError::TooLarge {
                what: format!("blob {}", id.short()),
                size: len,
                max,
            });
        }
        let mut out = Vec::with_capacity(len as usize);
        decrypt(key, src, &mut out).map_err(io("reading a blob"))?;
        Ok(out)
    }

    /// Deletes a blob, whole or partial.
    pub fn remove(&self, id: &BlobId) -> Result<(), BlobError> {
        for p in [
            self.complete_path(id, "data"),
            self.complete_path(id, "obao"),
            self.partial_path(id, "data"),
            self.partial_path(id, "obao"),
            self.partial_path(id, "size"),
        ] {
            match fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(BlobError::Io {
                        what: format!("deleting {}", p.display()),
                        source: e,
                    })
                }
            }
        }
        Ok(())
    }

    /// Every blob here, whole or partial, with its size on disk.
    pub fn list(&self) -> Result<Vec<(BlobId, u64)>, BlobError> {
        let mut out = Vec::new();
        for dir in [self.root.clone(), self.root.join("partial")] {
            let rd = fs::read_dir(&dir).map_err(io(format!("listing {}", dir.display())))?;
            for e in rd.flatten() {
                let name = e.file_name();
                let Some(hex) = name.to_str().and_then(|n| n.strip_suffix(".data")) else {
                    continue;
                };
                if let Ok(id) = hex.parse::<BlobId>() {
                    let len = e.metadata().map(|m| m.len()).unwrap_or(0);
                    if !out.iter().any(|(i, _)| *i == id) {
                        out.push((id, len));
                    }
                }
            }
        }
        Ok(out)
    }
}

impl BlobStore {
    /// Whether a blob is here whole (a cheap check: no hashing).
    pub fn is_complete(&self, id: &BlobId) -> bool {
        self.complete_path(id, "data").exists()
    }

    /// Deletes the blobs, whole or partial, that are not in `keep` and were last written
    /// longer than `grace` ago (a blob just imported for a record being written is not
    /// named by any record yet). Returns what was deleted.
    pub fn collect_garbage(
        &self,
        keep: &std::collections::HashSet<BlobId>,
        grace: std::time::Duration,
    ) -> Result<Vec<BlobId>, BlobError> {
        let now = std::time::SystemTime::now();
        let mut gone = Vec::new();
        for (id, _) in self.list()? {
            if keep.contains(&id) {
                continue;
            }
            let path = if self.is_complete(&id) {
                self.complete_path(&id, "data")
            } else {
                self.partial_path(&id, "data")
            };
            let old = fs::metadata(&path)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| now.duration_since(t).ok())
                .is_some_and(|age| age >= grace);
            if old {
                self.remove(&id)?;
                gone.push(id);
            }
        }
        Ok(gone)
    }
}
