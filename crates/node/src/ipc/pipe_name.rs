//! Names of the node's named pipe on Windows, and the file in the data dir that records the
//! current one. Plain text and paths: compiled on every platform for its tests.

use std::path::Path;

use crate::NodeError;

/// What every pipe name starts with: a pipe on this machine (`\\.\pipe\`), and whose.
const PREFIX: &str = r"\\.\pipe\confab-";

/// Longest name read back from the file: the prefix and two 16-digit hex numbers.
const MAX_NAME: usize = PREFIX.len() + 16 + 1 + 16;

/// A fresh pipe name for a data dir: `\\.\pipe\confab-<hash>-<random>`. The hash (of the
/// canonical path) tells which data dir it serves; the random part makes it impossible to
/// create before the node does.
pub(super) fn fresh(dir: &Path) -> String {
    let canonical = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let hash = blake3::hash(canonical.as_os_str().as_encoded_bytes());
    let nonce: [u8; 8] = rand::random();
    format!(
        "{PREFIX}{}-{}",
        data_encoding::HEXLOWER.encode(&hash.as_bytes()[..8]),
        data_encoding::HEXLOWER.encode(&nonce)
    )
}

/// Writes `name` into the file at `path` in one step (a temporary file moved into place): a
/// client reads the whole name or none.
pub(super) fn write(path: &Path, name: &str) -> Result<(), NodeError> {
    let file = path.file_name().map(|f| f.to_string_lossy()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{file}.{}", std::process::id()));
    std::fs::write(&tmp, name).map_err(|e| NodeError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        NodeError::io(path, e)
    })
}

/// The pipe name the file at `path` records; `None` if there is no file (no node has served
/// the data dir, or the last one stopped cleanly).
pub(super) fn read(path: &Path) -> Result<Option<String>, NodeError> {
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(NodeError::io(path, e)),
    };
    let bad = || {
        NodeError::Invalid(format!(
            "{} does not name a Confab pipe on this machine ({PREFIX}…); \
             remove it if no node runs on this data dir",
            path.display()
        ))
    };
    let name = String::from_utf8(text).map_err(|_| bad())?;
    let rest = name.strip_prefix(PREFIX).ok_or_else(bad)?;
    if name.len() > MAX_NAME || !rest.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return Err(bad());
    }
    Ok(Some(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_tells_the_data_dir_and_cannot_be_guessed() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let (a1, a2, b1) = (fresh(a.path()), fresh(a.path()), fresh(b.path()));
        assert!(a1.starts_with(PREFIX) && a1.len() == MAX_NAME, "{a1}");
        // The same data dir, however it is spelt, has the same hash and a new random part.
        let spelt = a.path().join(".");
        assert_eq!(fresh(&spelt)[..PREFIX.len() + 16], a1[..PREFIX.len() + 16]);
        assert_eq!(a1[..PREFIX.len() + 16], a2[..PREFIX.len() + 16]);
        assert_ne!(a1, a2);
        assert_ne!(a1[..PREFIX.len() + 16], b1[..PREFIX.len() + 16]);
    }

    #[test]
    fn the_file_gives_back_the_name_and_refuses_anything_else() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("confab.pipe");
        assert!(read(&path).unwrap().is_none(), "no file: no node");
        let name = fresh(d.path());
        write(&path, &name).unwrap();
        assert_eq!(read(&path).unwrap(), Some(name));
        // Only the file itself is left behind.
        let names: Vec<_> = std::fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["confab.pipe"]);
        // A pipe on another machine, another program's pipe, or junk: a clear error.
        for bad in [
            r"\\server\pipe\confab-00",
            r"\\.\pipe\other",
            "confab-00",
            r"\\.\pipe\confab-0/x",
        ] {
            std::fs::write(&path, bad).unwrap();
            let err = read(&path).unwrap_err().to_string();
            assert!(
                err.contains("does not name a Confab pipe") && err.contains("confab.pipe"),
                "{bad}: {err}"
            );
        }
        std::fs::write(&path, format!("{PREFIX}{}", "0".repeat(40))).unwrap();
        assert!(read(&path).is_err(), "too long");
    }
}
