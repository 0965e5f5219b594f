//! A style from any facade photo: its label map comes from the pair itself (a pix2pix pair,
//! labels right) or from the photo → labels segmenter, then each class's mean colour.

use std::path::Path;

use image::RgbImage;
use image::imageops::FilterType;

use super::Style;
use crate::error::{Error, Result};
use crate::image_io::load_rgb;
use crate::label_map::LabelMap;
use crate::palette::Palette;
use crate::segment::Segmenter;

/// Where the labels behind a photo's style came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelSource {
    /// The right half of a pix2pix pair.
    Pair,
    /// The segmenter's labelling of the photo.
    Segmenter,
}

/// Side the segmenter sees a photo at (its training size).
const SEGMENT_SIDE: u32 = 256;

/// The style of the photo in the file `path` (see the module doc). `segmenter` is only called
/// for a photo that is not a pair.
pub fn style_of_file(
    path: &Path,
    palette: &Palette,
    segmenter: impl FnOnce() -> Result<Segmenter>,
) -> Result<(Style, LabelSource)> {
    let image = load_rgb(path)?;
    let (style, source) = style_of_image(&image, palette, segmenter).map_err(|e| match e {
        Error::Message(m) => Error::bad_file(path, m),
        other => other,
    })?;
    Ok((style, source))
}

/// The style of a decoded photo or pix2pix pair (see [`style_of_file`]).
pub fn style_of_image(
    image: &RgbImage,
    palette: &Palette,
    segmenter: impl FnOnce() -> Result<Segmenter>,
) -> Result<(Style, LabelSource)> {
    let (w, h) = image.dimensions();
    if w < 16 || h < 16 {
        return Err(Error::msg(format!(
            "is {w}×{h}; a style photo needs at least 16×16 pixels of facade"
        )));
    }
    let (style, source) = match pair_halves(image, palette) {
        Some((photo, labels)) => (Style::of_photo(&photo, &labels), LabelSource::Pair),
        None => {
            let photo =
                image::imageops::resize(image, SEGMENT_SIDE, SEGMENT_SIDE, FilterType::Triangle);
            let ids = segmenter()?.segment(&photo)?;
            let labels = LabelMap::from_ids(SEGMENT_SIDE, SEGMENT_SIDE, ids)?;
            (Style::of_photo(&photo, &labels), LabelSource::Segmenter)
        }
    };
    if style.is_empty() {
        return Err(Error::msg(
            "shows no facade class over enough pixels to take a colour from; use a photo of a facade",
        ));
    }
    Ok((style, source))
}

/// The photo and labels of a pix2pix pair (twice as wide as high, the right half a label image
/// on `palette`); None for anything else.
fn pair_halves(image: &RgbImage, palette: &Palette) -> Option<(RgbImage, LabelMap)> {
    let (w, h) = image.dimensions();
    if w != 2 * h {
        return None;
    }
    let right = image::imageops::crop_imm(image, h, 0, h, h).to_image();
    let (labels, report) = LabelMap::from_rgb(&right, palette);
    if report.is_suspicious() {
        return None;
    }
    let photo = image::imageops::crop_imm(image, 0, 0, h, h).to_image();
    Some((photo, labels))
}
