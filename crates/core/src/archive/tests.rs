//! Archives built from real sealed records, checked whole, then broken one way at a time:
//! each break is refused by name.

use std::collections::BTreeMap;

use super::*;
use crate::body::{ChatBody, NewsBody, ProfileBody, ReactionBody};
use crate::hlc::Hlc;
use crate::identity::Identity;
use crate::space::{AuthError, SpaceKind};
use crate::Color;

const T0: u64 = 1_800_000_000_000;

fn chat(text: &str) -> Body {
    Body::Chat(ChatBody {
        text: text.into(),
        mentions: vec![],
        files: vec![],
    })
}

fn seal(s: &Space, who: &Identity, body: Body, ms: u64, refs: Vec<RecordId>) -> (Record, Body) {
    let r = s
        .seal(who.signing_key(), &body, Hlc::new(ms, 0), None, refs)
        .unwrap();
    (r, body)
}

/// The files of an archive of these records, as the exporter's node writes them (the
/// readable pages stand in as a line of text).
fn files_of(s: &Space, recs: &[(Record, Body)], extra: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    files.insert(RECORDS.to_string(), records_file(recs.iter().map(|(r, _)| r)));
    let content = Content {
        space: s.id.to_string(),
        kind: s.kind.as_str().into(),
        name: s.name.clone(),
        entries: recs.iter().map(|(r, b)| ContentEntry::of(r, b)).collect(),
    };
    files.insert(CONTENT.into(), serde_json::to_vec_pretty(&content).unwrap());
    files.insert(INDEX.into(), b"<!doctype html><title>room</title>".to_vec());
    for (p, t) in extra {
        files.insert(p.to_string(), t.as_bytes().to_vec());
    }
    files
}

fn archive(s: &Space, recs: &[(Record, Body)], exporter: &Identity) -> BTreeMap<String, Vec<u8>> {
    finish(
        s,
        recs.len(),
        files_of(s, recs, &[]),
        exporter.signing_key(),
        T0 + 60_000,
    )
}

/// Signs the archive again after an edit, as someone covering their tracks would.
fn resign(
    files: BTreeMap<String, Vec<u8>>,
    s: &Space,
    n: usize,
    who: &Identity,
) -> BTreeMap<String, Vec<u8>> {
    finish(s, n, files, who.signing_key(), T0 + 60_000)
}

fn problems(files: &BTreeMap<String, Vec<u8>>) -> Vec<ArchiveError> {
    verify(files).expect_err("the archive should be refused")
}

fn one_problem(files: &BTreeMap<String, Vec<u8>>) -> ArchiveError {
    let p = problems(files);
    assert_eq!(p.len(), 1, "{p:#?}");
    p.into_iter().next().unwrap()
}

struct Room {
    owner: Identity,
    bob: Identity,
    space: Space,
    recs: Vec<(Record, Body)>,
}

fn room() -> Room {
    let (owner, bob) = (Identity::generate(), Identity::generate());
    let space = Space::create(SpaceKind::Chat, "Team <room> & \"friends\"", owner.author()).unwrap();
    let hello = seal(&space, &owner, chat("hello <b>bold</b>"), T0, vec![]);
    let hello_id = hello.0.id;
    let recs = vec![
        hello,
        seal(
            &space,
            &bob,
            Body::Profile(ProfileBody {
                name: "Bob".into(),
                color: Color([1, 2, 3]),
                picture: None,
            }),
            T0 + 1,
            vec![],
        ),
        seal(&space, &bob, chat("hi back"), T0 + 2, vec![hello_id]),
        seal(
            &space,
            &bob,
            Body::Reaction(ReactionBody {
                emoji: "👍".into(),
                on: true,
            }),
            T0 + 3,
            vec![hello_id],
        ),
    ];
    Room {
        owner,
        bob,
        space,
        recs,
    }
}

#[test]
fn a_sound_archive_is_reported_whole() {
    let r = room();
    let files = archive(&r.space, &r.recs, &r.bob);
    let rep = verify(&files).unwrap();
    assert_eq!(rep.records, 4);
    assert_eq!(rep.space, r.space.id.to_string());
    assert_eq!(rep.owner, r.owner.peer_id());
    assert_eq!(rep.exporter, r.bob.peer_id());
    assert_eq!(rep.by_kind["chat_message"], 2);
    assert_eq!(rep.by_kind["reaction"], 1);
    assert_eq!(rep.authors[0].peer, r.bob.peer_id());
    assert_eq!(rep.authors[0].name.as_deref(), Some("Bob"));
    assert_eq!(rep.authors[0].records, 3);
    assert_eq!(rep.files, 3);
    // No key anywhere: not the space key, in any form.
    let key = &r.space.key.0;
    for (path, bytes) in &files {
        for form in [
            data_encoding::HEXLOWER.encode(key),
            data_encoding::BASE64.encode(key),
            data_encoding::BASE32_NOPAD.encode(key),
        ] {
            assert!(!String::from_utf8_lossy(bytes).contains(&form), "{path}");
        }
        assert!(!bytes.windows(32).any(|w| w == key), "{path} holds the key");
    }
}

#[test]
fn every_tampering_is_refused_by_name() {
    let r = room();
    let good = archive(&r.space, &r.recs, &r.bob);
    let n = r.recs.len();

    // The manifest gone: nothing can be checked.
    let mut f = good.clone();
    f.remove(MANIFEST);
    assert_eq!(one_problem(&f), ArchiveError::Missing(MANIFEST.into()));

    // A file gone, changed or added after the export.
    let mut f = good.clone();
    f.remove(INDEX);
    assert_eq!(one_problem(&f), ArchiveError::Missing(INDEX.into()));
    let mut f = good.clone();
    f.get_mut(INDEX).unwrap().extend_from_slice(b"<script>x</script>");
    assert_eq!(one_problem(&f), ArchiveError::Changed(INDEX.into()));
    let mut f = good.clone();
    f.insert("extra.html".into(), b"hi".to_vec());
    assert_eq!(one_problem(&f), ArchiveError::Unlisted("extra.html".into()));

    // The manifest edited (a record count), its signature left.
    let mut f = good.clone();
    let m = String::from_utf8(f[MANIFEST].clone()).unwrap();
    f.insert(
        MANIFEST.into(),
        m.replace("\"records\": 4", "\"records\": 5").into_bytes(),
    );
    let p = problems(&f);
    assert!(p.contains(&ArchiveError::Signature(r.bob.peer_id())), "{p:#?}");
    assert!(p.iter().any(|e| e.code() == "count"), "{p:#?}");

    // A byte of a record's signed bytes flipped (the archive signed again over it): the
    // record's signature fails, and its readable entry names a record that is not there.
    let broken = &r.recs[2].0;
    let mut bytes = broken.encoded().to_vec();
    let at = bytes.len() - 70;
    bytes[at] ^= 1;
    let line = SignedEntry {
        record: data_encoding::BASE64.encode(&bytes),
        ..SignedEntry::of(broken)
    };
    let mut f = files_of(&r.space, &r.recs, &[]);
    let mut lines: Vec<String> = String::from_utf8(f[RECORDS].clone())
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    lines[2] = line.to_line();
    f.insert(RECORDS.into(), (lines.join("\n") + "\n").into_bytes());
    let p = problems(&resign(f, &r.space, n, &r.bob));
    let msg = p[0].to_string();
    assert!(
        msg.contains("line 3") && msg.contains(&broken.id.to_string()) && msg.contains("bad signature"),
        "{msg}"
    );
    assert!(
        p.iter()
            .any(|e| e.to_string().contains("not among the signed records")),
        "{p:#?}"
    );

    // An entry's written-out author changed in records.jsonl.
    let mut f = files_of(&r.space, &r.recs, &[]);
    let text = String::from_utf8(f[RECORDS].clone()).unwrap();
    let forged = text.replacen(&r.owner.peer_id(), &r.bob.peer_id(), 1);
    f.insert(RECORDS.into(), forged.into_bytes());
    let e = one_problem(&resign(f, &r.space, n, &r.bob));
    assert!(
        matches!(
            &e,
            ArchiveError::Field {
                file: RECORDS,
                field: "author",
                ..
            }
        ),
        "{e}"
    );

    // In the readable entries: an author changed, an entry dropped, an entry's body of
    // another kind.
    let mut f = files_of(&r.space, &r.recs, &[]);
    let mut c: Content = serde_json::from_slice(&f[CONTENT]).unwrap();
    c.entries[0].author = r.bob.peer_id();
    f.insert(CONTENT.into(), serde_json::to_vec(&c).unwrap());
    let e = one_problem(&resign(f, &r.space, n, &r.owner));
    assert_eq!(e.code(), "field");
    assert!(
        e.to_string().contains(CONTENT) && e.to_string().contains("author"),
        "{e}"
    );

    let mut f = files_of(&r.space, &r.recs, &[]);
    let mut c: Content = serde_json::from_slice(&f[CONTENT]).unwrap();
    let dropped = c.entries.remove(2);
    f.insert(CONTENT.into(), serde_json::to_vec(&c).unwrap());
    let e = one_problem(&resign(f, &r.space, n, &r.owner));
    assert_eq!(
        e.to_string(),
        format!("{CONTENT}: it has no entry for record {}", dropped.id)
    );

    let mut f = files_of(&r.space, &r.recs, &[]);
    let mut c: Content = serde_json::from_slice(&f[CONTENT]).unwrap();
    c.entries[0].body = Readable::Member {};
    f.insert(CONTENT.into(), serde_json::to_vec(&c).unwrap());
    let e = one_problem(&resign(f, &r.space, n, &r.owner));
    assert!(e.to_string().contains("body is that of a member"), "{e}");

    // A record signed twice over is one record.
    let mut twice = r.recs.clone();
    twice.push(r.recs[0].clone());
    let f = finish(
        &r.space,
        twice.len(),
        files_of(&r.space, &twice, &[]),
        r.bob.signing_key(),
        T0,
    );
    assert!(problems(&f).iter().any(|e| e.code() == "duplicate"));

    // Garbage where the manifest should be, and an archive of a later version.
    let mut f = good.clone();
    f.insert(MANIFEST.into(), b"{not json".to_vec());
    assert_eq!(one_problem(&f).code(), "malformed");
    let mut f = good;
    let m = String::from_utf8(f[MANIFEST].clone()).unwrap();
    f.insert(
        MANIFEST.into(),
        m.replace("\"version\": 1", "\"version\": 2").into_bytes(),
    );
    assert_eq!(one_problem(&f).code(), "format");
}

#[test]
fn with_the_key_the_bodies_are_checked_too() {
    let r = room();
    let good = archive(&r.space, &r.recs, &r.bob);
    let rep = verify_with_key(&good, &r.space).unwrap();
    assert!(rep.bodies && !verify(&good).unwrap().bodies);

    // A readable text changed and the archive signed again: only the key can tell.
    let mut f = files_of(&r.space, &r.recs, &[]);
    let mut c: Content = serde_json::from_slice(&f[CONTENT]).unwrap();
    c.entries[0].body = Readable::ChatMessage {
        text: "something else".into(),
        mentions: vec![],
        files: vec![],
    };
    f.insert(CONTENT.into(), serde_json::to_vec(&c).unwrap());
    let f = resign(f, &r.space, r.recs.len(), &r.bob);
    verify(&f).unwrap();
    let e = verify_with_key(&f, &r.space).unwrap_err();
    assert_eq!(
        e,
        vec![ArchiveError::Key(format!(
            "record {}'s body does not say what {CONTENT} says",
            r.recs[0].0.id
        ))]
    );

    // The key of another space.
    let other = Space::create(SpaceKind::Chat, "Team <room> & \"friends\"", r.owner.author()).unwrap();
    let e = verify_with_key(&good, &other).unwrap_err();
    assert_eq!(e.len(), 1);
    assert!(e[0].to_string().contains("not of the space"), "{}", e[0]);
}

#[test]
fn the_header_rules_hold_without_the_key() {
    let (owner, bob, carol) = (Identity::generate(), Identity::generate(), Identity::generate());
    let news = Space::create(SpaceKind::News, "Weekly", owner.author()).unwrap();
    let issue = |who: &Identity, ms| {
        seal(
            &news,
            who,
            Body::News(NewsBody {
                title: "Issue".into(),
                body: "# Hi".into(),
                files: vec![],
            }),
            ms,
            vec![],
        )
    };
    let good = vec![issue(&owner, T0)];
    let feed = format!("<feed>{}</feed>", feed_element(&SignedEntry::of(&good[0].0)));
    let f = finish(
        &news,
        1,
        files_of(&news, &good, &[(FEED, &feed)]),
        bob.signing_key(),
        T0 + 1,
    );
    verify(&f).unwrap();

    // An issue by someone other than the owner, signed and sealed with the key: refused by
    // the rule alone.
    let forged = vec![issue(&owner, T0), issue(&bob, T0 + 1)];
    let feed: String = forged
        .iter()
        .map(|(r, _)| feed_element(&SignedEntry::of(r)))
        .collect();
    let f = finish(
        &news,
        2,
        files_of(&news, &forged, &[(FEED, &feed)]),
        bob.signing_key(),
        T0 + 2,
    );
    let e = one_problem(&f);
    assert!(
        matches!(
            &e,
            ArchiveError::Rule {
                err: AuthError::NotOwner { .. },
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("only the owner"), "{e}");

    // The feed without one of the issues.
    let f = finish(
        &news,
        1,
        files_of(&news, &good, &[(FEED, "<feed/>")]),
        bob.signing_key(),
        T0 + 1,
    );
    assert!(one_problem(&f).to_string().contains("no entry for issue"));

    // A removed member: what it dates after its removal, and what the owner did not keep.
    let room = Space::create(SpaceKind::Chat, "Room", owner.author()).unwrap();
    let kept = seal(&room, &carol, chat("kept"), T0, vec![]);
    let unkept = seal(&room, &carol, chat("backdated"), T0 + 1, vec![]);
    let (body, key) = room
        .make_rekey(&[carol.author()], &[owner.author(), bob.author()], &[kept.0.id])
        .unwrap();
    let rekey = seal(&room, &owner, Body::Rekey(body.clone()), T0 + 10, vec![]);
    let mut after = room.clone();
    after.apply_rekey(rekey.0.ts.0, &body, Some(key)).unwrap();
    let late = seal(&room, &carol, chat("late"), T0 + 20, vec![]);
    let recs = vec![kept, unkept.clone(), rekey.clone(), late.clone()];
    let f = finish(
        &after,
        recs.len(),
        files_of(&after, &recs, &[]),
        bob.signing_key(),
        T0 + 30,
    );
    let p = problems(&f);
    assert_eq!(p.len(), 2, "{p:#?}");
    assert!(p.contains(&ArchiveError::Rule {
        id: unkept.0.id.to_string(),
        err: AuthError::NotKept {
            id: unkept.0.id,
            space_name: "Room".into(),
            author: carol.peer_id()
        }
    }));
    assert!(p.iter().any(|e| matches!(
        e,
        ArchiveError::Rule {
            err: AuthError::Removed { .. },
            ..
        }
    )));
    // The rules the archive checks are the space's own, as far as the header goes.
    for (rec, _) in &recs {
        let v = rec.clone().verify().unwrap();
        assert_eq!(
            SpaceRules::of(&after).check(&v).is_ok(),
            after.authorize(&v).is_ok(),
            "{:?}",
            v.id
        );
    }

    // A rotation the records do not bear out: listed, but its record left out.
    let recs = vec![recs[0].clone()];
    let f = finish(
        &after,
        1,
        files_of(&after, &recs, &[]),
        bob.signing_key(),
        T0 + 30,
    );
    let e = one_problem(&f);
    assert!(
        matches!(&e, ArchiveError::Epoch { n: 1, .. }) && e.to_string().contains("no rotation record"),
        "{e}"
    );
}

#[test]
fn entries_in_a_feed_survive_escaping() {
    let r = room();
    let e = SignedEntry::of(&r.recs[0].0);
    let xml = format!(
        "<entry><title>a &amp; b</title>{}</entry><entry>{}</entry>",
        feed_element(&e),
        feed_element(&e)
    );
    assert_eq!(feed_entries(&xml).unwrap(), vec![e.clone(), e]);
    assert!(feed_entries("<confab:signed>{").is_err());
    assert!(feed_entries("<confab:signed>&nbsp;</confab:signed>").is_err());
    assert_eq!(
        escape("<a href=\"x\">'&'</a>"),
        "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
    );
    assert_eq!(unescape(&escape("<&>\"' ü")).unwrap(), "<&>\"' ü");
}

#[test]
fn dates_and_paths() {
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
    assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
    assert_eq!(rfc3339(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
    assert_eq!(rfc3339(4_102_444_799_999), "2099-12-31T23:59:59.999Z");
    for ok in ["index.html", "issues/0001-abc.html", "a_b-c.d"] {
        assert!(safe_path(ok), "{ok}");
    }
    for bad in [
        "",
        "/etc/passwd",
        "../x",
        "a/../b",
        "a//b",
        ".hidden",
        "a/.x",
        "a\\b",
        "ü.html",
        "a b",
    ] {
        assert!(!safe_path(bad), "{bad}");
    }
}
