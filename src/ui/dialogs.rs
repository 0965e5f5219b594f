//! The modal dialogs: errors (one at a time, oldest first), the crash-recovery offer, and the
//! unsaved-changes question when the window closes. Their buttons queue commands.

use egui::Ui;

use super::command::Command;
use crate::document::project::Project;

#[derive(Default)]
pub struct Dialogs {
    /// The window was asked to close with unsaved changes.
    pub confirm_close: bool,
}

impl Dialogs {
    /// Shows the first dialog that applies. Dismissing an error removes it from `errors`.
    pub fn ui(
        &mut self,
        ui: &Ui,
        errors: &mut Vec<String>,
        offer_recovery: Option<&Project>,
        commands: &mut Vec<Command>,
    ) {
        if let Some(error) = errors.first() {
            let modal = egui::Modal::new(egui::Id::unique("error-dialog")).show(ui.ctx(), |ui| {
                ui.heading("Something went wrong");
                ui.label(error);
                ui.label("Your painting is unchanged.");
                if ui.button("OK").clicked() {
                    ui.close();
                }
            });
            if modal.should_close() {
                errors.remove(0);
            }
            return;
        }
        if let Some(project) = offer_recovery {
            egui::Modal::new(egui::Id::unique("recovery-dialog")).show(ui.ctx(), |ui| {
                ui.heading("Restore unsaved painting?");
                ui.label(format!(
                    "Facade Studio did not close normally. A {}×{} painting was saved automatically.",
                    project.width, project.height
                ));
                ui.horizontal(|ui| {
                    for command in [Command::RestoreRecovery, Command::DiscardRecovery] {
                        super::command::button(ui, command, true, commands);
                    }
                });
            });
            return;
        }
        if self.confirm_close {
            let modal = egui::Modal::new(egui::Id::unique("close-dialog")).show(ui.ctx(), |ui| {
                ui.heading("Unsaved changes");
                ui.label("Save the painting before closing?");
                ui.horizontal(|ui| {
                    for command in [Command::SaveAndClose, Command::CloseWithoutSaving] {
                        if ui.button(command.label()).clicked() {
                            commands.push(command);
                            ui.close();
                        }
                    }
                    if ui.button("Cancel").clicked() {
                        ui.close();
                    }
                });
            });
            if modal.should_close() {
                self.confirm_close = false;
            }
        }
    }
}
