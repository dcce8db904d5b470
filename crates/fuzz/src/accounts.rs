//! Targets for what carries a person's identity between devices: device certificates and
//! revocations, backup files, link tickets and the messages of `/confab/link/1`.

use confab_core::account::{DeviceCert, Revocation};
use confab_core::backup::{self, Contents, Cost, Sealed, SpaceEntry};
use confab_core::link::{self, LinkBundle, LinkRequest, LinkResponse, LinkTicket};
use confab_core::{AuthorKey, Space, SpaceKind};
use ed25519_dalek::SigningKey;

use crate::NOW_MS;

/// The passphrase of the backup seeds.
pub const PASSPHRASE: &str = "fuzzing passphrase";
/// The cost of the backup seeds (the target stretches only costs this small, or the run would
/// measure Argon2 rather than the parser).
const CHEAP: Cost = Cost {
    m_kib: 64,
    t: 1,
    p: 1,
};

/// A device certificate or revocation (in a link, a backup, a record): what decodes carries
/// the account's signature and decodes again from its own encoding. (Postcard reads a number
/// written longer than it need be, so the bytes may differ; the signature covers the values.)
pub fn device(data: &[u8]) {
    if let Ok(c) = DeviceCert::decode(data) {
        c.verify().expect("a decoded certificate is signed");
        assert_eq!(DeviceCert::decode(&c.encode()).expect("re-decodes"), c);
    }
    if let Ok(r) = Revocation::decode(data) {
        r.verify().expect("a decoded revocation is signed");
        assert_eq!(Revocation::decode(&r.encode()).expect("re-decodes"), r);
    }
}

/// A backup file, as `confab backup restore` reads it: the header parses or is refused by
/// name; when its cost is small enough to try, the seeds' passphrase opens it or is refused,
/// and what opens seals and opens again to the same contents, whose spaces rebuild or are
/// refused.
pub fn backup(data: &[u8]) {
    let Ok(sealed) = Sealed::parse(data) else { return };
    let c = sealed.cost();
    if c.m_kib > 256 || c.t > 2 || c.p > 2 {
        return;
    }
    let Ok(contents) = sealed.open(&sealed.keys(PASSPHRASE)) else {
        return;
    };
    for s in &contents.spaces {
        let _ = s.space();
    }
    let again = backup::seal(&contents, PASSPHRASE, CHEAP).expect("a fuzzing passphrase is long enough");
    assert_eq!(backup::open(&again, PASSPHRASE).expect("opens"), contents);
}

/// A link ticket (text a person pastes) or a link message (from a peer): what parses encodes
/// to what parses the same; an answer's bundle opens only as the ticket's, for its device.
pub fn link_message(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(t) = LinkTicket::parse(text) {
            assert_eq!(LinkTicket::parse(&t.encode()).expect("re-parses"), t);
            let _ = t.check_time(NOW_MS);
        }
    }
    if let Ok(r) = link::decode::<LinkRequest>(data) {
        assert_eq!(
            link::decode::<LinkRequest>(&link::encode(&r)).expect("re-decodes"),
            r
        );
    }
    if let Ok(r) = link::decode::<LinkResponse>(data) {
        assert_eq!(
            link::decode::<LinkResponse>(&link::encode(&r)).expect("re-decodes"),
            r
        );
        if let LinkResponse::Approved { nonce, sealed } = r {
            let (t, device) = ticket();
            if let Ok(b) = t.open(device, &nonce, &sealed) {
                b.cert
                    .verify()
                    .expect("an opened bundle's certificate is the account's");
                assert_eq!((b.cert.account, b.cert.device), (t.account, device));
            }
        }
    }
}

fn account() -> SigningKey {
    SigningKey::from_bytes(&[21u8; 32])
}

fn ticket() -> (LinkTicket, AuthorKey) {
    let acc = AuthorKey(account().verifying_key().to_bytes());
    let t = LinkTicket {
        account: acc,
        peer: acc,
        addrs: vec!["/ip4/192.0.2.1/tcp/4001".into()],
        secret: [22u8; 32],
        expires_ms: NOW_MS + 600_000,
    };
    (
        t,
        AuthorKey(SigningKey::from_bytes(&[23u8; 32]).verifying_key().to_bytes()),
    )
}

fn space_entry() -> SpaceEntry {
    let owner = AuthorKey(account().verifying_key().to_bytes());
    let s = Space::from_parts(
        SpaceKind::News,
        "letters".into(),
        confab_core::SpaceKey([24u8; 32]),
        owner,
    );
    SpaceEntry::of(&s, true, 7)
}

/// Seeds of the account targets.
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    let acc = account();
    let phone = AuthorKey(SigningKey::from_bytes(&[10u8; 32]).verifying_key().to_bytes());
    match target {
        "device" => {
            let acc = SigningKey::from_bytes(&[9u8; 32]);
            vec![
                DeviceCert::issue(&acc, phone, NOW_MS).encode(),
                Revocation::issue(&acc, phone, NOW_MS + 1).encode(),
            ]
        }
        "backup" => {
            let c = Contents {
                made_ms: NOW_MS,
                device: phone,
                account_secret: acc.to_bytes(),
                spaces: vec![space_entry()],
                settings: vec![("profile".into(), "[\"Ada\",\"#112233\",null]".into())],
                config: Some("{}".into()),
                records: vec![vec![1, 2, 3]],
            };
            vec![backup::seal(&c, PASSPHRASE, CHEAP).expect("seals")]
        }
        "link_message" => {
            let (t, device) = ticket();
            let bundle = LinkBundle {
                cert: DeviceCert::issue(&acc, device, NOW_MS),
                spaces: vec![space_entry()],
                settings: vec![],
            };
            let (nonce, sealed) = link::seal_bundle(&t.secret, &bundle);
            vec![
                t.encode().into_bytes(),
                link::encode(&t.ask(device)),
                link::encode(&LinkResponse::Pending),
                link::encode(&LinkResponse::Approved { nonce, sealed }),
                link::encode(&LinkResponse::Refused("expired".into())),
            ]
        }
        _ => Vec::new(),
    }
}
