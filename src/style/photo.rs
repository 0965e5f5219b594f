//! A style from any facade photo: its label map comes from the pair itself (a pix2pix pair,
//! labels right) or from the photo → labels segmenter, then each class's mean colour. The same
//! labels and style let a photo be restyled ([`restyle_source`]): "this building, in red brick".

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
    style_of_image(&image, palette, segmenter).map_err(|e| e.in_file(path))
}

/// The labels and style of the photo in the file `path` (see [`restyle_source`]); errors name
/// the file.
pub fn restyle_file(
    path: &Path,
    palette: &Palette,
    side: u32,
    segmenter: impl FnOnce() -> Result<Segmenter>,
) -> Result<(LabelMap, Style, LabelSource)> {
    let image = load_rgb(path)?;
    restyle_source(&image, palette, side, segmenter).map_err(|e| e.in_file(path))
}

/// The smallest photo whose labels are worth painting on ([`restyle_source`]).
pub const MIN_RESTYLE_SIDE: u32 = 64;

/// A photo's labels and style: the labels at the scale a model renders (the shorter side
/// `side`, the photo's aspect kept), the style its classes' mean colours. For File → Open photo
/// as labels and `render --from-photo`.
pub fn restyle_source(
    image: &RgbImage,
    palette: &Palette,
    side: u32,
    segmenter: impl FnOnce() -> Result<Segmenter>,
) -> Result<(LabelMap, Style, LabelSource)> {
    check_size(image, MIN_RESTYLE_SIDE, "a photo to take labels from")?;
    let (photo, labels, source) = photo_labels(image, palette, segmenter)?;
    let style = non_empty(Style::of_photo(&photo, &labels))?;
    // The segmenter saw the photo squeezed to a square: its aspect is the file's.
    let (w, h) = match source {
        LabelSource::Pair => photo.dimensions(),
        LabelSource::Segmenter => image.dimensions(),
    };
    let scale = side as f32 / w.min(h) as f32;
    let size = |v: u32| ((v as f32 * scale).round() as u32).max(1);
    Ok((labels.resized(size(w), size(h)), style, source))
}

/// The style of a decoded photo or pix2pix pair (see [`style_of_file`]).
pub fn style_of_image(
    image: &RgbImage,
    palette: &Palette,
    segmenter: impl FnOnce() -> Result<Segmenter>,
) -> Result<(Style, LabelSource)> {
    check_size(image, 16, "a style photo")?;
    let (photo, labels, source) = photo_labels(image, palette, segmenter)?;
    Ok((non_empty(Style::of_photo(&photo, &labels))?, source))
}

/// An error naming the photo's size and the minimum unless both sides reach `min`.
fn check_size(image: &RgbImage, min: u32, what: &str) -> Result<()> {
    let (w, h) = image.dimensions();
    if w < min || h < min {
        return Err(Error::msg(format!(
            "is {w}×{h}; {what} needs at least {min}×{min} pixels of facade"
        )));
    }
    Ok(())
}

/// The photo and its labels: a pair's own halves, or the photo as the segmenter saw it (squeezed
/// to its square) with its labels.
fn photo_labels(
    image: &RgbImage,
    palette: &Palette,
    segmenter: impl FnOnce() -> Result<Segmenter>,
) -> Result<(RgbImage, LabelMap, LabelSource)> {
    if let Some((photo, labels)) = pair_halves(image, palette) {
        return Ok((photo, labels, LabelSource::Pair));
    }
    let (scaled, labels) = segmented(image, &segmenter()?)?;
    Ok((scaled, labels, LabelSource::Segmenter))
}

/// The photo squeezed to the segmenter's square, and its labels there.
fn segmented(image: &RgbImage, segmenter: &Segmenter) -> Result<(RgbImage, LabelMap)> {
    let scaled = image::imageops::resize(image, SEGMENT_SIDE, SEGMENT_SIDE, FilterType::Triangle);
    let ids = segmenter.segment(&scaled)?;
    let labels = LabelMap::from_ids(SEGMENT_SIDE, SEGMENT_SIDE, ids)?;
    Ok((scaled, labels))
}

/// The style of a photo taken alone, its labels read by `segmenter` whatever the picture is:
/// what a photo a user picks gives (`eval --style photo` measures it on photos whose pairs hold
/// true labels).
pub fn style_read_by(photo: &RgbImage, segmenter: &Segmenter) -> Result<Style> {
    check_size(photo, 16, "a style photo")?;
    let (scaled, labels) = segmented(photo, segmenter)?;
    non_empty(Style::of_photo(&scaled, &labels))
}

/// `style` unless no class covered enough pixels to take a colour from.
fn non_empty(style: Style) -> Result<Style> {
    if style.is_empty() {
        return Err(Error::msg(
            "shows no facade class over enough pixels to take a colour from; use a photo of a facade",
        ));
    }
    Ok(style)
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
