//! The file dialogs (each returns None when the user cancels).

use std::path::PathBuf;

use crate::image_io::IMAGE_EXTENSIONS;

pub fn open() -> Option<PathBuf> {
    let mut kinds = vec!["ron"];
    kinds.extend(IMAGE_EXTENSIONS);
    rfd::FileDialog::new()
        .add_filter("Facade project or label image", &kinds)
        .pick_file()
}

pub fn save_project() -> Option<PathBuf> {
    rfd::FileDialog::new()
        .add_filter("Facade project", &["ron"])
        .set_file_name("facade.ron")
        .save_file()
}

pub fn image(save_as: Option<&str>) -> Option<PathBuf> {
    let dialog = rfd::FileDialog::new()
        .add_filter("Images", &IMAGE_EXTENSIONS)
        .set_file_name(save_as.unwrap_or(""));
    match save_as {
        Some(_) => dialog.save_file(),
        None => dialog.pick_file(),
    }
}

/// A folder for an export bundle.
pub fn folder() -> Option<PathBuf> {
    rfd::FileDialog::new()
        .set_title("Export for game engine")
        .pick_folder()
}

pub fn task_file() -> Option<PathBuf> {
    rfd::FileDialog::new()
        .add_filter("Task file", &["ron"])
        .pick_file()
}

pub fn model() -> Option<PathBuf> {
    rfd::FileDialog::new()
        .add_filter("Facade model", &["fsw"])
        .pick_file()
}
