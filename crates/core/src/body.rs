//! Decrypted record bodies, one type per record kind, each with the limits a peer enforces.

use serde::{Deserialize, Serialize};

use crate::record::RecordKind;

use crate::files::check_files;
pub use crate::files::{
    check_file_name, FileRef, Thumb, MAX_FILES, MAX_FILE_NAME, MAX_FILE_SIZE, MAX_THUMBS_BYTES,
    MAX_THUMB_BYTES,
};

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

/// Most members one message may mention.
pub const MAX_MENTIONS: usize = 50;
/// Longest display name, in characters after normalisation.
pub const MAX_NAME_CHARS: usize = 64;
/// Largest reaction, in bytes of UTF-8.
pub const MAX_REACTION_BYTES: usize = 32;

/// A chat message. Its first ref, if any, is the message it replies to.
#[derive(Clone, Debug, PartialEq)]
pub struct ChatBody {
    /// The message text (may be empty when files are attached).
    pub text: String,
    /// The members it mentions (their public keys), not only `@Name` in the text.
    pub mentions: Vec<[u8; 32]>,
    /// Attached files.
    pub files: Vec<FileRef>,
}

/// The encoding of a chat message before mentions existed; still written when a message
/// mentions nobody and carries no files, so that peers on older versions read it.
#[derive(Serialize, Deserialize)]
struct PlainChat {
    text: String,
}

/// The encoding of a chat message that mentions someone and carries no files.
#[derive(Serialize, Deserialize)]
struct MentionChat {
    text: String,
    mentions: Vec<[u8; 32]>,
}

/// The encoding of a chat message with files.
#[derive(Serialize, Deserialize)]
struct FileChat {
    text: String,
    mentions: Vec<[u8; 32]>,
    files: Vec<FileRef>,
}

/// Who a person is in the spaces they are in: written to each of them, newest wins.
#[derive(Clone, Debug, PartialEq)]
pub struct ProfileBody {
    /// Display name, normalised (see [`normalize_name`]).
    pub name: String,
    /// The colour their name is shown in.
    pub color: crate::color::Color,
    /// Their picture (a square image, with a small preview), if they chose one.
    pub picture: Option<FileRef>,
}

/// Largest profile picture (the node makes them far smaller: 256 px JPEG).
pub const MAX_PROFILE_PICTURE: u64 = 1 << 20;

/// The encoding of a profile without a picture (the only one before pictures existed).
#[derive(Serialize, Deserialize)]
struct PlainProfile {
    name: String,
    color: crate::color::Color,
}

/// The encoding of a profile with a picture.
#[derive(Serialize, Deserialize)]
struct PictureProfile {
    name: String,
    color: crate::color::Color,
    picture: FileRef,
}

/// An emoji reaction to the message in the record's one ref: `on` adds it, `off` takes it
/// back. Per person, message and emoji the newest record wins.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReactionBody {
    /// One emoji (one extended grapheme cluster, at most [`MAX_REACTION_BYTES`]).
    pub emoji: String,
    /// Added (true) or taken back.
    pub on: bool,
}

/// A new text for the message in the record's one ref; only its author's edits count and the
/// newest wins.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EditBody {
    /// The new text.
    pub text: String,
    /// The members the new text mentions.
    pub mentions: Vec<[u8; 32]>,
}

/// Deletes the message in the record's one ref for everyone (its author, or the space's
/// owner as moderation). Carries the target's timestamp so that a peer that never held the
/// target can still keep its sync key out of reach.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeleteBody {
    /// The deleted message's timestamp.
    pub target_ts: u64,
}

/// Normalises a display name: NFC, surrounding white space trimmed; 1 to
/// [`MAX_NAME_CHARS`] characters with no control or format characters (which covers the
/// bidirectional overrides U+202A–202E and isolates U+2066–2069).
pub fn normalize_name(name: &str) -> Result<String, BodyError> {
    use unicode_normalization::UnicodeNormalization;
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    let n: String = name.nfc().collect::<String>().trim().to_string();
    if n.is_empty() {
        return Err(invalid("a name cannot be empty"));
    }
    let count = n.chars().count();
    if count > MAX_NAME_CHARS {
        return Err(invalid(format!(
            "a name is at most {MAX_NAME_CHARS} characters; this one has {count}"
        )));
    }
    if let Some(c) = n.chars().find(|c| {
        matches!(
            c.general_category(),
            GeneralCategory::Control | GeneralCategory::Format
        )
    }) {
        return Err(invalid(format!(
            "a name cannot hold control or format characters such as U+{:04X}",
            c as u32
        )));
    }
    Ok(n)
}

/// Checks a reaction: one extended grapheme cluster that is an emoji, at most
/// [`MAX_REACTION_BYTES`] bytes.
pub fn check_reaction(emoji: &str) -> Result<(), BodyError> {
    use unicode_segmentation::UnicodeSegmentation;
    if emoji.len() > MAX_REACTION_BYTES {
        return Err(invalid(format!(
            "a reaction is at most {MAX_REACTION_BYTES} bytes; {emoji:?} is {}",
            emoji.len()
        )));
    }
    if emoji.graphemes(true).count() != 1 || emojis::get(emoji).is_none() {
        return Err(invalid(format!("a reaction is a single emoji; {emoji:?} is not")));
    }
    Ok(())
}

fn check_text(what: &str, text: &str, mentions: &[[u8; 32]]) -> Result<(), BodyError> {
    if text.trim().is_empty() {
        return Err(invalid(format!("{what} is empty")));
    }
    if text.len() > MAX_CHAT_TEXT {
        return Err(invalid(format!(
            "{what} is {} bytes, the limit is {MAX_CHAT_TEXT}",
            text.len()
        )));
    }
    if mentions.len() > MAX_MENTIONS {
        return Err(invalid(format!(
            "{what} mentions {} members; at most {MAX_MENTIONS}",
            mentions.len()
        )));
    }
    Ok(())
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

/// Where a picture sits on a board: its top-left corner and its size, in board units (the
/// units strokes are drawn in).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rect {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width, more than 0.
    pub w: f32,
    /// Height, more than 0.
    pub h: f32,
}

impl Rect {
    /// Checks the rectangle: finite numbers, the corner within ±[`MAX_COORD`] like a stroke's
    /// points, and a width and height above 0 and at most [`MAX_COORD`].
    pub fn check(&self) -> Result<(), BodyError> {
        let Rect { x, y, w, h } = *self;
        if ![x, y, w, h].iter().all(|v| v.is_finite()) {
            return Err(invalid(format!(
                "a picture's place ({x}, {y}, {w}×{h}) holds a number that is not finite"
            )));
        }
        if x.abs() > MAX_COORD || y.abs() > MAX_COORD {
            return Err(invalid(format!(
                "a picture's corner ({x}, {y}) is outside ±{MAX_COORD}"
            )));
        }
        if !(w > 0.0 && h > 0.0 && w <= MAX_COORD && h <= MAX_COORD) {
            return Err(invalid(format!(
                "a picture's size {w}×{h} is not above 0 and at most {MAX_COORD} on each side"
            )));
        }
        Ok(())
    }
}

/// A picture placed on a whiteboard: the file that holds it (an image, encrypted into a blob
/// like a chat attachment) and where it sits. It names no records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PictureBody {
    /// The picture.
    pub file: FileRef,
    /// Where it sits when placed.
    pub rect: Rect,
}

/// Moves or resizes the picture in the record's one ref: its new place. Any member of the
/// board may move any picture; per picture the newest move (by timestamp, then id) wins.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MoveBody {
    /// The new place.
    pub rect: Rect,
}

/// Erases the strokes and pictures named in the record's refs. Carries no data of its own.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EraseBody {}

/// A newsletter issue.
#[derive(Clone, Debug, PartialEq)]
pub struct NewsBody {
    /// Title.
    pub title: String,
    /// Body text (Markdown; images it shows are named by their blob's id).
    pub body: String,
    /// Images and attachments.
    pub files: Vec<FileRef>,
}

/// The encoding of an issue without files (the only one before files existed).
#[derive(Serialize, Deserialize)]
struct PlainNews {
    title: String,
    body: String,
}

/// The encoding of an issue with files.
#[derive(Serialize, Deserialize)]
struct FileNews {
    title: String,
    body: String,
    files: Vec<FileRef>,
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
    /// A person's name and colour.
    Profile(ProfileBody),
    /// A reaction to a message.
    Reaction(ReactionBody),
    /// A new text for a message.
    Edit(EditBody),
    /// A message deleted for everyone.
    Delete(DeleteBody),
    /// A picture placed on a board.
    Picture(PictureBody),
    /// A picture moved or resized.
    Move(MoveBody),
    /// A person's device revoked by their account.
    Revoke(crate::account::Revocation),
    /// A space the person is in (in their own space).
    Joined(crate::backup::SpaceEntry),
    /// A shape placed on a board.
    Shape(crate::shape::ShapeBody),
    /// Properties of a board object changed.
    Change(crate::shape::ChangeBody),
    /// A new version of a newsletter issue (its title, body and files, whole).
    Correction(NewsBody),
    /// A newsletter draft or scheduled issue (in the owner's own space).
    Draft(crate::draft::DraftBody),
    /// A reader's reply to an issue.
    Reply(crate::reply::ReplyBody),
    /// A newsletter's settings.
    NewsSettings(crate::reply::NewsSettingsBody),
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

pub(crate) fn invalid(msg: impl Into<String>) -> BodyError {
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
            Body::Profile(_) => RecordKind::Profile,
            Body::Reaction(_) => RecordKind::Reaction,
            Body::Edit(_) => RecordKind::Edit,
            Body::Delete(_) => RecordKind::Delete,
            Body::Picture(_) => RecordKind::Picture,
            Body::Move(_) => RecordKind::Move,
            Body::Revoke(_) => RecordKind::Revoke,
            Body::Joined(_) => RecordKind::Joined,
            Body::Shape(_) => RecordKind::Shape,
            Body::Change(_) => RecordKind::Change,
            Body::Correction(_) => RecordKind::Correction,
            Body::Draft(_) => RecordKind::Draft,
            Body::Reply(_) => RecordKind::Reply,
            Body::NewsSettings(_) => RecordKind::NewsSettings,
        }
    }

    /// Canonical plaintext encoding.
    pub fn encode(&self) -> Vec<u8> {
        let r = match self {
            Body::Chat(b) if !b.files.is_empty() => postcard::to_stdvec(&FileChat {
                text: b.text.clone(),
                mentions: b.mentions.clone(),
                files: b.files.clone(),
            }),
            Body::Chat(b) if b.mentions.is_empty() => {
                postcard::to_stdvec(&PlainChat { text: b.text.clone() })
            }
            Body::Chat(b) => postcard::to_stdvec(&MentionChat {
                text: b.text.clone(),
                mentions: b.mentions.clone(),
            }),
            Body::Stroke(b) => postcard::to_stdvec(b),
            Body::Erase(b) => postcard::to_stdvec(b),
            Body::News(b) | Body::Correction(b) if b.files.is_empty() => postcard::to_stdvec(&PlainNews {
                title: b.title.clone(),
                body: b.body.clone(),
            }),
            Body::News(b) | Body::Correction(b) => postcard::to_stdvec(&FileNews {
                title: b.title.clone(),
                body: b.body.clone(),
                files: b.files.clone(),
            }),
            Body::Member(b) => postcard::to_stdvec(b),
            Body::Rekey(b) => postcard::to_stdvec(b),
            Body::Profile(b) => match &b.picture {
                None => postcard::to_stdvec(&PlainProfile {
                    name: b.name.clone(),
                    color: b.color,
                }),
                Some(picture) => postcard::to_stdvec(&PictureProfile {
                    name: b.name.clone(),
                    color: b.color,
                    picture: picture.clone(),
                }),
            },
            Body::Reaction(b) => postcard::to_stdvec(b),
            Body::Edit(b) => postcard::to_stdvec(b),
            Body::Delete(b) => postcard::to_stdvec(b),
            Body::Picture(b) => postcard::to_stdvec(b),
            Body::Move(b) => postcard::to_stdvec(b),
            Body::Revoke(r) => Ok(r.encode()),
            Body::Joined(e) => postcard::to_stdvec(e),
            Body::Shape(b) => postcard::to_stdvec(b),
            Body::Change(b) => postcard::to_stdvec(b),
            Body::Draft(b) => postcard::to_stdvec(b),
            Body::Reply(b) => postcard::to_stdvec(b),
            Body::NewsSettings(b) => postcard::to_stdvec(b),
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
        // An issue or a correction: with files only if there are some (one encoding each).
        fn news(kind: RecordKind, bytes: &[u8]) -> Result<NewsBody, BodyError> {
            if let Ok(n) = exact::<FileNews>(kind, bytes) {
                if n.files.is_empty() {
                    return Err(BodyError::Malformed(kind));
                }
                return Ok(NewsBody {
                    title: n.title,
                    body: n.body,
                    files: n.files,
                });
            }
            let n: PlainNews = exact(kind, bytes)?;
            Ok(NewsBody {
                title: n.title,
                body: n.body,
                files: Vec::new(),
            })
        }
        let body = match kind {
            // Each message has one encoding: the plainest that holds it. A longer one with an
            // empty list is a second encoding and refused.
            RecordKind::ChatMessage => {
                if let Ok(c) = exact::<FileChat>(kind, bytes) {
                    if c.files.is_empty() {
                        return Err(BodyError::Malformed(kind));
                    }
                    Body::Chat(ChatBody {
                        text: c.text,
                        mentions: c.mentions,
                        files: c.files,
                    })
                } else if let Ok(c) = exact::<MentionChat>(kind, bytes) {
                    if c.mentions.is_empty() {
                        return Err(BodyError::Malformed(kind));
                    }
                    Body::Chat(ChatBody {
                        text: c.text,
                        mentions: c.mentions,
                        files: Vec::new(),
                    })
                } else {
                    let p: PlainChat = exact(kind, bytes)?;
                    Body::Chat(ChatBody {
                        text: p.text,
                        mentions: Vec::new(),
                        files: Vec::new(),
                    })
                }
            }
            RecordKind::Stroke => Body::Stroke(exact(kind, bytes)?),
            RecordKind::Erase => Body::Erase(exact(kind, bytes)?),
            RecordKind::NewsIssue => Body::News(news(kind, bytes)?),
            RecordKind::Correction => Body::Correction(news(kind, bytes)?),
            RecordKind::Draft => Body::Draft(exact(kind, bytes)?),
            RecordKind::Reply => Body::Reply(exact(kind, bytes)?),
            RecordKind::NewsSettings => Body::NewsSettings(exact(kind, bytes)?),
            RecordKind::Member => Body::Member(exact(kind, bytes)?),
            RecordKind::Rekey => Body::Rekey(exact(kind, bytes)?),
            RecordKind::Profile => match exact::<PlainProfile>(kind, bytes) {
                Ok(p) => Body::Profile(ProfileBody {
                    name: p.name,
                    color: p.color,
                    picture: None,
                }),
                Err(_) => {
                    let p: PictureProfile = exact(kind, bytes)?;
                    Body::Profile(ProfileBody {
                        name: p.name,
                        color: p.color,
                        picture: Some(p.picture),
                    })
                }
            },
            RecordKind::Reaction => Body::Reaction(exact(kind, bytes)?),
            RecordKind::Edit => Body::Edit(exact(kind, bytes)?),
            RecordKind::Delete => Body::Delete(exact(kind, bytes)?),
            RecordKind::Picture => Body::Picture(exact(kind, bytes)?),
            RecordKind::Move => Body::Move(exact(kind, bytes)?),
            RecordKind::Revoke => Body::Revoke(exact(kind, bytes)?),
            RecordKind::Joined => Body::Joined(exact(kind, bytes)?),
            RecordKind::Shape => Body::Shape(exact(kind, bytes)?),
            RecordKind::Change => Body::Change(exact(kind, bytes)?),
        };
        body.validate()?;
        Ok(body)
    }

    /// Checks the limits of each field.
    pub fn validate(&self) -> Result<(), BodyError> {
        match self {
            Body::Chat(c) => {
                // With files attached the text may be left out.
                if c.files.is_empty() || !c.text.is_empty() {
                    check_text("chat message", &c.text, &c.mentions)?;
                }
                check_files(&c.files)?;
            }
            Body::Edit(e) => check_text("edited message", &e.text, &e.mentions)?,
            Body::Profile(p) => {
                if normalize_name(&p.name)? != p.name {
                    return Err(invalid("a profile's name is not in normal form"));
                }
                if let Some(f) = &p.picture {
                    check_files(std::slice::from_ref(f))?;
                    if !matches!(
                        f.mime.as_str(),
                        "image/png" | "image/jpeg" | "image/gif" | "image/webp"
                    ) {
                        return Err(invalid(format!("a profile picture of type {:?}", f.mime)));
                    }
                    if f.size > MAX_PROFILE_PICTURE {
                        return Err(invalid(format!(
                            "a profile picture of {} bytes; at most {MAX_PROFILE_PICTURE}",
                            f.size
                        )));
                    }
                }
            }
            Body::Reaction(r) => check_reaction(&r.emoji)?,
            Body::Delete(_) => {}
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
            Body::Picture(p) => {
                check_files(std::slice::from_ref(&p.file))?;
                if !p.file.mime.starts_with("image/") {
                    return Err(invalid(format!(
                        "a picture on a board is an image; {:?} is {}",
                        p.file.name, p.file.mime
                    )));
                }
                p.rect.check()?;
            }
            Body::Move(m) => m.rect.check()?,
            Body::Shape(s) => s.check()?,
            Body::Change(c) => c.check()?,
            Body::Draft(d) => d.check()?,
            Body::Reply(r) => r.check()?,
            Body::NewsSettings(_) => {}
            Body::Joined(e) => {
                let s = e.space().map_err(|e| invalid(e.to_string()))?;
                if s.kind == crate::space::SpaceKind::Personal {
                    return Err(invalid("a personal space is not listed in itself"));
                }
            }
            Body::Revoke(r) => {
                r.verify().map_err(|e| invalid(e.to_string()))?;
                if r.device == r.account {
                    return Err(invalid(crate::account::AccountError::RevokesAccount.to_string()));
                }
            }
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
            Body::News(n) | Body::Correction(n) => {
                if n.title.trim().is_empty() {
                    return Err(invalid("newsletter issue has an empty title"));
                }
                if n.title.len() > MAX_NEWS_TITLE {
                    return Err(invalid(format!(
                        "newsletter title is {} bytes, the limit is {MAX_NEWS_TITLE}",
                        n.title.len()
                    )));
                }
                check_files(&n.files)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised_and_bounded() {
        assert_eq!(normalize_name("  Ame\u{301}lie ").unwrap(), "Amélie");
        assert_eq!(normalize_name(&"é".repeat(64)).unwrap().chars().count(), 64);
        let long = normalize_name(&"x".repeat(65)).unwrap_err().to_string();
        assert!(long.contains("at most 64"), "{long}");
        assert!(normalize_name("   ").unwrap_err().to_string().contains("empty"));
        for bad in ["a\u{202E}b", "a\u{2066}b", "tab\there", "nul\0", "zw\u{200B}j"] {
            let e = normalize_name(bad).unwrap_err().to_string();
            assert!(e.contains("control or format"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn reactions_are_one_emoji() {
        for ok in ["👍", "❤️", "👍🏽", "🏳️‍🌈", "👨‍👩‍👧"] {
            check_reaction(ok).unwrap_or_else(|e| panic!("{ok:?}: {e}"));
        }
        for bad in ["", "a", "👍👍", "ok👍", "1"] {
            let e = check_reaction(bad).unwrap_err().to_string();
            assert!(e.contains("single emoji"), "{bad:?}: {e}");
        }
        let e = check_reaction(&"👍".repeat(9)).unwrap_err().to_string();
        assert!(e.contains("at most 32 bytes"), "{e}");
    }

    #[test]
    fn chat_without_mentions_keeps_the_older_encoding() {
        let plain = Body::Chat(ChatBody {
            files: Vec::new(),
            text: "hi".into(),
            mentions: vec![],
        });
        let old = postcard::to_stdvec(&PlainChat { text: "hi".into() }).unwrap();
        assert_eq!(plain.encode(), old);
        assert_eq!(Body::decode(RecordKind::ChatMessage, &old).unwrap(), plain);
        let with = Body::Chat(ChatBody {
            files: Vec::new(),
            text: "hi @b".into(),
            mentions: vec![[7; 32]],
        });
        assert_eq!(
            Body::decode(RecordKind::ChatMessage, &with.encode()).unwrap(),
            with
        );
        // An empty mention list in the newer encoding is a second encoding of one message.
        let twice = postcard::to_stdvec(&MentionChat {
            text: "hi".into(),
            mentions: vec![],
        })
        .unwrap();
        assert!(Body::decode(RecordKind::ChatMessage, &twice).is_err());
    }

    fn file(name: &str) -> FileRef {
        FileRef {
            blob: [1; 32],
            key: [2; 32],
            size: 2 << 20,
            name: name.into(),
            mime: "image/png".into(),
            thumb: Some(Thumb {
                width: 1200,
                height: 800,
                bytes: vec![9; 1000],
            }),
        }
    }

    #[test]
    fn files_ride_in_chat_and_news_and_older_encodings_stay() {
        let chat = Body::Chat(ChatBody {
            text: String::new(),
            mentions: vec![],
            files: vec![file("cat.png"), file("notes.txt")],
        });
        assert_eq!(
            Body::decode(RecordKind::ChatMessage, &chat.encode()).unwrap(),
            chat
        );
        let news = Body::News(NewsBody {
            title: "Issue 1".into(),
            body: "![cat](0101)".into(),
            files: vec![file("cat.png")],
        });
        assert_eq!(Body::decode(RecordKind::NewsIssue, &news.encode()).unwrap(), news);
        // Without files, an issue is encoded as before files existed.
        let plain = NewsBody {
            title: "t".into(),
            body: "b".into(),
            files: vec![],
        };
        let old = postcard::to_stdvec(&PlainNews {
            title: "t".into(),
            body: "b".into(),
        })
        .unwrap();
        assert_eq!(Body::News(plain.clone()).encode(), old);
        // An empty file list in the newer encodings is a second encoding.
        let twice = postcard::to_stdvec(&FileNews {
            title: "t".into(),
            body: "b".into(),
            files: vec![],
        })
        .unwrap();
        assert!(Body::decode(RecordKind::NewsIssue, &twice).is_err());
        let twice = postcard::to_stdvec(&FileChat {
            text: "t".into(),
            mentions: vec![],
            files: vec![],
        })
        .unwrap();
        assert!(Body::decode(RecordKind::ChatMessage, &twice).is_err());
    }

    #[test]
    fn a_profile_carries_a_picture_and_keeps_its_older_encoding_without_one() {
        let color: crate::color::Color = "#336699".parse().unwrap();
        let plain = Body::Profile(ProfileBody {
            name: "Ada".into(),
            color,
            picture: None,
        });
        let old = postcard::to_stdvec(&PlainProfile {
            name: "Ada".into(),
            color,
        })
        .unwrap();
        assert_eq!(plain.encode(), old, "without a picture, encoded as before");
        assert_eq!(Body::decode(RecordKind::Profile, &old).unwrap(), plain);
        let mut pic = file("me.jpg");
        pic.mime = "image/jpeg".into();
        pic.size = 30_000;
        let with = Body::Profile(ProfileBody {
            name: "Ada".into(),
            color,
            picture: Some(pic.clone()),
        });
        assert_eq!(Body::decode(RecordKind::Profile, &with.encode()).unwrap(), with);
        with.validate().unwrap();
        for (mime, size, why) in [
            ("application/pdf", 30_000, "a profile picture of type"),
            ("image/png", MAX_PROFILE_PICTURE + 1, "a profile picture of"),
        ] {
            let mut bad = pic.clone();
            bad.mime = mime.into();
            bad.size = size;
            let e = Body::Profile(ProfileBody {
                name: "Ada".into(),
                color,
                picture: Some(bad),
            })
            .validate()
            .unwrap_err()
            .to_string();
            assert!(e.contains(why), "{e}");
        }
    }

    fn rect(x: f32, y: f32, w: f32, h: f32) -> Rect {
        Rect { x, y, w, h }
    }

    #[test]
    fn pictures_and_moves_round_trip_and_older_encodings_stay() {
        let pic = Body::Picture(PictureBody {
            file: file("harbour.png"),
            rect: rect(-40.5, 12.0, 320.0, 213.5),
        });
        let bytes = pic.encode();
        assert_eq!(Body::decode(RecordKind::Picture, &bytes).unwrap(), pic);
        // The encoding is the plain postcard of the body: a file and four numbers.
        let mut expected = postcard::to_stdvec(&file("harbour.png")).unwrap();
        for v in [-40.5f32, 12.0, 320.0, 213.5] {
            expected.extend_from_slice(&v.to_le_bytes());
        }
        assert_eq!(bytes, expected);
        // One more byte is not the one encoding.
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(
            Body::decode(RecordKind::Picture, &longer),
            Err(BodyError::Malformed(RecordKind::Picture))
        );
        let mv = Body::Move(MoveBody {
            rect: rect(0.0, 0.0, 10.0, 5.0),
        });
        assert_eq!(Body::decode(RecordKind::Move, &mv.encode()).unwrap(), mv);
        assert_eq!(mv.encode().len(), 16);
        // A move is not a picture, nor the other way round.
        assert!(Body::decode(RecordKind::Picture, &mv.encode()).is_err());
        assert!(Body::decode(RecordKind::Move, &bytes).is_err());
        // The kinds before pictures keep their encodings: a stroke is what it was.
        let stroke = StrokeBody {
            points: vec![(1.0, 2.0)],
            color: crate::color::Color([1, 2, 3]),
            width: 3.0,
        };
        let mut old = vec![1u8];
        old.extend_from_slice(&1.0f32.to_le_bytes());
        old.extend_from_slice(&2.0f32.to_le_bytes());
        old.extend_from_slice(&[1, 2, 3]);
        old.extend_from_slice(&3.0f32.to_le_bytes());
        assert_eq!(Body::Stroke(stroke).encode(), old);
        assert_eq!(RecordKind::from_code(11), Some(RecordKind::Picture));
        assert_eq!(RecordKind::from_code(12), Some(RecordKind::Move));
        assert_eq!(RecordKind::Picture.code(), 11);
        assert_eq!(RecordKind::Move.code(), 12);
        assert_eq!(RecordKind::from_code(13), Some(RecordKind::Revoke));
        assert_eq!(RecordKind::from_code(14), Some(RecordKind::Joined));
        assert_eq!(RecordKind::from_code(15), Some(RecordKind::Shape));
        assert_eq!(RecordKind::from_code(16), Some(RecordKind::Change));
        assert_eq!(RecordKind::from_code(17), Some(RecordKind::Correction));
        assert_eq!(RecordKind::from_code(18), Some(RecordKind::Draft));
        assert_eq!(RecordKind::from_code(19), Some(RecordKind::Reply));
        assert_eq!(RecordKind::from_code(20), Some(RecordKind::NewsSettings));
        assert_eq!(RecordKind::from_code(21), None);
    }

    #[test]
    fn a_picture_sits_in_a_finite_rectangle_of_positive_size() {
        let bad = [
            (rect(f32::NAN, 0.0, 1.0, 1.0), "not finite"),
            (rect(0.0, f32::INFINITY, 1.0, 1.0), "not finite"),
            (rect(0.0, 0.0, f32::INFINITY, 1.0), "not finite"),
            (rect(0.0, 0.0, 1.0, -1.0), "not above 0"),
            (rect(0.0, 0.0, 0.0, 1.0), "not above 0"),
            (rect(0.0, 0.0, -5.0, 5.0), "not above 0"),
            (rect(0.0, 0.0, 2.0e6, 1.0), "at most"),
            (rect(-1.5e6, 0.0, 1.0, 1.0), "outside"),
        ];
        for (r, why) in bad {
            let m = Body::Move(MoveBody { rect: r });
            let e = Body::decode(RecordKind::Move, &m.encode())
                .unwrap_err()
                .to_string();
            assert!(e.contains(why), "{r:?}: {e}");
            let p = Body::Picture(PictureBody {
                file: file("x.png"),
                rect: r,
            });
            let e = Body::decode(RecordKind::Picture, &p.encode())
                .unwrap_err()
                .to_string();
            assert!(e.contains(why), "{r:?}: {e}");
        }
        rect(-1.0e6, 1.0e6, 1.0e6, 0.01).check().unwrap();
        // A picture is an image, with a file's limits.
        let mut pdf = file("notes.pdf");
        pdf.mime = "application/pdf".into();
        let p = Body::Picture(PictureBody {
            file: pdf,
            rect: rect(0.0, 0.0, 1.0, 1.0),
        });
        assert!(p.validate().unwrap_err().to_string().contains("is an image"));
        let p = Body::Picture(PictureBody {
            file: file("../x.png"),
            rect: rect(0.0, 0.0, 1.0, 1.0),
        });
        assert!(p.validate().unwrap_err().to_string().contains("path separator"));
        let mut big = file("big.png");
        big.thumb.as_mut().unwrap().bytes = vec![0; MAX_THUMB_BYTES + 1];
        let p = Body::Picture(PictureBody {
            file: big,
            rect: rect(0.0, 0.0, 1.0, 1.0),
        });
        assert!(p.validate().unwrap_err().to_string().contains("preview"));
    }

    #[test]
    fn file_names_are_names_only() {
        for bad in ["../etc/passwd", "a/b", "a\\b", "..", ".", "", "nl\nx"] {
            let b = Body::Chat(ChatBody {
                text: "x".into(),
                mentions: vec![],
                files: vec![file(bad)],
            });
            let e = b.validate().unwrap_err().to_string();
            assert!(e.contains("name") || e.contains("separator"), "{bad:?}: {e}");
        }
        let e = check_file_name("dir/x.png").unwrap_err().to_string();
        assert!(e.contains("path separator"), "{e}");
        let mut f = file("x.png");
        f.mime = "text/html; charset=x".into();
        let b = Body::Chat(ChatBody {
            text: String::new(),
            mentions: vec![],
            files: vec![f],
        });
        assert!(b.validate().unwrap_err().to_string().contains("media type"));
        let b = Body::Chat(ChatBody {
            text: String::new(),
            mentions: vec![],
            files: vec![file("x.png"); 11],
        });
        assert!(b.validate().unwrap_err().to_string().contains("at most 10"));
    }
}
