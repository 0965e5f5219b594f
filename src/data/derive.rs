//! Datasets derived from photos: each photo (or the photo half of a pix2pix pair) becomes a
//! pix2pix pair again — the photo left, a derived input right: a line sketch (Canny edges, black
//! on white paper) or the photo's greyscale.

use std::path::{Path, PathBuf};

use image::{GrayImage, RgbImage};

use crate::error::{Error, Result};
use crate::image_io::{is_image_path, load_rgb, save_png};

/// What the derived input is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DeriveKind {
    /// A line sketch: Canny edges of the photo, black lines on white.
    Edges,
    /// The photo's luminance (for colourisation).
    Grey,
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

/// The derived input of `photo`, as RGB.
pub fn derive(photo: &RgbImage, kind: DeriveKind) -> RgbImage {
    let grey = match kind {
        DeriveKind::Edges => sketch(photo),
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
/// the stems, and so a split by number, stay the same). `out` must be new or empty: nothing of
/// the user's is overwritten. `done(k, n)` reports progress.
pub fn derive_folder(
    from: &Path,
    out: &Path,
    kind: DeriveKind,
    done: &mut dyn FnMut(usize, usize),
) -> Result<DeriveReport> {
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
        match load_rgb(path) {
            Ok(image) => {
                let photo = photo_of(image);
                let stem = path.file_stem().unwrap_or_default().to_string_lossy();
                save_png(&pair(&photo, kind), &out.join(format!("{stem}.png")))?;
                report.written += 1;
            }
            Err(e) => report.skipped.push((path.clone(), e.to_string())),
        }
        done(k + 1, files.len());
    }
    Ok(report)
}

/// The pix2pix pair: `photo` left, its derived input right.
fn pair(photo: &RgbImage, kind: DeriveKind) -> RgbImage {
    let (w, h) = photo.dimensions();
    let mut out = RgbImage::new(w * 2, h);
    image::imageops::replace(&mut out, photo, 0, 0);
    image::imageops::replace(&mut out, &derive(photo, kind), w as i64, 0);
    out
}
