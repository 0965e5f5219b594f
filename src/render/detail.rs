//! The detail step after the generator: an unsharp mask (the render plus `amount` times its
//! difference from itself blurred with a Gaussian of σ 1 pixel). The generator's renders are
//! softer than photos at the finest scale — MODEL.md measures the effect on the held-out split and
//! how the default amount was chosen (on training pairs, not on the held-out ones).

use image::RgbImage;

/// The amount the app, `render`, `generate` and `eval` use unless told otherwise.
pub const DEFAULT_AMOUNT: f32 = 0.5;

/// The largest amount the app and the command line accept.
pub const MAX_AMOUNT: f32 = 2.0;

/// An amount that defaults to [`DEFAULT_AMOUNT`] (the app's setting).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Amount(pub f32);

impl Default for Amount {
    fn default() -> Amount {
        Amount(DEFAULT_AMOUNT)
    }
}

/// The Gaussian's σ in pixels: the scale whose detail is raised.
const SIGMA: f32 = 1.0;

/// `image` with its finest detail raised by `amount` (0: unchanged, and not copied).
pub fn sharpen(mut image: RgbImage, amount: f32) -> RgbImage {
    if amount <= 0.0 || image.width() < 2 || image.height() < 2 {
        return image;
    }
    let blurred = imageproc::filter::gaussian_blur_f32(&image, SIGMA);
    for (o, b) in image.pixels_mut().zip(blurred.pixels()) {
        o.0 = std::array::from_fn(|c| {
            let v = o.0[c] as f32;
            (v + amount * (v - b.0[c] as f32)).round().clamp(0.0, 255.0) as u8
        });
    }
    image
}

/// Checks an amount given on the command line.
pub fn check_amount(amount: f32) -> Result<f32, String> {
    match amount.is_finite() && (0.0..=MAX_AMOUNT).contains(&amount) {
        true => Ok(amount),
        false => Err(format!(
            "the detail amount must be from 0 (off) to {MAX_AMOUNT} (the default is {DEFAULT_AMOUNT}); {amount} is not"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_regions_keep_their_colour_and_edges_gain_contrast() {
        // A vertical edge: dark left half, light right half.
        let image = RgbImage::from_fn(16, 8, |x, _| match x < 8 {
            true => image::Rgb([60, 70, 80]),
            false => image::Rgb([180, 170, 160]),
        });
        let out = sharpen(image.clone(), 1.0);
        assert_eq!(out.dimensions(), (16, 8));
        // Far from the edge nothing changes.
        assert_eq!(out.get_pixel(1, 4).0, [60, 70, 80]);
        assert_eq!(out.get_pixel(14, 4).0, [180, 170, 160]);
        // Beside it the dark side gets darker and the light side lighter.
        let (dark, light) = (out.get_pixel(7, 4).0, out.get_pixel(8, 4).0);
        assert!(dark[0] < 60 && dark[2] < 80, "{dark:?}");
        assert!(light[0] > 180 && light[2] > 160, "{light:?}");
    }

    #[test]
    fn amount_zero_is_the_image_unchanged_and_more_means_more() {
        let image = RgbImage::from_fn(8, 8, |x, y| {
            image::Rgb([(x * 30) as u8, (y * 30) as u8, 100])
        });
        assert_eq!(sharpen(image.clone(), 0.0), image);
        let contrast = |a: f32| {
            let out = sharpen(image.clone(), a);
            out.get_pixel(0, 3).0[0] as i32 - out.get_pixel(7, 3).0[0] as i32
        };
        assert!(
            contrast(1.0).abs() > contrast(0.0).abs(),
            "{} {}",
            contrast(1.0),
            contrast(0.0)
        );
    }

    #[test]
    fn amounts_outside_the_range_are_refused_with_the_range() {
        assert_eq!(check_amount(0.5), Ok(0.5));
        let e = check_amount(-1.0).unwrap_err();
        assert!(e.contains("from 0 (off) to 2"), "{e}");
        assert!(check_amount(f32::NAN).is_err());
    }
}
