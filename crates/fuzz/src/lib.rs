//! Fuzz targets: every decoder that takes bytes from a peer or a person. Each target must
//! return normally for any input — an error is fine, a panic, a hang or unbounded memory is a
//! bug — and checks an invariant where one exists (what decodes re-encodes to the same value).
//!
//! The same functions run under libFuzzer (`fuzz/`, `cargo +nightly fuzz run <target>`) for
//! long runs, and on stable in the test suite for a bounded smoke run from [`seeds`] with a
//! simple mutator (`tests/smoke.rs`).

use confab_core::body::Body;
use confab_core::record::{verify_all, RecordKind};
use confab_core::{ChatBody, Hlc, Live, LiveStroke, NewsBody, Record, Space, SpaceKind, StrokeBody, Ticket};
use confab_sync::proto::{Request, Response};
use ed25519_dalek::SigningKey;
use serde_bytes::ByteBuf;

mod accounts;
pub use accounts::{backup, device, link_message};

/// A fixed clock for the live-frame target, so that seeds stay fresh.
pub const NOW_MS: u64 = 1_800_000_000_000;

/// A fuzz target: takes any bytes, returns normally or panics on a bug.
pub type Target = fn(&[u8]);

/// The targets, by name.
pub const TARGETS: &[(&str, Target)] = &[
    ("record", record),
    ("body", body),
    ("ticket", ticket),
    ("sync_request", sync_request),
    ("sync_response", sync_response),
    ("live_frame", live_frame),
    ("rekey", rekey),
    ("device", device),
    ("backup", backup),
    ("link_message", link_message),
    ("blob_message", blob_message),
    ("archive", archive),
];

/// A record as it arrives by gossip or sync: decode, verify, and the batch verifier.
pub fn record(data: &[u8]) {
    if let Ok(rec) = Record::decode(data) {
        assert_eq!(rec.encoded(), data, "a decoded record keeps its bytes");
        let _ = rec.verify();
    }
    let out = verify_all(vec![data.to_vec()]);
    assert_eq!(out.len(), 1);
}

/// The files of an archive fuzz input, in this order, separated by NUL bytes.
pub const ARCHIVE_FILES: &[&str] = &[
    confab_core::archive::MANIFEST,
    confab_core::archive::SIGNATURE,
    confab_core::archive::RECORDS,
    confab_core::archive::CONTENT,
    confab_core::archive::INDEX,
    confab_core::archive::BOARD_SVG,
];

/// An exported space as `confab verify` reads it (anyone may hand one over): what passes
/// holds as many records as its signed entries, each of which verifies.
pub fn archive(data: &[u8]) {
    use confab_core::archive::{verify, SignedEntry, RECORDS};
    let files: std::collections::BTreeMap<String, Vec<u8>> = ARCHIVE_FILES
        .iter()
        .zip(data.split(|b| *b == 0))
        .map(|(name, bytes)| (name.to_string(), bytes.to_vec()))
        .collect();
    if let Ok(report) = verify(&files) {
        let text = String::from_utf8(files[RECORDS].clone()).expect("a sound archive is text");
        let entries: Vec<SignedEntry> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("a sound archive's entries parse"))
            .collect();
        assert_eq!(report.records, entries.len());
        for e in entries {
            let bytes = data_encoding::BASE64.decode(e.record.as_bytes()).expect("base64");
            Record::decode(&bytes)
                .and_then(Record::verify)
                .expect("a sound archive's records verify");
        }
    }
}

/// A seed archive of a board: a stroke and its erase, sealed by the fixture's owner.
fn archive_seed(board: &Space, sk: &SigningKey) -> Vec<u8> {
    use confab_core::archive::{
        finish, records_file, Content, ContentEntry, BOARD_SVG, CONTENT, INDEX, RECORDS,
    };
    let stroke = Body::Stroke(StrokeBody {
        points: vec![(0.0, 0.0), (10.0, 5.0)],
        color: confab_core::Color([1, 2, 3]),
        width: 2.0,
    });
    let s = board
        .seal(sk, &stroke, Hlc::new(NOW_MS, 0), None, vec![])
        .expect("seals");
    let erase = Body::Erase(confab_core::EraseBody {});
    let e = board
        .seal(sk, &erase, Hlc::new(NOW_MS, 1), None, vec![s.id])
        .expect("seals");
    let content = Content {
        space: board.id.to_string(),
        kind: "board".into(),
        name: board.name.clone(),
        entries: vec![ContentEntry::of(&s, &stroke), ContentEntry::of(&e, &erase)],
    };
    let mut files = std::collections::BTreeMap::new();
    files.insert(RECORDS.to_string(), records_file([&s, &e]));
    files.insert(CONTENT.into(), serde_json::to_vec(&content).expect("serialises"));
    files.insert(INDEX.into(), b"<!doctype html><svg></svg>".to_vec());
    files.insert(BOARD_SVG.into(), b"<svg></svg>".to_vec());
    let files = finish(board, 2, files, sk, NOW_MS + 1);
    let parts: Vec<&[u8]> = ARCHIVE_FILES.iter().map(|n| files[*n].as_slice()).collect();
    parts.join(&0u8)
}

/// A blob protocol message from a peer, either way: what decodes decodes again from its own
/// encoding, and what a peer says it holds is read bounded.
pub fn blob_message(data: &[u8]) {
    use confab_blobs::proto::{self, Has, Request, Response};
    if let Ok(r) = proto::decode::<Request>(data) {
        assert_eq!(
            proto::decode::<Request>(&proto::encode(&r)).expect("re-decodes"),
            r
        );
        if let Request::Progress { has, .. } = r {
            if let Has::Some(runs) = has.bounded() {
                assert!(runs.len() <= proto::MAX_RUNS);
            }
        }
    }
    if let Ok(r) = proto::decode::<Response>(data) {
        assert_eq!(
            proto::decode::<Response>(&proto::encode(&r)).expect("re-decodes"),
            r
        );
    }
    let _ = proto::data_of(data);
}

/// A decrypted body of each kind (what a member could put inside a validly sealed record).
pub fn body(data: &[u8]) {
    for kind in [
        RecordKind::ChatMessage,
        RecordKind::Stroke,
        RecordKind::Erase,
        RecordKind::NewsIssue,
        RecordKind::Member,
        RecordKind::Rekey,
        RecordKind::Picture,
        RecordKind::Move,
        RecordKind::Profile,
        RecordKind::Shape,
        RecordKind::Change,
        RecordKind::Correction,
        RecordKind::Draft,
        RecordKind::Reply,
        RecordKind::NewsSettings,
    ] {
        if let Ok(b) = Body::decode(kind, data) {
            let again = Body::decode(kind, &b.encode()).expect("an accepted body re-decodes");
            assert_eq!(again, b);
        }
    }
}

/// A key rotation as a member receives it (inside a record sealed with the old key by the
/// owner): the body decoder, opening this member's key box, and taking it into the space's
/// view twice (the second time must change nothing).
pub fn rekey(data: &[u8]) {
    let (space, sk) = fixture();
    if let Ok(Body::Rekey(r)) = Body::decode(RecordKind::Rekey, data) {
        let key = space.open_rekey(&r, &sk);
        let mut view = space.clone();
        if view.apply_rekey(NOW_MS << 16, &r, key.clone()) == Ok(true) {
            let once = view.clone();
            assert_eq!(view.apply_rekey(NOW_MS << 16, &r, key), Ok(false));
            assert_eq!(view, once, "applying a rotation again changes nothing");
            assert_eq!(view.epoch(), 1);
            let _ = view.sync_id();
            let _ = view.key_at((NOW_MS << 16) + 1);
        }
    }
}

/// A ticket as pasted by a person (any bytes; text if they are UTF-8).
pub fn ticket(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(t) = Ticket::parse(&text) {
        assert!(!t.space.name.is_empty());
        assert_eq!(
            Space::derive_id(t.space.kind, &t.space.key, &t.space.owner),
            t.space.id
        );
    }
}

/// A sync request frame, as a responder reads it.
pub fn sync_request(data: &[u8]) {
    if let Ok(r) = Request::decode(data) {
        assert_eq!(Request::decode(&r.encode()).expect("re-decodes"), r);
    }
}

/// A sync response frame, as an initiator reads it.
pub fn sync_response(data: &[u8]) {
    if let Ok(r) = Response::decode(data) {
        assert_eq!(Response::decode(&r.encode()).expect("re-decodes"), r);
    }
}

/// A live whiteboard frame from the board's gossip topic.
pub fn live_frame(data: &[u8]) {
    let (space, _) = fixture();
    if let Ok((_, live)) = space.open_live(data, NOW_MS) {
        live.check().expect("an opened frame is within limits");
    }
    let _ = confab_core::live::live_frame_space(data);
}

fn fixture() -> (Space, SigningKey) {
    let sk = SigningKey::from_bytes(&[7u8; 32]);
    let mut space = Space::create(
        SpaceKind::Board,
        "fuzz board",
        confab_core::AuthorKey(sk.verifying_key().to_bytes()),
    )
    .expect("a valid name");
    // A fixed key and id, so that seeds written once keep matching.
    space = Space::from_parts(
        space.kind,
        space.name,
        confab_core::SpaceKey([9u8; 32]),
        space.owner,
    );
    (space, sk)
}

/// Valid inputs for a target: the seed corpus.
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    let (board, sk) = fixture();
    let chat = Space::from_parts(
        SpaceKind::Chat,
        "room".into(),
        confab_core::SpaceKey([3u8; 32]),
        board.owner,
    );
    let ts = Hlc::new(NOW_MS, 0);
    let seal = |space: &Space, body: Body| {
        space
            .seal(&sk, &body, ts, None, vec![])
            .expect("seals")
            .into_encoded()
    };
    let records = vec![
        seal(
            &chat,
            Body::Chat(ChatBody {
                files: Vec::new(),
                mentions: vec![],
                text: "hello".into(),
            }),
        ),
        seal(
            &board,
            Body::Stroke(StrokeBody {
                points: vec![(0.0, 0.0), (10.0, 5.0)],
                color: confab_core::Color([1, 2, 3]),
                width: 2.0,
            }),
        ),
        seal(
            &Space::from_parts(
                SpaceKind::News,
                "letter".into(),
                confab_core::SpaceKey([4u8; 32]),
                board.owner,
            ),
            Body::News(NewsBody {
                files: Vec::new(),
                title: "Issue".into(),
                body: "Text".into(),
            }),
        ),
    ];
    let member = confab_core::AuthorKey(sk.verifying_key().to_bytes());
    let other = confab_core::AuthorKey(SigningKey::from_bytes(&[8u8; 32]).verifying_key().to_bytes());
    let kept = [confab_core::RecordId([1u8; 32]), confab_core::RecordId([2u8; 32])];
    let (rotation, _) = board.make_rekey(&[other], &[member], &kept).expect("a rotation");
    let mut rotated = chat.clone();
    rotated
        .apply_rekey(NOW_MS << 16, &rotation, Some(confab_core::SpaceKey([5u8; 32])))
        .expect("applies");
    let mut records = records;
    records.push(seal(&chat, Body::Member(confab_core::MemberBody {})));
    records.push(seal(&board, Body::Rekey(rotation.clone())));
    match target {
        "record" => records,
        "rekey" => vec![Body::Rekey(rotation).encode()],
        "body" => vec![
            Body::Chat(ChatBody {
                files: Vec::new(),
                mentions: vec![],
                text: "hi".into(),
            })
            .encode(),
            Body::Stroke(StrokeBody {
                points: vec![(1.0, 2.0)],
                color: confab_core::Color([0, 0, 0]),
                width: 1.0,
            })
            .encode(),
            Body::News(NewsBody {
                files: Vec::new(),
                title: "t".into(),
                body: "b".into(),
            })
            .encode(),
            Body::Member(confab_core::MemberBody {}).encode(),
            Body::Rekey(rotation.clone()).encode(),
            Body::Profile(confab_core::ProfileBody {
                name: "Ada".into(),
                color: confab_core::Color([1, 2, 3]),
                picture: Some(confab_core::FileRef {
                    blob: [1; 32],
                    key: [2; 32],
                    size: 30_000,
                    name: "picture.jpg".into(),
                    mime: "image/jpeg".into(),
                    thumb: None,
                }),
            })
            .encode(),
            Body::Picture(confab_core::PictureBody {
                file: confab_core::FileRef {
                    blob: [1; 32],
                    key: [2; 32],
                    size: 100,
                    name: "p.png".into(),
                    mime: "image/png".into(),
                    thumb: None,
                },
                rect: confab_core::Rect {
                    x: 0.0,
                    y: 0.0,
                    w: 10.0,
                    h: 10.0,
                },
            })
            .encode(),
            Body::Move(confab_core::MoveBody {
                rect: confab_core::Rect {
                    x: 1.0,
                    y: 2.0,
                    w: 3.0,
                    h: 4.0,
                },
            })
            .encode(),
            Body::Shape(confab_core::ShapeBody {
                kind: confab_core::ShapeKind::Note,
                pos: (1.0, 2.0),
                size: (200.0, 200.0),
                text: "note".into(),
                color: confab_core::Color([0, 0, 0]),
                fill: Some(confab_core::Color([255, 240, 118])),
                width: 2.0,
                font: 20.0,
            })
            .encode(),
            Body::Change(confab_core::ChangeBody {
                props: vec![
                    confab_core::Prop::Pos(5.0, 6.0),
                    confab_core::Prop::Text("t".into()),
                    confab_core::Prop::Z(2.0),
                    confab_core::Prop::Deleted(true),
                ],
            })
            .encode(),
            Body::Reply(confab_core::reply::ReplyBody::Sealed(vec![9; 60])).encode(),
            Body::NewsSettings(confab_core::reply::NewsSettingsBody {
                replies: confab_core::reply::Replies::Owner,
                reply_key: [3; 32],
            })
            .encode(),
            Body::Draft(confab_core::draft::DraftBody {
                space: [1; 32],
                title: "t".into(),
                body: "b".into(),
                files: vec![],
                state: confab_core::draft::DraftState::Scheduled {
                    at_ms: 5,
                    issue: vec![1, 2, 3],
                },
            })
            .encode(),
        ],
        "archive" => vec![archive_seed(&board, &sk)],
        "blob_message" => {
            use confab_blobs::proto::{encode, Has, Request, Response};
            let blob = confab_blobs::BlobId([7u8; 32]);
            vec![
                encode(&Request::Get {
                    blob,
                    start: 3,
                    count: 16,
                }),
                encode(&Request::Have { blobs: vec![blob] }),
                encode(&Request::Holds { blobs: vec![blob] }),
                encode(&Request::Progress {
                    blob,
                    has: Has::Some(vec![(0, 4), (9, 12)]),
                }),
                encode(&Response::Data(vec![1, 2, 3])),
                encode(&Response::Have(vec![Has::All, Has::Nothing])),
                encode(&Response::Busy(vec![vec![0, 36, 8, 1]])),
                encode(&Response::NotHeld),
            ]
        }
        "ticket" => vec![
            Ticket::encode(&chat, &["/ip4/127.0.0.1/tcp/4001".into()], &sk).into_bytes(),
            Ticket::encode(&board, &[], &sk).into_bytes(),
            Ticket::encode(&rotated, &[], &sk).into_bytes(),
            Ticket::encode_with(&rotated, &[], &["/ip4/198.51.100.7/tcp/4001".into()], &sk).into_bytes(),
        ],
        "sync_request" => vec![
            Request::Reconcile {
                space: chat.id,
                msg: ByteBuf::from(vec![0x61, 0x00, 0x01]),
            }
            .encode(),
            Request::Fetch {
                space: chat.id,
                keys: vec![],
            }
            .encode(),
            Request::Push {
                space: chat.id,
                records: records.iter().cloned().map(ByteBuf::from).collect(),
            }
            .encode(),
        ],
        "sync_response" => vec![
            Response::Reconcile {
                msg: ByteBuf::from(vec![0x61]),
            }
            .encode(),
            Response::Records {
                records: records.iter().cloned().map(ByteBuf::from).collect(),
                consumed: records.len() as u32,
            }
            .encode(),
            Response::Pushed {
                stored: 1,
                refused: 0,
            }
            .encode(),
            Response::Refused {
                reason: "no such space".into(),
            }
            .encode(),
        ],
        "live_frame" => vec![board
            .seal_live(
                &sk,
                &Live {
                    cursor: Some((1.0, 2.0)),
                    stroke: Some(LiveStroke {
                        points: vec![(0.0, 0.0), (3.0, 4.0)],
                        color: confab_core::Color([9, 9, 9]),
                        width: 3.0,
                        erasing: false,
                    }),
                    typing: false,
                    view: Some((0.0, 0.0, 800.0, 600.0)),
                    selection: vec![[7; 32]],
                },
                NOW_MS,
            )
            .expect("seals")],
        other => accounts::seeds(other),
    }
}
