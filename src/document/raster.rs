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

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(map: &LabelMap) -> Vec<String> {
        map.ids
            .chunks(map.width as usize)
            .map(|r| r.iter().map(|c| char::from(b'0' + c)).collect())
            .collect()
    }

    #[test]
    fn rectangles_are_inclusive_and_clipped() {
        let mut map = LabelMap::filled(5, 4, 0);
        fill_rect(&mut map, (3, 2), (1, 1), 7);
        fill_rect(&mut map, (4, 3), (9, 9), 2);
        assert_eq!(rows(&map), ["00000", "07770", "07770", "00002"]);
    }

    #[test]
    fn flood_fill_takes_the_4_connected_region_only() {
        let mut map = LabelMap::filled(4, 3, 0);
        // A wall of 1s with a diagonal gap: 4-connectivity does not cross it.
        for (x, y) in [(2, 0), (1, 1), (0, 2)] {
            map.set(x, y, 1);
        }
        flood_fill(&mut map, (0, 0), 5);
        assert_eq!(rows(&map), ["5510", "5100", "1000"]);
        flood_fill(&mut map, (-1, 0), 9); // outside: nothing happens
        flood_fill(&mut map, (3, 2), 0); // same class: nothing happens
        assert_eq!(rows(&map), ["5510", "5100", "1000"]);
    }

    #[test]
    fn a_segment_leaves_no_gaps_and_a_radius_0_brush_is_one_pixel() {
        let mut map = LabelMap::filled(6, 6, 0);
        stamp_segment(&mut map, (0, 0), (5, 3), 0, 1);
        assert_eq!(
            map.ids.iter().filter(|&&c| c == 1).count(),
            6,
            "one pixel per column"
        );
        for x in 0..6 {
            assert!((0..6).any(|y| map.get(x, y) == 1), "column {x} is painted");
        }
        let mut map = LabelMap::filled(7, 7, 0);
        stamp(&mut map, (3, 3), 1, 4);
        assert_eq!(
            map.ids.iter().filter(|&&c| c == 4).count(),
            9,
            "radius 1 is a 3×3 disc"
        );
    }
}
