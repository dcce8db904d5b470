//! Confab's one signature check passes the Wycheproof Ed25519 vectors: every "valid" vector
//! verifies and every "invalid" one (wrong lengths, S out of range, small-order and
//! non-canonical R, malleated signatures, flipped bits) is refused.

use confab_core::record::verify_signature;

fn hex(s: &str) -> Vec<u8> {
    if s == "-" {
        return Vec::new();
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

#[test]
fn wycheproof_ed25519_vectors() {
    let text = include_str!("data/wycheproof_ed25519.txt");
    let mut checked = 0;
    let mut wrong = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let f: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(f.len(), 5, "malformed vector line: {line}");
        let key: [u8; 32] = hex(f[1]).try_into().expect("32-byte key");
        let ok = verify_signature(&key, &hex(f[2]), &hex(f[3]));
        let want = match f[4] {
            "valid" => true,
            "invalid" => false,
            other => panic!("result {other:?}"),
        };
        if ok != want {
            wrong.push(format!("tcId {} expected {} got {}", f[0], f[4], ok));
        }
        checked += 1;
    }
    assert_eq!(checked, 112, "all 112 vectors read");
    assert!(wrong.is_empty(), "{wrong:#?}");
}
