//! The painting window (eframe/egui): tools and palette on the left, the label canvas in the
//! centre, the live render on the right, status at the bottom.

pub mod app;
pub mod ask;
pub mod building_export;
pub mod building_job;
pub mod building_view;
pub mod canvas;
pub mod command;
pub mod dev_tools;
pub mod dialogs;
pub mod file_actions;
pub mod gallery;
pub mod generate_panel;
pub mod menu;
pub mod options;
pub mod persisted;
pub mod photo_import;
pub mod preview;
pub mod script;
pub mod script_steps;
pub mod status_bar;
pub mod storage;
pub mod task_switch;
pub mod tool;
pub mod tools;
pub mod training_panel;

pub use app::StudioApp;
pub use command::Command;
pub use options::StudioOptions;

/// An RGB image as egui texture data.
pub fn color_image(image: &image::RgbImage) -> egui::ColorImage {
    egui::ColorImage::from_rgb(
        [image.width() as usize, image.height() as usize],
        image.as_raw(),
    )
}

/// Opens the window. Returns when it is closed.
pub fn launch(options: StudioOptions) -> eframe::Result {
    let native = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Facade Studio")
            .with_inner_size(dev_tools::window_size([1280.0, 760.0]))
            .with_min_inner_size([800.0, 480.0])
            .with_drag_and_drop(true),
        // eframe's own settings file lives with the rest of the app's state (FACADE_STATE_DIR).
        persistence_path: Some(storage::state_dir().join("app.ron")),
        ..Default::default()
    };
    eframe::run_native(
        storage::APP_ID,
        native,
        Box::new(move |cc| Ok(Box::new(StudioApp::from_creation_context(cc, options)))),
    )
}
