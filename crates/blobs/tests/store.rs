//! The blob store against real files: import, verified transfer between two stores, corrupt
//! and oversized answers refused at the group, resumption from what a partial file verifies.

use confab_blobs::proto::Has;
use confab_blobs::{BlobError, BlobStore, Held, GROUP_BYTES};

fn stores() -> (tempfile::TempDir, BlobStore, BlobStore) {
    let d = tempfile::tempdir().unwrap();
    let a = BlobStore::open(&d.path().join("a")).unwrap();
    let b = BlobStore::open(&d.path().join("b")).unwrap();
    (d, a, b)
}

fn content(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + i / 1000) as u8).collect()
}

/// Copies groups start..start+count from `a` to `b` in requests of `step` groups.
fn copy(a: &BlobStore, b: &BlobStore, id: &confab_blobs::BlobId, size: u64, step: u32) {
    let n = confab_blobs::groups(size);
    let mut g = 0;
    while g < n {
        let enc = a.encode(id, g, step).unwrap().expect("held");
        let got = b.ingest(id, size, g, step, &enc).unwrap();
        assert!(got.failure.is_none(), "{:?}", got.failure);
        g += step as u64;
    }
}

#[test]
fn a_blob_travels_verified_and_decrypts_byte_identical() {
    let (d, a, b) = stores();
    let plain = content(5 * GROUP_BYTES as usize + 123);
    let src = d.path().join("photo.jpg");
    std::fs::write(&src, &plain).unwrap();
    let imp = a.import(&src, 1 << 20).unwrap();
    assert_eq!(imp.size, plain.len() as u64);
    assert_eq!(a.held(&imp.id).unwrap(), Held::Complete { size: imp.size });
    // Named by the hash of the encrypted bytes, which are not the plaintext.
    let stored = std::fs::read(d.path().join("a").join(format!("{}.data", imp.id))).unwrap();
    assert_eq!(blake3::hash(&stored).as_bytes(), &imp.id.0);
    assert_ne!(stored, plain);

    assert_eq!(b.held(&imp.id).unwrap(), Held::Absent);
    b.begin(&imp.id, imp.size).unwrap();
    copy(&a, &b, &imp.id, imp.size, 2);
    assert!(b.finish(&imp.id, imp.size).unwrap());
    assert_eq!(b.held(&imp.id).unwrap(), Held::Complete { size: imp.size });
    let out = d.path().join("out.jpg");
    assert_eq!(b.export(&imp.id, &imp.key, &out).unwrap(), imp.size);
    assert_eq!(std::fs::read(&out).unwrap(), plain);
    assert_eq!(b.read(&imp.id, &imp.key, 1 << 20).unwrap(), plain);
    // The same file imported again is another blob (a new key).
    let again = a.import(&src, 1 << 20).unwrap();
    assert_ne!(again.id, imp.id);
}

#[test]
fn a_corrupt_group_is_caught_there_and_never_written() {
    let (d, a, b) = stores();
    let plain = content(8 * GROUP_BYTES as usize);
    let imp = a.import_bytes(&plain).unwrap();
    b.begin(&imp.id, imp.size).unwrap();
    let mut enc = a.encode(&imp.id, 0, 8).unwrap().unwrap();
    // Flip one byte near the end: in group 6 (the tree hashes come first, then groups in
    // order with the hashes between them).
    let at = enc.len() - GROUP_BYTES as usize - 100;
    enc[at] ^= 0x40;
    let got = b.ingest(&imp.id, imp.size, 0, 8, &enc).unwrap();
    match got.failure {
        Some(BlobError::Corrupt { at, .. }) => assert_eq!(at, 6 * GROUP_BYTES),
        f => panic!("expected corruption at group 6, got {f:?}"),
    }
    assert_eq!(got.groups, vec![0, 1, 2, 3, 4, 5]);
    // What is on disk is exactly the verified groups; the corrupt one is not there.
    match b.held(&imp.id).unwrap() {
        Held::Partial { have, .. } => {
            assert_eq!(have, vec![true, true, true, true, true, true, false, false])
        }
        h => panic!("{h:?}"),
    }
    let partial = std::fs::read(d.path().join("b/partial").join(format!("{}.data", imp.id))).unwrap();
    assert!(partial[6 * GROUP_BYTES as usize..].iter().all(|b| *b == 0));
}

#[test]
fn bytes_of_another_size_or_past_the_end_are_refused() {
    let (_d, a, b) = stores();
    let imp = a.import_bytes(&content(3 * GROUP_BYTES as usize)).unwrap();
    let enc = a.encode(&imp.id, 0, 3).unwrap().unwrap();
    // Announced as smaller or bigger than it is: the tree of that size stops verifying at
    // the first node where the two differ (groups before it are the blob's own bytes), and
    // the download can never complete.
    for size in [imp.size - 1, imp.size + GROUP_BYTES] {
        b.begin(&imp.id, size).unwrap();
        let got = b.ingest(&imp.id, size, 0, 4, &enc).unwrap();
        assert!(
            matches!(got.failure, Some(BlobError::Corrupt { .. })),
            "{size}: {:?}",
            got.failure
        );
        assert!(got.groups.len() < 3);
        match b.held(&imp.id).unwrap() {
            Held::Partial { have, .. } => assert!(!have.iter().all(|h| *h), "{size}: {have:?}"),
            h => panic!("{h:?}"),
        }
    }
    b.remove(&imp.id).unwrap();
    b.begin(&imp.id, imp.size).unwrap();
    let mut long = enc.clone();
    long.extend_from_slice(&[0; 10]);
    let got = b.ingest(&imp.id, imp.size, 0, 3, &long).unwrap();
    assert!(got.failure.unwrap().to_string().contains("past the end"));
    // A short answer keeps what it delivered.
    let got = b.ingest(&imp.id, imp.size, 0, 3, &enc[..enc.len() - 10]).unwrap();
    assert_eq!(got.groups, vec![0, 1]);
    assert!(got.failure.unwrap().to_string().contains("ends before"));
}

#[test]
fn an_interrupted_download_resumes_from_what_verified() {
    let (d, a, b) = stores();
    let imp = a.import_bytes(&content(20 * GROUP_BYTES as usize + 9)).unwrap();
    b.begin(&imp.id, imp.size).unwrap();
    for g in [0u64, 4, 8, 20] {
        let enc = a.encode(&imp.id, g, 2).unwrap().unwrap();
        b.ingest(&imp.id, imp.size, g, 2, &enc).unwrap();
    }
    // "Restart": a new store on the same directory.
    drop(b);
    let b = BlobStore::open(&d.path().join("b")).unwrap();
    let have = match b.begin(&imp.id, imp.size).unwrap() {
        Held::Partial { have, .. } => have,
        h => panic!("{h:?}"),
    };
    let held: Vec<usize> = have
        .iter()
        .enumerate()
        .filter(|(_, h)| **h)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(held, vec![0, 1, 4, 5, 8, 9, 20]);
    assert_eq!(
        Has::from_groups(&have),
        Has::Some(vec![(0, 2), (4, 6), (8, 10), (20, 21)])
    );
    // A partial holder serves what it has and nothing else.
    assert!(b.encode(&imp.id, 4, 2).unwrap().is_some());
    assert!(b.encode(&imp.id, 3, 2).unwrap().is_none());
    for (g, h) in have.iter().enumerate() {
        if !h {
            let enc = a.encode(&imp.id, g as u64, 1).unwrap().unwrap();
            assert!(b
                .ingest(&imp.id, imp.size, g as u64, 1, &enc)
                .unwrap()
                .failure
                .is_none());
        }
    }
    assert!(b.finish(&imp.id, imp.size).unwrap());
    assert_eq!(b.list().unwrap(), vec![(imp.id, imp.size)]);
}

#[test]
fn over_the_cap_and_not_a_file_are_refused_by_name() {
    let (d, a, _b) = stores();
    let big = d.path().join("big.bin");
    std::fs::write(&big, vec![1u8; 5000]).unwrap();
    let e = a.import(&big, 4096).unwrap_err().to_string();
    assert!(
        e.contains("big.bin") && e.contains("5000") && e.contains("4096"),
        "{e}"
    );
    let e = a.import(d.path(), 4096).unwrap_err().to_string();
    assert!(e.contains("not a file"), "{e}");
    assert!(a.list().unwrap().is_empty());
    let e = a
        .encode(&confab_blobs::BlobId([0; 32]), 0, 65)
        .unwrap_err()
        .to_string();
    assert!(e.contains("1..=64"), "{e}");
}

#[test]
fn empty_and_one_byte_blobs() {
    let (_d, a, b) = stores();
    for plain in [vec![], vec![42u8]] {
        let imp = a.import_bytes(&plain).unwrap();
        b.begin(&imp.id, imp.size).unwrap();
        let enc = a.encode(&imp.id, 0, 1).unwrap().unwrap();
        assert!(b.ingest(&imp.id, imp.size, 0, 1, &enc).unwrap().failure.is_none());
        assert!(b.finish(&imp.id, imp.size).unwrap());
        assert_eq!(b.read(&imp.id, &imp.key, 10).unwrap(), plain);
    }
}

#[test]
fn garbage_is_what_no_record_names_once_it_is_old_enough() {
    let (_d, a, b) = stores();
    let kept = a.import_bytes(b"kept").unwrap();
    let dropped = a.import_bytes(b"dropped").unwrap();
    let keep = std::collections::HashSet::from([kept.id]);
    // Too young: a file just attached is not named by its record yet.
    assert!(a
        .collect_garbage(&keep, std::time::Duration::from_secs(600))
        .unwrap()
        .is_empty());
    assert_eq!(
        a.collect_garbage(&keep, std::time::Duration::ZERO).unwrap(),
        vec![dropped.id]
    );
    assert!(a.is_complete(&kept.id) && !a.is_complete(&dropped.id));
    // A partial download no record names any more goes too.
    b.begin(&dropped.id, dropped.size).unwrap();
    assert_eq!(
        b.collect_garbage(&keep, std::time::Duration::ZERO).unwrap(),
        vec![dropped.id]
    );
    assert_eq!(b.held(&dropped.id).unwrap(), Held::Absent);
}
