//! Writes every target's seed inputs to `fuzz/corpus/<target>/seed-<n>` (the corpus libFuzzer
//! starts from). `cargo run -p confab-fuzz --example write_corpus`.

fn main() -> std::io::Result<()> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    for (name, _) in confab_fuzz::TARGETS {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir)?;
        for (i, seed) in confab_fuzz::seeds(name).iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{i}")), seed)?;
        }
        println!("{name}: {} seeds", confab_fuzz::seeds(name).len());
    }
    Ok(())
}
