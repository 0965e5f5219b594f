//! Procedural facade layouts: the first thing a new user sees, and "Random sample" without a
//! dataset. Drawn with the same commands a painter uses, on the CMP classes.

use rand::{Rng, SeedableRng, rngs::StdRng};

use super::raster::fill_rect;
use crate::label_map::LabelMap;
use crate::palette::Palette;

/// A plausible facade layout of `width`×`height` from `seed`: sky, wall, cornice, window rows with
/// sills, balconies and blinds, a shop ground floor with a door.
pub fn facade_layout(width: u32, height: u32, seed: u64, palette: &Palette) -> LabelMap {
    let class = |name: &str, fallback: u8| palette.index_of(name).unwrap_or(fallback);
    let (bg, wall, window, door, cornice, sill, balcony, blind, deco, molding, pillar, shop) = (
        class("background", 0),
        class("facade", 1),
        class("window", 2),
        class("door", 3),
        class("cornice", 4),
        class("sill", 5),
        class("balcony", 6),
        class("blind", 7),
        class("deco", 8),
        class("molding", 9),
        class("pillar", 10),
        class("shop", 11),
    );
    let mut rng = StdRng::seed_from_u64(seed);
    let (w, h) = (width as i32, height as i32);
    let mut map = LabelMap::filled(width, height, bg);
    let left = (w as f32 * rng.random_range(0.0..0.06)) as i32;
    let right = w - 1 - (w as f32 * rng.random_range(0.0..0.06)) as i32;
    let top = (h as f32 * rng.random_range(0.04..0.14)) as i32;
    fill_rect(&mut map, (left, top), (right, h - 1), wall);
    // Cornice under the roof line.
    let cornice_h = (h / 40).max(2);
    fill_rect(&mut map, (left, top), (right, top + cornice_h), cornice);

    let ground = h - (h as f32 * rng.random_range(0.16..0.22)) as i32;
    let floors = rng.random_range(3..6);
    let cols = (rng.random_range(3..6) * width.div_ceil(256)) as i32;
    let floor_h = (ground - top - cornice_h - 4) / floors;
    let col_w = (right - left) / cols;
    let win_w = (col_w as f32 * rng.random_range(0.40..0.55)) as i32;
    let win_h = (floor_h as f32 * rng.random_range(0.50..0.62)) as i32;
    let has_blinds = rng.random_bool(0.35);
    let balcony_floor = rng.random_range(0..floors);
    let molding_bands = rng.random_bool(0.5);
    for f in 0..floors {
        let y0 = top + cornice_h + 4 + f * floor_h + (floor_h - win_h) / 2;
        if molding_bands && f > 0 {
            let yb = top + cornice_h + 4 + f * floor_h;
            fill_rect(
                &mut map,
                (left, yb),
                (right, yb + (h / 128).max(1)),
                molding,
            );
        }
        for c in 0..cols {
            let x0 = left + c * col_w + (col_w - win_w) / 2;
            let x1 = x0 + win_w - 1;
            if f == 0 && rng.random_bool(0.5) {
                fill_rect(&mut map, (x0 - 2, y0 - 6), (x1 + 2, y0 - 3), deco);
            }
            fill_rect(&mut map, (x0, y0), (x1, y0 + win_h - 1), window);
            if has_blinds {
                let bw = (win_w / 5).max(2);
                fill_rect(&mut map, (x0 - bw - 1, y0), (x0 - 2, y0 + win_h - 1), blind);
                fill_rect(&mut map, (x1 + 2, y0), (x1 + bw + 1, y0 + win_h - 1), blind);
            }
            if f == balcony_floor {
                let yb = y0 + win_h * 2 / 3;
                fill_rect(&mut map, (x0 - 3, yb), (x1 + 3, y0 + win_h + 3), balcony);
            } else {
                fill_rect(
                    &mut map,
                    (x0 - 2, y0 + win_h),
                    (x1 + 2, y0 + win_h + 2),
                    sill,
                );
            }
        }
    }
    // Ground floor: shop fronts and a door in the middle, pillars at the edges.
    fill_rect(
        &mut map,
        (left, ground),
        (right, ground + (h / 80).max(2)),
        molding,
    );
    let shop_top = ground + (h / 40).max(3);
    fill_rect(
        &mut map,
        (left + col_w / 4, shop_top),
        (right - col_w / 4, h - 1),
        shop,
    );
    let door_w = (col_w as f32 * 0.45) as i32;
    let door_x = left + (right - left) / 2 - door_w / 2;
    fill_rect(
        &mut map,
        (door_x - 3, shop_top),
        (door_x + door_w + 3, h - 1),
        wall,
    );
    fill_rect(
        &mut map,
        (door_x, shop_top + 2),
        (door_x + door_w, h - 1),
        door,
    );
    if rng.random_bool(0.5) {
        let pw = (w / 40).max(2);
        fill_rect(
            &mut map,
            (left, top + cornice_h),
            (left + pw, h - 1),
            pillar,
        );
        fill_rect(
            &mut map,
            (right - pw, top + cornice_h),
            (right, h - 1),
            pillar,
        );
    }
    map
}
