//! Datasets derived from photos: each photo (or the photo half of a pix2pix pair) becomes a
//! pix2pix pair again — the photo left, a derived input right: a line sketch (Canny edges, black
//! on white paper), a sketch with hint colours taken from the pair's labels, or the photo's
//! greyscale. A CMP facades pair's label map is kept beside its derived pair, in
//! [`LAYOUT_FOLDER`]: what an OASIS discriminator segments the photo into while the generator
//! learns from the derived input.

use std::path::{Path, PathBuf};

use image::{GrayImage, RgbImage};

use super::dataset::LAYOUT_FOLDER;
use crate::error::{Error, Result};
use crate::image_io::{is_image_path, load_rgb, save_png};
use crate::label_map::LabelMap;
use crate::palette::Palette;

/// What the derived input is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DeriveKind {
    /// A line sketch: Canny edges of the photo, black lines on white.
    Edges,
    /// A line sketch with some windows, doors and shops filled with hint colours, taken from the
    /// labels of CMP facade pairs (`data::hints`).
    HintedEdges,
    /// The photo's luminance (for colourisation).
    Grey,
}

/// What [`derive_folder`] makes: the input kind and, for hinted sketches, the share of windows,
/// doors and shops hinted on every sketch (`None`: a share drawn per sketch, for training;
/// `Some(1.0)`: every region, an evaluation set of fully hinted sketches).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Derive {
    pub kind: DeriveKind,
    pub hint_share: Option<f64>,
}

impl From<DeriveKind> for Derive {
    fn from(kind: DeriveKind) -> Derive {
        Derive {
            kind,
            hint_share: None,
        }
    }
}

/// Canny's thresholds on the gradient magnitude of the 0–255 greyscale after its σ 1.4
/// Gaussian. Chosen by eye on the facades at 256 px: the building's outlines — windows, sills,
/// cornices, balconies, doors — come out as thin connected lines, while brick and plaster
/// texture mostly stays blank (lower thresholds draw every brick, higher ones break windows
/// into dashes).
pub const CANNY_LOW: f32 = 40.0;
pub const CANNY_HIGH: f32 = 110.0;

/// The sketch of `photo`: Canny edges as black 1-pixel lines on white.
pub fn sketch(photo: &RgbImage) -> GrayImage {
    let grey = image::imageops::grayscale(photo);
    let mut edges = imageproc::edges::canny(&grey, CANNY_LOW, CANNY_HIGH);
    image::imageops::invert(&mut edges);
    edges
}

/// The derived input of `photo`, as RGB. A photo alone has no labels to take hints from, so
/// its hinted sketch has none.
pub fn derive(photo: &RgbImage, kind: DeriveKind) -> RgbImage {
    let grey = match kind {
        DeriveKind::Edges | DeriveKind::HintedEdges => sketch(photo),
        DeriveKind::Grey => image::imageops::grayscale(photo),
    };
    image::DynamicImage::ImageLuma8(grey).to_rgb8()
}

/// The photo in an image file: the left half of a 2:1 pix2pix pair, else the whole picture.
pub fn photo_of(image: RgbImage) -> RgbImage {
    let (w, h) = image.dimensions();
    if w == 2 * h {
        image::imageops::crop_imm(&image, 0, 0, h, h).to_image()
    } else {
        image
    }
}

/// What [`derive_folder`] did.
#[derive(Debug, Default)]
pub struct DeriveReport {
    pub written: usize,
    /// Files that could not be read, with the reason.
    pub skipped: Vec<(PathBuf, String)>,
}

/// Writes `out/<stem>.png` (photo | derived input) for every image in `from` (sorted by name;
/// the stems, and so a split by number, stay the same), and for a CMP facades pair its label
/// map as `out/labels/<stem>.png`. `out` must be new or empty: nothing of the user's is
/// overwritten. `done(k, n)` reports progress.
pub fn derive_folder(
    from: &Path,
    out: &Path,
    what: impl Into<Derive>,
    done: &mut dyn FnMut(usize, usize),
) -> Result<DeriveReport> {
    let what = what.into();
    let mut files: Vec<PathBuf> = std::fs::read_dir(from)
        .map_err(|e| Error::io(from, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && is_image_path(p))
        .collect();
    if files.is_empty() {
        return Err(Error::bad_file(
            from,
            "holds no PNG or JPEG images to derive pairs from. Point --from at a folder of photos or of pix2pix pairs.",
        ));
    }
    files.sort();
    let occupied = std::fs::read_dir(out).is_ok_and(|mut d| d.next().is_some());
    if occupied {
        return Err(Error::bad_file(
            out,
            "is not empty. Derive into a new or empty folder (nothing there is overwritten).",
        ));
    }
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let mut report = DeriveReport::default();
    for (k, path) in files.iter().enumerate() {
        match load_rgb(path).and_then(|image| derived_pair(image, what, path, k as u64)) {
            Ok((pair, labels)) => {
                let name = format!(
                    "{}.png",
                    path.file_stem().unwrap_or_default().to_string_lossy()
                );
                save_png(&pair, &out.join(&name))?;
                if let Some(labels) = labels {
                    let colours = labels.to_rgb(&Palette::cmp_facades());
                    save_png(&colours, &out.join(LAYOUT_FOLDER).join(&name))?;
                }
                report.written += 1;
            }
            Err(e) => report.skipped.push((path.clone(), e.to_string())),
        }
        done(k + 1, files.len());
    }
    Ok(report)
}

/// The derived pix2pix pair of `image` (read from `path`; the `k`-th file, which seeds the hints)
/// and the pair's facade labels, when it is a CMP facades pair (a hinted sketch needs them).
fn derived_pair(
    image: RgbImage,
    what: Derive,
    path: &Path,
    k: u64,
) -> Result<(RgbImage, Option<LabelMap>)> {
    let (photo, labels) = match facade_pair(&image, path) {
        Ok((photo, labels)) => (photo, Some(labels)),
        Err(e) if what.kind == DeriveKind::HintedEdges => return Err(e),
        Err(_) => (photo_of(image), None),
    };
    let input = match (&labels, what.kind) {
        (Some(labels), DeriveKind::HintedEdges) => {
            super::hints::hinted_sketch(&sketch(&photo), labels, k, what.hint_share)
        }
        _ => derive(&photo, what.kind),
    };
    Ok((pair(&photo, &input), labels))
}

/// Above this share of pixels far from every CMP colour the right half is not a label map (the
/// dataset's JPEG-smeared labels measure 0.14–0.20 with `UNKNOWN_COLOUR_DISTANCE`; a photo ~1.0).
const NOT_LABELS_FRACTION: f32 = 0.5;

/// The photo and the CMP facade labels of a pix2pix pair, or why `path` is not one.
fn facade_pair(image: &RgbImage, path: &Path) -> Result<(RgbImage, LabelMap)> {
    let (w, h) = image.dimensions();
    if w != 2 * h {
        return Err(Error::bad_file(
            path,
            format!(
                "is {w}×{h}, not a pix2pix pair (photo left, facade labels right, twice as wide as high): hints are taken from the labels. Derive plain sketches with --kind edges."
            ),
        ));
    }
    let right = image::imageops::crop_imm(image, h, 0, h, h).to_image();
    let (labels, report) = LabelMap::from_rgb(&right, &Palette::cmp_facades());
    if report.unknown_fraction() > NOT_LABELS_FRACTION {
        return Err(Error::bad_file(
            path,
            "has no CMP facade label colours in its right half to take hints from. Derive plain sketches with --kind edges.",
        ));
    }
    let photo = image::imageops::crop_imm(image, 0, 0, h, h).to_image();
    Ok((photo, labels))
}

/// The pix2pix pair: `photo` left, `input` right.
fn pair(photo: &RgbImage, input: &RgbImage) -> RgbImage {
    let (w, h) = photo.dimensions();
    let mut out = RgbImage::new(w * 2, h);
    image::imageops::replace(&mut out, photo, 0, 0);
    image::imageops::replace(&mut out, input, w as i64, 0);
    out
}
