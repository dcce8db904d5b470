//! Decrypted record bodies, one type per record kind, each with the limits a peer enforces.

use serde::{Deserialize, Serialize};

use crate::record::RecordKind;

/// Longest chat message, in bytes of UTF-8.
pub const MAX_CHAT_TEXT: usize = 16 * 1024;
/// Most points in one stroke.
pub const MAX_STROKE_POINTS: usize = 8192;
/// Longest newsletter title, in bytes.
pub const MAX_NEWS_TITLE: usize = 300;
/// Longest newsletter body, in bytes (the record cap bounds it further).
pub const MAX_NEWS_BODY: usize = 200 * 1024;
/// Largest coordinate magnitude on the board.
pub const MAX_COORD: f32 = 1.0e6;

/// A chat message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChatBody {
    /// The message text.
    pub text: String,
}

/// A whiteboard stroke: a polyline with a colour and width.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StrokeBody {
    /// Points in board coordinates.
    pub points: Vec<(f32, f32)>,
    /// RGB colour.
    pub color: crate::color::Color,
    /// Line width in board units.
    pub width: f32,
}

/// Erases the strokes named in the record's refs. Carries no data of its own.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EraseBody {}

/// A newsletter issue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewsBody {
    /// Title.
    pub title: String,
    /// Body text.
    pub body: String,
}

/// Most key boxes in one rotation: the members a space can have after a removal.
pub const MAX_MEMBERS: usize = 1000;
/// Most records of removed members one rotation can list as kept.
pub const MAX_KEPT: usize = 6000;

/// A member announces itself in a space (written on joining), so the owner knows whom to
/// give the key to when it is rotated. Carries no data of its own.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MemberBody {}

/// The owner removes members and rotates the space key: the new key, sealed to each member
/// who remains. Records dated after this one must use the new key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RekeyBody {
    /// The epoch this starts (1 for the first rotation).
    pub epoch: u32,
    /// Who is removed (Ed25519 public keys).
    pub removed: Vec<[u8; 32]>,
    /// The new key, sealed to each remaining member (the owner included).
    pub boxes: Vec<crate::keybox::KeyBox>,
    /// The records of the removed members the owner holds (first 16 bytes of each id,
    /// sorted): the only ones of theirs peers accept from now on, so a removed member cannot
    /// slip in records it backdates. `None` if there were more than [`MAX_KEPT`]; then only
    /// the date rule applies.
    pub kept: Option<Vec<[u8; 16]>>,
}

/// A decrypted body of any kind.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    /// Chat message.
    Chat(ChatBody),
    /// Whiteboard stroke.
    Stroke(StrokeBody),
    /// Whiteboard erase.
    Erase(EraseBody),
    /// Newsletter issue.
    News(NewsBody),
    /// Member announcement.
    Member(MemberBody),
    /// Removal and key rotation.
    Rekey(RekeyBody),
}

/// Why a body is not acceptable.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BodyError {
    /// The plaintext is not a body of the record's kind.
    #[error("body does not decode as a {0:?}")]
    Malformed(RecordKind),
    /// A field breaks a limit.
    #[error("{0}")]
    Invalid(String),
}

fn invalid(msg: impl Into<String>) -> BodyError {
    BodyError::Invalid(msg.into())
}

impl Body {
    /// The record kind this body belongs to.
    pub fn kind(&self) -> RecordKind {
        match self {
            Body::Chat(_) => RecordKind::ChatMessage,
            Body::Stroke(_) => RecordKind::Stroke,
            Body::Erase(_) => RecordKind::Erase,
            Body::News(_) => RecordKind::NewsIssue,
            Body::Member(_) => RecordKind::Member,
            Body::Rekey(_) => RecordKind::Rekey,
        }
    }

    /// Canonical plaintext encoding.
    pub fn encode(&self) -> Vec<u8> {
        let r = match self {
            Body::Chat(b) => postcard::to_stdvec(b),
            Body::Stroke(b) => postcard::to_stdvec(b),
            Body::Erase(b) => postcard::to_stdvec(b),
            Body::News(b) => postcard::to_stdvec(b),
            Body::Member(b) => postcard::to_stdvec(b),
            Body::Rekey(b) => postcard::to_stdvec(b),
        };
        r.expect("bodies always encode")
    }

    /// Decodes and checks a plaintext of the given kind. Trailing bytes are refused so that the
    /// encoding stays canonical.
    pub fn decode(kind: RecordKind, bytes: &[u8]) -> Result<Self, BodyError> {
        fn exact<'a, T: Deserialize<'a>>(kind: RecordKind, b: &'a [u8]) -> Result<T, BodyError> {
            match postcard::take_from_bytes::<T>(b) {
                Ok((v, [])) => Ok(v),
                _ => Err(BodyError::Malformed(kind)),
            }
        }
        let body = match kind {
            RecordKind::ChatMessage => Body::Chat(exact(kind, bytes)?),
            RecordKind::Stroke => Body::Stroke(exact(kind, bytes)?),
            RecordKind::Erase => Body::Erase(exact(kind, bytes)?),
            RecordKind::NewsIssue => Body::News(exact(kind, bytes)?),
            RecordKind::Member => Body::Member(exact(kind, bytes)?),
            RecordKind::Rekey => Body::Rekey(exact(kind, bytes)?),
        };
        body.validate()?;
        Ok(body)
    }

    /// Checks the limits of each field.
    pub fn validate(&self) -> Result<(), BodyError> {
        match self {
            Body::Chat(c) => {
                if c.text.trim().is_empty() {
                    return Err(invalid("chat message is empty"));
                }
                if c.text.len() > MAX_CHAT_TEXT {
                    return Err(invalid(format!(
                        "chat message is {} bytes, the limit is {MAX_CHAT_TEXT}",
                        c.text.len()
                    )));
                }
            }
            Body::Stroke(s) => {
                if s.points.is_empty() {
                    return Err(invalid("stroke has no points"));
                }
                if s.points.len() > MAX_STROKE_POINTS {
                    return Err(invalid(format!(
                        "stroke has {} points, the limit is {MAX_STROKE_POINTS}",
                        s.points.len()
                    )));
                }
                if s.points.iter().any(|(x, y)| {
                    !x.is_finite() || !y.is_finite() || x.abs() > MAX_COORD || y.abs() > MAX_COORD
                }) {
                    return Err(invalid(
                        "stroke has a point that is not a finite coordinate within ±1e6",
                    ));
                }
                if !(s.width.is_finite() && (0.1..=500.0).contains(&s.width)) {
                    return Err(invalid(format!("stroke width {} is outside 0.1..=500", s.width)));
                }
            }
            Body::Erase(_) | Body::Member(_) => {}
            Body::Rekey(r) => {
                if r.epoch == 0 {
                    return Err(invalid("a key rotation starts epoch 1 or later"));
                }
                if r.removed.is_empty() {
                    return Err(invalid("a key rotation must remove at least one member"));
                }
                if r.boxes.is_empty() || r.boxes.len() > MAX_MEMBERS {
                    return Err(invalid(format!(
                        "a key rotation seals the key to {} members; 1..={MAX_MEMBERS} allowed",
                        r.boxes.len()
                    )));
                }
                let mut seen = std::collections::HashSet::new();
                if !r.boxes.iter().all(|b| seen.insert(b.member)) {
                    return Err(invalid("a key rotation has two boxes for one member"));
                }
                if r.removed.iter().any(|m| seen.contains(m)) {
                    return Err(invalid("a key rotation gives the new key to a member it removes"));
                }
                if let Some(k) = &r.kept {
                    if k.len() > MAX_KEPT {
                        return Err(invalid(format!(
                            "a key rotation lists {} kept records; at most {MAX_KEPT}",
                            k.len()
                        )));
                    }
                    if !k.windows(2).all(|w| w[0] < w[1]) {
                        return Err(invalid("a key rotation's kept records are not sorted"));
                    }
                }
            }
            Body::News(n) => {
                if n.title.trim().is_empty() {
                    return Err(invalid("newsletter issue has an empty title"));
                }
                if n.title.len() > MAX_NEWS_TITLE {
                    return Err(invalid(format!(
                        "newsletter title is {} bytes, the limit is {MAX_NEWS_TITLE}",
                        n.title.len()
                    )));
                }
                if n.body.len() > MAX_NEWS_BODY {
                    return Err(invalid(format!(
                        "newsletter body is {} bytes, the limit is {MAX_NEWS_BODY}",
                        n.body.len()
                    )));
                }
            }
        }
        Ok(())
    }
}
