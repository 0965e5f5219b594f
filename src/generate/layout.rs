//! A facade as an ordered list of class rectangles: drawn in order (later over earlier) they are
//! the label map, so the same list describes it exactly in `facade.json`.

use rand::{Rng, SeedableRng, rngs::StdRng};
use serde::Serialize;

use super::params::{CORNICE_M, FacadeParams, GroundFloor};

/// One rectangle of a class, pixel coordinates, inclusive.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Region {
    pub class: &'static str,
    pub x0: u32,
    pub y0: u32,
    pub x1: u32,
    pub y1: u32,
}

/// A generated facade: its size, grid and regions (in drawing order).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Layout {
    pub width: u32,
    pub height: u32,
    pub floors: u32,
    pub bays: u32,
    /// Top of each floor in pixels, ground floor last.
    pub floor_tops: Vec<u32>,
    pub regions: Vec<Region>,
}

/// Per-facade choices drawn from the seed.
struct Choices {
    floors: u32,
    bays: u32,
    cornice: bool,
    molding: bool,
    pillar: bool,
    sill: bool,
    /// Per bay (mirrored when symmetric).
    blinds: Vec<bool>,
    /// Per upper floor.
    balconies: Vec<bool>,
}

fn choose(p: &FacadeParams, rng: &mut StdRng) -> Choices {
    let floors = rng.random_range(p.floors.0..=p.floors.1);
    let bays = rng.random_range(p.bays.0..=p.bays.1);
    let cornice = rng.random_bool(p.cornice as f64);
    let molding = rng.random_bool(p.molding as f64);
    let pillar = rng.random_bool(p.pillar as f64);
    let sill = rng.random_bool(p.sill as f64);
    let with_blinds = rng.random_bool(p.blind as f64);
    let mut blinds: Vec<bool> = (0..bays)
        .map(|_| with_blinds && rng.random_bool(0.8))
        .collect();
    if p.symmetric {
        for c in 0..bays as usize / 2 {
            blinds[bays as usize - 1 - c] = blinds[c];
        }
    }
    let balconies = (0..floors)
        .map(|_| rng.random_bool(p.balcony as f64))
        .collect();
    Choices {
        floors,
        bays,
        cornice,
        molding,
        pillar,
        sill,
        blinds,
        balconies,
    }
}

/// Builds the facade of `p` (which must pass [`FacadeParams::check`]).
pub fn layout(p: &FacadeParams) -> Layout {
    let mut rng = StdRng::seed_from_u64(p.seed);
    let c = choose(p, &mut rng);
    let (w, h) = p.size_px();
    let px = |m: f32| (m * p.px_per_m).round() as i64;
    let mut out = Draw::new(w, h);
    out.rect("facade", 0, 0, w as i64 - 1, h as i64 - 1);

    let cornice_px = px(CORNICE_M).max(1);
    if c.cornice {
        out.rect("cornice", 0, 0, w as i64 - 1, cornice_px - 1);
    }
    let floor_px = px(p.upper_floor_m(c.floors)).max(1);
    let ground_top = cornice_px + floor_px * c.floors as i64;
    let bay_px = w as f64 / c.bays as f64;
    let (win_w, win_h) = (px(p.window_width_m).max(2), px(p.window_height_m).max(2));
    let mut floor_tops = Vec::new();
    for f in 0..c.floors {
        let top = cornice_px + floor_px * f as i64;
        floor_tops.push(top as u32);
        if c.molding && f > 0 {
            out.rect(
                "molding",
                0,
                top,
                w as i64 - 1,
                top + (floor_px / 16).max(1) - 1,
            );
        }
        let y0 = top + (floor_px - win_h) * 2 / 5;
        for b in 0..c.bays {
            let centre = ((b as f64 + 0.5) * bay_px) as i64;
            let x0 = centre - win_w / 2;
            window(
                &mut out,
                &c,
                b as usize,
                (x0, y0, x0 + win_w - 1, y0 + win_h - 1),
            );
            if c.balconies[f as usize] {
                let yb = y0 + win_h * 2 / 3;
                out.rect("balcony", x0 - 2, yb, x0 + win_w + 1, y0 + win_h + 2);
            }
        }
    }
    floor_tops.push(ground_top as u32);
    ground(&mut out, p, &c, ground_top, bay_px, (win_w, win_h));
    if c.pillar {
        let pw = px(0.4).max(2);
        out.rect("pillar", 0, cornice_px, pw - 1, h as i64 - 1);
        out.rect(
            "pillar",
            w as i64 - pw,
            cornice_px,
            w as i64 - 1,
            h as i64 - 1,
        );
    }
    Layout {
        width: w,
        height: h,
        floors: c.floors,
        bays: c.bays,
        floor_tops,
        regions: out.regions,
    }
}

/// A window with its sill and blinds.
fn window(out: &mut Draw, c: &Choices, bay: usize, (x0, y0, x1, y1): (i64, i64, i64, i64)) {
    if c.blinds[bay] {
        let bw = ((x1 - x0) / 4).max(2);
        out.rect("blind", x0 - bw - 1, y0, x0 - 2, y1);
        out.rect("blind", x1 + 2, y0, x1 + bw + 1, y1);
    }
    out.rect("window", x0, y0, x1, y1);
    if c.sill {
        out.rect("sill", x0 - 2, y1 + 1, x1 + 2, y1 + 2);
    }
}

/// The ground floor from `top` down: a molding line, then shops, doors or windows.
fn ground(
    out: &mut Draw,
    p: &FacadeParams,
    c: &Choices,
    top: i64,
    bay_px: f64,
    (win_w, win_h): (i64, i64),
) {
    let (w, h) = (out.width as i64, out.height as i64);
    let band = ((h - top) / 20).max(1);
    out.rect("molding", 0, top, w - 1, top + band - 1);
    let door_w = (win_w * 4 / 5).max(2);
    let door_top = top + (h - top) / 3;
    let mid = w / 2;
    let bay_centre = |b: u32| ((b as f64 + 0.5) * bay_px) as i64;
    match p.ground {
        GroundFloor::Shops => {
            out.rect(
                "shop",
                (bay_px / 4.0) as i64,
                top + band * 2,
                w - 1 - (bay_px / 4.0) as i64,
                h - 1,
            );
            out.rect(
                "facade",
                mid - door_w / 2 - 3,
                top + band * 2,
                mid + door_w / 2 + 3,
                h - 1,
            );
            out.rect("door", mid - door_w / 2, door_top, mid + door_w / 2, h - 1);
        }
        GroundFloor::Doors => {
            for b in 0..c.bays {
                let x = bay_centre(b);
                let mirrored = b.min(c.bays - 1 - b);
                let is_door = if p.symmetric {
                    mirrored % 2 == 0
                } else {
                    b % 2 == 0
                };
                if is_door {
                    out.rect("door", x - door_w / 2, door_top, x + door_w / 2, h - 1);
                } else {
                    let y0 = top + (h - top - win_h) / 2;
                    out.rect("window", x - win_w / 2, y0, x + win_w / 2, y0 + win_h - 1);
                }
            }
        }
        GroundFloor::Plain => {
            for b in 0..c.bays {
                let x = bay_centre(b);
                if (x - mid).abs() < (win_w + door_w) / 2 + 4 {
                    continue; // the door's bay
                }
                let y0 = top + (h - top - win_h) / 2;
                window(
                    out,
                    c,
                    b as usize,
                    (x - win_w / 2, y0, x + win_w / 2 - 1, y0 + win_h - 1),
                );
            }
            out.rect(
                "facade",
                mid - door_w / 2 - 3,
                door_top - 3,
                mid + door_w / 2 + 3,
                h - 1,
            );
            out.rect("door", mid - door_w / 2, door_top, mid + door_w / 2, h - 1);
        }
    }
}

/// Collects rectangles clipped to the facade (empty ones dropped).
struct Draw {
    width: u32,
    height: u32,
    regions: Vec<Region>,
}

impl Draw {
    fn new(width: u32, height: u32) -> Draw {
        Draw {
            width,
            height,
            regions: Vec::new(),
        }
    }

    fn rect(&mut self, class: &'static str, x0: i64, y0: i64, x1: i64, y1: i64) {
        let (x0, x1) = (x0.max(0), x1.min(self.width as i64 - 1));
        let (y0, y1) = (y0.max(0), y1.min(self.height as i64 - 1));
        if x0 <= x1 && y0 <= y1 {
            self.regions.push(Region {
                class,
                x0: x0 as u32,
                y0: y0 as u32,
                x1: x1 as u32,
                y1: y1 as u32,
            });
        }
    }
}
