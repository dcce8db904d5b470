//! The store: migrations, refusals that change nothing, views, expiry.

use confab_core::{
    now_ms, Body, ChatBody, EraseBody, Hlc, Identity, NewsBody, Record, Role, Space, SpaceKind, StrokeBody,
    Verified,
};
use confab_store::{migrations, Origin, Refusal, Store, StoreError, DB_FILE, SCHEMA_VERSION};
use rusqlite::Connection;

fn chat(t: &str) -> Body {
    Body::Chat(ChatBody {
        files: Vec::new(),
        mentions: vec![],
        text: t.into(),
    })
}

fn seal(
    space: &Space,
    who: &Identity,
    body: &Body,
    ts: Hlc,
    expires: Option<u64>,
    refs: Vec<confab_core::RecordId>,
) -> Record {
    space.seal(who.signing_key(), body, ts, expires, refs).unwrap()
}

fn v(r: Record) -> Verified {
    r.verify().unwrap()
}

/// Everything stored, as one comparable value.
fn fingerprint(path: &std::path::Path) -> (i64, String) {
    let c = Connection::open(path).unwrap();
    c.query_row(
        "SELECT count(*), coalesce(group_concat(hex(id) || hex(raw), ','), '') FROM (SELECT id, raw FROM records ORDER BY id)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

#[test]
fn upgrade_from_version_1_keeps_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    let me = Identity::generate();
    let space = Space::create(SpaceKind::Chat, "old room", me.author()).unwrap();
    let rec = seal(
        &space,
        &me,
        &chat("written by version 1"),
        Hlc::new(now_ms(), 0),
        None,
        vec![],
    );
    {
        // A database exactly as version 1 left it: the frozen first migration only.
        let c = Connection::open(&path).unwrap();
        c.execute_batch(include_str!("../src/migrations/0001_records.sql"))
            .unwrap();
        c.pragma_update(None, "user_version", 1).unwrap();
        c.execute(
            "INSERT INTO spaces (id, kind, name, key, owner, joined_at) VALUES (?1, 'chat', ?2, ?3, ?4, 1)",
            rusqlite::params![space.id.0, space.name, space.key.0, space.owner.0],
        )
        .unwrap();
        c.execute(
            "INSERT INTO records (space, ts, id, kind, author, expires, raw) VALUES (?1, ?2, ?3, 1, ?4, NULL, ?5)",
            rusqlite::params![space.id.0, rec.ts.0 as i64, rec.id.0, rec.author.0, rec.encoded()],
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    let msgs = store.chat_messages(space.id).wait().unwrap();
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].text.as_deref(), Some("written by version 1"));
    // The search index is built for what was stored before it existed.
    let hits = store
        .search(confab_store::SearchQuery {
            text: "version".into(),
            limit: 5,
            ..Default::default()
        })
        .wait()
        .unwrap()
        .unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(store.spaces().wait().unwrap(), vec![space.clone()]);
    drop(store);
    let c = Connection::open(&path).unwrap();
    let uv: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(uv as usize, SCHEMA_VERSION);
    let muted: i64 = c.query_row("SELECT muted FROM spaces", [], |r| r.get(0)).unwrap();
    assert_eq!(muted, 0);
    c.execute(
        "INSERT INTO peer_addrs (peer, addr, last_seen) VALUES ('p', '/ip4/1.2.3.4/tcp/1', 0)",
        [],
    )
    .unwrap();
    migrations().validate().unwrap();
}

/// A store from before accounts (schema 9) opens, keeps what it held, and from then on takes a
/// person's records from their other devices as the same person's.
#[test]
fn upgrade_from_before_accounts_keeps_records_and_learns_devices() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    let laptop = Identity::generate();
    let other = Identity::generate();
    let room = Space::create(SpaceKind::Chat, "room", laptop.author()).unwrap();
    let t = now_ms();
    let old = seal(
        &room,
        &laptop,
        &chat("from before"),
        Hlc::new(t - 2_000, 0),
        None,
        vec![],
    );
    let theirs = seal(
        &room,
        &other,
        &chat("a member"),
        Hlc::new(t - 1_500, 0),
        None,
        vec![],
    );
    {
        let mut c = Connection::open(&path).unwrap();
        migrations().to_version(&mut c, 9).unwrap();
        c.execute(
            "INSERT INTO spaces (id, kind, name, key, owner, joined_at) VALUES (?1, 'chat', ?2, ?3, ?4, 1)",
            rusqlite::params![room.id.0, room.name, room.key.0, room.owner.0],
        )
        .unwrap();
        for r in [&old, &theirs] {
            c.execute(
                "INSERT INTO records (space, ts, id, kind, author, expires, raw) VALUES (?1, ?2, ?3, 1, ?4, NULL, ?5)",
                rusqlite::params![room.id.0, r.ts.0 as i64, r.id.0, r.author.0, r.encoded()],
            )
            .unwrap();
        }
    }
    let store = Store::open(&path).unwrap();
    let texts = |s: &Store| -> Vec<(String, confab_core::AuthorKey)> {
        s.chat_messages(room.id)
            .wait()
            .unwrap()
            .into_iter()
            .map(|m| (m.text.unwrap(), m.author))
            .collect()
    };
    assert_eq!(
        texts(&store),
        vec![
            ("from before".into(), laptop.author()),
            ("a member".into(), other.author())
        ]
    );
    // The same person writes from a phone certified by the account.
    let pdir = tempfile::tempdir().unwrap();
    let phone = Identity::create_device(pdir.path(), laptop.account_secret().unwrap(), t).unwrap();
    let new = seal_as(&room, &phone, "from the phone", Hlc::new(t - 1_000, 0));
    assert_eq!(new.version(), 2);
    store.insert(vec![v(new.clone())], Origin::Sync).wait().unwrap();
    let msgs = store.chat_messages(room.id).wait().unwrap();
    assert_eq!(msgs[2].author, laptop.author(), "the person");
    assert_eq!(msgs[2].device, phone.author(), "their device");
    let members = store.members(room.id).wait().unwrap();
    assert_eq!(members.len(), 2, "the owner and the member: {members:?}");
    assert_eq!(members[0].author, laptop.author());
    assert_eq!(members[0].devices, vec![phone.author()]);
    assert_eq!(members[0].records, 2);
    assert_eq!(
        store.account_of(phone.author()).wait().unwrap(),
        Some(laptop.author())
    );
    drop(store);
    let c = Connection::open(&path).unwrap();
    let uv: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(uv as usize, SCHEMA_VERSION);
}

fn seal_as(space: &Space, who: &Identity, text: &str, ts: Hlc) -> Record {
    space.seal(who, &chat(text), ts, None, vec![]).unwrap()
}

#[test]
fn refused_records_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_dir(dir.path()).unwrap();
    let path = dir.path().join(DB_FILE);
    let owner = Identity::generate();
    let member = Identity::generate();
    let room = Space::create(SpaceKind::Chat, "room", owner.author()).unwrap();
    let news = Space::create(SpaceKind::News, "weekly", owner.author()).unwrap();
    let unjoined = Space::create(SpaceKind::Chat, "elsewhere", owner.author()).unwrap();
    store.add_space(room.clone()).wait().unwrap();
    store.add_space(news.clone()).wait().unwrap();
    let now = Hlc::new(now_ms(), 0);
    let good = seal(&room, &member, &chat("ok"), now, None, vec![]);
    let r = store.insert(vec![v(good.clone())], Origin::Sync).wait().unwrap();
    assert_eq!(r.inserted.len(), 1);
    let before = fingerprint(&path);

    let mut flipped = good.encoded().to_vec();
    flipped[40] ^= 0x10;
    let mut bad_sig = good.encoded().to_vec();
    let n = bad_sig.len();
    bad_sig[n - 3] ^= 0x01;
    let issue = Body::News(NewsBody {
        files: Vec::new(),
        title: "fake".into(),
        body: "not the owner".into(),
    });
    let not_owner = seal(&news, &member, &issue, now, None, vec![]).into_encoded();
    let elsewhere = seal(&unjoined, &member, &chat("x"), now, None, vec![]).into_encoded();
    let expired = seal(&room, &member, &chat("old"), now, Some(now_ms() - 1), vec![]).into_encoded();
    let future = seal(
        &room,
        &member,
        &chat("later"),
        Hlc::new(now_ms() + 3_600_000, 0),
        None,
        vec![],
    )
    .into_encoded();
    let report = store
        .ingest(
            vec![
                flipped,
                bad_sig,
                not_owner,
                elsewhere,
                expired,
                future,
                vec![0u8; 3],
                good.encoded().to_vec(),
            ],
            Origin::Sync,
        )
        .wait()
        .unwrap();
    assert_eq!(report.inserted.len(), 0);
    assert_eq!(report.duplicates, 1);
    assert_eq!(report.refused.len(), 7, "{:?}", report.refused);
    let reasons: Vec<String> = report.refused.iter().map(|(_, r)| r.to_string()).collect();
    let all = reasons.join("\n");
    for needle in [
        "bad signature",
        "only the owner",
        "not joined",
        "expired",
        "in the future",
        "truncated",
    ] {
        assert!(all.contains(needle), "no refusal mentions {needle:?}:\n{all}");
    }
    assert!(report
        .refused
        .iter()
        .any(|(_, r)| matches!(r, Refusal::Record(_))));
    assert_eq!(fingerprint(&path), before, "a refused record changed the store");
}

#[test]
fn views_order_erase_and_expiry() {
    let store = Store::in_memory().unwrap();
    let a = Identity::generate();
    let b = Identity::generate();
    let room = Space::create(SpaceKind::Chat, "room", a.author()).unwrap();
    let board = Space::create(SpaceKind::Board, "board", a.author()).unwrap();
    let news = Space::create(SpaceKind::News, "news", a.author()).unwrap();
    for s in [&room, &board, &news] {
        store.add_space(s.clone()).wait().unwrap();
    }
    let t = now_ms();
    // Inserted newest first; listed oldest first.
    let msgs: Vec<Verified> = (0..5u64)
        .rev()
        .map(|i| {
            v(seal(
                &room,
                if i % 2 == 0 { &a } else { &b },
                &chat(&format!("m{i}")),
                Hlc::new(t - 1000 + i, 0),
                None,
                vec![],
            ))
        })
        .collect();
    store.insert(msgs, Origin::Sync).wait().unwrap();
    let listed: Vec<String> = store
        .chat_messages(room.id)
        .wait()
        .unwrap()
        .into_iter()
        .filter_map(|m| m.text)
        .collect();
    assert_eq!(listed, ["m0", "m1", "m2", "m3", "m4"]);

    let stroke = |x: f32| {
        Body::Stroke(StrokeBody {
            points: vec![(x, 0.0), (x, 1.0)],
            color: confab_core::Color([1, 2, 3]),
            width: 2.0,
        })
    };
    let s1 = seal(&board, &a, &stroke(1.0), Hlc::new(t, 1), None, vec![]);
    let s2 = seal(&board, &b, &stroke(2.0), Hlc::new(t, 2), None, vec![]);
    let erase = seal(
        &board,
        &b,
        &Body::Erase(EraseBody {}),
        Hlc::new(t, 3),
        None,
        vec![s1.id],
    );
    store
        .insert(vec![v(s1.clone()), v(s2.clone())], Origin::Sync)
        .wait()
        .unwrap();
    assert_eq!(store.board_strokes(board.id).wait().unwrap().len(), 2);
    store.insert(vec![v(erase)], Origin::Sync).wait().unwrap();
    let left = store.board_strokes(board.id).wait().unwrap();
    assert_eq!(left.iter().map(|s| s.id).collect::<Vec<_>>(), vec![s2.id]);
    assert_eq!(left[0].color, confab_core::Color([1, 2, 3]));

    // A record that expires shortly: listed now, gone from views, sync and disk later.
    let issue = Body::News(NewsBody {
        files: Vec::new(),
        title: "soon gone".into(),
        body: "b".into(),
    });
    let short = seal(&news, &a, &issue, Hlc::new(t, 4), Some(now_ms() + 300), vec![]);
    store.insert(vec![v(short.clone())], Origin::Sync).wait().unwrap();
    assert_eq!(store.news_issues(news.id).wait().unwrap().len(), 1);
    assert_eq!(store.sync_keys(news.id).wait().unwrap().len(), 1);
    std::thread::sleep(std::time::Duration::from_millis(400));
    assert!(store.news_issues(news.id).wait().unwrap().is_empty());
    assert!(store.sync_keys(news.id).wait().unwrap().is_empty());
    let (served, _) = store
        .records_by_keys(news.id, vec![short.sync_key()], 1 << 20)
        .wait()
        .unwrap();
    assert!(served.is_empty(), "an expired record was served");
    assert_eq!(store.purge_expired().wait().unwrap(), vec![news.id]);
    assert_eq!(store.count(news.id).wait().unwrap(), 0);
    // And it is refused if offered again.
    let again = store
        .ingest(vec![short.encoded().to_vec()], Origin::Sync)
        .wait()
        .unwrap();
    assert_eq!(again.refused.len(), 1);
}

#[test]
fn damaged_rows_give_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_dir(dir.path()).unwrap();
    let a = Identity::generate();
    let room = Space::create(SpaceKind::Chat, "room", a.author()).unwrap();
    store.add_space(room.clone()).wait().unwrap();
    let r = seal(&room, &a, &chat("x"), Hlc::new(now_ms(), 0), None, vec![]);
    store.insert(vec![v(r)], Origin::Sync).wait().unwrap();
    store
        .call(|db| {
            db.conn().execute("UPDATE records SET raw = x'00010203'", [])?;
            Ok(())
        })
        .wait()
        .unwrap();
    let err = store.chat_messages(room.id).wait().unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err}");
    assert!(err.to_string().contains("damaged"));
}

#[test]
fn space_prefixes() {
    let store = Store::in_memory().unwrap();
    let a = Identity::generate();
    let room = Space::create(SpaceKind::Chat, "room", a.author()).unwrap();
    store.add_space(room.clone()).wait().unwrap();
    assert_eq!(
        store.resolve_space(&room.id.to_string()[..6]).wait().unwrap(),
        room
    );
    assert!(matches!(
        store.resolve_space("zz").wait(),
        Err(StoreError::UnknownSpace(_))
    ));
    assert!(matches!(
        store.resolve_space("").wait(),
        Err(StoreError::UnknownSpace(_))
    ));
}

#[test]
fn a_rotation_reseals_what_a_member_wrote_before_hearing_of_it_and_refuses_the_removed() {
    let (owner, b, gone) = (Identity::generate(), Identity::generate(), Identity::generate());
    let space = Space::create(SpaceKind::Chat, "room", owner.author()).unwrap();
    let (sa, sb) = (Store::in_memory().unwrap(), Store::in_memory().unwrap());
    sa.set_me(owner.clone()).wait().unwrap();
    sb.set_me(b.clone()).wait().unwrap();
    for s in [&sa, &sb] {
        s.add_space(space.clone()).wait().unwrap();
    }
    let t0 = now_ms();
    let first = seal(&space, &gone, &chat("before"), Hlc::new(t0, 0), None, vec![]);
    // b writes at t0+2 without having heard of the rotation the owner signs at t0+1.
    let unaware = seal(&space, &b, &chat("b, unaware"), Hlc::new(t0 + 2, 0), None, vec![]);
    let late = seal(
        &space,
        &gone,
        &chat("gone, late"),
        Hlc::new(t0 + 3, 0),
        None,
        vec![],
    );
    // The member to be removed also signs one dated earlier than anything, which b takes
    // before it hears of the removal (the owner never saw it).
    let backdated = seal(
        &space,
        &gone,
        &chat("gone, backdated"),
        Hlc::new(t0 - 5_000, 0),
        None,
        vec![],
    );
    let r = sb
        .insert(
            vec![
                v(first.clone()),
                v(unaware.clone()),
                v(late.clone()),
                v(backdated.clone()),
            ],
            Origin::Sync,
        )
        .wait()
        .unwrap();
    assert_eq!(r.inserted.len(), 4);

    // The owner keeps what it holds of the removed member: the first message.
    let (body, key) = space
        .make_rekey(&[gone.author()], &[owner.author(), b.author()], &[first.id])
        .unwrap();
    let rekey = seal(
        &space,
        &owner,
        &Body::Rekey(body.clone()),
        Hlc::new(t0 + 1, 0),
        None,
        vec![],
    );
    // Only the owner rotates.
    let fake = seal(&space, &b, &Body::Rekey(body), Hlc::new(t0 + 1, 1), None, vec![]);
    let r = sb.insert(vec![v(fake)], Origin::Sync).wait().unwrap();
    assert!(
        r.refused[0].1.to_string().contains("only the owner"),
        "{:?}",
        r.refused
    );

    let r = sa
        .insert(vec![v(first.clone()), v(rekey.clone())], Origin::Sync)
        .wait()
        .unwrap();
    assert_eq!(r.inserted.len(), 2);
    let a_view = sa.space(space.id).wait().unwrap().unwrap();
    assert_eq!(a_view.current_key(), Some(&key));

    let r = sb.insert(vec![v(rekey.clone())], Origin::Sync).wait().unwrap();
    assert_eq!(r.rekeyed, vec![space.id]);
    assert_eq!(
        r.purged, 3,
        "b's unaware message and the removed member's late and backdated ones"
    );
    let b_view = sb.space(space.id).wait().unwrap().unwrap();
    assert_eq!(b_view.current_key(), Some(&key), "b opened its key box");
    // b's message was sealed again under the new key, with its original time.
    let resealed: Vec<_> = r.inserted.iter().filter(|i| i.author == b.author()).collect();
    assert_eq!(resealed.len(), 1);
    assert_eq!(resealed[0].ts, unaware.ts);
    let texts: Vec<String> = sb
        .chat_messages(space.id)
        .wait()
        .unwrap()
        .into_iter()
        .filter_map(|m| m.text)
        .collect();
    assert_eq!(texts, ["before", "b, unaware"]);

    // The owner takes b's resealed message and refuses both originals, naming why.
    let again = sb
        .records_by_keys(space.id, vec![resealed[0].key], usize::MAX)
        .wait()
        .unwrap()
        .0;
    let r = sa.ingest(again, Origin::Sync).wait().unwrap();
    assert_eq!(r.inserted.len(), 1);
    let r = sa
        .insert(vec![v(unaware), v(late), v(backdated)], Origin::Sync)
        .wait()
        .unwrap();
    assert!(r.inserted.is_empty());
    let why: Vec<String> = r.refused.iter().map(|(_, w)| w.to_string()).collect();
    assert!(why[0].contains("not encrypted with this space's key"), "{why:?}");
    assert!(why[1].contains("was removed"), "{why:?}");
    assert!(why[2].contains("not among the records the owner kept"), "{why:?}");

    // The removed member's own store, given the rotation, holds no key for the new epoch.
    let sg = Store::in_memory().unwrap();
    sg.set_me(gone.clone()).wait().unwrap();
    sg.add_space(space.clone()).wait().unwrap();
    sg.insert(vec![v(first), v(rekey)], Origin::Sync).wait().unwrap();
    let g_view = sg.space(space.id).wait().unwrap().unwrap();
    assert_eq!(g_view.epoch(), 1);
    assert!(!g_view.is_current_member());
    // Its members view says so.
    let members = sg.members(space.id).wait().unwrap();
    assert!(members
        .iter()
        .any(|m| m.author == gone.author() && m.role == Role::Removed));
    assert_eq!(members[0].role, Role::Owner);
}

#[test]
fn a_newsletter_takes_join_records_from_subscribers_and_issues_from_its_owner_only() {
    let (owner, sub) = (Identity::generate(), Identity::generate());
    let letter = Space::create(SpaceKind::News, "Weekly", owner.author()).unwrap();
    let s = Store::in_memory().unwrap();
    s.set_me(owner.clone()).wait().unwrap();
    s.add_space(letter.clone()).wait().unwrap();
    let ts = Hlc::new(now_ms(), 0);
    let join = seal(
        &letter,
        &sub,
        &Body::Member(confab_core::MemberBody {}),
        ts,
        None,
        vec![],
    );
    let issue = seal(
        &letter,
        &sub,
        &Body::News(NewsBody {
            files: Vec::new(),
            title: "not mine to publish".into(),
            body: "x".into(),
        }),
        ts,
        None,
        vec![],
    );
    let r = s.insert(vec![v(join), v(issue)], Origin::Sync).wait().unwrap();
    assert_eq!(r.inserted.len(), 1, "the join record is taken");
    assert!(
        r.refused[0].1.to_string().contains("only the owner"),
        "{:?}",
        r.refused
    );
    let members = s.members(letter.id).wait().unwrap();
    assert_eq!(members.len(), 2);
    assert_eq!(members[1].author, sub.author());
    assert_eq!(members[1].role, Role::Member);
    // Join records are not content: the newsletter still has no issues and counts none.
    assert!(s.news_issues(letter.id).wait().unwrap().is_empty());
    assert_eq!(s.count(letter.id).wait().unwrap(), 0);
}

#[test]
fn every_commit_is_told_to_subscribers_before_the_reply() {
    use confab_store::Change;
    use std::sync::{Arc, Mutex};
    let (owner, b) = (Identity::generate(), Identity::generate());
    let space = Space::create(SpaceKind::Chat, "room", owner.author()).unwrap();
    let store = Store::in_memory().unwrap();
    store.set_me(b.clone()).wait().unwrap();
    let seen: Arc<Mutex<Vec<Arc<Change>>>> = Arc::default();
    let sink = seen.clone();
    store
        .subscribe(move |c| sink.lock().unwrap().push(c.clone()))
        .wait()
        .unwrap();
    // Each call's change is there when its reply is.
    let take = || std::mem::take(&mut *seen.lock().unwrap());

    assert!(store.add_space(space.clone()).wait().unwrap());
    assert!(matches!(take().as_slice(), [c] if matches!(&**c, Change::Joined(s) if s.id == space.id)));
    assert!(!store.add_space(space.clone()).wait().unwrap());
    assert!(take().is_empty(), "joining again changed nothing");

    let t0 = now_ms();
    let mine = seal(&space, &b, &chat("b, unaware"), Hlc::new(t0 + 2, 0), None, vec![]);
    let soon = seal(
        &space,
        &b,
        &chat("short-lived"),
        Hlc::new(t0, 0),
        Some(t0 + 300),
        vec![],
    );
    store
        .insert(vec![v(mine.clone()), v(soon)], Origin::Local)
        .wait()
        .unwrap();
    match take().as_slice() {
        [c] => match &**c {
            Change::Stored {
                origin: Origin::Local,
                inserted,
                rotated,
                deleted: 0,
                ..
            } => {
                assert_eq!(inserted.len(), 2);
                assert_eq!(inserted[0].encoded, mine.encoded(), "the bytes to announce");
                assert!(rotated.is_empty());
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    // Duplicates and refusals commit nothing to tell.
    store
        .insert(vec![v(mine.clone())], Origin::Gossip)
        .wait()
        .unwrap();
    let elsewhere = Space::create(SpaceKind::Chat, "elsewhere", owner.author()).unwrap();
    let stray = seal(&elsewhere, &b, &chat("x"), Hlc::new(t0, 1), None, vec![]);
    assert_eq!(
        store
            .insert(vec![v(stray)], Origin::Gossip)
            .wait()
            .unwrap()
            .refused
            .len(),
        1
    );
    assert!(take().is_empty());

    assert!(store.set_muted(space.id, true).wait().unwrap());
    assert!(matches!(&*take()[0], Change::Muted { muted: true, .. }));

    // A rotation: the space as it now is, what it deleted, and b's own message sealed again.
    let gone = Identity::generate();
    let (body, _) = space
        .make_rekey(&[gone.author()], &[owner.author(), b.author()], &[])
        .unwrap();
    let rekey = seal(
        &space,
        &owner,
        &Body::Rekey(body),
        Hlc::new(t0 + 1, 0),
        None,
        vec![],
    );
    store.insert(vec![v(rekey)], Origin::Sync).wait().unwrap();
    match take().as_slice() {
        [c] => match &**c {
            Change::Stored {
                origin: Origin::Sync,
                inserted,
                rotated,
                deleted,
                ..
            } => {
                assert_eq!(rotated.len(), 1);
                assert_eq!(rotated[0].epoch(), 1, "the space as the rotation left it");
                assert_eq!(*deleted, 1, "b's message sealed with the old key");
                assert_eq!(inserted.len(), 2, "the rotation and b's message sealed again");
                assert_eq!(inserted[1].ts, mine.ts);
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }

    std::thread::sleep(std::time::Duration::from_millis(400));
    assert_eq!(store.purge_expired().wait().unwrap(), vec![space.id]);
    assert!(matches!(&*take()[0], Change::Expired(s) if *s == vec![space.id]));
}
