//! Evaluating a generator on a split: mean L1, PSNR and SSIM against the real photos; realism
//! figures as ratios to the real photos; label consistency (a segmenter's reading of the renders
//! against the painted labels, next to its reading of the real photos); and an image grid
//! (labels | truth | render) for the first pairs.

pub mod consistency;
pub mod jackknife;
pub mod judge;
pub mod kid;
pub mod lattice;
pub mod metrics;
pub mod paired;
pub mod realism;
pub mod style_grid;

use std::path::Path;

use image::RgbImage;

use crate::data::augment::{AugmentConfig, Resized, resize_pair};
use crate::data::dataset::{Dataset, load_pair};
use crate::error::{Error, Result};
use crate::fsutil::atomic_write;
use crate::image_io::save_png;
use crate::render::Renderer;
use crate::segment::Segmenter;
use crate::style::Style;
use consistency::{Confusion, Consistency};
use realism::Realism;

#[derive(Debug, Clone, serde::Serialize)]
pub struct EvalReport {
    pub model: String,
    pub data: String,
    pub skipped: usize,
    pub ngf: usize,
    pub backend: String,
    /// The style each layout was rendered in.
    pub style: StyleMode,
    #[serde(flatten)]
    pub figures: Figures,
    /// Each pair's figures (written beside the report, `pairs.json`, for `eval --against`).
    #[serde(skip)]
    pub pairs: paired::PairStats,
}

/// The style each held-out layout is rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum StyleMode {
    /// No style: the model's own choice of colours.
    #[default]
    None,
    /// The style of the layout's own true photo (how far a style brings a render to the truth).
    Own,
    /// The style of the layout's own photo taken alone, its labels read by the segmenter (as
    /// for any photo a user picks), not the pair's.
    Photo,
    /// The style of another pair of the split (halfway round it).
    Other,
    /// A style the model's prior draws for the layout (seed: the pair's place in the split),
    /// as the app and `render` do when no style is given.
    Prior,
}

impl StyleMode {
    /// The style pair `i` of `dataset` is rendered in (`own` is that pair's photo's).
    fn style_for(
        self,
        i: usize,
        pair: &Resized,
        dataset: &Dataset,
        renderer: &Renderer,
        segmenter: Option<&Segmenter>,
        size: u32,
    ) -> Result<Style> {
        let palette = &renderer.palette;
        Ok(match self {
            StyleMode::None => Style::none(),
            StyleMode::Own => pair.style.clone(),
            StyleMode::Photo => {
                let segmenter = segmenter.ok_or_else(|| {
                    Error::msg(
                        "--style photo reads each photo's labels with the segmenter, and there is none: pass --segmenter FILE (or keep assets/segmenter.fsw beside the binary)",
                    )
                })?;
                crate::style::photo::style_read_by(&pair.photo, segmenter)?
            }
            StyleMode::Prior => renderer.style_bank().sample_for(
                &crate::style::classes_of(&pair.labels),
                &Style::none(),
                i as u64 + 1,
            ),
            StyleMode::Other => {
                let n = dataset.len();
                (0..n)
                    .map(|k| (i + n / 2 + k) % n)
                    .filter(|&j| j != i)
                    .find_map(|j| load_pair(&dataset.pairs[j], palette).ok())
                    .map(|p| resize_pair(&p, size).style)
                    .unwrap_or_default()
            }
        })
    }
}

/// What a set of renders scores against the real photos of the same pairs.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Figures {
    pub pairs: usize,
    /// Mean absolute error per channel, pixel values scaled to [0, 1].
    pub l1: f64,
    /// Mean PSNR in dB (8-bit peak).
    pub psnr: f64,
    /// Mean SSIM (Gaussian window σ = 1.5, averaged over R, G, B).
    pub ssim: f64,
    /// Renders' realism figures over the real photos' (1.0 = like the photos).
    pub realism: Realism,
    /// The standard error of each of those ratios (the jackknife over the pairs; absent in
    /// reports written before it, and under 3 pairs).
    #[serde(default)]
    pub realism_se: Option<Realism>,
    pub realism_renders: Realism,
    pub realism_real: Realism,
    /// Present when a segmenter was available.
    pub consistency: Option<LabelConsistency>,
    /// The distribution-level figure on the segmenter's features (with a segmenter, and at
    /// least 4 pairs).
    #[serde(default)]
    pub kid: Option<kid::Kid>,
    /// Learned judges' verdicts (`eval --judge`; see [`judge`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub judge: Vec<judge::Verdict>,
}

/// The segmenter's reading of the renders and of the real photos, each against the true labels.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LabelConsistency {
    pub segmenter: String,
    pub renders: Consistency,
    /// The ceiling: the same segmenter on the real photos of the split.
    pub real: Consistency,
}

/// What the figures need of a real photo alone, whatever renders it is compared with: its
/// statistics and, with a segmenter, the segmenter's labels and features of it and of it blurred.
#[derive(Debug, Clone)]
pub struct RealSide {
    stats: realism::ImageStats,
    read: Option<SegmentedReal>,
}

#[derive(Debug, Clone)]
struct SegmentedReal {
    ids: Vec<u8>,
    features: Vec<f64>,
    blurred: Vec<f64>,
}

impl RealSide {
    /// Measures `photo` (with `segmenter`, when label consistency and KID are wanted).
    pub fn of(photo: &RgbImage, segmenter: Option<&Segmenter>) -> Result<RealSide> {
        let read = match segmenter {
            Some(seg) => {
                let (ids, levels) = seg.segment_with_features(photo)?;
                Some(SegmentedReal {
                    ids,
                    features: kid::statistics(levels)?,
                    blurred: kid::features(seg, &kid::blurred(photo))?,
                })
            }
            None => None,
        };
        Ok(RealSide {
            stats: realism::image_stats(photo),
            read,
        })
    }
}

/// Sums what every pair adds to the figures.
pub struct Totals {
    /// Each pair's L1.
    l1: Vec<f64>,
    psnr: f64,
    ssim: f64,
    renders: Vec<realism::ImageStats>,
    reals: Vec<realism::ImageStats>,
    /// The segmenter's reading of the real photos, summed over the pairs.
    on_reals: Option<Confusion>,
    /// Its reading of each pair's render (summed when the figures are finished; kept per pair
    /// for `eval --against`).
    confusions: Vec<Vec<u64>>,
    /// The segmenter's features of the renders, the real photos and the blurred real photos.
    features: [Vec<Vec<f64>>; 3],
}

impl Totals {
    /// Empty totals; `classes` when label consistency is measured (the segmenter's classes).
    pub fn new(classes: Option<usize>) -> Totals {
        Totals {
            l1: Vec::new(),
            psnr: 0.0,
            ssim: 0.0,
            renders: Vec::new(),
            reals: Vec::new(),
            on_reals: classes.map(Confusion::new),
            confusions: Vec::new(),
            features: Default::default(),
        }
    }

    /// Adds one render of `pair`; label consistency compares the segmenter's reading with
    /// `truth` (default: the facade labels the pair was derived from, else its own label map).
    pub fn add(
        &mut self,
        render: &RgbImage,
        pair: &Resized,
        truth: Option<&crate::label_map::LabelMap>,
        segmenter: Option<&Segmenter>,
    ) -> Result<()> {
        let real = RealSide::of(&pair.photo, segmenter)?;
        self.add_beside(render, pair, truth, segmenter, &real)
    }

    /// [`Totals::add`] with the real photo's side measured before (`RealSide::of` with the same
    /// segmenter): a run measures its held-out photos once, not at every checkpoint.
    pub fn add_beside(
        &mut self,
        render: &RgbImage,
        pair: &Resized,
        truth: Option<&crate::label_map::LabelMap>,
        segmenter: Option<&Segmenter>,
        real: &RealSide,
    ) -> Result<()> {
        self.l1.push(metrics::mean_abs_error(render, &pair.photo));
        self.psnr += metrics::psnr(render, &pair.photo);
        self.ssim += metrics::ssim(render, &pair.photo);
        self.renders.push(realism::image_stats(render));
        self.reals.push(real.stats);
        if let (Some(seg), Some(on_reals), Some(read_real)) =
            (segmenter, &mut self.on_reals, &real.read)
        {
            let truth = true_labels(pair, truth);
            let [renders, reals, blurred] = &mut self.features;
            // One segmenter pass reads the render's labels and its features.
            let (read, levels) = seg.segment_with_features(render)?;
            let mut own = Confusion::new(on_reals.classes);
            own.add(&truth.ids, &read);
            self.confusions.push(own.counts);
            renders.push(kid::statistics(levels)?);
            on_reals.add(&truth.ids, &read_real.ids);
            reals.push(read_real.features.clone());
            blurred.push(read_real.blurred.clone());
        }
        Ok(())
    }

    /// Each pair's figures so far (see [`paired`]).
    pub fn pairs(&self) -> paired::PairStats {
        paired::PairStats {
            l1: self.l1.clone(),
            renders: self.renders.clone(),
            reals: self.reals.clone(),
            confusions: self.confusions.clone(),
            features: self.features[0].clone(),
            real_features: self.features[1].clone(),
        }
    }

    /// The figures of everything added (`segmenter` names the consistency's source).
    pub fn finish(self, segmenter: Option<&Segmenter>) -> Figures {
        let k = self.renders.len().max(1) as f64;
        let realism_renders = realism::summarize(&self.renders);
        let realism_real = realism::summarize(&self.reals);
        let consistency = match (segmenter, &self.on_reals) {
            (Some(seg), Some(on_reals)) => Some(LabelConsistency {
                segmenter: seg.source.display().to_string(),
                renders: Confusion::summed(on_reals.classes, &self.confusions).scores(),
                real: on_reals.scores(),
            }),
            _ => None,
        };
        let [renders, reals, blurred] = &self.features;
        Figures {
            pairs: self.renders.len(),
            l1: self.l1.iter().sum::<f64>() / k,
            psnr: self.psnr / k,
            ssim: self.ssim / k,
            realism: realism_renders.ratio_to(&realism_real),
            realism_se: realism::ratio_errors(&self.renders, &self.reals),
            realism_renders,
            realism_real,
            consistency,
            kid: kid::kid(renders, blurred, reals),
            judge: Vec::new(),
        }
    }
}

/// One render of [`evaluate`], handed out as it is made.
pub struct Rendered<'a> {
    /// Pairs done so far (this one included) and the split's size.
    pub done: usize,
    pub total: usize,
    /// The pair's file.
    pub source: &'a Path,
    pub render: &'a RgbImage,
    /// The pair's real photo and its true facade labels (at the render's size).
    pub photo: &'a RgbImage,
    pub labels: &'a crate::label_map::LabelMap,
}

/// Renders every pair of `dataset` with `renderer` and measures the results (label consistency
/// too when a `segmenter` is given). `each` sees each render as it is made (progress, saving);
/// its error stops the evaluation. The grid of the first `grid_rows` pairs is returned too.
/// `truth`: for a model whose input is not a label map (a sketch), the labels dataset whose
/// pair of the same file stem gives each pair's true label map for label consistency.
pub fn evaluate(
    renderer: &Renderer,
    segmenter: Option<&Segmenter>,
    truth: Option<&Dataset>,
    style: StyleMode,
    dataset: &Dataset,
    grid_rows: usize,
    each: &mut dyn FnMut(Rendered) -> Result<()>,
) -> Result<(EvalReport, RgbImage)> {
    let size = renderer.meta.model.size as u32;
    let augment = AugmentConfig::eval(size);
    let mut totals = Totals::new(segmenter.map(|s| s.classes()));
    let (mut n, mut skipped) = (0usize, 0usize);
    let rows = grid_rows.min(dataset.len()).max(1) as u32;
    let mut grid = RgbImage::new(3 * size, rows * size);
    for (i, source) in dataset.pairs.iter().enumerate() {
        let pair = match load_pair(source, &renderer.palette) {
            Ok(p) => resize_pair(&p, augment.load_size),
            Err(e) => {
                eprintln!("skipped: {e}");
                skipped += 1;
                continue;
            }
        };
        let style = style.style_for(i, &pair, dataset, renderer, segmenter, augment.load_size)?;
        let render = renderer.render(&pair.labels, &style, None)?;
        let truth = match truth {
            Some(t) => Some(truth_labels(t, source, augment.load_size)?),
            None => None,
        };
        totals.add(&render, &pair, truth.as_ref(), segmenter)?;
        if (n as u32) < rows {
            let y = n as i64 * size as i64;
            image::imageops::replace(&mut grid, &pair.labels.to_rgb(&renderer.palette), 0, y);
            image::imageops::replace(&mut grid, &pair.photo, size as i64, y);
            image::imageops::replace(&mut grid, &render, 2 * size as i64, y);
        }
        n += 1;
        each(Rendered {
            done: i + 1,
            total: dataset.len(),
            source: &source.path,
            render: &render,
            photo: &pair.photo,
            labels: true_labels(&pair, truth.as_ref()),
        })?;
    }
    if n == 0 {
        return Err(Error::bad_file(
            &dataset.root,
            "no pair could be read for evaluation",
        ));
    }
    // Unreadable pairs leave no empty rows at the bottom.
    let filled = (n as u32).min(rows);
    if filled < rows {
        grid = image::imageops::crop_imm(&grid, 0, 0, 3 * size, filled * size).to_image();
    }
    Ok((
        EvalReport {
            model: renderer.source.display().to_string(),
            data: dataset.root.display().to_string(),
            skipped,
            ngf: renderer.meta.model.ngf,
            backend: renderer.device.backend.to_string(),
            style,
            pairs: totals.pairs(),
            figures: totals.finish(segmenter),
        },
        grid,
    ))
}

/// The facade labels `pair` is measured against: `truth` when given, else the labels the pair was
/// derived from, else its own label map.
fn true_labels<'a>(
    pair: &'a Resized,
    truth: Option<&'a crate::label_map::LabelMap>,
) -> &'a crate::label_map::LabelMap {
    truth.or(pair.layout.as_ref()).unwrap_or(&pair.labels)
}

/// The label map of the pair in `truth` named like `source` (CMP palette, at `size`).
fn truth_labels(
    truth: &Dataset,
    source: &crate::data::PairSource,
    size: u32,
) -> Result<crate::label_map::LabelMap> {
    let stem = |p: &std::path::Path| p.file_stem().map(|s| s.to_os_string());
    let twin = truth
        .pairs
        .iter()
        .find(|t| stem(&t.path) == stem(&source.path))
        .ok_or_else(|| {
            Error::bad_file(
                &source.path,
                format!(
                    "has no pair of the same name in {} to take its true labels from; pass the labels dataset it was derived from",
                    truth.root.display()
                ),
            )
        })?;
    let pair = load_pair(twin, &crate::palette::Palette::cmp_facades())?;
    Ok(resize_pair(&pair, size).labels)
}

impl Figures {
    /// The figures as lines of text for a terminal.
    pub fn to_text(&self, palette: &crate::palette::Palette) -> String {
        let mut out = format!(
            "{} pairs: L1 {:.4}  PSNR {:.2} dB  SSIM {:.4}\n",
            self.pairs, self.l1, self.psnr, self.ssim
        );
        let r = &self.realism;
        out.push_str(&format!(
            "realism (renders / real photos, 1.00 = like photos): sharpness {:.2}  HF power {:.2}  grid {:.2}  colour spread {:.2}  saturation {:.2}\n",
            r.sharpness, r.hf_power, r.grid, r.colour_spread, r.saturation
        ));
        if let Some(e) = &self.realism_se {
            out.push_str(&format!(
                "  standard errors (jackknife over the pairs): sharpness {:.3}  HF power {:.3}  grid {:.3}  colour spread {:.3}  saturation {:.3}\n",
                e.sharpness, e.hf_power, e.grid, e.colour_spread, e.saturation
            ));
        }
        let [two, four, eight] = r.grid_by_stride;
        out.push_str(&format!(
            "  grid by the pattern's period: 2 px {two:.2}  4 px {four:.2}  8 px {eight:.2}\n"
        ));
        match &self.consistency {
            Some(c) => {
                out.push_str(&format!(
                    "label consistency (segmenter on renders | on real photos): pixel acc {:.3} | {:.3}  class acc {:.3} | {:.3}  mIoU {:.3} | {:.3}\n",
                    c.renders.pixel_accuracy,
                    c.real.pixel_accuracy,
                    c.renders.mean_class_accuracy,
                    c.real.mean_class_accuracy,
                    c.renders.mean_iou,
                    c.real.mean_iou
                ));
                let per_class: Vec<String> = c
                    .renders
                    .class_iou
                    .iter()
                    .zip(&c.real.class_iou)
                    .enumerate()
                    .filter_map(|(i, (a, b))| {
                        let name = palette.classes.get(i).map(|c| c.name.as_str())?;
                        let show = |v: &Option<f64>| v.map_or("-".into(), |v| format!("{v:.2}"));
                        Some(format!("{name} {}|{}", show(a), show(b)))
                    })
                    .collect();
                out.push_str(&format!("  IoU per class: {}\n", per_class.join("  ")));
            }
            None => out.push_str(
                "label consistency: no segmenter (train one with `facade-studio segmenter train`, or pass --segmenter)\n",
            ),
        }
        if let Some(k) = &self.kid {
            out.push_str(&format!(
                "distribution (KID on the segmenter's features, 0 = like the photos): renders {} | blurred photos {:.3} | the photos' two halves {:.3}\n",
                k.renders_text(),
                k.blurred,
                k.real_halves
            ));
        }
        let classes: Vec<String> = palette.classes.iter().map(|c| c.name.clone()).collect();
        for verdict in &self.judge {
            out.push_str(&verdict.to_text(&classes));
        }
        out
    }
}

/// The report's file in its folder.
pub const REPORT_FILE: &str = "metrics.json";

/// Writes `metrics.json` and `grid.png` into `out`.
pub fn write_report(out: &Path, report: &EvalReport, grid: &RgbImage) -> Result<()> {
    let json = serde_json::to_vec_pretty(report).map_err(|e| Error::msg(e.to_string()))?;
    atomic_write(&out.join(REPORT_FILE), &json)?;
    report.pairs.save(out)?;
    save_png(grid, &out.join("grid.png"))
}
