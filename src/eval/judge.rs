//! A learned judge of realism: a small patch classifier trained to tell the real photos from the
//! renders, then asked about photos and renders it has not seen (a classifier two-sample test,
//! Lopez-Paz & Oquab, ICLR 2017). The pairs are dealt into folds; each fold's judge learns from the
//! other folds' photos and renders and scores its own fold's, so the judge that scores a pair has
//! seen neither its photo nor its render. It starts from a seed: no pretrained weights.
//!
//! Where the per-image figures measure amounts (of sharpness, of high frequencies), the judge
//! learns whatever tells the two apart — smears, halos, colours, texture of the wrong kind — and
//! says how often it can, and in which classes' regions.

use burn::module::Module;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::optim::GradientsParams;
use burn::prelude::*;
use image::RgbImage;
use rand::{Rng, SeedableRng, rngs::StdRng};

use super::jackknife::mean_and_error;
use crate::error::{Error, Result};
use crate::kernels;
use crate::model::loss::bce_with_logits;
use crate::train::adam::Adam;

/// How the judges are trained.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct JudgeConfig {
    /// Adam steps per judge.
    pub steps: usize,
    /// How many judges (the pairs are dealt into this many folds).
    pub folds: usize,
    /// The side of the square crops a judge learns from, in pixels.
    pub crop: u32,
    /// Crops of photos (and as many of renders, at the same places) per step.
    pub batch: usize,
    pub seed: u64,
    /// Judge the luminance only: light and texture, not colour.
    pub grey: bool,
}

impl Default for JudgeConfig {
    fn default() -> JudgeConfig {
        JudgeConfig {
            steps: 300,
            folds: 4,
            crop: 64,
            batch: 16,
            seed: 1,
            grey: false,
        }
    }
}

/// One pair as the judge sees it: the real photo, the render of its layout, and the class of
/// each pixel (row-major, the photo's size).
pub struct Exhibit {
    pub photo: RgbImage,
    pub render: RgbImage,
    pub ids: Vec<u8>,
}

/// What the judges said about the photos and renders they had not seen.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Verdict {
    pub config: JudgeConfig,
    /// The share of pairs whose photo the judge scored above their render (a two-alternative
    /// forced choice: 0.5 = cannot tell them apart, 1.0 = always can), and its standard error.
    pub told_apart: f64,
    pub told_apart_se: f64,
    /// The area under the ROC curve over every photo against every render of the same fold.
    pub auc: f64,
    /// Per pair: the photo's mean patch logit minus the render's.
    pub margins: Vec<f64>,
    /// The judge's accuracy on 8×8-pixel patches (each judged with 38 pixels around it): the
    /// mean of its hit rates on the photos' patches and on the renders' (0.5 = cannot tell them
    /// apart), with its standard error (the jackknife over the pairs); per pair in `accuracies`.
    pub accuracy: f64,
    pub accuracy_se: f64,
    pub accuracies: Vec<f64>,
    /// The share of the renders' patches taken for photos, and of the photos' own.
    pub renders_taken: f64,
    pub photos_taken: f64,
    /// Per class (None: no patch of it): where the renders give themselves away.
    pub by_class: Vec<Option<ClassShare>>,
    /// Per pair, the judge's patch logits for its photo and for its render (not kept in the
    /// report; [`judged_picture`] draws them).
    #[serde(skip)]
    pub maps: Vec<[PatchLogits; 2]>,
}

/// The shares of one class's patches taken for photos.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClassShare {
    pub renders: f64,
    pub photos: f64,
}

/// The judge's network: three 4×4 stride-2 convolutions and a 3×3 one (a receptive field of 38
/// pixels), leaky ReLU, and a 1×1 head giving one logit per 8×8 patch ("photo" when positive).
#[derive(Module, Debug)]
struct Net {
    convs: Vec<Conv2d>,
    head: Conv2d,
}

impl Net {
    fn new(device: &Device) -> Net {
        let layout = [
            (3, 32, 4, 2),
            (32, 64, 4, 2),
            (64, 128, 4, 2),
            (128, 128, 3, 1),
        ];
        let convs = layout
            .iter()
            .map(|&(cin, cout, k, stride)| {
                let pad = (k - 1) / 2;
                Conv2dConfig::new([cin, cout], [k, k])
                    .with_stride([stride, stride])
                    .with_padding(PaddingConfig2d::Explicit(pad, pad, pad, pad))
                    .init(device)
            })
            .collect();
        Net {
            convs,
            head: Conv2dConfig::new([128, 1], [1, 1]).init(device),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let h = self.convs.iter().fold(x, |h, conv| {
            kernels::leaky_relu(kernels::conv2d_layer(conv, h), 0.2)
        });
        kernels::conv2d_layer(&self.head, h)
    }
}

/// Trains `config.folds` judges (fewer when there are fewer pairs) on `exhibits` and gathers what
/// each says about its own fold. An error under 2 pairs or folds, or when a render's size
/// differs from its photo's.
pub fn judge(exhibits: &[Exhibit], config: &JudgeConfig, device: &Device) -> Result<Verdict> {
    let config = &JudgeConfig {
        folds: config.folds.min(exhibits.len()),
        ..*config
    };
    check(exhibits, config)?;
    let mut scores = vec![(0.0, 0.0); exhibits.len()];
    let mut tally = PatchTally::default();
    let mut accuracies = vec![0.0; exhibits.len()];
    let mut maps = vec![Default::default(); exhibits.len()];
    for fold in 0..config.folds {
        let (mine, others): (Vec<usize>, Vec<usize>) =
            (0..exhibits.len()).partition(|&i| fold_of(i, config.folds) == fold);
        let train: Vec<&Exhibit> = others.iter().map(|&i| &exhibits[i]).collect();
        let seed = config.seed.wrapping_mul(1000).wrapping_add(fold as u64);
        let net = train_one(&train, config, seed, device);
        for &i in &mine {
            let e = &exhibits[i];
            let photo = logits(&net, &e.photo, config.grey, device)?;
            let render = logits(&net, &e.render, config.grey, device)?;
            accuracies[i] = tally.add(&photo, &render, e);
            scores[i] = (mean(&photo.values), mean(&render.values));
            maps[i] = [photo, render];
        }
    }
    Ok(verdict(config, &scores, accuracies, tally, maps))
}

/// The fold pair `i` is dealt into (round the folds in turn).
fn fold_of(i: usize, folds: usize) -> usize {
    i % folds
}

fn check(exhibits: &[Exhibit], config: &JudgeConfig) -> Result<()> {
    if config.folds < 2 {
        return Err(Error::msg(format!(
            "the learned judge needs at least 2 pairs, one to learn from while it scores the other, and 2 folds ({} pairs, {} folds): evaluate more pairs",
            exhibits.len(),
            config.folds
        )));
    }
    match exhibits
        .iter()
        .find(|e| e.photo.dimensions() != e.render.dimensions())
    {
        Some(e) => Err(Error::msg(format!(
            "the learned judge compares a render with its photo at one size, and a render is {:?} where its photo is {:?}",
            e.render.dimensions(),
            e.photo.dimensions()
        ))),
        None => Ok(()),
    }
}

/// One judge, trained on crops of `train`'s photos (label "photo") and of their renders at the
/// same places (label "render").
fn train_one(train: &[&Exhibit], config: &JudgeConfig, seed: u64, device: &Device) -> Net {
    let device = device.clone().autodiff();
    let mut net = crate::model::seeded_init(&device, seed, || {
        let net = Net::new(&device);
        crate::model::materialize(&net);
        net
    });
    let mut adam = Adam::new(0.5);
    let mut rng = StdRng::seed_from_u64(seed);
    for _ in 0..config.steps {
        let [photos, renders] = crops(train, config, &mut rng, &device);
        let loss = bce_with_logits(net.forward(photos), true)
            + bce_with_logits(net.forward(renders), false);
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        net = adam.step(LEARNING_RATE, net, grads);
    }
    net.valid()
}

const LEARNING_RATE: f64 = 2e-4;

/// `config.batch` crops of photos and of their renders at the same places (random pair,
/// place and mirroring), as network inputs.
fn crops(
    train: &[&Exhibit],
    config: &JudgeConfig,
    rng: &mut StdRng,
    device: &Device,
) -> [Tensor<4>; 2] {
    let (w, h) = train[0].photo.dimensions();
    let side = config.crop.min(w).min(h);
    let mut planes = [Vec::new(), Vec::new()];
    for _ in 0..config.batch {
        let e = train[rng.random_range(0..train.len())];
        let (w, h) = e.photo.dimensions();
        let (x, y) = (
            rng.random_range(0..=w - side),
            rng.random_range(0..=h - side),
        );
        let mirror = rng.random_bool(0.5);
        for (out, image) in planes.iter_mut().zip([&e.photo, &e.render]) {
            let crop = image::imageops::crop_imm(image, x, y, side, side).to_image();
            let crop = match mirror {
                true => image::imageops::flip_horizontal(&crop),
                false => crop,
            };
            out.extend(input_planes(&crop, config.grey));
        }
    }
    let shape = [config.batch, 3, side as usize, side as usize];
    planes.map(|p| Tensor::from_data(TensorData::new(p, shape), device))
}

/// `image` as three planes in [−1, 1]; with `grey`, its luminance (Rec. 601) three times.
fn input_planes(image: &RgbImage, grey: bool) -> Vec<f32> {
    let n = (image.width() * image.height()) as usize;
    let mut planes = vec![0f32; 3 * n];
    for (i, p) in image.pixels().enumerate() {
        let [r, g, b] = p.0.map(|v| v as f32);
        let values = match grey {
            true => [0.299 * r + 0.587 * g + 0.114 * b; 3],
            false => [r, g, b],
        };
        for (c, v) in values.iter().enumerate() {
            planes[c * n + i] = v / 127.5 - 1.0;
        }
    }
    planes
}

/// A judge's patch logits for a whole image, row-major.
#[derive(Debug, Clone, Default)]
pub struct PatchLogits {
    values: Vec<f32>,
    rows: usize,
    cols: usize,
}

fn logits(net: &Net, image: &RgbImage, grey: bool, device: &Device) -> Result<PatchLogits> {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let x = Tensor::from_data(
        TensorData::new(input_planes(image, grey), [1, 3, h, w]),
        device,
    );
    let out = net.forward(x);
    let [_, _, rows, cols] = out.dims();
    let values = out
        .into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .map_err(|e| Error::msg(format!("the judge's logits could not be read: {e:?}")))?;
    Ok(PatchLogits { values, rows, cols })
}

fn mean(values: &[f32]) -> f64 {
    values.iter().map(|&v| v as f64).sum::<f64>() / values.len().max(1) as f64
}

/// Per class, the patches counted and how many of them the judge took for photos, on the photos
/// and on the renders (a patch's class: that of the pixel at its centre).
#[derive(Default)]
struct PatchTally {
    photos: Vec<u64>,
    renders: Vec<u64>,
    count: Vec<u64>,
}

impl PatchTally {
    /// Counts one pair's patches; the judge's accuracy on them (the mean of its hit rates on the
    /// photo's and on the render's).
    fn add(&mut self, photo: &PatchLogits, render: &PatchLogits, e: &Exhibit) -> f64 {
        let (w, h) = (e.photo.width() as usize, e.photo.height() as usize);
        let mut hits = 0usize;
        for r in 0..photo.rows {
            for c in 0..photo.cols {
                let at = r * photo.cols + c;
                let render_taken = render.values[at] > 0.0;
                let photo_taken = photo.values[at] > 0.0;
                hits += photo_taken as usize + !render_taken as usize;
                let y = ((2 * r + 1) * h / (2 * photo.rows)).min(h - 1);
                let x = ((2 * c + 1) * w / (2 * photo.cols)).min(w - 1);
                let Some(&class) = e.ids.get(y * w + x) else {
                    continue;
                };
                let k = class as usize;
                if self.count.len() <= k {
                    for v in [&mut self.photos, &mut self.renders, &mut self.count] {
                        v.resize(k + 1, 0);
                    }
                }
                self.photos[k] += photo_taken as u64;
                self.renders[k] += render_taken as u64;
                self.count[k] += 1;
            }
        }
        hits as f64 / (2 * render.values.len()).max(1) as f64
    }

    fn by_class(&self) -> Vec<Option<ClassShare>> {
        (0..self.count.len())
            .map(|k| {
                let n = self.count[k] as f64;
                (n > 0.0).then(|| ClassShare {
                    renders: self.renders[k] as f64 / n,
                    photos: self.photos[k] as f64 / n,
                })
            })
            .collect()
    }

    /// The shares of the renders' and of the photos' patches taken for photos.
    fn shares(&self) -> [f64; 2] {
        let n = self.count.iter().sum::<u64>().max(1) as f64;
        [&self.renders, &self.photos].map(|v| v.iter().sum::<u64>() as f64 / n)
    }
}

/// The verdict from each pair's (photo, render) mean logit, patch accuracy and patch logits.
fn verdict(
    config: &JudgeConfig,
    scores: &[(f64, f64)],
    accuracies: Vec<f64>,
    tally: PatchTally,
    maps: Vec<[PatchLogits; 2]>,
) -> Verdict {
    let margins: Vec<f64> = scores.iter().map(|(p, r)| p - r).collect();
    let picked: Vec<f64> = margins.iter().map(|&m| picked(m)).collect();
    let (told_apart, told_apart_se) = mean_and_error(&picked);
    let (accuracy, accuracy_se) = mean_and_error(&accuracies);
    let [renders_taken, photos_taken] = tally.shares();
    Verdict {
        config: *config,
        told_apart,
        told_apart_se,
        auc: auc_within_folds(scores, config.folds),
        margins,
        accuracy,
        accuracy_se,
        accuracies,
        renders_taken,
        photos_taken,
        by_class: tally.by_class(),
        maps,
    }
}

/// 1 when the photo scored above its render, 0 below, ½ for a tie.
fn picked(margin: f64) -> f64 {
    match margin.partial_cmp(&0.0) {
        Some(std::cmp::Ordering::Greater) => 1.0,
        Some(std::cmp::Ordering::Less) => 0.0,
        _ => 0.5,
    }
}

/// The share of (photo, render) pairings of one fold — every photo against every render that
/// the same judge scored — where the photo scored higher (ties count ½).
fn auc_within_folds(scores: &[(f64, f64)], folds: usize) -> f64 {
    let (mut wins, mut count) = (0.0f64, 0.0f64);
    for fold in 0..folds {
        let mine: Vec<&(f64, f64)> = scores
            .iter()
            .enumerate()
            .filter(|&(i, _)| fold_of(i, folds) == fold)
            .map(|(_, s)| s)
            .collect();
        for (photo, _) in &mine {
            for (_, render) in &mine {
                wins += picked(photo - render);
                count += 1.0;
            }
        }
    }
    wins / count.max(1.0)
}

impl JudgeConfig {
    /// What the judge looks at: "colour" or "luminance".
    pub fn looks_at(&self) -> &'static str {
        match self.grey {
            true => "luminance",
            false => "colour",
        }
    }
}

impl Verdict {
    /// Patch accuracy in a few words ("colour 73 % ± 2"), for lines of figures.
    pub fn short_text(&self) -> String {
        format!(
            "{} {:.0} % ± {:.0}",
            self.config.looks_at(),
            100.0 * self.accuracy,
            100.0 * self.accuracy_se
        )
    }

    /// The verdict as lines for a terminal (`classes`: the palette's class names).
    pub fn to_text(&self, classes: &[String]) -> String {
        let c = &self.config;
        let pc = |v: f64| format!("{:.0} %", 100.0 * v);
        let mut out = format!(
            "learned judge ({}, {} judges × {} steps, each scoring the pairs it did not learn from): patch accuracy {} ± {} (50 % = cannot tell; renders' patches taken for photos {}, photos' {}); whole images: photo told from render in {} ± {} of pairs, AUC {:.2}\n",
            c.looks_at(),
            c.folds,
            c.steps,
            pc(self.accuracy),
            pc(self.accuracy_se),
            pc(self.renders_taken),
            pc(self.photos_taken),
            pc(self.told_apart),
            pc(self.told_apart_se),
            self.auc
        );
        let mut shares: Vec<(&String, ClassShare)> = self
            .by_class
            .iter()
            .enumerate()
            .filter_map(|(k, s)| Some((classes.get(k)?, (*s)?)))
            .collect();
        shares.sort_by(|a, b| a.1.renders.total_cmp(&b.1.renders));
        let shares: Vec<String> = shares
            .iter()
            .map(|(n, s)| format!("{n} {}|{}", pc(s.renders), pc(s.photos)))
            .collect();
        out.push_str(&format!(
            "  by class, renders' | photos' patches taken for photos (most given away first): {}\n",
            shares.join("  ")
        ));
        out
    }
}

/// Where the judge saw a render: `photo` and `render` side by side, each patch it took for a render
/// tinted red (the more sure, the redder), the patches it took for photos left as they are.
pub fn judged_picture(photo: &RgbImage, render: &RgbImage, maps: &[PatchLogits; 2]) -> RgbImage {
    let (w, h) = photo.dimensions();
    let mut out = RgbImage::new(2 * w, h);
    for (k, (image, map)) in [photo, render].into_iter().zip(maps).enumerate() {
        for (x, y, p) in image.enumerate_pixels() {
            let r = (y as usize * map.rows / h as usize).min(map.rows.saturating_sub(1));
            let c = (x as usize * map.cols / w as usize).min(map.cols.saturating_sub(1));
            let logit = map.values.get(r * map.cols + c).copied().unwrap_or(0.0);
            let tint = (-logit / 4.0).clamp(0.0, 1.0) * 0.4;
            let red = [255.0, 40.0, 40.0];
            let mixed = std::array::from_fn(|i| {
                (p.0[i] as f32 * (1.0 - tint) + red[i] * tint).round() as u8
            });
            out.put_pixel(k as u32 * w + x, y, image::Rgb(mixed));
        }
    }
    out
}

/// The verdicts kept in the report folder `report` (its `metrics.json`; none when it was
/// evaluated without `--judge`).
pub fn load_verdicts(report: &std::path::Path) -> Result<Vec<Verdict>> {
    let path = report.join(super::REPORT_FILE);
    let bytes = std::fs::read(&path)
        .map_err(|e| Error::bad_file(&path, format!("cannot be read ({e})")))?;
    #[derive(serde::Deserialize)]
    struct Judged {
        #[serde(default)]
        judge: Vec<Verdict>,
    }
    let judged: Judged = serde_json::from_slice(&bytes)
        .map_err(|e| Error::bad_file(&path, format!("is not an eval report: {e}")))?;
    Ok(judged.judge)
}

/// For each of `mine`, the difference from the verdict of the same settings in `theirs` (an
/// evaluation of the same split): the patch accuracy, pair by pair, with its jackknife error; as
/// lines for a terminal.
pub fn differences_text(mine: &[Verdict], theirs: &[Verdict]) -> String {
    let mut out = String::new();
    for v in mine {
        let what = v.config.looks_at();
        let twin = theirs.iter().find(|t| t.config == v.config);
        let line = match twin {
            Some(t) if t.accuracies.len() == v.accuracies.len() && v.accuracies.len() > 2 => {
                let d: Vec<f64> = (v.accuracies.iter().zip(&t.accuracies))
                    .map(|(a, b)| a - b)
                    .collect();
                let (mean, se) = mean_and_error(&d);
                let mark = if mean.abs() > 2.0 * se { " *" } else { "" };
                format!(
                    "patch accuracy {:+.1} % ± {:.1} %{mark}",
                    100.0 * mean,
                    100.0 * se
                )
            }
            Some(t) => format!(
                "judged {} pairs where this evaluation judged {}; compare evaluations of the same split",
                t.accuracies.len(),
                v.accuracies.len()
            ),
            None => "that report has no verdict of the same settings (evaluate it with the same --judge and --judge-steps)".into(),
        };
        out.push_str(&format!("  learned judge ({what}): {line}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 128×32 pair whose photo carries a fine checker texture where `textured(x, y)` holds
    /// and whose render is flat grey there; elsewhere both are the same soft gradient.
    fn exhibit(seed: u32, textured: impl Fn(u32, u32) -> bool) -> Exhibit {
        let base = |x: u32, y: u32| image::Rgb([(90 + x + seed) as u8, (100 + y) as u8, 110]);
        let photo = RgbImage::from_fn(128, 32, |x, y| match textured(x, y) {
            true if (x + y + seed).is_multiple_of(2) => image::Rgb([200, 190, 170]),
            true => image::Rgb([40, 50, 60]),
            false => base(x, y),
        });
        let render = RgbImage::from_fn(128, 32, |x, y| match textured(x, y) {
            true => image::Rgb([120, 120, 115]),
            false => base(x, y),
        });
        let ids = (0..128 * 32)
            .map(|i| textured(i % 128, i / 128) as u8)
            .collect();
        Exhibit { photo, render, ids }
    }

    fn config() -> JudgeConfig {
        JudgeConfig {
            steps: 150,
            folds: 2,
            crop: 32,
            batch: 8,
            seed: 3,
            grey: false,
        }
    }

    #[test]
    fn a_judge_tells_textured_photos_from_flat_renders_and_says_where() {
        // The left 24 columns are class 1 (textured in the photos only), the rest class 0: only
        // its patches within the judge's reach (19 pixels) of class 1 can tell the two apart.
        let exhibits: Vec<Exhibit> = (0..6).map(|s| exhibit(s, |x, _| x < 24)).collect();
        // More folds than pairs: one judge per pair.
        let ten = JudgeConfig {
            folds: 10,
            ..config()
        };
        let v = judge(&exhibits, &ten, &Device::flex()).unwrap();
        assert_eq!(v.config.folds, 6);
        assert_eq!(v.told_apart, 1.0, "{v:?}");
        assert_eq!(v.auc, 1.0, "{v:?}");
        assert_eq!(v.margins.len(), 6);
        assert_eq!(v.accuracies.len(), 6);
        assert!(v.accuracy > 0.6, "{v:?}");
        // The textured class gives the renders away; the plain class, the same in both, cannot.
        let [plain, textured] = [v.by_class[0].unwrap(), v.by_class[1].unwrap()];
        assert!(textured.renders < 0.2 && textured.photos > 0.8, "{v:?}");
        assert!((plain.renders - plain.photos).abs() < 0.3, "{v:?}");
    }

    #[test]
    fn a_judge_cannot_tell_renders_that_are_the_photos() {
        let exhibits: Vec<Exhibit> = (0..4)
            .map(|s| {
                let e = exhibit(s, |x, y| (x / 8 + y / 8) % 2 == 0);
                Exhibit {
                    render: e.photo.clone(),
                    ..e
                }
            })
            .collect();
        let v = judge(&exhibits, &config(), &Device::flex()).unwrap();
        // The same image scores the same: every choice is a tie.
        assert_eq!(v.told_apart, 0.5);
        assert!(v.margins.iter().all(|&m| m == 0.0), "{:?}", v.margins);
        assert_eq!(v.renders_taken, v.photos_taken);
        assert_eq!(v.accuracy, 0.5);
        assert!(v.by_class.iter().flatten().all(|s| s.renders == s.photos));
    }

    #[test]
    fn a_grey_judge_sees_luminance_only() {
        // Pure red and the grey of the same Rec. 601 luminance (0.299 × 255 ≈ 76.2).
        let red = RgbImage::from_pixel(2, 1, image::Rgb([255, 0, 0]));
        let grey = RgbImage::from_pixel(2, 1, image::Rgb([76, 76, 76]));
        let [a, b] = [&red, &grey].map(|i| input_planes(i, true));
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 0.002, "{x} {y}");
        }
        assert_ne!(input_planes(&red, false), input_planes(&grey, false));
    }

    #[test]
    fn too_few_pairs_or_a_render_of_another_size_is_refused() {
        let one = vec![exhibit(0, |_, _| true)];
        let e = judge(&one, &config(), &Device::flex()).unwrap_err();
        assert!(e.to_string().contains("at least 2 pairs"), "{e}");
        let mut two: Vec<Exhibit> = (0..2).map(|s| exhibit(s, |_, _| true)).collect();
        two[1].render = RgbImage::new(16, 32);
        let e = judge(&two, &config(), &Device::flex()).unwrap_err();
        assert!(
            e.to_string()
                .contains("(16, 32) where its photo is (128, 32)"),
            "{e}"
        );
    }

    fn verdict_taking(accuracies: &[f64], grey: bool) -> Verdict {
        let scores: Vec<(f64, f64)> = accuracies.iter().map(|&a| (1.0, a)).collect();
        let config = JudgeConfig { grey, ..config() };
        let maps = Vec::new();
        verdict(
            &config,
            &scores,
            accuracies.to_vec(),
            PatchTally::default(),
            maps,
        )
    }

    #[test]
    fn verdicts_differ_pair_by_pair_and_only_with_the_same_settings() {
        let mine = [verdict_taking(&[0.3, 0.5, 0.4, 0.2], false)];
        // Each pair 0.1 lower in the other report: +10 % with no spread.
        let lower = [verdict_taking(&[0.2, 0.4, 0.3, 0.1], false)];
        let text = differences_text(&mine, &lower);
        assert!(
            text.contains("(colour): patch accuracy +10.0 % ± 0.0 % *"),
            "{text}"
        );
        let text = differences_text(&mine, &[verdict_taking(&[0.2, 0.4, 0.3, 0.1], true)]);
        assert!(text.contains("no verdict of the same settings"), "{text}");
        let text = differences_text(&mine, &[verdict_taking(&[0.2, 0.4, 0.3], false)]);
        assert!(
            text.contains("judged 3 pairs where this evaluation judged 4"),
            "{text}"
        );
    }

    #[test]
    fn the_judged_picture_tints_only_patches_taken_for_renders() {
        let photo = RgbImage::from_pixel(16, 8, image::Rgb([100, 100, 100]));
        let render = RgbImage::from_pixel(16, 8, image::Rgb([100, 100, 100]));
        // Two patches per image: the left one taken for a photo, the right one surely a render.
        let map = |values: Vec<f32>| PatchLogits {
            values,
            rows: 1,
            cols: 2,
        };
        let maps = [map(vec![3.0, 3.0]), map(vec![3.0, -8.0])];
        let out = judged_picture(&photo, &render, &maps);
        assert_eq!(out.dimensions(), (32, 8));
        assert_eq!(out.get_pixel(3, 4).0, [100, 100, 100]);
        assert_eq!(out.get_pixel(12, 4).0, [100, 100, 100]);
        assert_eq!(out.get_pixel(16 + 3, 4).0, [100, 100, 100]);
        // 40 % towards red: 100 · 0.6 + 255 · 0.4 = 162, 100 · 0.6 + 40 · 0.4 = 76.
        assert_eq!(out.get_pixel(16 + 12, 4).0, [162, 76, 76]);
    }
}
