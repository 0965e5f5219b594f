//! Reading a task's input from a picture: a label map snapped to the task's palette, or — for a
//! grey task — a photo turned into grey levels (a colour photo converted, with a note; a label
//! map or a line sketch refused, naming the task it fits).

use std::path::Path;

use image::RgbImage;

use super::{InputKind, Task};
use crate::error::{Error, Result};
use crate::image_io::load_rgb;
use crate::label_map::LabelMap;
use crate::palette::Palette;

/// A task's input as read from a picture, and what was done to it, if anything.
#[derive(Debug, Clone)]
pub struct Input {
    pub map: LabelMap,
    /// Said to the user (the CLI as a note, the app in its status line): snapped colours, a
    /// colour photo made grey.
    pub note: Option<String>,
}

/// A pixel this far (RGB distance) from a palette colour counts as drawn in it when telling a
/// label map from a photo: JPEG smear stays inside it on flat regions.
const DRAWN_DISTANCE: u32 = 24;

/// The share of pixels that must be drawn in a task's palette colours for a picture to be
/// taken for that task's input rather than a photo.
const DRAWN_SHARE: f32 = 0.95;

/// A pixel whose channels differ by more than this is coloured.
const GREY_SPREAD: u8 = 12;

impl Task {
    /// The input in the picture file `path` (see [`Task::input_of`]); errors name the file.
    pub fn load_input(&self, path: &Path) -> Result<Input> {
        let image = load_rgb(path)?;
        self.input_of(&image).map_err(|e| e.in_file(path))
    }

    /// The input in a decoded picture: snapped to the palette (with a note when much of it
    /// was far from every colour), or for a grey task, its grey levels.
    pub fn input_of(&self, image: &RgbImage) -> Result<Input> {
        match self.input {
            InputKind::Classes => Ok(self.snapped(image)),
            InputKind::Grey => grey_input(image),
        }
    }

    fn snapped(&self, image: &RgbImage) -> Input {
        let (map, report) = LabelMap::from_rgb(image, &self.palette());
        let note = report.is_suspicious().then(|| {
            format!(
                "{:.0}% of pixels are far from every colour of the {} palette and were snapped to the nearest; is it a {}?",
                report.unknown_fraction() * 100.0,
                self.palette,
                self.about
            )
        });
        Input { map, note }
    }
}

/// A photo as grey levels; a colour photo is converted to its luminance (the conversion
/// `dataset derive --kind grey` trains on).
fn grey_input(image: &RgbImage) -> Result<Input> {
    if let Some(task) = label_task_of(image) {
        return Err(Error::msg(format!(
            "looks like a {} (the {} task's input), not a photo: colourisation takes a greyscale or colour photo. Render it with --task {}.",
            task.about.split(" to ").next().unwrap_or("label map"),
            task.name,
            task.name
        )));
    }
    let coloured = coloured_share(image) > 0.01;
    let grey = image::imageops::grayscale(image);
    let palette = Palette::grey_ramp();
    let ids = grey
        .pixels()
        .map(|p| palette.nearest([p.0[0]; 3]).0)
        .collect();
    let map = LabelMap::from_ids(image.width(), image.height(), ids)?;
    let note = coloured
        .then(|| "is a colour photo: converted to grey (its luminance) to colourise it".into());
    Ok(Input { map, note })
}

/// The label task whose palette `image` is drawn in (almost every pixel close to one of its
/// colours), if any.
pub fn label_task_of(image: &RgbImage) -> Option<&'static Task> {
    Task::all()
        .iter()
        .filter(|t| t.input == InputKind::Classes)
        .find(|t| drawn_share(image, &t.palette()) >= DRAWN_SHARE)
}

/// Pixels [`drawn_share`] looks at, at most (evenly spread): a 24-megapixel photo is judged
/// in a blink rather than by 24 million palette searches per task.
const SHARE_SAMPLES: usize = 1 << 16;

/// The share of `image`'s pixels within [`DRAWN_DISTANCE`] of a colour of `palette` (over an
/// even sample of at most [`SHARE_SAMPLES`] pixels).
fn drawn_share(image: &RgbImage, palette: &Palette) -> f32 {
    let limit = DRAWN_DISTANCE * DRAWN_DISTANCE;
    let n = (image.width() * image.height()) as usize;
    let stride = n.div_ceil(SHARE_SAMPLES).max(1);
    let (mut close, mut seen) = (0usize, 0usize);
    for p in image.pixels().step_by(stride) {
        seen += 1;
        close += usize::from(palette.nearest(p.0).1 <= limit);
    }
    close as f32 / seen.max(1) as f32
}

/// The share of `image`'s pixels whose channels differ by more than [`GREY_SPREAD`].
fn coloured_share(image: &RgbImage) -> f32 {
    let coloured = image
        .pixels()
        .filter(|p| {
            let (lo, hi) = (p.0.iter().min(), p.0.iter().max());
            matches!((lo, hi), (Some(lo), Some(hi)) if hi - lo > GREY_SPREAD)
        })
        .count();
    coloured as f32 / (image.width() * image.height()).max(1) as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    /// A smooth colour photo: a warm gradient with a darker band.
    fn photo() -> RgbImage {
        RgbImage::from_fn(40, 30, |x, y| {
            let v = (x * 5 + y * 2) as u8;
            let band = if (10..14).contains(&y) { 60 } else { 0 };
            Rgb([
                v.saturating_add(40).saturating_sub(band),
                v.saturating_add(20).saturating_sub(band),
                v.saturating_sub(band / 2),
            ])
        })
    }

    #[test]
    fn a_grey_photo_reads_as_its_grey_levels_without_a_note() {
        let grey = Task::named(crate::task::GREY).unwrap();
        let image = RgbImage::from_fn(16, 8, |x, y| Rgb([(x * 16 + y) as u8; 3]));
        let input = grey.input_of(&image).unwrap();
        assert!(input.note.is_none());
        let palette = grey.palette();
        for (k, p) in image.pixels().enumerate() {
            let shown = palette.colour(input.map.ids[k])[0] as i32;
            assert!(
                (shown - p.0[0] as i32).abs() <= 1,
                "{} read as {shown}",
                p.0[0]
            );
        }
    }

    #[test]
    fn a_colour_photo_is_converted_to_its_luminance_with_a_note() {
        let grey = Task::named(crate::task::GREY).unwrap();
        let image = photo();
        let input = grey.input_of(&image).unwrap();
        let note = input.note.unwrap();
        assert!(note.contains("converted to grey"), "{note}");
        let luma = image::imageops::grayscale(&image);
        let palette = grey.palette();
        let shown = palette.colour(input.map.get(7, 11))[0] as i32;
        assert!((shown - luma.get_pixel(7, 11).0[0] as i32).abs() <= 1);
    }

    #[test]
    fn label_maps_and_sketches_are_refused_naming_their_task() {
        let grey = Task::named(crate::task::GREY).unwrap();
        let labels = Task::named(crate::task::LABELS).unwrap().palette();
        let map = crate::bench::synthetic_layout(32, 3);
        let e = grey.input_of(&map.to_rgb(&labels)).unwrap_err().to_string();
        assert!(e.contains("--task labels"), "{e}");
        let sketch = RgbImage::from_fn(32, 32, |x, _| match x % 8 {
            0 => Rgb([0; 3]),
            _ => Rgb([255; 3]),
        });
        let e = grey.input_of(&sketch).unwrap_err().to_string();
        assert!(
            e.contains("--task sketch") && e.contains("line sketch"),
            "{e}"
        );
        // The photo is not taken for either.
        assert!(label_task_of(&photo()).is_none());
    }

    #[test]
    fn the_grey_ramp_snaps_every_grey_to_its_nearest_level() {
        let palette = Palette::grey_ramp();
        assert_eq!(palette.len(), crate::palette::GREY_LEVELS);
        assert_eq!(palette.colour(0), [0; 3]);
        assert_eq!(palette.colour(palette.background), [255; 3]);
        for v in 0..=255u8 {
            for rgb in [[v; 3], [v, v.saturating_add(9), v.saturating_sub(4)]] {
                let (k, d) = palette.nearest(rgb);
                let best = palette
                    .classes
                    .iter()
                    .map(|c| {
                        let c = [c.rgb.0, c.rgb.1, c.rgb.2];
                        (0..3)
                            .map(|i| (c[i] as i32 - rgb[i] as i32).pow(2) as u32)
                            .sum::<u32>()
                    })
                    .min()
                    .unwrap();
                assert_eq!(d, best, "{rgb:?} snapped to level {k}, not the nearest");
            }
        }
    }
}
