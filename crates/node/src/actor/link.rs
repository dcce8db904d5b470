//! The actor's answers on `/confab/link/1`: a new device asking to be linked with a ticket
//! this device issued (the tickets are the shared [`Links`]; issuing and approving are
//! operations, see `crate::linking`).

use confab_core::link::{self, LinkRequest, LinkResponse};
use confab_core::AuthorKey;
use confab_net::PeerId;
use tracing::{info, warn};

use super::Actor;
use crate::events::NodeEvent;

impl Actor {
    pub(super) fn link_request(&mut self, peer: PeerId, id: u64, frame: Vec<u8>) {
        let answer = match (
            link::decode::<LinkRequest>(&frame),
            AuthorKey::from_peer_id(&peer.to_string()),
        ) {
            (
                Ok(LinkRequest::Ask {
                    ticket,
                    device,
                    proof,
                }),
                Some(asker),
            ) => {
                let now = confab_core::now_ms();
                let (r, code) = {
                    let mut links = self
                        .links
                        .lock()
                        .expect("the link tickets' lock is never poisoned");
                    let r = links.ask(asker, ticket, device, proof, now);
                    // The code of the ticket it claimed, for the person to compare.
                    let code = links
                        .waiting(now)
                        .into_iter()
                        .find(|(_, d)| *d == asker)
                        .map(|(c, _)| c);
                    (r, code)
                };
                match &r {
                    LinkResponse::Pending => {
                        info!("device {peer} asks to be linked; waiting for approval");
                        self.emit(NodeEvent::LinkAsked {
                            device: peer.to_string(),
                            code: code.unwrap_or_default(),
                        });
                    }
                    LinkResponse::Refused(why) => info!("link request from {peer} refused: {why}"),
                    LinkResponse::Approved { .. } => info!("device {peer} linked"),
                }
                r
            }
            (Err(e), _) => {
                warn!("dropping peer {peer}: link protocol: {e}");
                let _ = self
                    .net
                    .link_respond(id, link::encode(&LinkResponse::Refused(e.to_string())));
                let _ = self.net.disconnect(peer, format!("link protocol: {e}"));
                return;
            }
            (_, None) => LinkResponse::Refused("only Ed25519 peers can be linked".into()),
        };
        let _ = self.net.link_respond(id, link::encode(&answer));
    }
}
