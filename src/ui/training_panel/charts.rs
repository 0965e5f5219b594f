//! The Train tab's charts: the loss curves (raw and smoothed, epoch marks, log scale), the
//! learning rate, the newest checkpoint's held-out figures (and, from `figure_chart`, those of
//! every checkpoint) and the samples with their slider.

use egui::{Color32, Ui};
use egui_plot::{Legend, Line, Plot, PlotPoints, VLine};

use super::TrainingPanel;
use crate::events::StepLosses;

impl TrainingPanel {
    pub(super) fn plots(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            ui.strong("Losses");
            ui.checkbox(&mut self.log_scale, "log scale");
        });
        let log = self.log_scale;
        let value = move |v: f32| {
            if log {
                (v.max(1e-6) as f64).log10()
            } else {
                v as f64
            }
        };
        // One colour per loss of `StepLosses::NAMES`.
        let colours = [
            Color32::from_rgb(240, 160, 60),
            Color32::from_rgb(90, 170, 255),
            Color32::from_rgb(200, 130, 230),
            Color32::from_rgb(240, 220, 80),
            Color32::from_rgb(80, 210, 200),
            Color32::from_rgb(120, 220, 120),
            Color32::from_rgb(230, 90, 90),
        ];
        // Thin long histories for drawing.
        let stride = (self.curve.rows.len() / 4000).max(1);
        let history = &self.curve.rows;
        let marks = &self.curve.epoch_marks;
        let mut plot = Plot::new("loss-plot")
            .height(200.0)
            .legend(Legend::default())
            .x_axis_label("step");
        if log {
            plot = plot.y_axis_formatter(|mark, _| log_tick(mark.value));
        }
        let shown = plotted_losses(history);
        plot.show(ui, |p| {
            for k in shown {
                let (name, colour) = (StepLosses::NAMES[k], colours[k]);
                let get = |l: &StepLosses| l.values()[k];
                let raw: PlotPoints<'_> = history
                    .iter()
                    .step_by(stride)
                    .map(|l| [l.step as f64, value(get(l))])
                    .collect();
                p.line(Line::new(name, raw).color(colour.gamma_multiply(0.35)));
                let smooth = ema(history.iter().map(|l| (l.step as f64, value(get(l)))), 0.05);
                let smooth: PlotPoints<'_> = smooth.into_iter().step_by(stride).collect();
                p.line(Line::new(name, smooth).color(colour).width(2.0));
            }
            for &m in marks.iter().step_by((marks.len() / 50).max(1)) {
                p.vline(VLine::new("epoch", m as f64).color(Color32::from_gray(80)));
            }
        });
        Plot::new("lr-plot")
            .height(60.0)
            .x_axis_label("learning rate")
            .show(ui, |p| {
                let pts: PlotPoints<'_> = history
                    .iter()
                    .step_by(stride)
                    .map(|l| [l.step as f64, l.lr])
                    .collect();
                p.line(Line::new("lr", pts));
            });
        self.figures_ui(ui);
        self.figure_chart_ui(ui);
    }

    /// The newest checkpoint's held-out figures, each next to what real photos score.
    fn figures_ui(&self, ui: &mut Ui) {
        let Some((step, f)) = self.figures.last() else {
            return;
        };
        let r = &f.realism;
        ui.label(format!(
            "held out at step {step} ({} pairs): L1 {:.3} · PSNR {:.1} dB · SSIM {:.3}",
            f.pairs, f.l1, f.psnr, f.ssim
        ));
        ui.label(format!(
            "realism (1.00 = like the photos): sharpness {:.2} · HF {:.2} · grid {:.2} · colour spread {:.2} · saturation {:.2}",
            r.sharpness, r.hf_power, r.grid, r.colour_spread, r.saturation
        ))
        .on_hover_text("ratios of the renders' figures to the real photos' of the same pairs; grid above 1 is a stride-2 pattern");
        if let Some(c) = &f.consistency {
            ui.label(format!(
                "label consistency: mIoU {:.3} (real photos {:.3}) · pixel acc {:.3} ({:.3})",
                c.renders.mean_iou,
                c.real.mean_iou,
                c.renders.pixel_accuracy,
                c.real.pixel_accuracy
            ));
        }
        if let Some(k) = &f.kid {
            ui.label(format!(
                "distribution: KID {} (blurred photos {:.3}, photos against photos {:.3})",
                k.renders_text(),
                k.blurred,
                k.real_halves
            ))
            .on_hover_text("Kernel distance of the renders from the real photos as a set, on the segmenter's features: 0 = indistinguishable");
        }
        if !f.judge.is_empty() {
            let verdicts: Vec<String> = f.judge.iter().map(|v| v.short_text()).collect();
            ui.label(format!("learned judges: {}", verdicts.join(" · ")))
                .on_hover_text("How often small classifiers trained at this checkpoint tell the renders' patches from the photos' (patch accuracy): 50 % = they cannot");
        }
    }

    pub(super) fn samples_ui(&mut self, ui: &mut Ui) {
        ui.strong("Samples: labels | truth | prediction");
        if self.samples.is_empty() {
            ui.weak("the first samples appear after 100 steps");
            return;
        }
        let last = self.samples.len() - 1;
        self.sample_index = self.sample_index.min(last);
        ui.add(egui::Slider::new(&mut self.sample_index, 0..=last).text("sample"));
        let (step, tex) = &self.samples[self.sample_index];
        ui.label(format!("step {step}"));
        let size = tex.size_vec2();
        let scale = (ui.available_width() / size.x).min(1.5);
        ui.add(egui::Image::from_texture(tex).fit_to_exact_size(size * scale));
    }
}

/// The losses of `StepLosses::NAMES` that the plot draws: all but those the run leaves out
/// (0 throughout: feature matching off, no focal frequency or spectral envelope loss).
fn plotted_losses(history: &[StepLosses]) -> Vec<usize> {
    (0..StepLosses::NAMES.len())
        .filter(|&k| !StepLosses::optional(k) || history.iter().any(|l| l.values()[k] != 0.0))
        .collect()
}

fn ema(values: impl Iterator<Item = (f64, f64)>, alpha: f64) -> Vec<[f64; 2]> {
    let mut acc: Option<f64> = None;
    values
        .map(|(x, y)| {
            let v = match acc {
                Some(a) => a + alpha * (y - a),
                None => y,
            };
            acc = Some(v);
            [x, v]
        })
        .collect()
}

/// The label of a log-scale tick at `exponent` (10^exponent): plain decimals from 0.01 to 999,
/// powers of ten outside (never "0.000" for a small loss).
fn log_tick(exponent: f64) -> String {
    let v = 10f64.powf(exponent);
    if (0.01..1000.0).contains(&v) {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{v:.0e}")
    }
}

#[cfg(test)]
mod tests {
    /// The focal frequency and spectral losses of the second-step recipes are drawn; a loss
    /// the run leaves out is not, and a hinge D loss at exactly 0 for a while still is.
    #[test]
    fn the_plot_draws_every_loss_the_run_has() {
        let step = |g_feat: f32, g_freq: f32, d_real: f32| crate::events::StepLosses {
            step: 0,
            epoch: 0,
            g_gan: 1.0,
            g_l1: 0.2,
            g_feat,
            d_real,
            d_fake: 0.5,
            lr: 1e-4,
            seconds: 0.0,
            g_freq,
            g_spec: 0.0,
        };
        let names = |rows: &[crate::events::StepLosses]| -> Vec<&str> {
            let shown = super::plotted_losses(rows);
            shown
                .iter()
                .map(|&k| crate::events::StepLosses::NAMES[k])
                .collect()
        };
        let oasis = [step(0.0, 0.3, 0.0), step(0.0, 0.2, 0.0)];
        assert_eq!(
            names(&oasis),
            ["G_GAN", "G_L1", "G_freq", "D_real", "D_fake"]
        );
        let default = [step(4.0, 0.0, 0.7)];
        assert_eq!(
            names(&default),
            ["G_GAN", "G_L1", "G_feat", "D_real", "D_fake"]
        );
        assert_eq!(
            oasis[0].to_line(),
            "G_GAN 1.000 G_L1 0.200 G_freq 0.300 D_real 0.000 D_fake 0.500"
        );
    }

    #[test]
    fn log_ticks_read_as_numbers_at_every_scale() {
        assert_eq!(super::log_tick(0.0), "1");
        assert_eq!(super::log_tick(-1.0), "0.1");
        assert_eq!(super::log_tick(-2.0), "0.01");
        assert_eq!(super::log_tick(0.5f64.log10()), "0.5");
        assert_eq!(super::log_tick(-3.0), "1e-3");
        assert_eq!(super::log_tick(-4.0), "1e-4");
        assert_eq!(super::log_tick(3.0), "1e3");
    }
}
