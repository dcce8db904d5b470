//! Two stores reconcile in-process, with honest and dishonest peers.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

static INJECTED: AtomicUsize = AtomicUsize::new(0);

use confab_core::{
    now_ms, Body, ChatBody, EraseBody, Hlc, Identity, NewsBody, Record, RecordId, Space, SpaceKind,
    StrokeBody,
};
use confab_store::Store;
use confab_sync::proto::{Request, Response};
use confab_sync::{Loopback, Phase, Progress, SyncError, Syncer, Transport};
use futures::executor::block_on;
use proptest::prelude::*;
use serde_bytes::ByteBuf;

struct World {
    spaces: Vec<Space>,
    good: Vec<Record>,
    bad: Vec<(String, Vec<u8>)>,
}

/// A fixed set of records, signed once: three people, a chat, a board and a newsletter, and a
/// collection of records no honest store may accept.
fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let (a, b, c) = (Identity::generate(), Identity::generate(), Identity::generate());
        let chat = Space::create(SpaceKind::Chat, "room", a.author()).unwrap();
        let board = Space::create(SpaceKind::Board, "board", a.author()).unwrap();
        let news = Space::create(SpaceKind::News, "weekly", a.author()).unwrap();
        let t = now_ms() - 100_000;
        let mut good = Vec::new();
        for i in 0..24u64 {
            let who = [&a, &b, &c][i as usize % 3];
            let body = Body::Chat(ChatBody {
                files: Vec::new(),
                mentions: vec![],
                text: format!("message {i}"),
            });
            good.push(
                chat.seal(who.signing_key(), &body, Hlc::new(t + i * 7, 0), None, vec![])
                    .unwrap(),
            );
        }
        let mut strokes = Vec::new();
        for i in 0..16u64 {
            let who = [&a, &b][i as usize % 2];
            let body = Body::Stroke(StrokeBody {
                points: vec![(i as f32, 1.0), (2.0, i as f32)],
                color: confab_core::Color([i as u8, 0, 9]),
                width: 1.5,
            });
            let r = board
                .seal(who.signing_key(), &body, Hlc::new(t + i * 5, 1), None, vec![])
                .unwrap();
            strokes.push(r.id);
            good.push(r);
        }
        good.push(
            board
                .seal(
                    c.signing_key(),
                    &Body::Erase(EraseBody {}),
                    Hlc::new(t + 200, 0),
                    None,
                    vec![strokes[3], strokes[4]],
                )
                .unwrap(),
        );
        for i in 0..8u64 {
            let body = Body::News(NewsBody {
                files: Vec::new(),
                title: format!("Issue {i}"),
                body: "news".into(),
            });
            good.push(
                news.seal(a.signing_key(), &body, Hlc::new(t + i * 11, 2), None, vec![])
                    .unwrap(),
            );
        }

        let mut bad = Vec::new();
        let issue = Body::News(NewsBody {
            files: Vec::new(),
            title: "Injected".into(),
            body: "by a subscriber".into(),
        });
        bad.push((
            "unauthorized".into(),
            news.seal(b.signing_key(), &issue, Hlc::new(t + 1, 0), None, vec![])
                .unwrap()
                .into_encoded(),
        ));
        let mut tampered = good[0].encoded().to_vec();
        tampered[60] ^= 0x20;
        bad.push(("tampered".into(), tampered));
        let mut forged = good[30].encoded().to_vec();
        let n = forged.len();
        forged[n - 10] ^= 0x01;
        bad.push(("forged signature".into(), forged));
        let expired = chat
            .seal(
                b.signing_key(),
                &Body::Chat(ChatBody {
                    files: Vec::new(),
                    mentions: vec![],
                    text: "stale".into(),
                }),
                Hlc::new(t + 2, 0),
                Some(now_ms() - 5),
                vec![],
            )
            .unwrap();
        bad.push(("expired".into(), expired.into_encoded()));
        let mut outsider = Space::from_parts(
            SpaceKind::Chat,
            "room".into(),
            confab_core::SpaceKey::random(),
            a.author(),
        );
        outsider.id = chat.id;
        let intruder = outsider
            .seal(
                c.signing_key(),
                &Body::Chat(ChatBody {
                    files: Vec::new(),
                    mentions: vec![],
                    text: "no key".into(),
                }),
                Hlc::new(t + 3, 0),
                None,
                vec![],
            )
            .unwrap();
        bad.push(("not a member".into(), intruder.into_encoded()));
        bad.push(("garbage".into(), vec![7u8; 300]));
        World {
            spaces: vec![chat, board, news],
            good,
            bad,
        }
    })
}

fn store_with(records: impl IntoIterator<Item = Record>) -> Syncer {
    let store = Store::in_memory().unwrap();
    for s in &world().spaces {
        store.add_space(s.clone()).wait().unwrap();
    }
    let v: Vec<_> = records.into_iter().map(|r| r.verify().unwrap()).collect();
    store.insert(v, confab_store::Origin::Sync).wait().unwrap();
    Syncer::new(store)
}

fn ids(s: &Syncer) -> BTreeSet<(RecordId, Vec<u8>)> {
    let mut out = BTreeSet::new();
    for space in &world().spaces {
        let keys = s.store().sync_keys(space.id).wait().unwrap();
        let (raws, _) = s
            .store()
            .records_by_keys(space.id, keys, usize::MAX)
            .wait()
            .unwrap();
        for raw in raws {
            out.insert((RecordId::of(&raw), raw));
        }
    }
    out
}

/// A peer that answers honestly but slips bad records into every batch it sends.
struct Dishonest<'a> {
    inner: Loopback<'a>,
}

impl Transport for Dishonest<'_> {
    fn call(
        &mut self,
        frame: Vec<u8>,
    ) -> impl std::future::Future<Output = Result<Vec<u8>, SyncError>> + Send {
        let fut = self.inner.call(frame);
        async move {
            let reply = fut.await?;
            Ok(match Response::decode(&reply).unwrap() {
                Response::Records { records, consumed } => {
                    // Swap honest records for bad ones, keeping within the count the peer
                    // claims to answer; the honest ones arrive later by the other direction.
                    let bad = world().bad.iter().map(|(_, b)| ByteBuf::from(b.clone()));
                    let n = records.len();
                    let mixed: Vec<ByteBuf> =
                        bad.chain(records).take(n.max(1).min(consumed as usize)).collect();
                    INJECTED.fetch_add(mixed.len().min(world().bad.len()), Ordering::Relaxed);
                    Response::Records {
                        records: mixed,
                        consumed,
                    }
                    .encode()
                }
                _ => reply,
            })
        }
    }
}

fn sync_all<T: Transport>(from: &Syncer, t: &mut T) -> Vec<Progress> {
    let mut events = Vec::new();
    for s in &world().spaces {
        block_on(from.sync_space(s.id, t, &mut |p| events.push(p))).unwrap();
    }
    events
}

#[test]
fn stores_that_never_met_hold_the_same_records() {
    let w = world();
    let (x, y): (Vec<_>, Vec<_>) = w.good.iter().cloned().enumerate().partition(|(i, _)| i % 3 == 0);
    let x = store_with(x.into_iter().map(|(_, r)| r));
    let y = store_with(y.into_iter().map(|(_, r)| r));
    let events = sync_all(&x, &mut Loopback { remote: &y });
    assert!(events.iter().any(|p| p.phase == Phase::Receiving));
    assert!(events.iter().any(|p| p.phase == Phase::Sending));
    assert_eq!(ids(&x), ids(&y));
    assert_eq!(ids(&x).len(), w.good.len());
    // Same bytes means signatures and authors intact; check the views say the same too.
    for s in &w.spaces {
        match s.kind {
            SpaceKind::Chat => assert_eq!(
                x.store().chat_messages(s.id).wait().unwrap(),
                y.store().chat_messages(s.id).wait().unwrap()
            ),
            SpaceKind::Board => {
                let bx = x.store().board_strokes(s.id).wait().unwrap();
                assert_eq!(bx, y.store().board_strokes(s.id).wait().unwrap());
                assert_eq!(bx.len(), 14, "two of sixteen strokes are erased");
            }
            SpaceKind::News => {
                let nx = x.store().news_issues(s.id).wait().unwrap();
                assert_eq!(nx, y.store().news_issues(s.id).wait().unwrap());
                assert!(nx.iter().all(|n| n.author == s.owner));
            }
            SpaceKind::Personal => unreachable!("the world makes no personal space"),
        }
    }
    for (_, raw) in ids(&y) {
        Record::decode(&raw)
            .unwrap()
            .verify()
            .expect("signature intact after sync");
    }
    // A second sync finds nothing to do in one round per space.
    for s in &w.spaces {
        let st = block_on(x.sync_space(s.id, &mut Loopback { remote: &y }, &mut |_| {})).unwrap();
        assert_eq!((st.have, st.need, st.rounds), (0, 0, 1));
    }
}

/// Records every fetch request, to check that records come newest first.
struct Recording<'a> {
    inner: Loopback<'a>,
    fetched: Arc<Mutex<Vec<u64>>>,
}

impl Transport for Recording<'_> {
    fn call(
        &mut self,
        frame: Vec<u8>,
    ) -> impl std::future::Future<Output = Result<Vec<u8>, SyncError>> + Send {
        if let Ok(Request::Fetch { keys, .. }) = Request::decode(&frame) {
            self.fetched.lock().unwrap().extend(keys.iter().map(|k| k.ts()));
        }
        self.inner.call(frame)
    }
}

#[test]
fn catch_up_in_batches_newest_first() {
    let a = Identity::generate();
    let room = Space::create(SpaceKind::Chat, "big", a.author()).unwrap();
    let t = now_ms() - 1_000_000;
    // Enough missing records for three fetch batches.
    let missing = 2 * confab_sync::proto::MAX_FETCH_KEYS as u64 + 500;
    let recs: Vec<Record> = (0..1000 + missing)
        .map(|i| {
            room.seal(
                a.signing_key(),
                &Body::Chat(ChatBody {
                    files: Vec::new(),
                    mentions: vec![],
                    text: format!("{i}"),
                }),
                Hlc::new(t + i, 0),
                None,
                vec![],
            )
            .unwrap()
        })
        .collect();
    let mk = |rs: Vec<Record>| {
        let st = Store::in_memory().unwrap();
        st.add_space(room.clone()).wait().unwrap();
        st.insert(
            rs.into_iter().map(|r| r.verify().unwrap()).collect(),
            confab_store::Origin::Sync,
        )
        .wait()
        .unwrap();
        Syncer::new(st)
    };
    let full = mk(recs.clone());
    let part = mk(recs.iter().take(1000).cloned().collect());
    let fetched = Arc::new(Mutex::new(Vec::new()));
    let mut t = Recording {
        inner: Loopback { remote: &full },
        fetched: fetched.clone(),
    };
    let mut progress = Vec::new();
    let st = block_on(part.sync_space(room.id, &mut t, &mut |p| progress.push(p))).unwrap();
    assert_eq!((st.need, st.received, st.have), (missing, missing, 0));
    assert!(
        st.round_trips >= 3,
        "{missing} records need several fetch batches: {st:?}"
    );
    let f = fetched.lock().unwrap();
    assert!(f.windows(2).all(|w| w[0] >= w[1]), "fetched out of order");
    let recv: Vec<_> = progress
        .iter()
        .filter(|p| p.phase == Phase::Receiving)
        .map(|p| p.done)
        .collect();
    assert!(recv.len() >= 3 && recv.windows(2).all(|w| w[0] < w[1]) && *recv.last().unwrap() == missing);
    assert_eq!(part.store().count(room.id).wait().unwrap(), 1000 + missing);
}

#[test]
fn garbage_frames_are_peer_faults() {
    let x = store_with([]);
    for frame in [vec![], vec![0xff; 10], vec![9; 5 * 1024 * 1024]] {
        let err = block_on(x.respond(&frame)).unwrap_err();
        assert!(err.is_peer_fault(), "{err}");
    }
    // A reconcile message that is not negentropy is refused, and the node goes on serving.
    let s = world().spaces[0].id;
    let bad = Request::Reconcile {
        space: s,
        msg: ByteBuf::from(vec![0x61, 1, 2, 3]),
    }
    .encode();
    assert!(block_on(x.respond(&bad)).unwrap_err().is_peer_fault());
    let y = store_with(world().good.iter().take(5).cloned());
    block_on(x.sync_space(s, &mut Loopback { remote: &y }, &mut |_| {})).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// Any two stores, after syncing both ways, hold the same valid records; records that are
    /// forged, tampered, unauthorized or expired are never accepted nor passed on.
    #[test]
    fn any_two_stores_converge_and_refuse_bad_records(membership in prop::collection::vec(0u8..4, 49)) {
        let w = world();
        prop_assume!(membership.len() == w.good.len());
        let pick = |bit: u8| w.good.iter().zip(&membership).filter(move |(_, m)| *m & bit != 0).map(|(r, _)| r.clone());
        let x = store_with(pick(1));
        let y = store_with(pick(2));
        // y lies: every batch it serves carries bad records too.
        sync_all(&x, &mut Dishonest { inner: Loopback { remote: &y } });
        prop_assert!(INJECTED.load(Ordering::Relaxed) > 0 || !membership.contains(&2));
        // A dishonest initiator pushes the bad records straight at x.
        for s in &w.spaces {
            let push = Request::Push { space: s.id, records: w.bad.iter().map(|(_, b)| ByteBuf::from(b.clone())).collect() }.encode();
            let reply = Response::decode(&block_on(x.respond(&push)).unwrap()).unwrap();
            prop_assert!(matches!(reply, Response::Pushed { stored: 0, .. }), "{reply:?}");
        }
        sync_all(&y, &mut Loopback { remote: &x });
        let expected: BTreeSet<RecordId> = w.good.iter().zip(&membership).filter(|(_, m)| **m != 0).map(|(r, _)| r.id).collect();
        let hx: BTreeSet<RecordId> = ids(&x).into_iter().map(|(i, _)| i).collect();
        let hy: BTreeSet<RecordId> = ids(&y).into_iter().map(|(i, _)| i).collect();
        prop_assert_eq!(&hx, &expected);
        prop_assert_eq!(&hy, &expected);
        // Passed on: a third store that syncs from x gets exactly the good records.
        let z = store_with([]);
        sync_all(&z, &mut Loopback { remote: &x });
        let hz: BTreeSet<RecordId> = ids(&z).into_iter().map(|(i, _)| i).collect();
        prop_assert_eq!(&hz, &expected);
        for (name, bad) in &w.bad {
            let id = RecordId::of(bad);
            prop_assert!(!hx.contains(&id) && !hy.contains(&id) && !hz.contains(&id), "{} record accepted", name);
        }
    }
}
