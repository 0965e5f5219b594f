//! `--script`: a RON list of edits and app commands run in order at start through
//! `StudioApp::execute`, as if the user had painted and chosen them. An export of the render waits
//! for the render of the painting as it is at that step; the first step that fails stops the
//! script (its error names the step; the steps after it do not run).

use super::app::StudioApp;

impl StudioApp {
    /// Runs the script's next steps until it ends or a step must wait for a render.
    pub(super) fn advance_script(&mut self) {
        while let Some(script) = &mut self.script {
            let Some(next) = script.steps.front() else {
                self.script = None;
                return;
            };
            // Without a render worker, or with one that failed, the export runs (and fails,
            // saying why) instead of waiting forever.
            let render_coming =
                (self.worker.is_some() || self.options.render) && self.preview.error.is_none();
            if next.needs_render() && render_coming && !self.preview.is_current(&self.doc) {
                return;
            }
            let Some(command) = script.steps.pop_front() else {
                return;
            };
            script.done += 1;
            let (step, path) = (script.done, script.path.clone());
            let errors = self.errors.len();
            self.execute(command.clone());
            if self.errors.len() > errors {
                let e = &mut self.errors[errors];
                *e = format!(
                    "{}: step {step} ({command:?}) failed, so the steps after it did not run: {e}",
                    path.display()
                );
                self.script = None;
            }
        }
    }
}
