// The palette file format and its validation. This file is shared verbatim by `build.rs` (which
// checks `palettes/*.ron` at build time) and by `src/palette.rs`, so it may depend on nothing but
// `serde` and `ron`.

/// One class as written in a palette file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct ClassSpec {
    /// The dataset's class id (CMP ids run 1..=12).
    pub id: u8,
    pub name: String,
    pub rgb: (u8, u8, u8),
    /// The keyboard key that selects the class in the studio ("1", "-", …).
    pub key: String,
}

/// A palette file: a name, the classes, and the id of the class the eraser paints.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct PaletteSpec {
    pub name: String,
    /// Id of the class the eraser paints and new canvases are filled with.
    pub background: u8,
    pub classes: Vec<ClassSpec>,
}

/// Line (1-based) of the first line in `source` that contains `needle`, for error messages.
fn line_of(source: &str, needle: &str, nth: usize) -> usize {
    source
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains(needle))
        .nth(nth)
        .map(|(i, _)| i + 1)
        .unwrap_or(0)
}

/// Parses and validates a palette file's text. The error is a one-line message with the line
/// number where it can be pinned down.
pub fn parse_palette_spec(source: &str) -> Result<PaletteSpec, String> {
    let spec: PaletteSpec = ron::from_str(source).map_err(|e| format!("not a valid palette file: {e}"))?;
    if spec.classes.is_empty() {
        return Err("the palette has no classes; list at least one `(id:, name:, rgb:, key:)`".into());
    }
    if spec.classes.len() > 255 {
        return Err("a palette holds at most 255 classes".into());
    }
    for (i, a) in spec.classes.iter().enumerate() {
        for b in &spec.classes[..i] {
            if a.id == b.id {
                let line = line_of(source, &format!("id: {},", a.id), 1);
                return Err(format!(
                    "line {line}: class id {} is used twice ({} and {}); give each class its own id",
                    a.id, b.name, a.name
                ));
            }
            if a.rgb == b.rgb {
                let (r, g, bl) = a.rgb;
                let line = line_of(source, &format!("({r}, {g}, {bl})"), 1);
                return Err(format!(
                    "line {line}: colour ({r}, {g}, {bl}) is used by both {} and {}; colours must be distinct",
                    b.name, a.name
                ));
            }
            if !a.key.is_empty() && a.key == b.key {
                let line = line_of(source, &format!("key: \"{}\"", a.key), 1);
                return Err(format!(
                    "line {line}: key {:?} is used by both {} and {}; keys must be distinct",
                    a.key, b.name, a.name
                ));
            }
        }
        if a.name.trim().is_empty() {
            let line = line_of(source, &format!("id: {},", a.id), 0);
            return Err(format!("line {line}: class id {} has an empty name", a.id));
        }
    }
    if !spec.classes.iter().any(|c| c.id == spec.background) {
        return Err(format!(
            "line {}: background class id {} is not one of the classes",
            line_of(source, "background:", 0),
            spec.background
        ));
    }
    Ok(spec)
}
