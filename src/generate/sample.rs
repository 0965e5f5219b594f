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

/// The sketch of sample `seed` on the sketch task's `palette`: the outlines of the facade that
/// [`random_sample`] draws (Canny edges of its class colours, as `dataset derive` draws a photo's),
/// with some of its windows, doors and shops hinted, a share drawn by the seed
/// ([`crate::data::hints`]).
pub fn random_sketch(width: u32, height: u32, seed: u64, palette: &Palette) -> LabelMap {
    let cmp = Palette::cmp_facades();
    let layout = random_sample(width, height, seed, &cmp);
    let lines = crate::data::derive::sketch(&layout.to_rgb(&cmp));
    let drawing = crate::data::hints::hinted_sketch(&lines, &layout, seed, None);
    LabelMap::from_rgb(&drawing, palette).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_random_sketch_outlines_the_random_facade_in_ink_with_some_hints() {
        let sketch = crate::task::Task::named(crate::task::SKETCH)
            .unwrap()
            .palette();
        let ink = sketch.index_of("ink").unwrap();
        let hint = sketch.index_of("window hint").unwrap();
        let cmp = Palette::cmp_facades();
        let mut hinted = 0;
        for seed in 1..=8 {
            let drawn = random_sketch(128, 96, seed, &sketch);
            let layout = random_sample(128, 96, seed, &cmp);
            assert_eq!((drawn.width, drawn.height), (128, 96));
            // Every ink pixel lies within 2 pixels of a class border of the layout.
            let border = |x: u32, y: u32| {
                let near = |dx: i64, dy: i64| {
                    let (nx, ny) = (x as i64 + dx, y as i64 + dy);
                    (0..128).contains(&nx)
                        && (0..96).contains(&ny)
                        && layout.get(nx as u32, ny as u32) != layout.get(x, y)
                };
                (-2..=2).any(|dx| (-2..=2).any(|dy| near(dx, dy)))
            };
            let mut inked = 0;
            for y in 0..96 {
                for x in 0..128 {
                    if drawn.get(x, y) == ink {
                        inked += 1;
                        assert!(
                            border(x, y),
                            "seed {seed}: ink at ({x}, {y}) off the outlines"
                        );
                    }
                }
            }
            assert!(inked > 100, "seed {seed}: {inked} ink pixels");
            hinted += usize::from(drawn.ids.contains(&hint));
        }
        assert!(
            (1..8).contains(&hinted),
            "{hinted} of 8 sketches hint windows"
        );
    }

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
