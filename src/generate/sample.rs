//! "Random sample" and the first canvas: a facade of the generator drawn to fill a canvas, its
//! parameters drawn from the seed too (floors, bays, window size, ground floor, ornaments), with
//! sky above and a strip of street edge at the sides. One facade generator for the painter, the
//! level designer and the benches, so a fix to how facades look is made once.

use rand::{Rng, SeedableRng, rngs::StdRng};

use super::params::{CORNICE_M, GROUND_RATIO};
use super::{FacadeParams, GroundFloor, labels, layout};
use crate::label_map::LabelMap;
use crate::palette::Palette;

/// The facade parameters of sample `seed` for a `width`×`height` pixel area (the whole facade:
/// it fills the area).
pub fn sample_params(width: u32, height: u32, seed: u64) -> FacadeParams {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5A3F_1E00);
    let floors = rng.random_range(3..=5u32);
    let floor_m = rng.random_range(3.0..3.6f32);
    let height_m = (floors as f32 + GROUND_RATIO) * floor_m + CORNICE_M;
    let px_per_m = height as f32 / height_m;
    let width_m = width as f32 / px_per_m;
    let bay_m = rng.random_range(2.6..3.6f32);
    let bays = ((width_m / bay_m).round() as u32).max(1);
    let ground = match rng.random_range(0..10) {
        0..6 => GroundFloor::Shops,
        6..8 => GroundFloor::Doors,
        _ => GroundFloor::Plain,
    };
    let d = FacadeParams::default();
    FacadeParams {
        width_m,
        height_m,
        px_per_m,
        floors: (floors, floors),
        bays: (bays, bays),
        window_width_m: width_m / bays as f32 * rng.random_range(0.38..0.55),
        window_height_m: floor_m * rng.random_range(0.48..0.62),
        ground,
        balcony: rng.random_range(0.0..0.6),
        symmetric: rng.random_bool(0.7),
        seed,
        ..d
    }
}

/// Sample `seed` on a `width`×`height` canvas of `palette` (the CMP facade classes): sky above
/// the roof line, a little background at the sides, the facade below. A canvas too small to
/// draw floors on gets a plain wall under the sky.
pub fn random_sample(width: u32, height: u32, seed: u64, palette: &Palette) -> LabelMap {
    let mut rng = StdRng::seed_from_u64(seed);
    let left = (width as f32 * rng.random_range(0.0..0.06)) as u32;
    let right = (width as f32 * rng.random_range(0.0..0.06)) as u32;
    let top = (height as f32 * rng.random_range(0.04..0.14)) as u32;
    let (fw, fh) = (width - left - right, height - top);
    let sky = palette.index_of("background").unwrap_or(palette.background);
    let mut canvas = LabelMap::filled(width, height, sky);
    let params = sample_params(fw, fh, seed);
    let facade = match params.check() {
        Ok(()) => labels(&layout(&params), palette).ok(),
        Err(_) => None,
    };
    let wall = palette.index_of("facade").unwrap_or(sky);
    for y in 0..fh {
        for x in 0..fw {
            let id = facade
                .as_ref()
                .map_or(wall, |f| f.get(x.min(f.width - 1), y.min(f.height - 1)));
            canvas.set(left + x, top + y, id);
        }
    }
    canvas
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_fill_the_canvas_under_a_sky_and_differ_by_seed() {
        let palette = Palette::cmp_facades();
        let class = |name| palette.index_of(name).unwrap();
        let a = random_sample(256, 256, 1, &palette);
        assert_eq!((a.width, a.height), (256, 256));
        // Sky along the top row, windows and a wall below it.
        assert!((0..256).all(|x| a.get(x, 0) == class("background")));
        let count = |m: &LabelMap, c: u8| m.ids.iter().filter(|&&id| id == c).count();
        assert!(count(&a, class("window")) > 256 * 256 / 50);
        assert!(count(&a, class("facade")) > 256 * 256 / 10);
        assert_eq!(a, random_sample(256, 256, 1, &palette), "a seed repeats");
        assert_ne!(a.ids, random_sample(256, 256, 2, &palette).ids);
        // Wide canvases get more bays, not stretched windows.
        let wide = random_sample(1024, 256, 1, &palette);
        assert!(count(&wide, class("window")) > 2 * count(&a, class("window")));
    }

    #[test]
    fn a_canvas_too_small_for_floors_is_a_plain_wall() {
        let palette = Palette::cmp_facades();
        for (w, h) in [(8, 8), (1, 1), (32, 32)] {
            let m = random_sample(w, h, 3, &palette);
            assert_eq!((m.width, m.height), (w, h));
        }
    }
}
