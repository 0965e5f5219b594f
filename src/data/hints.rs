//! Hint colours on a line sketch (`dataset derive --kind hinted-edges`). A line says where an
//! edge is but not what it bounds, so a sketch may fill some windows, doors and shop fronts with
//! the sketch palette's hint colours. Each derived sketch hints a random share of those regions
//! (none on some sketches, all on others), so one model renders plain, partly hinted and fully
//! hinted sketches.

use image::{GrayImage, Luma, RgbImage};
use imageproc::region_labelling::{Connectivity, connected_components};

use crate::label_map::LabelMap;
use crate::palette::Palette;

/// The facade classes a sketch can hint, each with its class in the sketch palette.
pub const HINTED: [(&str, &str); 3] = [
    ("window", "window hint"),
    ("door", "door hint"),
    ("shop", "shop hint"),
];

/// The shares of hintable regions a derived sketch fills, one drawn per sketch.
const SHARES: [f64; 5] = [0.0, 0.25, 0.5, 0.75, 1.0];

/// `sketch` (black ink on white) with hint colours under the ink: each connected region of a
/// hinted class in `labels` (the facade palette) is filled with its hint colour or left as paper,
/// as drawn by `seed`, with a probability of `share` (or of one of `SHARES`, drawn by `seed`).
pub fn hinted_sketch(
    sketch: &GrayImage,
    labels: &LabelMap,
    seed: u64,
    share: Option<f64>,
) -> RgbImage {
    let (facades, paper) = (Palette::cmp_facades(), sketch_palette());
    let mut rng = fastrand::Rng::with_seed(seed);
    let drawn = SHARES[rng.usize(..SHARES.len())];
    let share = share.unwrap_or(drawn);
    let mut out = image::DynamicImage::ImageLuma8(sketch.clone()).to_rgb8();
    for (class, hint) in HINTED {
        let (Some(id), Some(hint)) = (facades.index_of(class), paper.index_of(hint)) else {
            continue;
        };
        let colour = paper.colour(hint);
        let regions = connected_components(&mask(labels, id), Connectivity::Four, Luma([0u8]));
        let count = regions.pixels().map(|p| p.0[0]).max().unwrap_or(0) as usize;
        let kept: Vec<bool> = (0..=count).map(|r| r > 0 && rng.f64() < share).collect();
        for (x, y, region) in regions.enumerate_pixels() {
            if kept[region.0[0] as usize] && sketch.get_pixel(x, y).0[0] > 127 {
                out.put_pixel(x, y, image::Rgb(colour));
            }
        }
    }
    out
}

/// The sketch task's palette (`palettes/sketch.ron`): paper, ink and the hint colours.
fn sketch_palette() -> Palette {
    crate::task::Task::named(crate::task::SKETCH)
        .expect("the sketch task is shipped")
        .palette()
}

/// White where `labels` is class `id`, black elsewhere, without the parts thinner than 5 pixels:
/// the dataset's JPEG-smeared labels snap the dark rim of every bright red pillar to the dark red
/// of "shop", and a hint must not outline pillars.
fn mask(labels: &LabelMap, id: u8) -> GrayImage {
    let mask = GrayImage::from_fn(labels.width, labels.height, |x, y| {
        Luma([if labels.get(x, y) == id { 255 } else { 0 }])
    });
    imageproc::morphology::open(&mask, imageproc::distance_transform::Norm::LInf, 2)
}
