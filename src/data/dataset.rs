//! The two dataset layouts: pix2pix (`N.jpg`, 2:1 side-by-side, photo left, labels right) and the
//! CMP base release (`cmp_bNNNN.jpg` photo + `cmp_bNNNN.png` labels). Pairs derived from CMP
//! facades (a sketch or a grey photo on the right) may keep the facade labels they came from in
//! [`LAYOUT_FOLDER`].

use std::path::{Path, PathBuf};

use image::RgbImage;

use crate::error::{Error, Result};
use crate::image_io::load_rgb;
use crate::label_map::LabelMap;
use crate::palette::Palette;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `N.jpg`: 2:1 side-by-side pairs, photo left, colour labels right.
    Pix2Pix,
    /// `cmp_bNNNN.jpg` photos with `cmp_bNNNN.png` label images.
    CmpBase,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairSource {
    /// The pair file (pix2pix) or the photo (CMP base).
    pub path: PathBuf,
    /// The label image (CMP base only).
    pub labels: Option<PathBuf>,
    /// The CMP facade labels behind a derived pair (`labels/<stem>.png` beside it).
    pub layout: Option<PathBuf>,
}

/// The folder beside derived pairs that holds the CMP facade labels each was derived from,
/// under the pair's name as PNG (written by `dataset derive`).
pub const LAYOUT_FOLDER: &str = "labels";

impl PairSource {
    pub fn name(&self) -> String {
        self.path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// A decoded pair: the photo and its label map (the task's input), of the same size, and for a
/// derived pair the CMP facade labels it was derived from, when kept.
#[derive(Debug, Clone)]
pub struct Pair {
    pub photo: RgbImage,
    pub labels: LabelMap,
    pub layout: Option<LabelMap>,
}

#[derive(Debug, Clone)]
pub struct Dataset {
    pub root: PathBuf,
    pub layout: Layout,
    pub pairs: Vec<PairSource>,
}

fn is_image(path: &Path) -> bool {
    crate::image_io::is_image_path(path)
}

/// Sorts `2.jpg` before `10.jpg`: numeric stems by number, the rest by name after them.
fn natural_key(path: &Path) -> (u64, String) {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let digits: String = stem.chars().filter(|c| c.is_ascii_digit()).collect();
    (digits.parse().unwrap_or(u64::MAX), stem)
}

impl Dataset {
    /// Finds the pairs in `dir`. A folder holding `train/` (the archive's top level) opens its
    /// `train/` split.
    pub fn open(dir: &Path) -> Result<Dataset> {
        if !dir.is_dir() {
            return Err(Error::bad_file(
                dir,
                "is not a folder. Point --data at a facades folder (e.g. facades/train), or fetch one with `facade-studio dataset download`.",
            ));
        }
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| Error::io(dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && is_image(p))
            .collect();
        if files.is_empty() && dir.join("train").is_dir() {
            return Dataset::open(&dir.join("train"));
        }
        files.sort_by_key(|p| natural_key(p));
        let is_cmp = files.iter().any(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("cmp_"))
                && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("png"))
        });
        let (layout, pairs) = if is_cmp {
            let pairs: Vec<PairSource> = files
                .iter()
                .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("jpg")))
                .filter_map(|photo| {
                    let labels = photo.with_extension("png");
                    labels.is_file().then(|| PairSource {
                        path: photo.clone(),
                        labels: Some(labels),
                        layout: None,
                    })
                })
                .collect();
            (Layout::CmpBase, pairs)
        } else {
            let layouts = dir.join(LAYOUT_FOLDER);
            let pairs = files
                .into_iter()
                .map(|path| {
                    let name = path.file_stem().unwrap_or_default().to_string_lossy();
                    let layout = layouts.join(format!("{name}.png"));
                    PairSource {
                        layout: layout.is_file().then_some(layout),
                        path,
                        labels: None,
                    }
                })
                .collect();
            (Layout::Pix2Pix, pairs)
        };
        if pairs.is_empty() {
            return Err(Error::bad_file(
                dir,
                "holds no image pairs. Expected N.jpg side-by-side pairs (pix2pix layout) or cmp_bNNNN.jpg + .png (CMP base). Fetch the data with `facade-studio dataset download`.",
            ));
        }
        Ok(Dataset {
            root: dir.to_path_buf(),
            layout,
            pairs,
        })
    }

    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Whether every pair keeps the facade labels it was derived from.
    pub fn has_layouts(&self) -> bool {
        self.pairs.iter().all(|p| p.layout.is_some())
    }

    /// Splits off the last `n` pairs (in natural order) as a held-out validation split.
    pub fn split_last(&self, n: usize) -> (Dataset, Dataset) {
        let n = n.min(self.pairs.len());
        let cut = self.pairs.len() - n;
        let make = |pairs: &[PairSource]| Dataset {
            root: self.root.clone(),
            layout: self.layout,
            pairs: pairs.to_vec(),
        };
        (make(&self.pairs[..cut]), make(&self.pairs[cut..]))
    }
}

/// Decodes one pair (with its kept facade labels, if any); errors name the file and say what
/// is wrong with it.
pub fn load_pair(source: &PairSource, palette: &Palette) -> Result<Pair> {
    let (photo, labels) = load_photo_and_labels(source, palette)?;
    let layout = match &source.layout {
        Some(path) => Some(load_matching(
            path,
            &Palette::cmp_facades(),
            &photo,
            source,
        )?),
        None => None,
    };
    Ok(Pair {
        photo,
        labels,
        layout,
    })
}

fn load_photo_and_labels(source: &PairSource, palette: &Palette) -> Result<(RgbImage, LabelMap)> {
    let path = &source.path;
    match &source.labels {
        None => {
            let img = load_rgb(path)?;
            let (w, h) = img.dimensions();
            if w != 2 * h || w < 2 {
                return Err(Error::bad_file(
                    path,
                    format!(
                        "is {w}×{h}; a pix2pix pair is twice as wide as high (photo left, labels right, e.g. 512×256). Remove it or fix its size."
                    ),
                ));
            }
            let photo = image::imageops::crop_imm(&img, 0, 0, h, h).to_image();
            let right = image::imageops::crop_imm(&img, h, 0, h, h).to_image();
            let (labels, _) = LabelMap::from_rgb(&right, palette);
            Ok((photo, labels))
        }
        Some(label_path) => {
            let photo = load_rgb(path)?;
            let labels = load_matching(label_path, palette, &photo, source)?;
            Ok((photo, labels))
        }
    }
}

/// The label image `label_path` on `palette`, which must be the size of `source`'s `photo`.
fn load_matching(
    label_path: &Path,
    palette: &Palette,
    photo: &RgbImage,
    source: &PairSource,
) -> Result<LabelMap> {
    let (labels, _) = LabelMap::load_image(label_path, palette)?;
    if (labels.width, labels.height) != photo.dimensions() {
        return Err(Error::bad_file(
            label_path,
            format!(
                "labels are {}×{} but the photo {} is {}×{}; they must match",
                labels.width,
                labels.height,
                source.path.display(),
                photo.width(),
                photo.height()
            ),
        ));
    }
    Ok(labels)
}
