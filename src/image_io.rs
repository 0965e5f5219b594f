//! Reading and writing images with errors that name the file, size limits checked before any
//! large allocation, and atomic writes.

use std::io::Cursor;
use std::path::Path;

use image::{ImageBuffer, ImageReader, Pixel, PixelWithColorType, RgbImage};

use crate::error::{Error, Result};
use crate::fsutil::atomic_write;

/// File extensions of the images the app reads (label maps, dataset pairs, renders), lower case.
pub const IMAGE_EXTENSIONS: [&str; 3] = ["png", "jpg", "jpeg"];

/// Whether `path` names an image the app reads (by extension, any case).
pub fn is_image_path(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// The largest image side accepted anywhere in the app.
pub const MAX_IMAGE_SIDE: u32 = 16384;
/// The largest decoded image accepted (bytes of RGBA).
pub const MAX_DECODED_BYTES: u64 = 256 * 1024 * 1024;

/// Decodes an image from memory into RGB; `path` is only used to name the source in errors.
pub fn decode_rgb(bytes: &[u8], path: &Path) -> Result<RgbImage> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| Error::io(path, e))?;
    if reader.format().is_none() {
        return Err(Error::bad_file(
            path,
            "not a PNG or JPEG image (unknown format). Export it as PNG or JPEG.",
        ));
    }
    if reader.format() == Some(image::ImageFormat::Jpeg) && !jpeg_is_complete(bytes) {
        return Err(Error::bad_file(
            path,
            "the JPEG ends early (no end-of-image marker): the file is truncated. Re-download or re-export it.",
        ));
    }
    let (w, h) = reader.into_dimensions().map_err(|e| {
        Error::bad_file(
            path,
            format!("cannot read the image header ({e}). Is the file truncated?"),
        )
    })?;
    check_size(w, h, path)?;
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| Error::io(path, e))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| {
        Error::bad_file(
            path,
            format!("cannot decode the image ({e}). The file may be truncated or corrupt: re-export or re-download it."),
        )
    })?;
    Ok(img.to_rgb8())
}

/// A complete JPEG ends with the EOI marker (FF D9), possibly followed by padding.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let end = bytes
        .iter()
        .rposition(|&b| b != 0 && b != b'\n' && b != b'\r')
        .map_or(0, |i| i + 1);
    end >= 2 && bytes[end - 2] == 0xFF && bytes[end - 1] == 0xD9
}

fn check_size(w: u32, h: u32, path: &Path) -> Result<()> {
    if w == 0 || h == 0 {
        return Err(Error::bad_file(
            path,
            "the image is empty (0 pixels wide or high).",
        ));
    }
    if w > MAX_IMAGE_SIDE || h > MAX_IMAGE_SIDE || (w as u64) * (h as u64) * 4 > MAX_DECODED_BYTES {
        return Err(Error::bad_file(
            path,
            format!(
                "the image is {w}×{h}, above the limit of {MAX_IMAGE_SIDE} pixels a side / {} MB decoded. Scale it down first.",
                MAX_DECODED_BYTES >> 20
            ),
        ));
    }
    Ok(())
}

/// Reads an image file into RGB.
pub fn load_rgb(path: &Path) -> Result<RgbImage> {
    // An encoded image is never much larger than its decoded pixels: refuse before reading.
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.len() > MAX_DECODED_BYTES + (16 << 20) {
        return Err(Error::bad_file(
            path,
            format!(
                "is {} MB, above the {} MB limit for images; it is not an image Facade Studio can read",
                meta.len() >> 20,
                MAX_DECODED_BYTES >> 20
            ),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    decode_rgb(&bytes, path)
}

/// The ITU-R BT.601 luma weights of red, green and blue.
pub const BT601: [f64; 3] = [0.299, 0.587, 0.114];

/// Luma of an 8-bit RGB pixel (ITU-R BT.601 weights), 0–255.
pub fn luma([r, g, b]: [u8; 3]) -> f64 {
    BT601[0] * r as f64 + BT601[1] * g as f64 + BT601[2] * b as f64
}

/// Writes an image as PNG, atomically (a crash never leaves a half-written file).
pub fn save_png<P>(image: &ImageBuffer<P, Vec<u8>>, path: &Path) -> Result<()>
where
    P: Pixel<Subpixel = u8> + PixelWithColorType,
{
    save_png_bytes(image, path).map(drop)
}

/// As [`save_png`], returning the PNG file's bytes (to embed them elsewhere too).
pub fn save_png_bytes<P>(image: &ImageBuffer<P, Vec<u8>>, path: &Path) -> Result<Vec<u8>>
where
    P: Pixel<Subpixel = u8> + PixelWithColorType,
{
    let bytes = encode_png(image, path)?;
    atomic_write(path, &bytes)?;
    Ok(bytes)
}

/// The PNG file of `image` in memory; `path` names its destination in errors.
pub fn encode_png<P>(image: &ImageBuffer<P, Vec<u8>>, path: &Path) -> Result<Vec<u8>>
where
    P: Pixel<Subpixel = u8> + PixelWithColorType,
{
    let mut bytes = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png)
        .map_err(|e| Error::bad_file(path, format!("cannot encode PNG: {e}")))?;
    Ok(bytes)
}

/// Nearest-neighbour resize of a plane of class indices.
pub fn resize_nearest_ids(ids: &[u8], w: u32, h: u32, nw: u32, nh: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity((nw * nh) as usize);
    for y in 0..nh {
        let sy = ((y as u64 * h as u64) / nh as u64) as u32;
        for x in 0..nw {
            let sx = ((x as u64 * w as u64) / nw as u64) as u32;
            out.push(ids[(sy * w + sx) as usize]);
        }
    }
    out
}
