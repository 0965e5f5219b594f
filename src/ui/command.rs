//! Every action of the app as one command enum (after rerun's `re_ui` command.rs and
//! egui_demo_app's wrap_app.rs). Each command knows its label, its hover hint and its keyboard
//! shortcuts, here and nowhere else; menus, the toolbar, the tool panel, keys, drag-and-drop, the
//! dialogs, the training panel and `--script` only produce commands, and `StudioApp::execute` is the
//! one place they run.

use std::path::PathBuf;

use egui::{Key, KeyboardShortcut, Modifiers};

use super::tool::{Tool, class_key};
use crate::document::{Document, Edit};
use crate::events::TrainCommand;
use crate::generate::FacadeParams;
use crate::palette::Palette;
use crate::style::Style;

/// Canvas sizes that File → New offers.
pub const NEW_SIZES: [(u32, u32); 5] = [(256, 256), (512, 256), (256, 512), (512, 512), (768, 256)];

/// What the central area shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Paint,
    Train,
}

/// One thing the user (or a script) asks the app to do. A path of `None` means "ask with a file
/// dialog"; scripts, recent files and drag-and-drop give the path.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    // ---- files ----
    New {
        width: u32,
        height: u32,
    },
    /// A project (.ron) or a label image (imported), by extension.
    Open(Option<PathBuf>),
    /// To the project's file, or ask where when it has none.
    Save,
    SaveAs(Option<PathBuf>),
    ImportLabels(Option<PathBuf>),
    /// A facade photo read into labels by the segmenter, its colours as the style (restyling).
    OpenPhotoAsLabels(Option<PathBuf>),
    /// A photo on the colourisation task's canvas (made grey when it is in colour).
    ColourisePhoto(Option<PathBuf>),
    ExportRender(Option<PathBuf>),
    ExportLabels(Option<PathBuf>),
    ExportSideBySide(Option<PathBuf>),
    /// Labels, render and material maps of the canvas into a folder (see `generate::Bundle`).
    ExportBundle(Option<PathBuf>),
    /// File → Export building: the painting as the front of a whole building (into a folder).
    ExportBuilding(Option<PathBuf>),
    RandomSample,
    /// Replace the canvas with a facade built from these parameters (repeated changes while the
    /// Generate panel is adjusted are one undo step).
    Generate(Box<FacadeParams>),
    LoadModel(Option<PathBuf>),
    /// Load a checkpoint into the live preview (the training panel's "Use for preview").
    UsePreviewCheckpoint(PathBuf),
    /// Close the window (asking first when there are unsaved changes).
    Quit,
    // ---- the dialogs ----
    RestoreRecovery,
    DiscardRecovery,
    SaveAndClose,
    CloseWithoutSaving,
    // ---- editing ----
    /// One undo step of painting (scripts; the canvas paints through the same `Edit`s).
    Edit(Edit),
    Undo,
    Redo,
    // ---- view ----
    Show(Mode),
    ZoomIn,
    ZoomOut,
    ZoomFit,
    Zoom100,
    // ---- tools ----
    SelectTool(Tool),
    SelectClass(u8),
    BrushBigger,
    BrushSmaller,
    /// The brush radius in map pixels (the Tools panel's slider), at most `MAX_RADIUS`.
    SetBrushRadius(u32),
    // ---- render ----
    Vary,
    // ---- style ----
    /// Render in this style (the gallery; an empty one frees every class).
    SetStyle(Box<Style>),
    /// Set or free (None) one class's colour (the swatches beside the class list).
    SetClassColour(u8, Option<[u8; 3]>),
    /// The style of a facade photo (its labels from the segmenter, or from the pair).
    StyleFromPhoto(Option<PathBuf>),
    /// Another set of gallery styles.
    MoreStyles,
    // ---- task ----
    /// Paint this task's input (`palettes/tasks/`: "labels" or "sketch") with its shipped model.
    SetTask(String),
    /// Task → Open task file: a task of any pix2pix folder (`--task FILE.ron`), its palette
    /// on the canvas and its model (beside the file) in the preview.
    OpenTaskFile(Option<PathBuf>),
    // ---- training (the Train tab) ----
    /// Start a run in the tab's run folder: fresh, resumed, or fine-tuning the preview's model.
    StartTraining(TrainStart),
    /// Pause, resume or stop the running training.
    ControlTraining(TrainCommand),
}

/// How the Train tab starts a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrainStart {
    Fresh,
    ResumeRun,
    FineTuneCurrentModel,
}

const fn key(key: Key) -> KeyboardShortcut {
    KeyboardShortcut::new(Modifiers::NONE, key)
}

/// Ctrl+key (Cmd+key on macOS).
const fn ctrl(key: Key) -> KeyboardShortcut {
    KeyboardShortcut::new(Modifiers::COMMAND, key)
}

impl Command {
    /// The label of the command's menu entry or button (a path-taking command's label ends in
    /// "…": it asks for the path). The class list shows the palette's names instead.
    pub fn label(&self) -> &'static str {
        match self {
            Command::New { .. } => "New",
            Command::Open(_) => "Open…",
            Command::Save => "Save",
            Command::SaveAs(_) => "Save as…",
            Command::ImportLabels(_) => "Import label image…",
            Command::OpenPhotoAsLabels(_) => "Open photo as labels…",
            Command::ColourisePhoto(_) => "Import photo to colourise…",
            Command::ExportRender(_) => "Export render…",
            Command::ExportLabels(_) => "Export labels…",
            Command::ExportSideBySide(_) => "Export side by side…",
            Command::ExportBundle(_) => "Export for game engine…",
            Command::ExportBuilding(_) => "Export building…",
            Command::RandomSample => "Random sample",
            Command::Generate(_) => "Generate",
            Command::LoadModel(_) => "Load model…",
            Command::UsePreviewCheckpoint(_) => "Use for preview",
            Command::Quit => "Quit",
            Command::RestoreRecovery => "Restore",
            Command::DiscardRecovery => "Discard",
            Command::SaveAndClose => "Save",
            Command::CloseWithoutSaving => "Close without saving",
            Command::Edit(Edit::Stroke { .. }) => "Stroke",
            Command::Edit(Edit::Rect { .. }) => "Rectangle",
            Command::Edit(Edit::Line { .. }) => "Line",
            Command::Edit(Edit::Fill { .. }) => "Fill",
            Command::Edit(Edit::Replace(_)) => "Replace the painting",
            Command::Undo => "Undo",
            Command::Redo => "Redo",
            Command::Show(Mode::Paint) => "Paint",
            Command::Show(Mode::Train) => "Train",
            Command::ZoomIn => "Zoom in",
            Command::ZoomOut => "Zoom out",
            Command::ZoomFit => "Fit",
            Command::Zoom100 => "100 %",
            Command::SelectTool(tool) => tool.name(),
            Command::SelectClass(_) => "Select class",
            Command::BrushBigger => "Bigger brush",
            Command::BrushSmaller => "Smaller brush",
            Command::SetBrushRadius(_) => "Brush size",
            Command::Vary => "Vary",
            Command::SetStyle(style) if style.is_empty() => "No style",
            Command::SetStyle(_) => "Apply style",
            Command::SetClassColour(_, Some(_)) => "Set class colour",
            Command::SetClassColour(_, None) => "Free class colour",
            Command::StyleFromPhoto(_) => "Style from photo…",
            Command::MoreStyles => "More",
            Command::SetTask(_) => "Task",
            Command::OpenTaskFile(_) => "Open task file…",
            Command::StartTraining(TrainStart::Fresh) => "Start",
            Command::StartTraining(TrainStart::ResumeRun) => "Resume run",
            Command::StartTraining(TrainStart::FineTuneCurrentModel) => {
                "Fine-tune the current model"
            }
            Command::ControlTraining(TrainCommand::Pause) => "Pause",
            Command::ControlTraining(TrainCommand::Resume) => "Resume",
            Command::ControlTraining(TrainCommand::Stop) => "Stop",
        }
    }

    /// What the command does, for a tooltip.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Command::UsePreviewCheckpoint(_) => {
                Some("Load the newest checkpoint into the live preview")
            }
            Command::Vary => Some("Another plausible facade for the same layout"),
            Command::SetStyle(style) if style.is_empty() => {
                Some("Free every class: the model chooses the colours")
            }
            Command::StyleFromPhoto(_) => {
                Some("Take each class's colour from a facade photo (any photo, or a pix2pix pair)")
            }
            Command::MoreStyles => Some("Draw other styles from the model's training photos"),
            Command::OpenPhotoAsLabels(_) => Some(
                "Read a facade photo's labels onto the canvas (editable) and render it in its own colours, or pick another style",
            ),
            Command::ColourisePhoto(_) => {
                Some("Put a photo on the colourisation task's canvas; the render is it in colour")
            }
            Command::SetTask(_) => Some("Paint this kind of input, rendered by its shipped model"),
            Command::OpenTaskFile(_) => Some(
                "A task file (.ron) and its palette: paint that kind of input, rendered by the model beside the file",
            ),
            Command::ExportBuilding(_) => Some(
                "The painting as the front of a building: three matching walls rendered, a roof, building.glb, and a 3D preview",
            ),
            Command::StartTraining(TrainStart::ResumeRun) => {
                Some("Continue the run folder's newest checkpoint with its own settings")
            }
            Command::StartTraining(TrainStart::FineTuneCurrentModel) => {
                Some("A new run whose generator starts from the model in the preview")
            }
            Command::ControlTraining(TrainCommand::Stop) => {
                Some("Stop after this step; a checkpoint keeps what was trained")
            }
            _ => None,
        }
    }

    /// The keyboard shortcuts, the one menus show first.
    pub fn shortcuts(&self, palette: &Palette) -> Vec<KeyboardShortcut> {
        match self {
            Command::Open(None) => vec![ctrl(Key::O)],
            Command::Save => vec![ctrl(Key::S)],
            Command::Undo => vec![ctrl(Key::Z)],
            Command::Redo => vec![
                KeyboardShortcut::new(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::Z),
                ctrl(Key::Y),
            ],
            Command::SelectTool(tool) => vec![key(match tool {
                Tool::Brush => Key::B,
                Tool::Rect => Key::R,
                Tool::Line => Key::L,
                Tool::Fill => Key::F,
                Tool::Eraser => Key::E,
                Tool::Picker => Key::I,
            })],
            Command::SelectClass(index) => {
                class_key(palette, *index).map(key).into_iter().collect()
            }
            Command::BrushSmaller => vec![key(Key::OpenBracket)],
            Command::BrushBigger => vec![key(Key::CloseBracket)],
            _ => Vec::new(),
        }
    }

    /// The first shortcut as the user reads it ("Ctrl+Z", "B", "-").
    pub fn shortcut_text(&self, ctx: &egui::Context, palette: &Palette) -> Option<String> {
        let shortcut = *self.shortcuts(palette).first()?;
        Some(if shortcut.modifiers.is_none() {
            // The palette's own spelling: "-", not egui's typographic minus.
            match shortcut.logical_key {
                Key::Minus => "-".to_owned(),
                k => k.symbol_or_name().to_owned(),
            }
        } else {
            ctx.format_shortcut(&shortcut)
        })
    }

    /// Whether the command can run now (menus and buttons are greyed out otherwise).
    pub fn is_enabled(&self, doc: &Document) -> bool {
        match self {
            Command::Undo => doc.can_undo(),
            Command::Redo => doc.can_redo(),
            _ => true,
        }
    }

    /// Whether the command needs the render of the painting as it is (a script waits for it).
    pub fn needs_render(&self) -> bool {
        matches!(
            self,
            Command::ExportRender(_)
                | Command::ExportSideBySide(_)
                | Command::ExportBundle(_)
                | Command::ExportBuilding(_)
        )
    }

    /// One of every command: each tool and class, each New size, the dialog form of the
    /// path-taking ones (and a stand-in path or edit where one is needed).
    pub fn all(palette: &Palette) -> Vec<Command> {
        let mut all: Vec<Command> = NEW_SIZES
            .iter()
            .map(|&(width, height)| Command::New { width, height })
            .collect();
        all.extend([
            Command::Open(None),
            Command::Save,
            Command::SaveAs(None),
            Command::ImportLabels(None),
            Command::OpenPhotoAsLabels(None),
            Command::ColourisePhoto(None),
            Command::ExportRender(None),
            Command::ExportLabels(None),
            Command::ExportSideBySide(None),
            Command::ExportBundle(None),
            Command::ExportBuilding(None),
            Command::RandomSample,
            Command::Generate(Box::default()),
            Command::LoadModel(None),
            Command::UsePreviewCheckpoint(PathBuf::from("checkpoint.fsw")),
            Command::Quit,
            Command::RestoreRecovery,
            Command::DiscardRecovery,
            Command::SaveAndClose,
            Command::CloseWithoutSaving,
            Command::Edit(Edit::Fill {
                at: (0, 0),
                class: palette.background,
            }),
            Command::Undo,
            Command::Redo,
            Command::Show(Mode::Paint),
            Command::Show(Mode::Train),
            Command::ZoomIn,
            Command::ZoomOut,
            Command::ZoomFit,
            Command::Zoom100,
        ]);
        all.extend(Tool::ALL.map(Command::SelectTool));
        all.extend((0..palette.len() as u8).map(Command::SelectClass));
        all.extend([
            Command::BrushBigger,
            Command::BrushSmaller,
            Command::SetBrushRadius(4),
            Command::Vary,
        ]);
        all.extend([
            Command::SetStyle(Box::default()),
            Command::SetClassColour(0, None),
            Command::StyleFromPhoto(None),
            Command::MoreStyles,
        ]);
        all.extend(
            crate::task::Task::all()
                .iter()
                .map(|t| Command::SetTask(t.name.clone())),
        );
        all.push(Command::OpenTaskFile(None));
        all.extend(
            [
                TrainStart::Fresh,
                TrainStart::ResumeRun,
                TrainStart::FineTuneCurrentModel,
            ]
            .map(Command::StartTraining),
        );
        all.extend(
            [
                TrainCommand::Pause,
                TrainCommand::Resume,
                TrainCommand::Stop,
            ]
            .map(Command::ControlTraining),
        );
        all
    }

    /// The commands whose shortcuts were pressed this frame (none while a text field has the
    /// keyboard).
    pub fn from_keys(ctx: &egui::Context, palette: &Palette) -> Vec<Command> {
        if ctx.egui_wants_keyboard_input() {
            return Vec::new();
        }
        let mut bindings: Vec<(KeyboardShortcut, Command)> = Command::all(palette)
            .into_iter()
            .flat_map(|c| {
                c.shortcuts(palette)
                    .into_iter()
                    .map(move |s| (s, c.clone()))
            })
            .collect();
        // egui ignores extra Shift and Alt when matching, so the shortcut with more modifiers
        // goes first (Ctrl+Shift+Z is Redo, not Undo).
        bindings.sort_by_key(|(s, _)| std::cmp::Reverse(modifier_count(s.modifiers)));
        ctx.input_mut(|i| {
            bindings
                .into_iter()
                .filter(|(s, _)| i.consume_shortcut(s))
                .map(|(_, c)| c)
                .collect()
        })
    }
}

fn modifier_count(m: Modifiers) -> u32 {
    [m.alt, m.ctrl || m.command || m.mac_cmd, m.shift]
        .into_iter()
        .map(u32::from)
        .sum()
}

/// A menu entry: the label and the first shortcut from the table; queues the command when
/// clicked.
pub fn menu_item(
    ui: &mut egui::Ui,
    command: Command,
    palette: &Palette,
    doc: &Document,
    commands: &mut Vec<Command>,
) {
    let mut text = command.label().to_owned();
    if let Some(shortcut) = command.shortcut_text(ui.ctx(), palette) {
        text = format!("{text} ({shortcut})");
    }
    if ui
        .add_enabled(command.is_enabled(doc), egui::Button::new(text))
        .clicked()
    {
        ui.close();
        commands.push(command);
    }
}

/// A toolbar button: the label from the table (and its hint); queues the command when clicked.
pub fn button(ui: &mut egui::Ui, command: Command, enabled: bool, commands: &mut Vec<Command>) {
    let mut response = ui.add_enabled(enabled, egui::Button::new(command.label()));
    if let Some(hint) = command.hint() {
        response = response.on_hover_text(hint);
    }
    if response.clicked() {
        commands.push(command);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Adding a variant fails to compile here until it gets a number, and then fails
    /// `every_variant_is_in_the_table` until `Command::all` lists it.
    fn ordinal(c: &Command) -> usize {
        match c {
            Command::New { .. } => 0,
            Command::Open(_) => 1,
            Command::Save => 2,
            Command::SaveAs(_) => 3,
            Command::ImportLabels(_) => 4,
            Command::ExportRender(_) => 5,
            Command::ExportLabels(_) => 6,
            Command::ExportSideBySide(_) => 7,
            Command::RandomSample => 8,
            Command::LoadModel(_) => 9,
            Command::UsePreviewCheckpoint(_) => 10,
            Command::Quit => 11,
            Command::RestoreRecovery => 12,
            Command::DiscardRecovery => 13,
            Command::SaveAndClose => 14,
            Command::CloseWithoutSaving => 15,
            Command::Edit(_) => 16,
            Command::Undo => 17,
            Command::Redo => 18,
            Command::Show(_) => 19,
            Command::ZoomIn => 20,
            Command::ZoomOut => 21,
            Command::ZoomFit => 22,
            Command::Zoom100 => 23,
            Command::SelectTool(_) => 24,
            Command::SelectClass(_) => 25,
            Command::BrushBigger => 26,
            Command::BrushSmaller => 27,
            Command::Vary => 28,
            Command::StartTraining(_) => 29,
            Command::ControlTraining(_) => 30,
            Command::Generate(_) => 31,
            Command::ExportBundle(_) => 32,
            Command::SetStyle(_) => 33,
            Command::SetClassColour(..) => 34,
            Command::StyleFromPhoto(_) => 35,
            Command::MoreStyles => 36,
            Command::SetTask(_) => 37,
            Command::OpenPhotoAsLabels(_) => 38,
            Command::ColourisePhoto(_) => 39,
            Command::ExportBuilding(_) => 40,
            Command::OpenTaskFile(_) => 41,
            Command::SetBrushRadius(_) => 42,
        }
    }
    const VARIANTS: usize = 43;

    #[test]
    fn every_variant_is_in_the_table() {
        let palette = Palette::cmp_facades();
        let mut seen = [false; VARIANTS];
        for c in Command::all(&palette) {
            seen[ordinal(&c)] = true;
        }
        let missing: Vec<usize> = (0..VARIANTS).filter(|&i| !seen[i]).collect();
        assert!(
            missing.is_empty(),
            "variants missing from Command::all: {missing:?}"
        );
        assert_eq!(
            Command::all(&palette)
                .iter()
                .filter(|c| matches!(c, Command::SelectClass(_)))
                .count(),
            palette.len(),
            "every class can be selected"
        );
    }

    #[test]
    fn every_command_has_a_label() {
        let palette = Palette::cmp_facades();
        for c in Command::all(&palette) {
            let label = c.label();
            assert!(!label.trim().is_empty(), "{c:?} has no label");
            assert_eq!(label, label.trim(), "{c:?}");
        }
        assert_eq!(Command::SelectTool(Tool::Rect).label(), "Rectangle");
        assert_eq!(
            Command::ExportSideBySide(None).label(),
            "Export side by side…"
        );
    }

    #[test]
    fn every_shortcut_is_unique() {
        let palette = Palette::cmp_facades();
        let mut owners: Vec<(KeyboardShortcut, Command)> = Vec::new();
        for c in Command::all(&palette) {
            for s in c.shortcuts(&palette) {
                if let Some((_, other)) = owners.iter().find(|(o, _)| *o == s) {
                    panic!("{s:?} belongs to both {other:?} and {c:?}");
                }
                owners.push((s, c.clone()));
            }
        }
        // Tools, classes, brush size, open, save, undo, redo (two).
        assert_eq!(
            owners.len(),
            Tool::ALL.len() + palette.len() + 2 + 2 + 1 + 2
        );
    }

    #[test]
    fn the_shortcuts_are_those_the_app_has_always_had() {
        let palette = Palette::cmp_facades();
        let ctx = egui::Context::default();
        let text = |c: Command| c.shortcut_text(&ctx, &palette);
        assert_eq!(text(Command::Undo).as_deref(), Some("Ctrl+Z"));
        assert_eq!(text(Command::Redo).as_deref(), Some("Ctrl+Shift+Z"));
        assert_eq!(text(Command::Save).as_deref(), Some("Ctrl+S"));
        assert_eq!(text(Command::Open(None)).as_deref(), Some("Ctrl+O"));
        assert_eq!(
            text(Command::SelectTool(Tool::Picker)).as_deref(),
            Some("I")
        );
        assert_eq!(text(Command::BrushBigger).as_deref(), Some("]"));
        let classes: Vec<String> = (0..palette.len() as u8)
            .filter_map(|i| text(Command::SelectClass(i)))
            .collect();
        let keys: Vec<&str> = palette.classes.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(classes.len(), keys.len());
        for (shown, key) in classes.iter().zip(&keys) {
            assert_eq!(shown, key);
        }
        assert_eq!(text(Command::ZoomFit), None);
        assert_eq!(
            text(Command::Open(Some("a.ron".into()))),
            None,
            "only the dialog form"
        );
    }

    #[test]
    fn the_more_specific_shortcut_wins() {
        let palette = Palette::cmp_facades();
        let ctx = egui::Context::default();
        let press = |modifiers: Modifiers, key: Key| {
            let mut input = egui::RawInput::default();
            input.events.push(egui::Event::ModifiersChanged(modifiers));
            input.events.push(egui::Event::Key {
                key,
                physical_key: None,
                pressed: true,
                repeat: false,
                modifiers,
            });
            let mut got = Vec::new();
            let _ = ctx.run_ui(input, |ui| got = Command::from_keys(ui.ctx(), &palette));
            got
        };
        assert_eq!(
            press(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z),
            vec![Command::Redo]
        );
        assert_eq!(press(Modifiers::COMMAND, Key::Z), vec![Command::Undo]);
        assert_eq!(press(Modifiers::COMMAND, Key::Y), vec![Command::Redo]);
        assert_eq!(
            press(Modifiers::NONE, Key::R),
            vec![Command::SelectTool(Tool::Rect)]
        );
        assert_eq!(
            press(Modifiers::COMMAND, Key::R),
            vec![],
            "Ctrl+R is nothing"
        );
        assert_eq!(
            press(Modifiers::NONE, Key::Equals),
            vec![Command::SelectClass(11)]
        );
    }

    #[test]
    fn exports_of_the_render_wait_for_it() {
        assert!(Command::ExportRender(Some("r.png".into())).needs_render());
        assert!(!Command::ExportLabels(Some("l.png".into())).needs_render());
    }
}
