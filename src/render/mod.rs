//! Rendering label maps into photos with a generator: encoding, decoding, the model that ships in
//! assets/, and a `Renderer` that owns a generator on a device.

pub mod detail;
pub mod tiled;
pub mod worker;

use std::path::{Path, PathBuf};

use burn::prelude::*;
use image::RgbImage;

use crate::backend::SelectedDevice;
use crate::checkpoint::{self, FileKind, Meta};
use crate::error::{Error, Result};
use crate::label_map::LabelMap;
use crate::model::{DropoutMasks, Generator};
use crate::palette::Palette;
use crate::style::{self, Style, StyleBank};

/// Encodes label maps as a generator's input on `device`: the label image, then `style`'s planes
/// when the generator takes a style (`Some`; `[n, 3 + style::CHANNELS, h, w]`).
pub fn encode(
    maps: &[&LabelMap],
    style: Option<&Style>,
    palette: &Palette,
    device: &Device,
) -> Tensor<4> {
    let (w, h) = (maps[0].width as usize, maps[0].height as usize);
    let channels = 3 + style.map_or(0, |_| style::CHANNELS);
    let mut all = Vec::with_capacity(maps.len() * channels * w * h);
    let mut one = Vec::new();
    for m in maps {
        palette.encode_planar(&m.ids, &mut one);
        if let Some(style) = style {
            style.encode_planar(&m.ids, m.width, &mut one);
        }
        all.extend_from_slice(&one);
    }
    Tensor::from_data(TensorData::new(all, [maps.len(), channels, h, w]), device)
}

/// Converts planar [-1, 1] values of one image to RGB.
pub fn planar_to_rgb(values: &[f32], width: u32, height: u32) -> RgbImage {
    let plane = (width * height) as usize;
    let mut img = RgbImage::new(width, height);
    for (k, p) in img.pixels_mut().enumerate() {
        for c in 0..3 {
            let v = values.get(c * plane + k).copied().unwrap_or(-1.0);
            p.0[c] = ((v + 1.0) * 127.5).round().clamp(0.0, 255.0) as u8;
        }
    }
    img
}

/// Reads a `[n, 3, h, w]` tensor back as `n` images.
pub fn tensor_to_images(t: Tensor<4>) -> Result<Vec<RgbImage>> {
    let [n, _, h, w] = t.dims();
    let values = t
        .into_data()
        .try_into_vec::<f32>()
        .map_err(|e| Error::msg(format!("reading the render back failed: {e:?}")))?;
    let size = 3 * h * w;
    Ok((0..n)
        .map(|i| planar_to_rgb(&values[i * size..(i + 1) * size], w as u32, h as u32))
        .collect())
}

/// Colourisation adds colour and keeps the picture: each pixel of `image` is shifted (equally in
/// every channel, so its chroma stays) until its luminance (Rec. 709, as `dataset derive --kind
/// grey` measured it) is the grey input's there. The generator's re-drawn detail gives way to the
/// photo's own. `map` is on the grey ramp `palette`, `image` the same size.
pub fn keep_luminance(image: &mut RgbImage, map: &LabelMap, palette: &Palette) {
    if image.dimensions() != (map.width, map.height) {
        return;
    }
    for (p, &id) in image.pixels_mut().zip(&map.ids) {
        let [r, g, b] = p.0.map(f32::from);
        let luma = 0.2126 * r + 0.7152 * g + 0.0722 * b;
        let shift = palette.colour(id)[0] as f32 - luma;
        p.0 =
            p.0.map(|c| (c as f32 + shift).round().clamp(0.0, 255.0) as u8);
    }
}

/// A generator ready to render on one device.
pub struct Renderer {
    /// The generator as loaded (what a save writes back).
    pub generator: Generator,
    /// The same function prepared for rendering (see [`Generator::for_rendering`]); shares the
    /// loaded one's weights but for the computed decoder kernels.
    prepared: Generator,
    pub meta: Meta,
    pub palette: Palette,
    pub device: SelectedDevice,
    pub source: PathBuf,
    /// Shift each styled class to exactly its style colour after the generator
    /// ([`style::match_means`]), and a colourisation to exactly its grey input's luminance
    /// ([`keep_luminance`]); on unless turned off (eval measures both).
    pub exact_colours: bool,
    /// How much the detail step raises the finest detail afterwards ([`detail::sharpen`]; not
    /// on a colourisation, which keeps its photo's detail); 0 (the generator's own output, what
    /// training shows) unless the caller sets it — the app and the command line use
    /// [`detail::DEFAULT_AMOUNT`] unless told otherwise.
    pub detail: f32,
}

impl Renderer {
    pub fn load(path: &Path, device: SelectedDevice) -> Result<Renderer> {
        let path = crate::models::resolve_model_path(path)?;
        let loaded = checkpoint::load_generator(&path, &device.device)?;
        if loaded.meta.kind == FileKind::Segmenter {
            return Err(Error::bad_file(
                &path,
                "is the photo → labels segmenter used by `eval`, not a model that renders photos; pass a model (.fsw) or a run folder",
            ));
        }
        Ok(Renderer::new(loaded.generator, loaded.meta, device, path))
    }

    /// A renderer around a generator already on `device` (its task's palette).
    pub fn new(
        generator: Generator,
        meta: Meta,
        device: SelectedDevice,
        source: PathBuf,
    ) -> Renderer {
        let palette = crate::task::Task::of_model(&meta.task, meta.palette.as_deref())
            .map_or_else(|_| Palette::cmp_facades(), |task| task.palette());
        Renderer {
            prepared: generator.clone().for_rendering(),
            generator,
            meta,
            palette,
            device,
            source,
            exact_colours: true,
            detail: 0.0,
        }
    }

    /// Whether the model takes a style (a model trained before styles, or with `--style off`,
    /// renders every style alike).
    pub fn takes_style(&self) -> bool {
        self.generator.takes_style()
    }

    /// The training photos' styles saved with the model (empty for a model without styles).
    pub fn style_bank(&self) -> &StyleBank {
        &self.meta.styles
    }

    /// A small render of `map` in `style` for the gallery: one pass at the training height, the
    /// width the nearest multiple of it that keeps the aspect.
    pub fn render_thumbnail(&self, map: &LabelMap, style: &Style) -> Result<RgbImage> {
        let unit = self.unit();
        let tiles = (map.width as f32 / map.height.max(1) as f32)
            .round()
            .clamp(1.0, 4.0) as u32;
        self.render(&map.resized(tiles * unit, unit), style, None)
    }

    /// On wgpu (a GPU or a software adapter), renders one blank tile so that the kernels of a render are compiled and tuned
    /// (CubeCL's autotune measures each convolution's variants the first time it meets a shape,
    /// unless its cache already knows it) before the first stroke asks for one. Nothing on the
    /// CPU.
    pub fn warm_up(&self) -> Result<()> {
        if !self.device.on_wgpu() {
            return Ok(());
        }
        let unit = self.unit();
        let map = LabelMap::filled(unit, unit, 0);
        self.render(&map, &Style::none(), None).map(|_| ())
    }

    /// Sides of a render must be multiples of this (2^levels: 256 for the published model).
    pub fn unit(&self) -> u32 {
        1 << self.generator.levels()
    }

    /// Renders a label map. Its size is rounded to multiples of [`Renderer::unit`] (nearest-
    /// neighbour) and the photo has that size. `seed` = None gives the deterministic output;
    /// Some(seed) applies the paper's test-time dropout with masks drawn from `seed`.
    pub fn render(&self, map: &LabelMap, style: &Style, seed: Option<u64>) -> Result<RgbImage> {
        let (w, h) = map.renderable_size(self.unit());
        let map = map.resized(w, h);
        let style = self.takes_style().then_some(style);
        let input = encode(&[&map], style, &self.palette, &self.device.device);
        let mut masks = match seed {
            Some(s) if s != 0 => DropoutMasks::seeded(s, self.meta.model.dropout),
            _ => DropoutMasks::off(),
        };
        let out = self.prepared.forward(input, &mut masks);
        let mut image = tensor_to_images(out)?
            .pop()
            .ok_or_else(|| Error::msg("the generator returned no image"))?;
        if let Some(style) = style
            && self.exact_colours
        {
            style::match_means(&mut image, &map, style);
        }
        if self.palette.is_grey_ramp() {
            // A colourisation keeps its grey photo's own detail (and, with exact colours, its
            // luminance to the level): no detail step.
            if self.exact_colours {
                keep_luminance(&mut image, &map, &self.palette);
            }
            return Ok(image);
        }
        Ok(detail::sharpen(image, self.detail))
    }
}
