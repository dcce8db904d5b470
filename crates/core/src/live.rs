//! Live presence on a whiteboard: where a member's pointer is and the stroke they are in the
//! middle of drawing. Sent on the board's own live gossip topic many times a second and never
//! stored — the finished stroke arrives as an ordinary record.
//!
//! A frame is encrypted with the space key (only members read positions) and signed by its
//! author with strict Ed25519 verification (nobody draws under another name). Frames older
//! than [`LIVE_MAX_AGE_MS`] or from further in the future are refused, so a recorded frame
//! cannot be replayed later.
//!
//! Layout: `version (1) | space (32) | author (32) | ts_ms (8, LE) | nonce (24) | sig (64) |
//! ciphertext`. The signature covers everything before it plus the ciphertext.

use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use ed25519_dalek::{Signer, SigningKey};
use serde::{Deserialize, Serialize};

use crate::ids::{AuthorKey, SpaceId};
use crate::space::Space;

/// Most points an in-progress stroke carries in one frame (the tail of longer strokes).
pub const MAX_LIVE_POINTS: usize = 512;
/// Largest frame accepted, in bytes.
pub const MAX_LIVE_FRAME: usize = 8 * 1024;
/// How far a frame's timestamp may be from the receiver's clock, either way.
pub const LIVE_MAX_AGE_MS: u64 = 10_000;

const VERSION: u8 = 1;
const HEADER: usize = 1 + 32 + 32 + 8 + 24;
const SIG: usize = 64;
const DOMAIN: &[u8] = b"confab 2026 live frame v1";

/// What a member is doing on a board right now.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Live {
    /// Pointer position in board coordinates; `None` when the pointer left the board.
    pub cursor: Option<(f32, f32)>,
    /// The stroke being drawn, if any.
    pub stroke: Option<LiveStroke>,
    /// In a chat room: this member is typing (sent every few seconds while typing).
    pub typing: bool,
    /// The part of the board the member sees: left, top, width, height in board units (others
    /// may follow it).
    pub view: Option<(f32, f32, f32, f32)>,
    /// The objects the member has selected (at most [`MAX_LIVE_SELECTION`]).
    pub selection: Vec<[u8; 32]>,
}

/// Most selected objects one frame names (the others see the first ones highlighted).
pub const MAX_LIVE_SELECTION: usize = 32;

/// A live frame of a version that had no view or selection.
#[derive(Deserialize)]
struct WithTyping {
    cursor: Option<(f32, f32)>,
    stroke: Option<LiveStroke>,
    typing: bool,
}

/// A live frame of a version that had no typing flag.
#[derive(Deserialize)]
struct BoardOnly {
    cursor: Option<(f32, f32)>,
    stroke: Option<LiveStroke>,
}

/// A stroke in progress.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LiveStroke {
    /// Points so far (at most [`MAX_LIVE_POINTS`], the most recent).
    pub points: Vec<(f32, f32)>,
    /// RGB colour.
    pub color: crate::color::Color,
    /// Line width in board units.
    pub width: f32,
    /// True for the eraser.
    pub erasing: bool,
}

/// Why a live frame was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LiveError {
    /// Too short, too long or an unknown version.
    #[error("malformed live frame: {0}")]
    Malformed(String),
    /// For another space.
    #[error("live frame for another space")]
    WrongSpace,
    /// The signature does not verify.
    #[error("live frame signature does not verify")]
    BadSignature,
    /// Too old or from the future.
    #[error("live frame timestamp is {0} ms away from now (limit {LIVE_MAX_AGE_MS})")]
    Stale(i64),
    /// Not encrypted with the space key.
    #[error("live frame was not encrypted with this space's key")]
    NotMember,
    /// The decrypted content breaks a limit.
    #[error("live frame content: {0}")]
    BadContent(String),
}

impl Live {
    /// Checks limits: finite coordinates within range, bounded point count, sane width.
    pub fn check(&self) -> Result<(), LiveError> {
        let ok = |(x, y): (f32, f32)| {
            x.is_finite()
                && y.is_finite()
                && x.abs() <= crate::body::MAX_COORD
                && y.abs() <= crate::body::MAX_COORD
        };
        if let Some(c) = self.cursor {
            if !ok(c) {
                return Err(LiveError::BadContent("cursor out of range".into()));
            }
        }
        if let Some((x, y, w, h)) = self.view {
            let size = w.is_finite() && h.is_finite() && w > 0.0 && h > 0.0 && w <= 1e7 && h <= 1e7;
            if !ok((x, y)) || !size {
                return Err(LiveError::BadContent("view out of range".into()));
            }
        }
        if self.selection.len() > MAX_LIVE_SELECTION {
            return Err(LiveError::BadContent(format!(
                "{} objects selected, the limit is {MAX_LIVE_SELECTION}",
                self.selection.len()
            )));
        }
        if let Some(s) = &self.stroke {
            if s.points.len() > MAX_LIVE_POINTS {
                return Err(LiveError::BadContent(format!(
                    "{} points, the limit is {MAX_LIVE_POINTS}",
                    s.points.len()
                )));
            }
            if !s.points.iter().all(|p| ok(*p)) {
                return Err(LiveError::BadContent("a point is out of range".into()));
            }
            if !(s.width.is_finite() && s.width > 0.0 && s.width <= 1000.0) {
                return Err(LiveError::BadContent(format!("width {} out of range", s.width)));
            }
        }
        Ok(())
    }
}

impl Space {
    /// The gossip topic live frames of this space travel on (separate from records, so that
    /// peers that only replicate never see them).
    pub fn live_topic(&self) -> String {
        let t = blake3::derive_key(
            "confab 2026 live topic v1",
            &self.current_key().unwrap_or(&self.key).0,
        );
        format!("confab-live/{}", data_encoding::HEXLOWER.encode(&t[..16]))
    }

    /// Encrypts and signs a live frame. The stroke is cut to its last [`MAX_LIVE_POINTS`].
    pub fn seal_live(&self, signer: &SigningKey, live: &Live, now_ms: u64) -> Result<Vec<u8>, LiveError> {
        let mut live = live.clone();
        if let Some(s) = &mut live.stroke {
            if s.points.len() > MAX_LIVE_POINTS {
                s.points.drain(..s.points.len() - MAX_LIVE_POINTS);
            }
        }
        live.check()?;
        let author = signer.verifying_key().to_bytes();
        let nonce: [u8; 24] = rand::random();
        let mut head = Vec::with_capacity(HEADER);
        head.push(VERSION);
        head.extend_from_slice(&self.id.0);
        head.extend_from_slice(&author);
        head.extend_from_slice(&now_ms.to_le_bytes());
        head.extend_from_slice(&nonce);
        let pt = postcard::to_stdvec(&live).map_err(|e| LiveError::BadContent(e.to_string()))?;
        let ct = self
            .cipher_for_live()
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: &pt, aad: &head })
            .map_err(|_| LiveError::BadContent("encryption failed".into()))?;
        let sig = signer.sign(&signed(&head, &ct));
        let mut out = head;
        out.extend_from_slice(&sig.to_bytes());
        out.extend_from_slice(&ct);
        if out.len() > MAX_LIVE_FRAME {
            return Err(LiveError::BadContent(format!(
                "frame is {} bytes, the limit is {MAX_LIVE_FRAME}",
                out.len()
            )));
        }
        Ok(out)
    }

    /// Checks and opens a live frame received for this space: returns its author and content.
    pub fn open_live(&self, frame: &[u8], now_ms: u64) -> Result<(AuthorKey, Live), LiveError> {
        if frame.len() > MAX_LIVE_FRAME {
            return Err(LiveError::Malformed(format!(
                "{} bytes, the limit is {MAX_LIVE_FRAME}",
                frame.len()
            )));
        }
        if frame.len() < HEADER + SIG {
            return Err(LiveError::Malformed(format!("only {} bytes", frame.len())));
        }
        if frame[0] != VERSION {
            return Err(LiveError::Malformed(format!("unknown version {}", frame[0])));
        }
        let (head, rest) = frame.split_at(HEADER);
        let (sig, ct) = rest.split_at(SIG);
        if head[1..33] != self.id.0 {
            return Err(LiveError::WrongSpace);
        }
        let author: [u8; 32] = head[33..65].try_into().expect("32 bytes");
        let ts = u64::from_le_bytes(head[65..73].try_into().expect("8 bytes"));
        // Any 64-bit value may arrive here: compare without overflowing (found by fuzzing).
        if ts.abs_diff(now_ms) > LIVE_MAX_AGE_MS {
            let skew = (i128::from(ts) - i128::from(now_ms)).clamp(i64::MIN.into(), i64::MAX.into());
            return Err(LiveError::Stale(skew as i64));
        }
        if !crate::record::verify_signature(&author, &signed(head, ct), sig) {
            return Err(LiveError::BadSignature);
        }
        let nonce = &head[73..97];
        let pt = self
            .cipher_for_live()
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad: head })
            .map_err(|_| LiveError::NotMember)?;
        // Newest layout first; older peers send fewer fields (and read the fields they know of
        // a newer frame, ignoring the rest).
        let live: Live = match postcard::from_bytes::<Live>(&pt) {
            Ok(l) => l,
            Err(_) => match postcard::from_bytes::<WithTyping>(&pt) {
                Ok(t) => Live {
                    cursor: t.cursor,
                    stroke: t.stroke,
                    typing: t.typing,
                    ..Live::default()
                },
                Err(_) => {
                    let b: BoardOnly =
                        postcard::from_bytes(&pt).map_err(|e| LiveError::BadContent(e.to_string()))?;
                    Live {
                        cursor: b.cursor,
                        stroke: b.stroke,
                        ..Live::default()
                    }
                }
            },
        };
        live.check()?;
        Ok((AuthorKey(author), live))
    }

    fn cipher_for_live(&self) -> XChaCha20Poly1305 {
        let k = blake3::derive_key(
            "confab 2026 live key v1",
            &self.current_key().unwrap_or(&self.key).0,
        );
        XChaCha20Poly1305::new((&k).into())
    }
}

fn signed(head: &[u8], ct: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(DOMAIN.len() + head.len() + ct.len());
    m.extend_from_slice(DOMAIN);
    m.extend_from_slice(head);
    m.extend_from_slice(ct);
    m
}

/// Which space a frame claims to be for, without checking anything else.
pub fn live_frame_space(frame: &[u8]) -> Option<SpaceId> {
    (frame.len() >= 33).then(|| SpaceId(frame[1..33].try_into().expect("32 bytes")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::SpaceKind;

    fn setup() -> (Space, SigningKey) {
        let sk = SigningKey::from_bytes(&rand::random());
        let space = Space::create(SpaceKind::Board, "b", AuthorKey(sk.verifying_key().to_bytes())).unwrap();
        (space, sk)
    }

    fn sample() -> Live {
        Live {
            cursor: Some((10.0, 20.0)),
            stroke: Some(LiveStroke {
                points: vec![(1.0, 2.0), (3.0, 4.0)],
                color: crate::Color([1, 2, 3]),
                width: 4.0,
                erasing: false,
            }),
            typing: false,
            ..Default::default()
        }
    }

    #[test]
    fn round_trip() {
        let (space, sk) = setup();
        let f = space.seal_live(&sk, &sample(), 1_000_000).unwrap();
        let (author, live) = space.open_live(&f, 1_000_500).unwrap();
        assert_eq!(author.0, sk.verifying_key().to_bytes());
        assert_eq!(live, sample());
        assert_eq!(live_frame_space(&f), Some(space.id));
    }

    #[test]
    fn long_strokes_keep_their_tail() {
        let (space, sk) = setup();
        let mut l = sample();
        l.stroke.as_mut().unwrap().points = (0..2000).map(|i| (i as f32, 0.0)).collect();
        let f = space.seal_live(&sk, &l, 5).unwrap();
        let (_, got) = space.open_live(&f, 5).unwrap();
        let pts = got.stroke.unwrap().points;
        assert_eq!(pts.len(), MAX_LIVE_POINTS);
        assert_eq!(pts.last(), Some(&(1999.0, 0.0)));
    }

    #[test]
    fn refusals() {
        let (space, sk) = setup();
        let f = space.seal_live(&sk, &sample(), 1_000_000).unwrap();
        // Replayed later, or from the future.
        assert!(matches!(
            space.open_live(&f, 1_000_000 + 60_000),
            Err(LiveError::Stale(_))
        ));
        assert!(matches!(
            space.open_live(&f, 1_000_000 - 60_000),
            Err(LiveError::Stale(_))
        ));
        // Any flipped byte: header, signature or ciphertext.
        for i in [0, 5, 40, 70, 80, 100, f.len() - 1] {
            let mut g = f.clone();
            g[i] ^= 1;
            assert!(space.open_live(&g, 1_000_000).is_err(), "byte {i}");
        }
        // Any timestamp, however far off, is refused without overflow (a fuzzing find).
        for ts in [u64::MAX, 1 << 63, 0] {
            let mut g = f.clone();
            g[65..73].copy_from_slice(&ts.to_le_bytes());
            assert!(
                matches!(space.open_live(&g, 1_000_000), Err(LiveError::Stale(_))),
                "ts {ts}"
            );
        }
        // Truncated and oversized.
        assert!(matches!(
            space.open_live(&f[..50], 1_000_000),
            Err(LiveError::Malformed(_))
        ));
        assert!(matches!(
            space.open_live(&vec![1u8; MAX_LIVE_FRAME + 1], 1_000_000),
            Err(LiveError::Malformed(_))
        ));
        // Another space with the same id but a different key: not a member.
        let mut other = space.clone();
        other.key = crate::space::SpaceKey::random();
        assert_eq!(other.open_live(&f, 1_000_000), Err(LiveError::NotMember));
        // A frame for another space.
        let (third, _) = setup();
        assert_eq!(third.open_live(&f, 1_000_000), Err(LiveError::WrongSpace));
        // Content outside limits is refused when sealing.
        let mut bad = sample();
        bad.cursor = Some((f32::NAN, 0.0));
        assert!(space.seal_live(&sk, &bad, 1).is_err());
    }

    #[test]
    fn frames_of_the_version_without_typing_open() {
        #[derive(Serialize)]
        struct Old {
            cursor: Option<(f32, f32)>,
            stroke: Option<LiveStroke>,
        }
        let (space, _) = setup();
        let old = postcard::to_stdvec(&Old {
            cursor: Some((1.0, 2.0)),
            stroke: None,
        })
        .unwrap();
        let new = postcard::to_stdvec(&Live {
            typing: true,
            ..Default::default()
        })
        .unwrap();
        let _ = space;
        let b: BoardOnly = postcard::from_bytes(&old).unwrap();
        assert_eq!(b.cursor, Some((1.0, 2.0)));
        // An older node reads a newer frame: the typing flag trails and is ignored.
        let b: BoardOnly = postcard::from_bytes(&new).unwrap();
        assert_eq!(b.cursor, None);
        assert!(postcard::from_bytes::<Live>(&old).is_err());
    }

    #[test]
    fn views_and_selections_travel_and_frames_with_typing_only_still_open() {
        let (space, sk) = setup();
        let live = Live {
            cursor: Some((5.0, 6.0)),
            view: Some((-100.0, 50.0, 1280.0, 720.0)),
            selection: vec![[1; 32], [2; 32]],
            ..Default::default()
        };
        let f = space.seal_live(&sk, &live, 1_000_000).unwrap();
        assert_eq!(space.open_live(&f, 1_000_000).unwrap().1, live);
        // The version before views: three fields; this one reads it, that one reads this.
        #[derive(Serialize)]
        struct Typed {
            cursor: Option<(f32, f32)>,
            stroke: Option<LiveStroke>,
            typing: bool,
        }
        let old = postcard::to_stdvec(&Typed {
            cursor: None,
            stroke: None,
            typing: true,
        })
        .unwrap();
        assert!(postcard::from_bytes::<Live>(&old).is_err());
        assert!(postcard::from_bytes::<WithTyping>(&old).unwrap().typing);
        let new = postcard::to_stdvec(&live).unwrap();
        assert_eq!(
            postcard::from_bytes::<WithTyping>(&new).unwrap().cursor,
            Some((5.0, 6.0))
        );
        // Limits.
        let mut bad = live.clone();
        bad.view = Some((0.0, 0.0, -1.0, 5.0));
        assert!(space.seal_live(&sk, &bad, 1).is_err());
        let mut bad = live;
        bad.selection = vec![[0; 32]; MAX_LIVE_SELECTION + 1];
        assert!(space.seal_live(&sk, &bad, 1).is_err());
    }
}
