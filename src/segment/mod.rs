//! The photo → labels segmenter that measures label consistency (the "FCN-score" of the pix2pix
//! paper): a small U-Net (the generator's architecture with one output channel per class and no
//! tanh) trained on the real photos of the training split only. Run on a render, it says how much
//! of the painted layout a viewer can read back from the photo.

pub mod train;

use std::path::{Path, PathBuf};

use burn::prelude::*;
use image::RgbImage;

use crate::backend::SelectedDevice;
use crate::checkpoint::{self, FileKind, Meta};
use crate::error::{Error, Result};
use crate::model::{DropoutMasks, Generator};

/// A segmenter ready to label photos on one device.
pub struct Segmenter {
    pub generator: Generator,
    pub meta: Meta,
    pub device: SelectedDevice,
    pub source: PathBuf,
}

impl Segmenter {
    pub fn load(path: &Path, device: SelectedDevice) -> Result<Segmenter> {
        let loaded = checkpoint::load_generator(path, &device.device)?;
        if loaded.meta.kind != FileKind::Segmenter {
            return Err(Error::bad_file(
                path,
                format!(
                    "is a {} file, not a segmenter; train one with `facade-studio segmenter train` or use assets/segmenter.fsw",
                    loaded.meta.kind.name()
                ),
            ));
        }
        Ok(Segmenter {
            generator: loaded.generator,
            meta: loaded.meta,
            device,
            source: path.to_path_buf(),
        })
    }

    /// The shipped segmenter ([`crate::models::default_segmenter_path`]) on the CPU: what labels a style photo
    /// and the held-out renders at checkpoints.
    pub fn shipped_on_cpu() -> Result<Segmenter> {
        Segmenter::load(
            &crate::models::default_segmenter_path(),
            crate::backend::cpu_device(),
        )
    }

    /// Number of classes it tells apart.
    pub fn classes(&self) -> usize {
        self.meta.model.out_channels
    }

    /// Whether the network takes `photo` as it is: sides that are multiples of 2^levels.
    pub fn fits(&self, photo: &RgbImage) -> bool {
        let unit = 1u32 << self.generator.levels();
        photo.width().is_multiple_of(unit) && photo.height().is_multiple_of(unit)
    }

    /// `photo` resized to the size the segmenter was trained at (for one that does not fit).
    pub fn at_own_size(&self, photo: &RgbImage) -> RgbImage {
        let s = self.meta.model.size as u32;
        image::imageops::resize(photo, s, s, image::imageops::FilterType::Triangle)
    }

    /// The most likely class of every pixel of `photo` (row-major). A photo whose sides are not
    /// multiples of 2^levels is resized to the segmenter's size and the labels back (nearest).
    pub fn segment(&self, photo: &RgbImage) -> Result<Vec<u8>> {
        self.read(photo, None)
    }

    /// [`Segmenter::segment`] and, from the same pass, the encoder's features of the photo as
    /// the network saw it ([`crate::model::Generator::encoder_features`]).
    pub fn segment_with_features(&self, photo: &RgbImage) -> Result<(Vec<u8>, Vec<Tensor<4>>)> {
        let mut features = Vec::new();
        let ids = self.read(photo, Some(&mut features))?;
        Ok((ids, features))
    }

    /// The labels of `photo`, and its encoder features into `features` when asked.
    fn read(&self, photo: &RgbImage, features: Option<&mut Vec<Tensor<4>>>) -> Result<Vec<u8>> {
        if !self.fits(photo) {
            let scaled = self.at_own_size(photo);
            let ids = self.read(&scaled, features)?;
            let map = crate::label_map::LabelMap::from_ids(scaled.width(), scaled.height(), ids)?;
            return Ok(map.resized(photo.width(), photo.height()).ids);
        }
        let input = photo_tensor(photo, &self.device.device);
        let masks = &mut DropoutMasks::off();
        let logits = match features {
            Some(features) => {
                let (logits, levels) = self.generator.forward_logits_and_features(input, masks);
                *features = levels;
                logits
            }
            None => self.generator.forward_logits(input, masks),
        };
        let ids = logits.argmax(1).into_data();
        let ids: Vec<i64> = ids
            .convert::<i64>()
            .try_into_vec()
            .map_err(|e| Error::msg(format!("reading the segmentation back failed: {e:?}")))?;
        Ok(ids.into_iter().map(|i| i.clamp(0, 255) as u8).collect())
    }
}

/// A photo as a `[1, 3, h, w]` tensor in [-1, 1].
pub fn photo_tensor(photo: &RgbImage, device: &Device) -> Tensor<4> {
    let (w, h) = (photo.width() as usize, photo.height() as usize);
    let plane = w * h;
    let mut data = vec![0f32; 3 * plane];
    for (k, p) in photo.pixels().enumerate() {
        for c in 0..3 {
            data[c * plane + k] = p.0[c] as f32 / 127.5 - 1.0;
        }
    }
    Tensor::from_data(TensorData::new(data, [1, 3, h, w]), device)
}
