//! What gossip does not carry is pushed. A record written while no connected peer is on its
//! gossip topic yet (the moments after a key rotation or a join) is pushed by sync to the
//! connected peers at once, and a node that is pushed a record passes it on by gossip: neither
//! waits for the periodic re-sync, which these nodes run once an hour.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use confab_core::{AuthorKey, Identity};
use confab_net::{NetConfig, NetEvent, NetHandle, PeerId};
use confab_node::{Client, NodeConfig};
use confab_store::{Change, Origin, Store};
use confab_sync::{SyncError, Syncer, Transport};

mod common;

use common::{eventually, first_addr};

/// A node that re-syncs once an hour: only gossip and pushes deliver within a test.
async fn start(dir: &std::path::Path, dial: Vec<confab_net::Multiaddr>) -> Client {
    let c = Client::start(
        dir,
        NodeConfig {
            resync: Duration::from_secs(3600),
            ..common::cfg(dial)
        },
    )
    .await
    .unwrap();
    first_addr(&c).await;
    c
}

/// A member without a gossip subscription: its own store and sync engine behind a bare
/// libp2p peer. It answers sync requests and pushes when told to, and hears no gossip: a
/// member whose subscription has not reached the node yet.
struct Quiet {
    net: NetHandle,
    syncer: Syncer,
    /// Where each record of the room came from, as this member's store was told.
    origins: Arc<Mutex<Vec<Origin>>>,
}

impl Quiet {
    async fn join(id: &Identity, ticket: &str) -> Quiet {
        let store = Store::in_memory().unwrap();
        store
            .add_space(confab_core::Ticket::parse(ticket).unwrap().space)
            .await
            .unwrap();
        let origins = Arc::new(Mutex::new(Vec::new()));
        let seen = origins.clone();
        store
            .subscribe(move |c| {
                if let Change::Stored { origin, inserted, .. } = &**c {
                    seen.lock().unwrap().extend(inserted.iter().map(|_| *origin));
                }
            })
            .await
            .unwrap();
        let syncer = Syncer::new(store);
        let mut c = NetConfig::new(id.keypair().clone());
        c.listen = vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()];
        c.mdns = false;
        let (net, mut events) = confab_net::spawn(c).unwrap();
        // Answers the node's sync requests with its own store, as a member's node does.
        let (answering, answers) = (syncer.clone(), net.clone());
        tokio::spawn(async move {
            while let Some(e) = events.recv().await {
                if let NetEvent::Request { peer, id, frame } = e {
                    let author = AuthorKey::from_peer_id(&peer.to_string());
                    let reply = answering.respond_to(author, false, &frame).await.unwrap();
                    let _ = answers.respond(id, reply);
                }
            }
        });
        Quiet { net, syncer, origins }
    }

    /// Writes a chat message into its own store, dated `age` ago.
    async fn write(&self, id: &Identity, room: &confab_core::Space, text: &str, age: Duration) {
        let body = confab_core::Body::Chat(confab_core::ChatBody {
            files: Vec::new(),
            mentions: vec![],
            text: text.into(),
        });
        self.write_body(id, room, &body, age).await;
    }

    /// Writes a record into its own store, dated `age` ago.
    async fn write_body(
        &self,
        id: &Identity,
        room: &confab_core::Space,
        body: &confab_core::Body,
        age: Duration,
    ) {
        let rec = room
            .seal(
                id.signing_key(),
                body,
                confab_core::Hlc::new(confab_core::now_ms() - age.as_millis() as u64, 0),
                None,
                vec![],
            )
            .unwrap();
        let report = self
            .syncer
            .store()
            .ingest(vec![rec.into_encoded()], Origin::Local)
            .await
            .unwrap();
        assert_eq!(report.inserted.len(), 1, "{:?}", report.refused);
    }

    /// Pushes the room to `peer` in a session of its own, as a writer whose gossip reached
    /// nobody does.
    async fn push(&self, peer: PeerId, room: confab_core::SpaceId, records: u64) {
        let mut t = Over {
            net: self.net.clone(),
            peer,
        };
        let stats = self.syncer.sync_space(room, &mut t, &mut |_| {}).await.unwrap();
        assert_eq!(stats.pushed, records, "{stats:?}");
    }

    async fn texts(&self, room: confab_core::SpaceId) -> Vec<String> {
        let msgs = self.syncer.store().chat_messages(room).await.unwrap();
        msgs.into_iter().filter_map(|m| m.text).collect()
    }
}

/// Sync requests over the bare peer's network task.
struct Over {
    net: NetHandle,
    peer: PeerId,
}

impl Transport for Over {
    fn call(
        &mut self,
        frame: Vec<u8>,
    ) -> impl std::future::Future<Output = Result<Vec<u8>, SyncError>> + Send {
        let reply = self.net.start_request(self.peer, frame);
        async move { reply.await.map_err(|e| SyncError::Transport(e.to_string())) }
    }
}

async fn texts(node: &Client, space: &str) -> Vec<String> {
    let msgs = node.chat_list(space).await.unwrap();
    msgs.into_iter().filter_map(|m| m.text).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_gossip_carried_to_nobody_is_pushed_and_passed_on() {
    let d = tempfile::tempdir().unwrap();
    let writer = start(&d.path().join("writer"), vec![]).await;
    let made = writer.create_space("chat", "Room").await.unwrap();
    let (room_id, ticket) = (made.space.space.clone(), made.ticket.clone());
    let room = confab_core::Ticket::parse(&ticket).unwrap().space;
    let addr = first_addr(&writer).await;
    let writer_peer: PeerId = writer.peer_id().parse().unwrap();

    // 1. The writer's only peer is a member that is on no gossip topic (it joined; the writer
    // fetched its join record on connecting): a message written now reaches nobody by gossip,
    // and is pushed to it.
    let quiet_id = Identity::generate();
    let quiet = Quiet::join(&quiet_id, &ticket).await;
    quiet
        .write_body(
            &quiet_id,
            &room,
            &confab_core::Body::Member(confab_core::MemberBody {}),
            Duration::ZERO,
        )
        .await;
    quiet.net.dial(addr.clone()).unwrap();
    eventually(10, "the quiet member connects", || async {
        !writer.peers().await.unwrap().is_empty()
    })
    .await;
    eventually(10, "the writer has the quiet member's join record", || async {
        writer.members(&room_id).await.unwrap().len() == 2
    })
    .await;
    writer.chat_send(&room_id, "nobody heard this").await.unwrap();
    eventually(10, "the quiet member is pushed the message", || async {
        quiet.texts(room.id).await == ["nobody heard this"]
    })
    .await;
    assert_eq!(*quiet.origins.lock().unwrap(), [Origin::Local, Origin::Pushed]);

    // 2. A member that is on the topic joins the writer. The quiet member pushes its own
    // message to the writer, which passes it on by gossip at once.
    let reader = start(&d.path().join("reader"), vec![addr.clone()]).await;
    reader.join(&ticket).await.unwrap();
    eventually(10, "the reader has the first message", || async {
        texts(&reader, &room_id).await == ["nobody heard this"]
    })
    .await;
    // Live both ways first: the gossip mesh between the two nodes has formed.
    reader.chat_send(&room_id, "hello").await.unwrap();
    eventually(10, "the writer hears the reader live", || async {
        texts(&writer, &room_id).await.len() == 2
    })
    .await;
    // With it, one written ten minutes ago (offline, say): a backlog is left to the re-sync.
    let old = Duration::from_secs(600);
    quiet
        .write(&quiet_id, &room, "written offline long ago", old)
        .await;
    quiet
        .write(&quiet_id, &room, "written where nobody listens", Duration::ZERO)
        .await;
    quiet.push(writer_peer, room.id, 2).await;
    eventually(
        10,
        "the reader is passed the pushed message by gossip",
        || async {
            texts(&reader, &room_id)
                .await
                .contains(&"written where nobody listens".to_string())
        },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = texts(&reader, &room_id).await;
    assert!(
        !got.contains(&"written offline long ago".to_string()),
        "an old pushed record was passed on by gossip: {got:?}"
    );

    quiet.net.shutdown();
    writer.shutdown().await;
    reader.shutdown().await;
}
