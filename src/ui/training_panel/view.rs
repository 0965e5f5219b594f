//! The Train tab's layout: the settings form (folders, width and recipe buttons, numbers,
//! backend), the run buttons and status line, then the charts.

use std::path::{Path, PathBuf};

use egui::{Color32, Ui};

use super::{ModelWidth, RunState, TrainingPanel};
use crate::backend::BackendChoice;
use crate::events::TrainCommand;
use crate::train::Recipe;
use crate::ui::command::{Command, TrainStart};

impl TrainingPanel {
    pub fn ui(&mut self, ui: &mut Ui, current_model: Option<&Path>, commands: &mut Vec<Command>) {
        ui.heading("Training");
        let open = self.fold_settings.take().map(|fold| !fold);
        egui::CollapsingHeader::new("Settings")
            .open(open)
            .default_open(true)
            .show(ui, |ui| {
                egui::Grid::new("train-settings")
                    .num_columns(2)
                    .spacing([8.0, 4.0])
                    .show(ui, |ui| {
                        ui.label("Dataset folder");
                        ui.horizontal(|ui| {
                            if folder_field(ui, &mut self.data_dir, "Dataset folder", "Browse…") {
                                self.scan_dataset();
                            }
                            if ui.button("Scan").clicked() {
                                self.scan_dataset();
                            }
                        });
                        ui.end_row();
                        ui.label("");
                        match &self.dataset_summary {
                            Some(Ok(s)) => ui.label(s),
                            Some(Err(e)) => ui.colored_label(Color32::from_rgb(255, 120, 100), e),
                            None => ui
                                .weak("pix2pix (N.jpg) or CMP base (cmp_bNNNN.jpg + .png) layouts"),
                        };
                        ui.end_row();
                        ui.label("Run folder");
                        ui.horizontal(|ui| {
                            if folder_field(ui, &mut self.run_dir, "Run folder", "Choose…") {
                                let run = PathBuf::from(&self.run_dir);
                                self.load_history(&run);
                            }
                        });
                        ui.end_row();
                        self.recipe_rows(ui);
                        self.number_rows(ui);
                        ui.label("Backend");
                        ui.horizontal(|ui| {
                            ui.selectable_value(&mut self.backend, BackendChoice::Auto, "auto");
                            ui.selectable_value(
                                &mut self.backend,
                                BackendChoice::Wgpu,
                                "GPU (wgpu)",
                            );
                            ui.selectable_value(&mut self.backend, BackendChoice::Cpu, "CPU");
                        });
                        ui.end_row();
                    });
            });
        ui.horizontal(|ui| {
            let active = self.is_active();
            let start = |s| Command::StartTraining(s);
            crate::ui::command::button(ui, start(TrainStart::Fresh), !active, commands);
            crate::ui::command::button(ui, start(TrainStart::ResumeRun), !active, commands);
            let can_fine_tune = !active && current_model.is_some();
            let fine_tune = start(TrainStart::FineTuneCurrentModel);
            crate::ui::command::button(ui, fine_tune, can_fine_tune, commands);
            let pause_or_resume = match self.state {
                RunState::Paused => TrainCommand::Resume,
                _ => TrainCommand::Pause,
            };
            let paused = self.state == RunState::Paused;
            let control = |c| Command::ControlTraining(c);
            crate::ui::command::button(ui, control(pause_or_resume), active || paused, commands);
            crate::ui::command::button(ui, control(TrainCommand::Stop), active, commands);
        });
        ui.horizontal(|ui| {
            let checkpoint = self.latest_checkpoint.clone().unwrap_or_default();
            let command = Command::UsePreviewCheckpoint(checkpoint);
            let enabled = self.latest_checkpoint.is_some();
            crate::ui::command::button(ui, command, enabled, commands);
            ui.checkbox(&mut self.auto_swap, "at every checkpoint");
        });
        self.status_line(ui);
        ui.separator();
        if ui.available_width() > 700.0 {
            ui.columns(2, |cols| {
                self.plots(&mut cols[0]);
                self.samples_ui(&mut cols[1]);
            });
        } else {
            self.plots(ui);
            self.samples_ui(ui);
        }
    }

    fn status_line(&self, ui: &mut Ui) {
        let step = self.curve.next_step();
        let state = match &self.state {
            RunState::Idle => "idle".to_string(),
            RunState::Loading => "loading the dataset…".into(),
            RunState::Running => "running".into(),
            RunState::Paused => "paused".into(),
            RunState::Finished => "finished".into(),
            RunState::Stopped => "stopped".into(),
            RunState::Failed(_) => "failed".into(),
        };
        ui.horizontal(|ui| {
            ui.label(format!("State: {state}"));
            // A run folder followed without training here has no known end.
            ui.label(match self.total_steps {
                0 => format!("step {step}"),
                total => format!("step {step} / {total}"),
            });
            if let Some((rate, eta)) = self.speed() {
                ui.label(format!("{rate:.2} steps/s, ETA {:.0} min", eta / 60.0));
            }
            if let Some(l) = self.curve.rows.last() {
                ui.label(format!("lr {:.2e}", l.lr));
            }
        });
        if let RunState::Failed(e) = &self.state {
            ui.colored_label(Color32::from_rgb(255, 120, 100), e);
        }
        for m in self.messages.iter().rev().take(3) {
            ui.weak(m);
        }
    }

    /// Width and recipe: they set the model (and the recipe's losses).
    fn recipe_rows(&mut self, ui: &mut Ui) {
        let width_before = self.width;
        ui.label("Model");
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.width, ModelWidth::FastCpu, "fast CPU (ngf 32)");
            ui.selectable_value(&mut self.width, ModelWidth::Full, "full (ngf 64)");
        });
        ui.end_row();
        ui.label("Recipe");
        let mut chosen = None;
        ui.horizontal(|ui| {
            for (recipe, name, what) in RECIPE_BUTTONS {
                let lit = !self.custom && self.recipe == recipe;
                if ui.selectable_label(lit, name).on_hover_text(what).clicked() {
                    chosen = Some(recipe);
                }
            }
            if self.custom {
                ui.selectable_label(true, "custom").on_hover_text(
                    "this run's settings follow none of the recipes (options beyond a preset: see its config.json); Resume run keeps them, choosing a recipe replaces them",
                );
            }
        });
        ui.end_row();
        if let Some(recipe) = chosen {
            self.recipe = recipe;
        }
        if chosen.is_some() || self.width != width_before {
            self.custom = false;
            self.apply_recipe();
        }
    }

    /// Epochs, batch, learning rate, L1 weight and the checkpoints' judges, edited in the run's
    /// settings.
    fn number_rows(&mut self, ui: &mut Ui) {
        let c = &mut self.config;
        let l = ui.label("Epochs");
        if ui
            .add(egui::DragValue::new(&mut c.epochs).range(1..=1000))
            .labelled_by(l.id)
            .changed()
        {
            c.set_length(c.epochs, None);
        }
        ui.end_row();
        let l = ui.label("Batch size");
        ui.add(egui::DragValue::new(&mut c.batch).range(1..=64))
            .labelled_by(l.id);
        ui.end_row();
        let l = ui.label("Learning rate");
        let lr = egui::DragValue::new(&mut c.lr)
            .range(1e-6..=1e-2)
            .speed(1e-5)
            .max_decimals(6);
        ui.add(lr).labelled_by(l.id);
        ui.end_row();
        let l = ui.label("L1 weight");
        ui.add(egui::DragValue::new(&mut c.l1_weight).range(0.0..=1000.0))
            .labelled_by(l.id);
        ui.end_row();
        ui.label("Checkpoints");
        ui.checkbox(&mut c.checkpoint_judges, "learned judges")
            .on_hover_text("At each checkpoint, train small classifiers to tell the held-out renders from their photos, and chart how often they can (50 % = they cannot). About 2.6 minutes a checkpoint on a 2-core CPU, seconds on a GPU");
        ui.end_row();
    }
}

/// The recipe buttons: recipe, label, what it is.
const RECIPE_BUTTONS: [(Recipe, &str, &str); 4] = [
    (
        Recipe::Default,
        "photographic",
        "nearest + 3×3 upsampling, two discriminators with feature matching, weight average (the default)",
    ),
    (
        Recipe::Paper,
        "as published",
        "pix2pix exactly as in the paper: transposed convolutions, one discriminator, no weight average",
    ),
    (
        Recipe::SecondStep,
        "second step",
        "photographic, plus a label modulation in the decoder, hinge loss, a 4× faster discriminator, DiffAugment, focal frequency loss and L1 ×10 (see assets/MODEL.md for what it measured)",
    ),
    (
        Recipe::Oasis,
        "OASIS",
        "an OASIS discriminator that segments each photo into the layout's classes or \"fake\" (it starts from the shipped segmenter), a 4× faster discriminator, DiffAugment without colour jitter, focal frequency loss and L1 ×10 (see assets/MODEL.md for what it measured)",
    ),
];

/// A folder path field with a picker button; true when the picker chose a folder.
fn folder_field(ui: &mut Ui, path: &mut String, name: &str, button: &str) -> bool {
    ui.add(egui::TextEdit::singleline(path).desired_width(260.0))
        .on_hover_text(name);
    if ui.button(button).clicked()
        && let Some(d) = rfd::FileDialog::new().pick_folder()
    {
        *path = d.display().to_string();
        return true;
    }
    false
}
