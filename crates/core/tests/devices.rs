//! Records from a person's other devices: version 2 records carry the device's certificate,
//! and the space rules name people (accounts), not devices.

use confab_core::account::DeviceCert;
use confab_core::record::{RECORD_VERSION, RECORD_VERSION_CERTIFIED};
use confab_core::{
    now_ms, AuthError, Body, ChatBody, Hlc, Identity, NewsBody, Record, RecordError, Space, SpaceKind,
};

fn chat(text: &str) -> Body {
    Body::Chat(ChatBody {
        files: Vec::new(),
        mentions: vec![],
        text: text.into(),
    })
}

fn issue(title: &str) -> Body {
    Body::News(NewsBody {
        files: Vec::new(),
        title: title.into(),
        body: "text".into(),
    })
}

fn at(ms: u64) -> Hlc {
    Hlc::new(ms, 0)
}

/// A person's account (made on a device that is gone) and a new device it certified.
fn person() -> (Identity, Identity) {
    let first = Identity::generate();
    let dir = tempfile::tempdir().unwrap();
    let second = Identity::create_device(dir.path(), first.account_secret().unwrap(), now_ms()).unwrap();
    (first, second)
}

#[test]
fn a_certified_device_writes_version_2_and_speaks_for_its_person() {
    let (laptop, phone) = person();
    let news = Space::create(SpaceKind::News, "letters", laptop.account()).unwrap();
    let rec = news
        .seal(&phone, &issue("from the phone"), at(now_ms()), None, vec![])
        .unwrap();
    assert_eq!(rec.version(), RECORD_VERSION_CERTIFIED);
    assert_eq!(rec.encoded()[0], RECORD_VERSION_CERTIFIED);
    let back = Record::decode(rec.encoded()).unwrap();
    assert_eq!(back, rec);
    let v = back.verify().unwrap();
    assert_eq!(v.author, phone.author(), "signed by the phone");
    assert_eq!(v.person(), laptop.account(), "written by the person");
    // The owner of a newsletter publishes from any of their devices.
    assert_eq!(news.authorize(&v).unwrap(), issue("from the phone"));

    // The account's own key still writes version 1, as before accounts.
    let old = news
        .seal(&laptop, &issue("from the laptop"), at(now_ms()), None, vec![])
        .unwrap();
    assert_eq!(old.version(), RECORD_VERSION);
    assert!(old.cert.is_none());
    let v = Record::decode(old.encoded()).unwrap().verify().unwrap();
    assert_eq!(v.person(), laptop.author());
    news.authorize(&v).unwrap();
}

#[test]
fn a_certificate_by_someone_else_is_refused_by_name() {
    let (laptop, _) = person();
    let stranger = Identity::generate();
    let news = Space::create(SpaceKind::News, "letters", laptop.account()).unwrap();
    // The stranger claims to be the owner's device, certifying itself with its own key.
    let mut forged = DeviceCert::issue(stranger.signing_key(), stranger.author(), 1);
    forged.account = laptop.account();
    let rec = news
        .seal(
            confab_core::Signer {
                key: stranger.signing_key(),
                cert: Some(&forged),
            },
            &issue("not really the owner"),
            at(now_ms()),
            None,
            vec![],
        )
        .unwrap();
    let e = Record::decode(rec.encoded()).unwrap().verify().unwrap_err();
    assert_eq!(e, RecordError::BadCertificate(rec.id));
    assert!(
        e.to_string()
            .contains("device certificate its account did not sign"),
        "{e}"
    );

    // A real certificate from the stranger's own account makes the stranger's device a
    // device of the stranger, who is not the owner.
    let dir = tempfile::tempdir().unwrap();
    let device = Identity::create_device(dir.path(), stranger.signing_key(), now_ms()).unwrap();
    let rec = news
        .seal(&device, &issue("mine"), at(now_ms()), None, vec![])
        .unwrap();
    let v = Record::decode(rec.encoded()).unwrap().verify().unwrap();
    assert!(matches!(news.authorize(&v), Err(AuthError::NotOwner { .. })));

    // A certificate of another device is not accepted for signing.
    let other = DeviceCert::issue(laptop.account_secret().unwrap(), stranger.author(), 1);
    let mine = Identity::generate();
    let e = news
        .seal(
            confab_core::Signer {
                key: mine.signing_key(),
                cert: Some(&other),
            },
            &issue("x"),
            at(now_ms()),
            None,
            vec![],
        )
        .unwrap_err();
    assert!(e.to_string().contains("the certificate is for the device"), "{e}");
}

#[test]
fn every_flipped_byte_of_a_version_2_record_is_refused() {
    let (laptop, phone) = person();
    let room = Space::create(SpaceKind::Chat, "room", laptop.account()).unwrap();
    let rec = room
        .seal(&phone, &chat("tamper"), at(now_ms()), None, vec![])
        .unwrap();
    let bytes = rec.encoded().to_vec();
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 0x01;
        let outcome = Record::decode(&b).and_then(|r| r.verify());
        assert!(outcome.is_err(), "byte {i} flipped and still verified");
    }
}

#[test]
fn removing_a_person_removes_every_device_of_theirs() {
    let owner = Identity::generate();
    let (laptop, phone) = person();
    let mut room = Space::create(SpaceKind::Chat, "room", owner.account()).unwrap();
    let t0 = now_ms() - 60_000;
    let before = room
        .seal(&phone, &chat("before"), at(t0 - 10), None, vec![])
        .unwrap();
    let (body, _) = room
        .make_rekey(&[laptop.account()], &[owner.author()], &[before.id])
        .unwrap();
    let key = room.open_rekey(&body, owner.signing_key());
    room.apply_rekey(at(t0).0, &body, key).unwrap();
    // The phone was never named, yet what it writes after the removal is refused...
    let late = Space {
        epochs: vec![],
        ..room.clone()
    }
    .seal(&phone, &chat("after"), at(t0 + 10), None, vec![])
    .unwrap();
    let v = Record::decode(late.encoded()).unwrap().verify().unwrap();
    let e = room.authorize(&v).unwrap_err();
    assert!(matches!(e, AuthError::Removed { .. }), "{e}");
    // ...what it wrote before and the owner kept still counts...
    let v = Record::decode(before.encoded()).unwrap().verify().unwrap();
    room.authorize(&v).unwrap();
    // ...and what it backdates is not in the kept list.
    let backdated = Space {
        epochs: vec![],
        ..room.clone()
    }
    .seal(&phone, &chat("backdated"), at(t0 - 5), None, vec![])
    .unwrap();
    let v = Record::decode(backdated.encoded()).unwrap().verify().unwrap();
    assert!(matches!(room.authorize(&v), Err(AuthError::NotKept { .. })));
}

#[test]
fn a_revocation_counts_only_from_its_own_person_and_then_refuses_the_device() {
    let (laptop, phone) = person();
    let stranger = Identity::generate();
    let mut room = Space::create(SpaceKind::Chat, "room", stranger.account()).unwrap();
    let now = now_ms();
    let rev = confab_core::account::Revocation::issue(
        laptop.account_secret().unwrap(),
        phone.author(),
        now - 1_000,
    );
    // The stranger passes on the person's revocation as its own record: refused by name.
    let by_other = room
        .seal(&stranger, &Body::Revoke(rev.clone()), at(now), None, vec![])
        .unwrap();
    let v = Record::decode(by_other.encoded()).unwrap().verify().unwrap();
    let e = room.authorize(&v).unwrap_err();
    assert!(matches!(e, AuthError::RevokesOthers { .. }), "{e}");
    // Written by the person's own device, it counts.
    let own = room
        .seal(&laptop, &Body::Revoke(rev.clone()), at(now), None, vec![])
        .unwrap();
    let v = Record::decode(own.encoded()).unwrap().verify().unwrap();
    assert_eq!(room.authorize(&v).unwrap(), Body::Revoke(rev.clone()));
    // A revocation of the account itself is no body at all.
    let of_account =
        confab_core::account::Revocation::issue(laptop.account_secret().unwrap(), laptop.account(), now);
    assert!(room
        .seal(&laptop, &Body::Revoke(of_account), at(now), None, vec![])
        .is_ok_and(|r| room
            .authorize(&Record::decode(r.encoded()).unwrap().verify().unwrap())
            .is_err()));
    // Once known, what the phone dates from then on is refused by name; before, it stands.
    assert!(room.note_revoked(phone.author(), rev.at_ms));
    let late = room.seal(&phone, &chat("after"), at(now), None, vec![]).unwrap();
    let e = room
        .authorize(&Record::decode(late.encoded()).unwrap().verify().unwrap())
        .unwrap_err();
    assert!(
        e.to_string().contains("revoked") && e.to_string().contains(&phone.author().peer_id()),
        "{e}"
    );
    let early = room
        .seal(&phone, &chat("before"), at(now - 5_000), None, vec![])
        .unwrap();
    room.authorize(&Record::decode(early.encoded()).unwrap().verify().unwrap())
        .unwrap();
}
