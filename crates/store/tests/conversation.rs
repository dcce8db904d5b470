//! Conversations in the store: edits, reactions, deletes for everyone, replies, profiles,
//! reading state and search, including changes that arrive before their message.

use confab_core::{
    now_ms, Body, ChatBody, DeleteBody, EditBody, Hlc, Identity, ProfileBody, ReactionBody, Record, RecordId,
    Space, SpaceKind, SyncKey,
};
use confab_store::{Origin, Removal, SearchQuery, Store, DB_FILE};

struct Room {
    space: Space,
    owner: Identity,
    ann: Identity,
    bob: Identity,
    t: u64,
}

impl Room {
    fn new() -> Room {
        let owner = Identity::generate();
        let space = Space::create(SpaceKind::Chat, "room", owner.author()).unwrap();
        Room {
            space,
            owner,
            ann: Identity::generate(),
            bob: Identity::generate(),
            t: now_ms() - 100_000,
        }
    }

    fn rec(&mut self, who: &Identity, body: Body, refs: Vec<RecordId>) -> Record {
        self.t += 10;
        self.space
            .seal(who.signing_key(), &body, Hlc::new(self.t, 0), None, refs)
            .unwrap()
    }
}

fn chat(t: &str) -> Body {
    Body::Chat(ChatBody {
        files: Vec::new(),
        text: t.into(),
        mentions: vec![],
    })
}

fn edit(t: &str) -> Body {
    Body::Edit(EditBody {
        text: t.into(),
        mentions: vec![],
    })
}

fn react(e: &str, on: bool) -> Body {
    Body::Reaction(ReactionBody { emoji: e.into(), on })
}

fn put(store: &Store, recs: &[&Record]) -> usize {
    let r = store
        .ingest(recs.iter().map(|r| r.encoded().to_vec()).collect(), Origin::Sync)
        .wait()
        .unwrap();
    assert!(r.refused.is_empty(), "{:?}", r.refused);
    r.inserted.len()
}

fn hits(store: &Store, text: &str) -> usize {
    store
        .search(SearchQuery {
            text: text.into(),
            limit: 50,
            ..Default::default()
        })
        .wait()
        .unwrap()
        .unwrap()
        .len()
}

#[test]
fn edits_reactions_and_replies_in_any_order() {
    let mut r = Room::new();
    let (ann, bob) = (r.ann.clone(), r.bob.clone());
    let m = r.rec(&ann, chat("helo wrold"), vec![]);
    let e1 = r.rec(&ann, edit("hello world"), vec![m.id]);
    let e2 = r.rec(&ann, edit("hello world, everyone"), vec![m.id]);
    let forged = r.rec(&bob, edit("bob was here"), vec![m.id]);
    let up = r.rec(&bob, react("👍", true), vec![m.id]);
    let up_ann = r.rec(&ann, react("👍", true), vec![m.id]);
    let heart = r.rec(&bob, react("❤️", true), vec![m.id]);
    let heart_off = r.rec(&bob, react("❤️", false), vec![m.id]);
    let reply = r.rec(&bob, chat("agreed"), vec![m.id]);

    // Two stores: one hears the changes first, the other in order.
    for order in [0, 1] {
        let store = Store::in_memory().unwrap();
        store.add_space(r.space.clone()).wait().unwrap();
        let changes = [&e2, &forged, &e1, &heart_off, &up, &heart, &up_ann, &reply];
        if order == 0 {
            put(&store, &changes);
            put(&store, &[&m]);
        } else {
            put(&store, &[&m]);
            for c in changes {
                put(&store, &[c]);
            }
        }
        let page = store.chat_messages(r.space.id).wait().unwrap();
        assert_eq!(page.len(), 2, "the message and the reply, not the changes");
        let msg = &page[0];
        assert_eq!(
            msg.text.as_deref(),
            Some("hello world, everyone"),
            "newest edit by its author"
        );
        assert!(msg.edited);
        assert_eq!(
            msg.reactions,
            vec![("👍".to_string(), vec![bob.author(), ann.author()])],
            "❤️ taken back; one 👍 each"
        );
        let re = &page[1];
        assert_eq!(re.reply_to, Some(m.id));
        let q = re.quote.as_ref().unwrap();
        assert_eq!(q.text.as_deref(), Some("hello world, everyone"));
        assert_eq!(q.author, Some(ann.author()));
        assert_eq!(hits(&store, "everyone"), 1, "the index has the latest text");
        assert_eq!(hits(&store, "wrold"), 0, "and not the typo");
        assert_eq!(hits(&store, "bob"), 0, "nor someone else's edit");
    }
}

#[test]
fn deletes_are_real_and_stay_deleted() {
    let mut r = Room::new();
    let (owner, ann, bob) = (r.owner.clone(), r.ann.clone(), r.bob.clone());
    let secret = "zanzibar-kettle-7731";
    let m = r.rec(&ann, chat(&format!("the code is {secret}")), vec![]);
    let m_edit = r.rec(&ann, edit(&format!("the code is still {secret}")), vec![m.id]);
    let other = r.rec(&bob, chat("spam spam"), vec![]);
    let forged = r.rec(&bob, Body::Delete(DeleteBody { target_ts: m.ts.0 }), vec![m.id]);
    let del = r.rec(&ann, Body::Delete(DeleteBody { target_ts: m.ts.0 }), vec![m.id]);
    let modded = r.rec(
        &owner,
        Body::Delete(DeleteBody {
            target_ts: other.ts.0,
        }),
        vec![other.id],
    );
    let keep = r.rec(&bob, chat("still here"), vec![]);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    let store = Store::open(&path).unwrap();
    store.add_space(r.space.clone()).wait().unwrap();
    put(&store, &[&m, &m_edit, &other, &keep]);
    assert_eq!(hits(&store, "zanzibar"), 1);
    put(&store, &[&forged]);
    assert_eq!(hits(&store, "zanzibar"), 1, "bob cannot delete ann's message");
    put(&store, &[&del, &modded]);

    let page = store.chat_messages(r.space.id).wait().unwrap();
    let shown: Vec<_> = page.iter().map(|x| (x.text.clone(), x.deleted)).collect();
    assert_eq!(
        shown,
        vec![
            (None, Some(Removal::ByAuthor)),
            (None, Some(Removal::ByOwner)),
            (Some("still here".to_string()), None)
        ]
    );
    assert_eq!(hits(&store, "zanzibar"), 0);
    // Their keys stay in the sync set; they are never served.
    let keys = store.sync_keys(r.space.id).wait().unwrap();
    for x in [&m, &m_edit, &other] {
        assert!(keys.contains(&x.sync_key()));
        let (served, _) = store
            .records_by_keys(r.space.id, vec![x.sync_key()], 1 << 20)
            .wait()
            .unwrap();
        assert!(served.is_empty());
    }
    // Offered again (by a peer that still has them), they are not stored.
    assert_eq!(put(&store, &[&m, &m_edit, &other]), 0);
    // After the periodic maintenance, the text is in no file of the open store: not the
    // database, its write-ahead log, nor the index (which lives in the database). Before it,
    // it is in no row and no search finds it.
    store.purge_expired().wait().unwrap();
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|f| f.unwrap().path())
        .collect();
    assert!(
        files.iter().any(|f| f.ends_with(format!("{DB_FILE}-wal"))),
        "{files:?}"
    );
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        // The text, and each of its words (which is how the search index would hold it).
        for needle in [secret, "zanzibar", "kettle"] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{} still holds {needle:?} of the deleted text",
                f.display()
            );
        }
    }

    // A fresh store that hears the tombstone first never stores the message.
    let fresh = Store::in_memory().unwrap();
    fresh.add_space(r.space.clone()).wait().unwrap();
    put(&fresh, &[&del, &modded]);
    let keys = fresh.sync_keys(r.space.id).wait().unwrap();
    assert!(
        keys.contains(&SyncKey::new(other.ts.0, &other.id)),
        "the owner's removal is trusted at once"
    );
    assert_eq!(
        put(&fresh, &[&m, &other, &m_edit]),
        0,
        "both arrive and are dropped"
    );
    assert_eq!(hits(&fresh, "zanzibar"), 0);
    // Ann's message is shown as deleted where it was; the one the owner removed before this
    // store ever held it has no place to show.
    let page = fresh.chat_messages(r.space.id).wait().unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!((page[0].id, page[0].deleted), (m.id, Some(Removal::ByAuthor)));
}

#[test]
fn profiles_newest_wins_and_reading_counts_survive_a_restart() {
    let mut r = Room::new();
    let (ann, bob) = (r.ann.clone(), r.bob.clone());
    let p1 = r.rec(
        &ann,
        Body::Profile(ProfileBody {
            name: "Ann".into(),
            color: "#aa0000".parse().unwrap(),
            picture: None,
        }),
        vec![],
    );
    let p2 = r.rec(
        &ann,
        Body::Profile(ProfileBody {
            name: "Annie".into(),
            color: "#00aa00".parse().unwrap(),
            picture: None,
        }),
        vec![],
    );
    let mention = r.rec(
        &ann,
        Body::Chat(ChatBody {
            files: Vec::new(),
            text: "hi @Bob".into(),
            mentions: vec![bob.author().0],
        }),
        vec![],
    );
    let plain = r.rec(&ann, chat("and hello"), vec![]);
    let own = r.rec(&bob, chat("mine"), vec![]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    {
        let store = Store::open(&path).unwrap();
        store.add_space(r.space.clone()).wait().unwrap();
        put(&store, &[&p2, &p1, &mention, &plain, &own]);
        let ps = store.profiles().wait().unwrap();
        assert_eq!(ps.len(), 1);
        assert_eq!((ps[0].name.as_str(), ps[0].color.as_str()), ("Annie", "#00aa00"));
        let rd = store.reading(r.space.id, bob.author()).wait().unwrap();
        assert_eq!(
            (rd.unread, rd.mentions, rd.first_unread),
            (2, 1, Some(mention.id))
        );
        store.mark_read(r.space.id, mention.ts.0).wait().unwrap();
    }
    let store = Store::open(&path).unwrap();
    let rd = store.reading(r.space.id, bob.author()).wait().unwrap();
    assert_eq!((rd.unread, rd.mentions, rd.first_unread), (1, 0, Some(plain.id)));
    store.mark_read(r.space.id, 1).wait().unwrap();
    assert_eq!(
        store.reading(r.space.id, bob.author()).wait().unwrap().unread,
        1,
        "never moves back"
    );
}

#[test]
fn search_filters_by_space_and_author_and_highlights() {
    let mut r = Room::new();
    let (ann, bob) = (r.ann.clone(), r.bob.clone());
    let a = r.rec(&ann, chat("Meet at the Café du Monde tomorrow"), vec![]);
    let b = r.rec(&bob, chat("the cafe was closed"), vec![]);
    let store = Store::in_memory().unwrap();
    store.add_space(r.space.clone()).wait().unwrap();
    put(&store, &[&a, &b]);
    let all = store
        .search(SearchQuery {
            text: "cafe".into(),
            limit: 10,
            ..Default::default()
        })
        .wait()
        .unwrap()
        .unwrap();
    assert_eq!(all.len(), 2, "diacritics do not matter");
    let ann_only = store
        .search(SearchQuery {
            text: "caf".into(),
            author: Some(ann.author()),
            space: Some(r.space.id),
            limit: 10,
        })
        .wait()
        .unwrap()
        .unwrap();
    assert_eq!(ann_only.len(), 1);
    let h = &ann_only[0];
    let chars: Vec<char> = h.snippet.chars().collect();
    let (s, e) = h.highlights[0];
    assert_eq!(chars[s..e].iter().collect::<String>(), "Café");
    let none = store
        .search(SearchQuery {
            text: "cafe".into(),
            space: Some(confab_core::SpaceId([9; 32])),
            limit: 10,
            ..Default::default()
        })
        .wait()
        .unwrap()
        .unwrap();
    assert!(none.is_empty());
    assert!(store
        .search(SearchQuery {
            text: " \"* ".into(),
            limit: 10,
            ..Default::default()
        })
        .wait()
        .unwrap()
        .is_none());
}

#[test]
fn the_index_follows_expiry() {
    let r = Room::new();
    let ann = r.ann.clone();
    let short = r
        .space
        .seal(
            ann.signing_key(),
            &chat("fleeting words"),
            Hlc::new(now_ms(), 0),
            Some(now_ms() + 300),
            vec![],
        )
        .unwrap();
    let store = Store::in_memory().unwrap();
    store.add_space(r.space.clone()).wait().unwrap();
    put(&store, &[&short]);
    assert_eq!(hits(&store, "fleeting"), 1);
    std::thread::sleep(std::time::Duration::from_millis(400));
    store.purge_expired().wait().unwrap();
    assert_eq!(hits(&store, "fleeting"), 0, "an expired message leaves the index");
}
