//! A bounded fuzz run of every target on stable: past crash inputs, the seed inputs, then
//! mutations of them (bit flips, byte changes, truncations, insertions, splices, random bytes)
//! for `CONFAB_FUZZ_SECS` seconds per target (default 2). A panic prints the input that caused it
//! in hex. The long coverage-guided runs are `cargo +nightly fuzz run <target>` in `fuzz/`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut v = seeds[rng.below(seeds.len())].clone();
    for _ in 0..=rng.below(4) {
        match rng.below(7) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = rng.next() as u8;
            }
            2 => v.truncate(rng.below(v.len() + 1)),
            3 => {
                let i = rng.below(v.len() + 1);
                let n = rng.below(16);
                let extra: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                v.splice(i..i, extra);
            }
            4 => {
                let other = &seeds[rng.below(seeds.len())];
                let cut = rng.below(v.len() + 1);
                let from = rng.below(other.len() + 1);
                v.truncate(cut);
                v.extend_from_slice(&other[from..]);
            }
            5 if !v.is_empty() => {
                // A length or count field set to an extreme.
                let i = rng.below(v.len());
                v[i] = [0x00, 0x7f, 0x80, 0xff][rng.below(4)];
            }
            _ => v = (0..rng.below(512)).map(|_| rng.next() as u8).collect(),
        }
    }
    v
}

#[test]
fn every_target_survives_a_bounded_fuzz_run() {
    let secs: u64 = std::env::var("CONFAB_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    for (name, target) in confab_fuzz::TARGETS {
        let seeds = confab_fuzz::seeds(name);
        assert!(!seeds.is_empty(), "{name} has no seeds");
        let mut rng = Rng(0x00c0_ffee ^ (name.len() as u64 * 0x9e37_79b9));
        let deadline = Instant::now() + Duration::from_secs(secs);
        let mut execs = 0u64;
        // Inputs that once broke a target (kept in fuzz/regressions/<target>/) come first.
        let mut first = seeds.clone();
        let regressions = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/regressions")
            .join(name);
        for e in std::fs::read_dir(regressions).into_iter().flatten().flatten() {
            first.push(std::fs::read(e.path()).expect("a regression input"));
        }
        let mut inputs = first.into_iter();
        while Instant::now() < deadline {
            let input = inputs.next().unwrap_or_else(|| mutate(&mut rng, &seeds));
            if let Err(e) = catch_unwind(AssertUnwindSafe(|| target(&input))) {
                let hex: String = input.iter().map(|b| format!("{b:02x}")).collect();
                eprintln!("fuzz-smoke: {name} panicked on input {hex}");
                std::panic::resume_unwind(e);
            }
            execs += 1;
        }
        eprintln!("fuzz-smoke: {name}: {execs} inputs in {secs} s, no failure");
    }
}

#[test]
fn the_archive_seed_is_a_sound_archive() {
    // Otherwise the archive target would only ever see refusals.
    let seed = &confab_fuzz::seeds("archive")[0];
    let files = confab_fuzz::ARCHIVE_FILES
        .iter()
        .zip(seed.split(|b| *b == 0))
        .map(|(n, b)| (n.to_string(), b.to_vec()))
        .collect();
    let report = confab_core::archive::verify(&files).expect("the seed verifies");
    assert_eq!(report.records, 2);
}
