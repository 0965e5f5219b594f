//! `eval`: a model on a held-out split.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use facade_studio::backend::BackendChoice;
use facade_studio::data::Dataset;
use facade_studio::eval;
use facade_studio::models::default_segmenter_path;
use facade_studio::segment::Segmenter;

use super::{bar, load_renderer};
use facade_studio::task::LABELS;

#[derive(Args)]
pub(crate) struct EvalArgs {
    #[arg(long)]
    model: Option<PathBuf>,
    /// Dataset folder to evaluate on.
    #[arg(long)]
    data: PathBuf,
    /// Evaluate only the last N pairs of --data (a held-out split).
    #[arg(long)]
    last: Option<usize>,
    /// Report folder: metrics.json and grid.png.
    #[arg(long)]
    out: PathBuf,
    /// Also write every pair's render into the report folder (renders/, named like the pair,
    /// as PNG), to look at all of them at 100 %, not only the grid's first rows; with --judge,
    /// also each photo and render with what the judge took for a render tinted red
    /// (judged-colour/, judged-luminance/).
    #[arg(long)]
    renders: bool,
    /// Print the metrics as one JSON object.
    #[arg(long)]
    json: bool,
    /// The photo → labels segmenter for label consistency [default: the shipped one,
    /// assets/segmenter.fsw].
    #[arg(long)]
    segmenter: Option<PathBuf>,
    /// For a model whose input is not a label map (a sketch model): the labels dataset the
    /// pairs were derived from (`dataset derive`), whose pairs of the same names give the true
    /// label maps for label consistency.
    #[arg(long)]
    truth_labels: Option<PathBuf>,
    /// Render each layout with no style, its own photo's style (`own`: from the pair's true
    /// labels; `photo`: from the photo alone, its labels read by the segmenter, as for any photo
    /// a user picks), another pair's, or one the style prior draws (a model that takes styles;
    /// see MODEL.md).
    #[arg(long, value_enum, default_value_t = eval::StyleMode::None)]
    style: eval::StyleMode,
    /// With --style: measure the generator's colours alone, without shifting each class to
    /// exactly its style colour afterwards (what render and the app do).
    #[arg(long)]
    raw_colours: bool,
    /// Another report folder of the same split (an earlier `eval --out`): print this model's
    /// figures minus that one's, pair by pair, with their standard errors.
    #[arg(long)]
    against: Option<PathBuf>,
    #[command(flatten)]
    detail: super::DetailArg,
    /// Also train learned judges to tell the photos from the renders, each scoring the pairs it
    /// did not learn from (a few minutes on a CPU): on the colours, on luminance alone (light
    /// and texture), or both.
    #[arg(long, value_enum)]
    judge: Option<JudgeOn>,
    /// Adam steps per judge.
    #[arg(long, default_value_t = eval::judge::JudgeConfig::default().steps)]
    judge_steps: usize,
    /// The judges' seed (their starting weights and crops); another seed shows how much the
    /// verdict owes to the judges' own luck.
    #[arg(long, default_value_t = eval::judge::JudgeConfig::default().seed)]
    judge_seed: u64,
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    backend: BackendChoice,
}

/// What the learned judges look at.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum JudgeOn {
    Colour,
    Grey,
    Both,
}

impl JudgeOn {
    /// One judge configuration per verdict wanted.
    fn configs(self, steps: usize, seed: u64) -> Vec<eval::judge::JudgeConfig> {
        let greys: &[bool] = match self {
            JudgeOn::Colour => &[false],
            JudgeOn::Grey => &[true],
            JudgeOn::Both => &[false, true],
        };
        greys
            .iter()
            .map(|&grey| eval::judge::JudgeConfig {
                steps,
                grey,
                seed,
                ..Default::default()
            })
            .collect()
    }
}

pub(crate) fn cmd_eval(a: EvalArgs) -> Result<()> {
    let mut renderer = load_renderer(a.model, a.backend, a.detail.amount)?;
    renderer.exact_colours = !a.raw_colours;
    if a.style != eval::StyleMode::None && !renderer.takes_style() {
        anyhow::bail!(
            "{}: this model takes no style; evaluate it without --style",
            renderer.source.display()
        );
    }
    // An explicit --segmenter must load; the shipped one is used when it is there.
    let segmenter = match a.segmenter {
        Some(path) => Some(Segmenter::load(&path, renderer.device.clone())?),
        None => {
            let path = default_segmenter_path();
            match path.is_file() {
                true => Some(Segmenter::load(&path, renderer.device.clone())?),
                false => None,
            }
        }
    };
    // Read before the work, so that a wrong folder fails at once.
    let against = a
        .against
        .as_deref()
        .map(|dir| {
            let pairs = eval::paired::PairStats::load(dir)?;
            let verdicts = eval::judge::load_verdicts(dir)?;
            Ok::<_, facade_studio::error::Error>((dir.to_path_buf(), pairs, verdicts))
        })
        .transpose()?;
    let mut dataset = Dataset::open(&a.data)?;
    if let Some(n) = a.last {
        dataset = dataset.split_last(n).1;
    }
    let truth = a.truth_labels.as_deref().map(Dataset::open).transpose()?;
    // Label consistency compares with label maps: a sketch model's inputs are not, the labels
    // that `dataset derive` keeps beside its pairs are.
    let has_truth = truth.is_some() || dataset.has_layouts();
    let segmenter = segmenter.filter(|_| renderer.meta.task == LABELS || has_truth);
    if segmenter.is_none() && renderer.meta.task != LABELS {
        eprintln!(
            "note: no label consistency for a {} model: its pairs keep no facade labels (derive them again with `dataset derive`, which writes labels/) and no --truth-labels was given",
            renderer.meta.task
        );
    }
    let renders = a.renders.then(|| a.out.join("renders"));
    if let Some(dir) = &renders {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("{}: cannot be created ({e})", dir.display()))?;
    }
    let (mut exhibits, mut names) = (Vec::new(), Vec::new());
    let pb = bar(
        dataset.len() as u64,
        "evaluating [{bar:30}] {pos}/{len} ({eta})",
    );
    let (mut report, grid) = eval::evaluate(
        &renderer,
        segmenter.as_ref(),
        truth.as_ref(),
        a.style,
        &dataset,
        8,
        &mut |r| {
            pb.set_position(r.done as u64);
            if a.judge.is_some() {
                names.push(pair_file_name(r.source));
                exhibits.push(eval::judge::Exhibit {
                    photo: r.photo.clone(),
                    render: r.render.clone(),
                    ids: r.labels.ids.clone(),
                });
            }
            match &renders {
                Some(dir) => save_render(r.render, r.source, dir),
                None => Ok(()),
            }
        },
    )?;
    pb.finish_and_clear();
    for config in a
        .judge
        .map_or(Vec::new(), |j| j.configs(a.judge_steps, a.judge_seed))
    {
        eprintln!(
            "training {} learned judges ({} steps each)…",
            config.folds, config.steps
        );
        // On the CPU whatever --backend says: verdicts that do not depend on the device.
        let cpu = facade_studio::backend::cpu_device();
        let verdict = eval::judge::judge(&exhibits, &config, &cpu.device)?;
        if a.renders {
            save_judged(&verdict, &exhibits, &names, &a.out)?;
        }
        report.figures.judge.push(verdict);
    }
    eval::write_report(&a.out, &report, &grid)?;
    let difference = against
        .map(|(dir, other, judged)| {
            let text = difference_text(&report.pairs, &dir, &other)?;
            anyhow::Ok(text + &eval::judge::differences_text(&report.figures.judge, &judged))
        })
        .transpose()?;
    if renderer.takes_style() {
        let styles = eval::style_grid::style_grid(&renderer, &dataset, 8)?;
        facade_studio::image_io::save_png(&styles, &a.out.join("grid-styles.png"))?;
    }
    if a.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        // Label consistency is over the segmenter's classes: the facade labels, whatever the task.
        print!(
            "{}",
            report
                .figures
                .to_text(&facade_studio::palette::Palette::cmp_facades())
        );
        println!("(report in {})", a.out.display());
    }
    // With --json, standard output stays one JSON object.
    match (difference, a.json) {
        (Some(text), false) => print!("{text}"),
        (Some(text), true) => eprint!("{text}"),
        (None, _) => {}
    }
    Ok(())
}

/// Writes `render` of the pair in file `source` into `dir`, named like the pair.
fn save_render(
    render: &image::RgbImage,
    source: &std::path::Path,
    dir: &std::path::Path,
) -> facade_studio::error::Result<()> {
    facade_studio::image_io::save_png(render, &dir.join(pair_file_name(source)))
}

/// The PNG name of the pair in file `source` (its stem).
fn pair_file_name(source: &std::path::Path) -> String {
    let stem = source.file_stem().map(|s| s.to_string_lossy().into_owned());
    format!("{}.png", stem.as_deref().unwrap_or("render"))
}

/// With --renders: each pair's photo and render side by side, where `verdict`'s judge took them
/// for renders tinted red, in `judged-colour/` or `judged-luminance/` of the report folder.
fn save_judged(
    verdict: &eval::judge::Verdict,
    exhibits: &[eval::judge::Exhibit],
    names: &[String],
    out: &std::path::Path,
) -> Result<()> {
    let dir = out.join(format!("judged-{}", verdict.config.looks_at()));
    std::fs::create_dir_all(&dir)
        .map_err(|e| anyhow::anyhow!("{}: cannot be created ({e})", dir.display()))?;
    if verdict.maps.len() != exhibits.len() || names.len() != exhibits.len() {
        anyhow::bail!("the judge's maps do not match the pairs it judged (a bug)");
    }
    for ((e, maps), name) in exhibits.iter().zip(&verdict.maps).zip(names) {
        let picture = eval::judge::judged_picture(&e.photo, &e.render, maps);
        facade_studio::image_io::save_png(&picture, &dir.join(name))?;
    }
    Ok(())
}

/// This evaluation's figures minus those of the report in `dir` (its per-pair figures `other`),
/// as lines for a terminal; an error names the other report's file.
fn difference_text(
    pairs: &eval::paired::PairStats,
    dir: &std::path::Path,
    other: &eval::paired::PairStats,
) -> Result<String> {
    let difference = pairs
        .minus(other)
        .map_err(|e| anyhow::anyhow!("{}: {e}", dir.join(eval::paired::FILE).display()))?;
    Ok(difference.to_text(dir))
}
