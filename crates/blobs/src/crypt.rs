//! The encryption of a blob: ChaCha20 under a key made for that blob alone (so the nonce can
//! be fixed). The bytes are authenticated by their BLAKE3 hash, which the signed record that
//! carries the key also carries; a stream cipher keeps ciphertext and plaintext the same size
//! and lets any range be decrypted on its own.

use std::io::{self, Read, Write};

use chacha20::cipher::{KeyIvInit, StreamCipher};
use chacha20::ChaCha20;

/// The key of one blob. Never reused: each import draws a new one.
#[derive(Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BlobKey(pub [u8; 32]);

impl std::fmt::Debug for BlobKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BlobKey(..)")
    }
}

impl BlobKey {
    /// A fresh random key.
    pub fn random() -> Self {
        BlobKey(rand::random())
    }

    pub(crate) fn cipher(&self) -> ChaCha20 {
        ChaCha20::new(&self.0.into(), &[0u8; 12].into())
    }
}

/// Reads plaintext from `inner`, hands out ciphertext and writes a copy of it to `out`: one
/// pass both hashes (the reader of this) and stores the encrypted blob.
pub(crate) struct Encrypting<R, W> {
    pub inner: R,
    pub cipher: ChaCha20,
    pub out: W,
    pub count: u64,
}

impl<R: Read, W: Write> Read for Encrypting<R, W> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.cipher.apply_keystream(&mut buf[..n]);
        self.out.write_all(&buf[..n])?;
        self.count += n as u64;
        Ok(n)
    }
}

/// Decrypts `input` (a whole blob, in order) into `out`.
pub(crate) fn decrypt(key: &BlobKey, mut input: impl Read, mut out: impl Write) -> io::Result<u64> {
    let mut cipher = key.cipher();
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            return Ok(total);
        }
        cipher.apply_keystream(&mut buf[..n]);
        out.write_all(&buf[..n])?;
        total += n as u64;
    }
}
