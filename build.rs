//! Checks every palette in `palettes/` at build time, so a malformed palette fails the build
//! instead of the first start of the app.

include!("src/palette_spec.rs");

fn main() {
    println!("cargo:rerun-if-changed=palettes");
    println!("cargo:rerun-if-changed=src/palette_spec.rs");
    let dir = std::path::Path::new("palettes");
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("palettes/ folder is missing")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    entries.sort();
    assert!(!entries.is_empty(), "palettes/ holds no .ron palette");
    for path in entries {
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path).expect("palette file is unreadable");
        if let Err(e) = parse_palette_spec(&text) {
            panic!("{}: {e}", path.display());
        }
    }
}
