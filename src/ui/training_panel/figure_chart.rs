//! The held-out figures over the run: one chart of a group of them (the realism ratios, label
//! consistency, KID or L1) at each checkpoint, with what the real photos score drawn as dashed
//! lines, so a student sees which way each figure moves while the GAN learns.

use egui::{Color32, Ui};
use egui_plot::{HLine, Line, LineStyle, Plot, PlotPoints, Points};

use super::TrainingPanel;
use crate::eval::Figures;

/// A group of held-out figures drawn together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FigureGroup {
    /// Sharpness, HF power, grid, colour spread and saturation over the photos' (1 = like them).
    Realism,
    /// The segmenter's mIoU on the renders (and on the photos).
    Labels,
    /// KID on the segmenter's features (0 = the photos as a set).
    Distribution,
    /// Mean absolute error against the photos.
    Error,
    /// The learned judges' patch accuracy, in % (50 = they cannot tell renders from photos;
    /// runs with `--checkpoint-judges on`).
    Judges,
}

impl FigureGroup {
    pub const ALL: [FigureGroup; 5] = [
        FigureGroup::Realism,
        FigureGroup::Labels,
        FigureGroup::Distribution,
        FigureGroup::Error,
        FigureGroup::Judges,
    ];

    pub fn label(self) -> &'static str {
        match self {
            FigureGroup::Realism => "realism ratios",
            FigureGroup::Labels => "label consistency (mIoU)",
            FigureGroup::Distribution => "KID",
            FigureGroup::Error => "L1",
            FigureGroup::Judges => "learned judges",
        }
    }

    /// Each figure of the group as (name, value) for one checkpoint's figures (a figure the
    /// checkpoint did not measure is left out).
    fn values(self, f: &Figures) -> Vec<(&'static str, f64)> {
        let r = &f.realism;
        match self {
            FigureGroup::Realism => vec![
                ("sharpness", r.sharpness),
                ("HF power", r.hf_power),
                ("grid", r.grid),
                ("colour spread", r.colour_spread),
                ("saturation", r.saturation),
            ],
            FigureGroup::Labels => f
                .consistency
                .iter()
                .map(|c| ("mIoU", c.renders.mean_iou))
                .collect(),
            FigureGroup::Distribution => f.kid.iter().map(|k| ("KID", k.renders)).collect(),
            FigureGroup::Error => vec![("L1", f.l1)],
            FigureGroup::Judges => f
                .judge
                .iter()
                .map(|v| (v.config.looks_at(), 100.0 * v.accuracy))
                .collect(),
        }
    }

    /// What the real photos score, from the newest checkpoint's figures.
    fn references(self, f: &Figures) -> Vec<(&'static str, f64)> {
        match self {
            FigureGroup::Realism => vec![("photos", 1.0)],
            FigureGroup::Labels => f
                .consistency
                .iter()
                .map(|c| ("photos", c.real.mean_iou))
                .collect(),
            FigureGroup::Distribution => f
                .kid
                .iter()
                .flat_map(|k| [("blurred photos", k.blurred), ("photos", k.real_halves)])
                .collect(),
            FigureGroup::Error => Vec::new(),
            FigureGroup::Judges => match f.judge.is_empty() {
                true => Vec::new(),
                false => vec![("cannot tell", 50.0)],
            },
        }
    }
}

/// One line of the chart: a figure's name and its (step, value) at each checkpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: &'static str,
    pub points: Vec<[f64; 2]>,
}

/// The group's figures over `history` (checkpoints oldest first), one series per figure.
pub fn series(history: &[(u64, Figures)], group: FigureGroup) -> Vec<Series> {
    let mut out: Vec<Series> = Vec::new();
    for (step, f) in history {
        for (name, value) in group.values(f) {
            let point = [*step as f64, value];
            match out.iter_mut().find(|s| s.name == name) {
                Some(s) => s.points.push(point),
                None => out.push(Series {
                    name,
                    points: vec![point],
                }),
            }
        }
    }
    out
}

/// The photos' levels for the group, from the newest checkpoint (none before one).
pub fn references(history: &[(u64, Figures)], group: FigureGroup) -> Vec<(&'static str, f64)> {
    history
        .last()
        .map_or(Vec::new(), |(_, f)| group.references(f))
}

const COLOURS: [Color32; 5] = [
    Color32::from_rgb(90, 170, 255),
    Color32::from_rgb(240, 160, 60),
    Color32::from_rgb(230, 90, 90),
    Color32::from_rgb(120, 220, 120),
    Color32::from_rgb(200, 130, 230),
];

impl TrainingPanel {
    /// The chart of the chosen group of held-out figures over the run's checkpoints.
    pub(super) fn figure_chart_ui(&mut self, ui: &mut Ui) {
        if self.figures.is_empty() {
            return;
        }
        ui.strong("Held-out figures over the run");
        ui.horizontal_wrapped(|ui| {
            for g in FigureGroup::ALL {
                ui.selectable_value(&mut self.figure_group, g, g.label());
            }
        });
        let lines = series(&self.figures, self.figure_group);
        let levels = references(&self.figures, self.figure_group);
        key(ui, &lines, &levels);
        Plot::new("figure-plot")
            .height(130.0)
            .x_axis_label("step")
            .show(ui, |p| {
                for (s, colour) in lines.into_iter().zip(COLOURS.iter().cycle()) {
                    let name = s.name;
                    p.line(Line::new(name, PlotPoints::from(s.points.clone())).color(*colour));
                    p.points(Points::new(name, s.points).color(*colour).radius(2.5));
                }
                for (name, level) in levels {
                    let style = LineStyle::Dashed { length: 6.0 };
                    let line = HLine::new(name, level).color(Color32::GRAY).style(style);
                    p.hline(line);
                }
            });
    }
}

/// The chart's key above it (a legend inside would cover the lines): each figure in its colour,
/// then the photos' levels, dashed in the chart.
fn key(ui: &mut Ui, lines: &[Series], levels: &[(&str, f64)]) {
    ui.horizontal_wrapped(|ui| {
        for (s, colour) in lines.iter().zip(COLOURS.iter().cycle()) {
            ui.colored_label(*colour, format!("— {}", s.name));
        }
        for (name, level) in levels {
            ui.weak(format!("- - {name} {level:.3}"));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::consistency::Consistency;
    use crate::eval::kid::Kid;
    use crate::eval::realism::Realism;
    use crate::eval::{Figures, LabelConsistency};

    fn consistency(mean_iou: f64) -> Consistency {
        Consistency {
            pixel_accuracy: 0.5,
            mean_class_accuracy: 0.5,
            mean_iou,
            class_iou: Vec::new(),
        }
    }

    fn figures(l1: f64, hf_power: f64, mean_iou: Option<f64>, kid: Option<f64>) -> Figures {
        let realism = Realism {
            sharpness: 0.9,
            hf_power,
            grid: 1.2,
            colour_spread: 0.8,
            saturation: 0.85,
            grid_by_stride: [0.0; 3],
        };
        Figures {
            pairs: 4,
            l1,
            psnr: 12.0,
            ssim: 0.25,
            realism,
            realism_se: None,
            realism_renders: realism,
            realism_real: realism,
            consistency: mean_iou.map(|m| LabelConsistency {
                segmenter: "s".into(),
                renders: consistency(m),
                real: consistency(0.45),
            }),
            kid: kid.map(|renders| Kid {
                renders,
                renders_se: 0.01,
                blurred: 0.6,
                real_halves: 0.02,
            }),
            judge: Vec::new(),
        }
    }

    #[test]
    fn each_group_draws_its_figures_at_each_checkpoint_with_the_photos_levels() {
        let history = vec![
            (360, figures(0.19, 0.30, Some(0.30), Some(0.40))),
            (720, figures(0.18, 0.60, Some(0.35), Some(0.20))),
        ];
        let realism = series(&history, FigureGroup::Realism);
        let names: Vec<_> = realism.iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            [
                "sharpness",
                "HF power",
                "grid",
                "colour spread",
                "saturation"
            ]
        );
        assert_eq!(realism[1].points, vec![[360.0, 0.30], [720.0, 0.60]]);
        assert_eq!(
            references(&history, FigureGroup::Realism),
            [("photos", 1.0)]
        );
        let labels = series(&history, FigureGroup::Labels);
        assert_eq!(labels.len(), 1);
        assert_eq!(labels[0].points, vec![[360.0, 0.30], [720.0, 0.35]]);
        assert_eq!(
            references(&history, FigureGroup::Labels),
            [("photos", 0.45)]
        );
        assert_eq!(
            series(&history, FigureGroup::Distribution)[0].points,
            vec![[360.0, 0.40], [720.0, 0.20]]
        );
        assert_eq!(
            references(&history, FigureGroup::Distribution),
            [("blurred photos", 0.6), ("photos", 0.02)]
        );
        assert_eq!(
            series(&history, FigureGroup::Error)[0].points,
            vec![[360.0, 0.19], [720.0, 0.18]]
        );
    }

    fn verdict(grey: bool, accuracy: f64) -> crate::eval::judge::Verdict {
        let config = crate::eval::judge::JudgeConfig {
            grey,
            ..Default::default()
        };
        serde_json::from_value(serde_json::json!({
            "config": config, "told_apart": 0.9, "told_apart_se": 0.05, "auc": 0.9,
            "margins": [], "accuracy": accuracy, "accuracy_se": 0.02, "accuracies": [],
            "renders_taken": 0.3, "photos_taken": 0.7, "by_class": []
        }))
        .unwrap()
    }

    #[test]
    fn the_judges_are_drawn_in_percent_where_checkpoints_have_them() {
        let mut judged = figures(0.2, 0.5, None, None);
        judged.judge = vec![verdict(false, 0.73), verdict(true, 0.665)];
        let history = vec![(360, figures(0.2, 0.5, None, None)), (720, judged)];
        assert_eq!(
            series(&history, FigureGroup::Judges),
            vec![
                Series {
                    name: "colour",
                    points: vec![[720.0, 73.0]]
                },
                Series {
                    name: "luminance",
                    points: vec![[720.0, 66.5]]
                },
            ]
        );
        assert_eq!(
            references(&history, FigureGroup::Judges),
            [("cannot tell", 50.0)]
        );
        assert!(references(&history[..1], FigureGroup::Judges).is_empty());
    }

    #[test]
    fn a_checkpoint_measured_again_replaces_it_and_the_ones_after_it() {
        let mut panel = crate::ui::training_panel::TrainingPanel::default();
        for step in [360, 720, 1080] {
            panel.record_figures(step, figures(0.2, 0.5, None, None));
        }
        // A resumed run measures step 720 again: 1 080 is trained again too.
        panel.record_figures(720, figures(0.15, 0.5, None, None));
        let steps: Vec<u64> = panel.figure_history().iter().map(|(s, _)| *s).collect();
        assert_eq!(steps, [360, 720]);
        assert_eq!(panel.figures().map(|(_, f)| f.l1), Some(0.15));
    }

    #[test]
    fn checkpoints_without_a_figure_leave_gaps_not_zeros() {
        // Without a segmenter there is no mIoU or KID; with too few pairs, no KID.
        let history = vec![
            (2, figures(0.2, 0.5, None, None)),
            (4, figures(0.2, 0.5, Some(0.3), None)),
        ];
        assert_eq!(
            series(&history, FigureGroup::Labels),
            vec![Series {
                name: "mIoU",
                points: vec![[4.0, 0.3]]
            }]
        );
        assert!(series(&history, FigureGroup::Distribution).is_empty());
        assert!(references(&history, FigureGroup::Distribution).is_empty());
        assert!(series(&[], FigureGroup::Realism).is_empty());
    }
}
