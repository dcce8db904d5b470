//! Pictures on a board in the store: where each sits (the newest move wins whatever order the
//! records arrive in), erases, and the files rows that follow the picture records.

use confab_core::{
    now_ms, Body, EraseBody, FileRef, Hlc, Identity, MoveBody, PictureBody, Record, RecordId, Rect, Space,
    SpaceKind, Thumb,
};
use confab_store::{Db, Origin};

struct Board {
    space: Space,
    ann: Identity,
    bob: Identity,
    now: u64,
}

impl Board {
    fn new() -> Board {
        let ann = Identity::generate();
        Board {
            space: Space::create(SpaceKind::Board, "board", ann.author()).unwrap(),
            ann,
            bob: Identity::generate(),
            now: now_ms(),
        }
    }

    /// A record dated `ms` milliseconds before now, with HLC counter `tick`.
    fn rec(&self, who: &Identity, body: Body, refs: Vec<RecordId>, ms: u64, tick: u16) -> Record {
        self.rec_expiring(who, body, refs, ms, tick, None)
    }

    fn rec_expiring(
        &self,
        who: &Identity,
        body: Body,
        refs: Vec<RecordId>,
        ms: u64,
        tick: u16,
        expires: Option<u64>,
    ) -> Record {
        self.space
            .seal(
                who.signing_key(),
                &body,
                Hlc::new(self.now - ms, tick),
                expires,
                refs,
            )
            .unwrap()
    }

    fn db(&self) -> Db {
        let mut db = Db::open_in_memory().unwrap();
        db.add_space(&self.space).unwrap();
        db
    }
}

fn put(db: &mut Db, now: u64, recs: &[&Record]) {
    let report = db
        .insert(
            recs.iter().map(|r| (*r).clone().verify().unwrap()).collect(),
            Origin::Sync,
            now,
        )
        .unwrap();
    assert!(report.refused.is_empty(), "{:?}", report.refused);
}

fn rect(x: f32, y: f32, w: f32, h: f32) -> Rect {
    Rect { x, y, w, h }
}

fn picture(name: &str, at: Rect) -> Body {
    Body::Picture(PictureBody {
        file: FileRef {
            blob: blob_of(name),
            key: [7; 32],
            size: 4096,
            name: name.into(),
            mime: "image/png".into(),
            thumb: Some(Thumb {
                width: 640,
                height: 480,
                bytes: vec![0xff, 0xd8, 0xff],
            }),
        },
        rect: at,
    })
}

/// A blob id for a file's name (any 32 bytes that differ between names do).
fn blob_of(name: &str) -> [u8; 32] {
    let mut b = [0u8; 32];
    for (i, c) in name.bytes().enumerate().take(32) {
        b[i] = c;
    }
    b
}

fn moved(to: Rect) -> Body {
    Body::Move(MoveBody { rect: to })
}

/// Every order of `items` (few enough to list them all).
fn orders<T: Clone>(items: &[T]) -> Vec<Vec<T>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut out = Vec::new();
    for i in 0..items.len() {
        let mut rest = items.to_vec();
        let first = rest.remove(i);
        for mut tail in orders(&rest) {
            tail.insert(0, first.clone());
            out.push(tail);
        }
    }
    out
}

#[test]
fn the_newest_move_wins_in_any_arrival_order() {
    let b = Board::new();
    let placed_at = rect(10.0, 20.0, 320.0, 240.0);
    let pic = b.rec(&b.ann, picture("harbour.png", placed_at), vec![], 5000, 0);
    // Bob moves it, then Ann moves it later; a third move has Ann's timestamp exactly, so
    // the larger record id of those two wins.
    let m1 = b.rec(
        &b.bob,
        moved(rect(100.0, 100.0, 160.0, 120.0)),
        vec![pic.id],
        4000,
        0,
    );
    let m2 = b.rec(
        &b.ann,
        moved(rect(-50.0, 0.0, 640.0, 480.0)),
        vec![pic.id],
        3000,
        0,
    );
    let m3 = b.rec(&b.bob, moved(rect(0.0, 0.0, 32.0, 24.0)), vec![pic.id], 3000, 0);
    let (winner, winner_by) = if m2.id > m3.id {
        (&m2, b.ann.author())
    } else {
        (&m3, b.bob.author())
    };
    let expected = match &winner_body(winner, &b.space) {
        Body::Move(m) => m.rect,
        _ => unreachable!(),
    };
    let all = [&pic, &m1, &m2, &m3];
    let orders = orders(&all);
    assert_eq!(orders.len(), 24);
    for order in orders {
        let mut db = b.db();
        // One at a time, so that moves held before their picture count when it arrives.
        for r in &order {
            put(&mut db, b.now, &[r]);
        }
        let pics = db.board_pictures(&b.space.id, b.now).unwrap();
        assert_eq!(
            pics.len(),
            1,
            "{:?}",
            order.iter().map(|r| r.id).collect::<Vec<_>>()
        );
        assert_eq!(pics[0].id, pic.id);
        assert_eq!(pics[0].author, b.ann.author());
        assert_eq!(pics[0].rect, expected);
        let (by, ts) = pics[0].moved.unwrap();
        assert_eq!((by, ts), (winner_by, winner.ts));
        assert_eq!(pics[0].file.name, "harbour.png");
    }
    // Placed and never moved: where it was placed.
    let mut db = b.db();
    put(&mut db, b.now, &[&pic]);
    let pics = db.board_pictures(&b.space.id, b.now).unwrap();
    assert_eq!((pics[0].rect, pics[0].moved), (placed_at, None));
    // A move of something that is not a picture (a move names a record, whatever it is)
    // places nothing.
    let stroke = b.rec(
        &b.bob,
        Body::Stroke(confab_core::StrokeBody {
            points: vec![(0.0, 0.0)],
            color: confab_core::Color([0, 0, 0]),
            width: 2.0,
        }),
        vec![],
        2000,
        0,
    );
    let odd = b.rec(&b.bob, moved(rect(1.0, 1.0, 1.0, 1.0)), vec![stroke.id], 1000, 0);
    put(&mut db, b.now, &[&stroke, &odd]);
    assert_eq!(db.board_pictures(&b.space.id, b.now).unwrap().len(), 1);
    assert_eq!(db.board_strokes(&b.space.id, b.now).unwrap().len(), 1);
}

fn winner_body(r: &Record, space: &Space) -> Body {
    space.decrypt(r).unwrap()
}

fn file_rows(db: &mut Db, space: &Space) -> Vec<(RecordId, String)> {
    db.files(&space.id)
        .unwrap()
        .into_iter()
        .map(|f| (f.record, f.name))
        .collect()
}

#[test]
fn a_pictures_file_is_listed_and_goes_when_it_is_erased_or_expires() {
    let b = Board::new();
    let pic = b.rec(
        &b.ann,
        picture("harbour.png", rect(0.0, 0.0, 10.0, 10.0)),
        vec![],
        5000,
        0,
    );
    let other = b.rec(
        &b.bob,
        picture("kite.gif", rect(50.0, 0.0, 10.0, 10.0)),
        vec![],
        4000,
        0,
    );
    let erase = b.rec(&b.bob, Body::Erase(EraseBody {}), vec![pic.id], 3000, 0);

    // Placed: its file is a file of the space (listed, found by blob, kept from the garbage).
    let mut db = b.db();
    put(&mut db, b.now, &[&pic, &other]);
    assert_eq!(
        file_rows(&mut db, &b.space),
        vec![
            (pic.id, "harbour.png".to_string()),
            (other.id, "kite.gif".to_string())
        ]
    );
    let blob = match b.space.decrypt(&pic).unwrap() {
        Body::Picture(p) => p.file.blob,
        _ => unreachable!(),
    };
    let hex: String = blob.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(db.files_by_blob(&hex).unwrap().len(), 1);
    assert_eq!(db.file_thumb(&blob).unwrap(), Some(vec![0xff, 0xd8, 0xff]));
    assert!(db.named_blobs().unwrap().iter().any(|(b, _, _)| *b == blob));

    // Erased (by any member): off the board, and its file is garbage.
    put(&mut db, b.now, &[&erase]);
    let left: Vec<RecordId> = db
        .board_pictures(&b.space.id, b.now)
        .unwrap()
        .iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(left, vec![other.id]);
    assert_eq!(
        file_rows(&mut db, &b.space),
        vec![(other.id, "kite.gif".to_string())]
    );
    assert!(!db.named_blobs().unwrap().iter().any(|(b, _, _)| *b == blob));

    // The erase arriving first: the picture never shows and its file is never listed.
    let mut db = b.db();
    put(&mut db, b.now, &[&erase]);
    put(&mut db, b.now, &[&pic]);
    assert!(db.board_pictures(&b.space.id, b.now).unwrap().is_empty());
    assert!(file_rows(&mut db, &b.space).is_empty());

    // An erase that expires gives the picture back then: it keeps its file meanwhile, and
    // the picture shows again once the erase is purged.
    let mut db = b.db();
    let until = b.now + 60_000;
    let brief = b.rec_expiring(
        &b.bob,
        Body::Erase(EraseBody {}),
        vec![pic.id],
        3000,
        0,
        Some(until),
    );
    put(&mut db, b.now, &[&pic, &brief]);
    assert!(db.board_pictures(&b.space.id, b.now).unwrap().is_empty());
    assert_eq!(file_rows(&mut db, &b.space).len(), 1);
    db.purge_expired(until + 1).unwrap();
    assert_eq!(db.board_pictures(&b.space.id, until + 1).unwrap().len(), 1);

    // A picture that expires takes its file row with it, as a chat message does; so does
    // its move.
    let mut db = b.db();
    let short = b.rec_expiring(
        &b.ann,
        picture("brief.webp", rect(0.0, 0.0, 10.0, 10.0)),
        vec![],
        2000,
        0,
        Some(until),
    );
    let mv = b.rec_expiring(
        &b.bob,
        moved(rect(5.0, 5.0, 5.0, 5.0)),
        vec![short.id],
        1000,
        0,
        Some(until),
    );
    put(&mut db, b.now, &[&short, &mv, &other]);
    assert_eq!(file_rows(&mut db, &b.space).len(), 2);
    let pics = db.board_pictures(&b.space.id, b.now).unwrap();
    assert_eq!(
        pics.iter().find(|p| p.id == short.id).unwrap().rect,
        rect(5.0, 5.0, 5.0, 5.0)
    );
    db.purge_expired(until + 1).unwrap();
    assert_eq!(
        file_rows(&mut db, &b.space),
        vec![(other.id, "kite.gif".to_string())]
    );
    let pics = db.board_pictures(&b.space.id, until + 1).unwrap();
    assert_eq!(pics.iter().map(|p| p.id).collect::<Vec<_>>(), vec![other.id]);
    let links: i64 = db
        .conn()
        .query_row("SELECT count(*) FROM links WHERE kind = 12", [], |r| r.get(0))
        .unwrap();
    assert_eq!(links, 0, "the expired move's link goes with it");
}

#[test]
fn a_move_that_expires_leaves_the_one_before_it() {
    let b = Board::new();
    let pic = b.rec(
        &b.ann,
        picture("harbour.png", rect(0.0, 0.0, 10.0, 10.0)),
        vec![],
        5000,
        0,
    );
    let lasting = b.rec(&b.bob, moved(rect(1.0, 1.0, 20.0, 20.0)), vec![pic.id], 4000, 0);
    let until = b.now + 60_000;
    let brief = b.rec_expiring(
        &b.ann,
        moved(rect(9.0, 9.0, 5.0, 5.0)),
        vec![pic.id],
        3000,
        0,
        Some(until),
    );
    let mut db = b.db();
    put(&mut db, b.now, &[&pic, &lasting, &brief]);
    assert_eq!(
        db.board_pictures(&b.space.id, b.now).unwrap()[0].rect,
        rect(9.0, 9.0, 5.0, 5.0)
    );
    // Past its expiry, before and after it is purged.
    assert_eq!(
        db.board_pictures(&b.space.id, until + 1).unwrap()[0].rect,
        rect(1.0, 1.0, 20.0, 20.0)
    );
    db.purge_expired(until + 1).unwrap();
    assert_eq!(
        db.board_pictures(&b.space.id, until + 1).unwrap()[0].rect,
        rect(1.0, 1.0, 20.0, 20.0)
    );
}

#[test]
fn an_erase_touches_nothing_outside_its_board() {
    let b = Board::new();
    let other = Board::new();
    let room = Space::create(SpaceKind::Chat, "room", b.ann.author()).unwrap();
    let mut db = b.db();
    db.add_space(&other.space).unwrap();
    db.add_space(&room).unwrap();
    let pic = b.rec(
        &b.ann,
        picture("harbour.png", rect(0.0, 0.0, 10.0, 10.0)),
        vec![],
        5000,
        0,
    );
    let file = match b.space.decrypt(&pic).unwrap() {
        Body::Picture(p) => p.file,
        _ => unreachable!(),
    };
    let msg = room
        .seal(
            b.ann.signing_key(),
            &Body::Chat(confab_core::ChatBody {
                text: String::new(),
                mentions: vec![],
                files: vec![FileRef {
                    name: "notes.png".into(),
                    ..file
                }],
            }),
            Hlc::new(b.now - 4000, 0),
            None,
            vec![],
        )
        .unwrap();
    // A member of another board names this board's picture and the room's message in an erase.
    let stray = other.rec(
        &other.ann,
        Body::Erase(EraseBody {}),
        vec![pic.id, msg.id],
        3000,
        0,
    );
    put(&mut db, b.now, &[&stray]);
    put(&mut db, b.now, &[&pic, &msg]);
    assert_eq!(db.board_pictures(&b.space.id, b.now).unwrap().len(), 1);
    assert_eq!(
        file_rows(&mut db, &b.space),
        vec![(pic.id, "harbour.png".to_string())]
    );
    assert_eq!(db.files(&room.id).unwrap().len(), 1);
    // And held first, then named: the same.
    let late = other.rec(
        &other.ann,
        Body::Erase(EraseBody {}),
        vec![pic.id, msg.id],
        2000,
        0,
    );
    put(&mut db, b.now, &[&late]);
    assert_eq!(file_rows(&mut db, &b.space).len(), 1);
    assert_eq!(db.files(&room.id).unwrap().len(), 1);
}
