//! Rasterising the painting tools onto a label map. Everything clips to the map.

use std::collections::VecDeque;

use super::Point;
use crate::label_map::LabelMap;

fn put(map: &mut LabelMap, x: i32, y: i32, class: u8) {
    if x >= 0 && y >= 0 && (x as u32) < map.width && (y as u32) < map.height {
        map.set(x as u32, y as u32, class);
    }
}

/// A filled disc of `radius` around `c` (radius 0 = one pixel).
pub fn stamp(map: &mut LabelMap, c: Point, radius: u32, class: u8) {
    let r = radius as i32;
    let r2 = r * r + r; // slightly rounder discs at small radii
    for dy in -r..=r {
        for dx in -r..=r {
            if dx * dx + dy * dy <= r2 {
                put(map, c.0 + dx, c.1 + dy, class);
            }
        }
    }
}

/// Stamps the brush along the segment a→b (Bresenham), so fast strokes leave no gaps.
pub fn stamp_segment(map: &mut LabelMap, a: Point, b: Point, radius: u32, class: u8) {
    let (mut x, mut y) = a;
    let dx = (b.0 - a.0).abs();
    let dy = -(b.1 - a.1).abs();
    let sx = if a.0 < b.0 { 1 } else { -1 };
    let sy = if a.1 < b.1 { 1 } else { -1 };
    let mut err = dx + dy;
    loop {
        stamp(map, (x, y), radius, class);
        if (x, y) == b {
            break;
        }
        let e2 = 2 * err;
        if e2 >= dy {
            err += dy;
            x += sx;
        }
        if e2 <= dx {
            err += dx;
            y += sy;
        }
    }
}

/// Fills the rectangle spanned by two corners, inclusive, clipped to the map.
pub fn fill_rect(map: &mut LabelMap, a: Point, b: Point, class: u8) {
    let (x0, x1) = (a.0.min(b.0).max(0), a.0.max(b.0).min(map.width as i32 - 1));
    let (y0, y1) = (a.1.min(b.1).max(0), a.1.max(b.1).min(map.height as i32 - 1));
    for y in y0..=y1 {
        for x in x0..=x1 {
            map.set(x as u32, y as u32, class);
        }
    }
}

/// Replaces the 4-connected region of `at`'s class with `class`.
pub fn flood_fill(map: &mut LabelMap, at: Point, class: u8) {
    if at.0 < 0 || at.1 < 0 || at.0 as u32 >= map.width || at.1 as u32 >= map.height {
        return;
    }
    let target = map.get(at.0 as u32, at.1 as u32);
    if target == class {
        return;
    }
    let mut queue = VecDeque::from([(at.0 as u32, at.1 as u32)]);
    map.set(at.0 as u32, at.1 as u32, class);
    while let Some((x, y)) = queue.pop_front() {
        let neighbours = [
            (x.wrapping_sub(1), y),
            (x + 1, y),
            (x, y.wrapping_sub(1)),
            (x, y + 1),
        ];
        for (nx, ny) in neighbours {
            if nx < map.width && ny < map.height && map.get(nx, ny) == target {
                map.set(nx, ny, class);
                queue.push_back((nx, ny));
            }
        }
    }
}
