//! The parameters of a generated facade, with defaults that give a plausible building from a seed
//! alone, and the checks that refuse a facade that cannot be built (naming the parameter).

use serde::{Deserialize, Serialize};

/// The largest side of a generated facade, in pixels.
pub const MAX_SIDE: u32 = 8192;

/// What the ground floor holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum GroundFloor {
    /// Shop fronts with a door in the middle.
    Shops,
    /// A door in every other bay, windows between.
    Doors,
    /// Windows like the floors above, one door in the middle.
    Plain,
}

/// A facade's parameters: sizes in metres, probabilities in 0–1 (per facade, except balconies:
/// per floor).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FacadeParams {
    pub width_m: f32,
    pub height_m: f32,
    pub px_per_m: f32,
    /// Upper floors, drawn from this inclusive range.
    pub floors: (u32, u32),
    /// Window bays per floor, drawn from this inclusive range.
    pub bays: (u32, u32),
    pub window_width_m: f32,
    pub window_height_m: f32,
    pub ground: GroundFloor,
    pub balcony: f32,
    pub blind: f32,
    pub sill: f32,
    pub cornice: f32,
    pub molding: f32,
    pub pillar: f32,
    /// Mirror the bays about the middle (balconies, blinds, doors).
    pub symmetric: bool,
    /// Render so that the left and right edges continue into each other.
    pub tileable: bool,
    pub seed: u64,
}

impl Default for FacadeParams {
    fn default() -> Self {
        FacadeParams {
            width_m: 16.0,
            height_m: 16.0,
            px_per_m: 16.0,
            floors: (3, 5),
            bays: (4, 6),
            window_width_m: 1.2,
            window_height_m: 1.6,
            ground: GroundFloor::Shops,
            balcony: 0.3,
            blind: 0.35,
            sill: 0.8,
            cornice: 0.9,
            molding: 0.5,
            pillar: 0.4,
            symmetric: true,
            tileable: false,
            seed: 1,
        }
    }
}

/// Floor height of the ground floor relative to the others.
pub const GROUND_RATIO: f32 = 1.4;
/// Height of the cornice band under the roof line, metres.
pub const CORNICE_M: f32 = 0.6;

impl FacadeParams {
    /// Pixel size of the facade.
    pub fn size_px(&self) -> (u32, u32) {
        (
            (self.width_m * self.px_per_m).round() as u32,
            (self.height_m * self.px_per_m).round() as u32,
        )
    }

    /// Why this facade cannot be built, naming the parameter.
    pub fn check(&self) -> Result<(), String> {
        let positive = [
            ("--width-m", self.width_m),
            ("--height-m", self.height_m),
            ("--px-per-m", self.px_per_m),
            ("--window-width", self.window_width_m),
            ("--window-height", self.window_height_m),
        ];
        for (name, v) in positive {
            if !(v.is_finite() && v > 0.0) {
                return Err(format!(
                    "{name} must be a positive number of metres (got {v})"
                ));
            }
        }
        let (w, h) = self.size_px();
        if w > MAX_SIDE || h > MAX_SIDE {
            return Err(format!(
                "the facade would be {w}×{h} px, above the limit of {MAX_SIDE} a side: lower --px-per-m or the size"
            ));
        }
        for (name, (lo, hi)) in [("--floors", self.floors), ("--bays", self.bays)] {
            if lo == 0 || lo > hi {
                return Err(format!(
                    "{name} {lo}-{hi}: give at least 1, and the smaller number first"
                ));
            }
        }
        let probabilities = [
            ("--balcony", self.balcony),
            ("--blind", self.blind),
            ("--sill", self.sill),
            ("--cornice", self.cornice),
            ("--molding", self.molding),
            ("--pillar", self.pillar),
        ];
        for (name, p) in probabilities {
            if !(0.0..=1.0).contains(&p) {
                return Err(format!(
                    "{name} is a probability: between 0 and 1 (got {p})"
                ));
            }
        }
        let bay_m = self.width_m / self.bays.1 as f32;
        if self.window_width_m >= bay_m {
            return Err(format!(
                "--window-width {} m does not fit a bay of {bay_m:.2} m ({} m / {} bays): lower --window-width or --bays",
                self.window_width_m, self.width_m, self.bays.1
            ));
        }
        let floor_m = self.upper_floor_m(self.floors.1);
        if self.window_height_m >= floor_m {
            return Err(format!(
                "--window-height {} m does not fit a floor of {floor_m:.2} m ({} m, {} floors above a taller ground floor): lower --window-height or --floors",
                self.window_height_m, self.height_m, self.floors.1
            ));
        }
        if floor_m * self.px_per_m < 8.0 || bay_m * self.px_per_m < 6.0 {
            return Err(format!(
                "floors of {:.0} px and bays of {:.0} px are too small to draw: raise --px-per-m or lower --floors/--bays",
                floor_m * self.px_per_m,
                bay_m * self.px_per_m
            ));
        }
        Ok(())
    }

    /// Height of one upper floor with `floors` of them, metres.
    pub fn upper_floor_m(&self, floors: u32) -> f32 {
        (self.height_m - CORNICE_M) / (floors as f32 + GROUND_RATIO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_build() {
        assert_eq!(FacadeParams::default().check(), Ok(()));
    }

    #[test]
    fn bad_parameters_are_named() {
        let bad = |p: FacadeParams, needle: &str| {
            let e = p.check().unwrap_err();
            assert!(e.contains(needle), "{e:?} should name {needle}");
        };
        let d = FacadeParams::default;
        bad(
            FacadeParams {
                floors: (0, 3),
                ..d()
            },
            "--floors 0-3",
        );
        bad(
            FacadeParams {
                bays: (5, 2),
                ..d()
            },
            "--bays 5-2",
        );
        bad(
            FacadeParams {
                window_width_m: 5.0,
                ..d()
            },
            "--window-width 5 m does not fit",
        );
        bad(
            FacadeParams {
                window_height_m: 9.0,
                ..d()
            },
            "--window-height",
        );
        bad(
            FacadeParams {
                px_per_m: 1000.0,
                ..d()
            },
            "above the limit of 8192",
        );
        bad(
            FacadeParams {
                balcony: 1.5,
                ..d()
            },
            "--balcony is a probability",
        );
        bad(
            FacadeParams {
                width_m: f32::NAN,
                ..d()
            },
            "--width-m must be a positive",
        );
        bad(
            FacadeParams {
                px_per_m: 0.5,
                ..d()
            },
            "too small to draw",
        );
    }
}
