//! The style prior: a plausible style for a layout when the painter gives none (or only part of
//! one), so that "no style" renders red brick, white render, yellow stucco or grey stone in
//! the proportions of the training photos instead of the model's average beige.
//!
//! It is the training photos' styles (the model's [`StyleBank`]) used as a kernel density: a
//! photo is drawn with a weight for how well its classes match the layout's and its colours the
//! colours already given, then moved slightly (light, tint and per-class noise, the same over
//! its grid, so light and shade stay), so that the draws are new styles near real ones. Classes
//! of the layout that the drawn photo lacks take their colour from another photo that has them.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::{Style, StyleBank};
use crate::label_map::LabelMap;

/// How sharply a photo's weight falls with its class mismatch (Jaccard distance).
const CLASS_SCALE: f64 = 0.2;
/// How sharply it falls with the distance of its colours from the given ones (RGB units).
const COLOUR_SCALE: f64 = 40.0;

/// Which classes `map` uses (indexed by class id).
pub fn classes_of(map: &LabelMap) -> Vec<bool> {
    let mut present = vec![false; 256];
    for &id in &map.ids {
        present[id as usize] = true;
    }
    present
}

impl StyleBank {
    /// A style for a layout using the classes `present`, keeping the classes `given` sets, drawn
    /// by `seed` (the same seed, the same style); `given` itself for an empty bank.
    pub fn sample_for(&self, present: &[bool], given: &Style, seed: u64) -> Style {
        let mut rng = StdRng::seed_from_u64(seed ^ 0x9E10_57E1_0000_0001);
        let weights: Vec<f64> = self
            .styles
            .iter()
            .map(|s| weight(s, present, given))
            .collect();
        let Some(drawn) = pick(&weights, &mut rng) else {
            return given.clone();
        };
        let mut style = jittered(&self.styles[drawn], &mut rng);
        for class in 0..present.len().min(256) {
            let class = class as u8;
            if !present[class as usize] || style.get(class).is_some() {
                continue;
            }
            let has: Vec<f64> = (self.styles.iter().zip(&weights))
                .map(|(s, &w)| if s.get(class).is_some() { w } else { 0.0 })
                .collect();
            if let Some(other) = pick(&has, &mut rng) {
                style.set(class, self.styles[other].get(class));
            }
        }
        style.drawn = style.colours.iter().map(Option::is_some).collect();
        for (class, colour) in given.colours.iter().enumerate() {
            if colour.is_some() {
                style.set(class as u8, *colour);
            }
        }
        // The given style's grid (a photo's light and shade) wins over the drawn one's.
        if !given.cells.is_empty() {
            style.cells = given.cells.clone();
        }
        style
    }
}

/// How plausible `style`'s photo is for the layout and the given colours (0 … 1).
fn weight(style: &Style, present: &[bool], given: &Style) -> f64 {
    let sets = |c: usize| style.get(c as u8).is_some();
    let is_present = |c: usize| present.get(c).copied().unwrap_or(false);
    let classes = present.len().max(style.colours.len());
    let both = (0..classes).filter(|&c| sets(c) && is_present(c)).count();
    let either = (0..classes).filter(|&c| sets(c) || is_present(c)).count();
    let jaccard = if either == 0 {
        1.0
    } else {
        both as f64 / either as f64
    };
    let distances: Vec<f64> = (0..given.colours.len())
        .filter_map(|c| Some((given.get(c as u8)?, style.get(c as u8)?)))
        .map(|(a, b)| {
            let d2: f64 = (0..3).map(|i| (a[i] as f64 - b[i] as f64).powi(2)).sum();
            d2.sqrt()
        })
        .collect();
    let colour = match distances.len() {
        0 => 0.0,
        n => distances.iter().sum::<f64>() / n as f64 / COLOUR_SCALE,
    };
    (-(1.0 - jaccard) / CLASS_SCALE - colour * colour).exp()
}

/// An index drawn with probability proportional to `weights` (None when all are 0).
fn pick(weights: &[f64], rng: &mut StdRng) -> Option<usize> {
    let total: f64 = weights.iter().sum();
    if total.is_nan() || total <= 0.0 {
        return None;
    }
    let mut left = rng.random_range(0.0..total);
    for (i, &w) in weights.iter().enumerate() {
        if left < w {
            return Some(i);
        }
        left -= w;
    }
    weights.iter().rposition(|&w| w > 0.0)
}

/// `style` in slightly other light: brightness ×0.92…1.08, a tint of a few levels per channel
/// over every class, and a little noise per class (the same in every cell of its grid).
fn jittered(style: &Style, rng: &mut StdRng) -> Style {
    let light: f32 = rng.random_range(0.92..1.08);
    let tint: [f32; 3] = std::array::from_fn(|_| rng.random_range(-6.0..6.0));
    let noise: Vec<[f32; 3]> = (0..style.colours.len())
        .map(|_| std::array::from_fn(|_| rng.random_range(-4.0..4.0)))
        .collect();
    let shift = |class: usize, c: Option<[u8; 3]>| {
        c.map(|rgb| {
            std::array::from_fn(|i| {
                let v = rgb[i] as f32 * light + tint[i] + noise[class][i];
                v.round().clamp(0.0, 255.0) as u8
            })
        })
    };
    let shift_all = |colours: &Vec<Option<[u8; 3]>>| {
        (colours.iter().enumerate())
            .map(|(class, &c)| match noise.get(class) {
                Some(_) => shift(class, c),
                None => c,
            })
            .collect()
    };
    Style {
        colours: shift_all(&style.colours),
        cells: style.cells.iter().map(shift_all).collect(),
        drawn: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn style(colours: &[(u8, [u8; 3])]) -> Style {
        let mut s = Style::none();
        for &(class, rgb) in colours {
            s.set(class, Some(rgb));
        }
        s
    }

    fn present(classes: &[u8]) -> Vec<bool> {
        let mut p = vec![false; 12];
        for &c in classes {
            p[c as usize] = true;
        }
        p
    }

    /// Two kinds of facade: red brick with windows, white render with windows and a shop.
    fn bank() -> StyleBank {
        let mut styles = Vec::new();
        for k in 0..10u8 {
            styles.push(style(&[(1, [160 + k, 60, 40]), (2, [30, 30, 35])]));
            styles.push(style(&[
                (1, [235, 230, 220 + k]),
                (2, [60, 70, 85]),
                (5, [90, 60, 30]),
            ]));
        }
        StyleBank { styles }
    }

    fn is_red(rgb: [u8; 3]) -> bool {
        rgb[0] > 130 && rgb[1] < 90
    }

    #[test]
    fn draws_vary_in_the_bank_s_proportions_and_repeat_by_seed() {
        let bank = bank();
        let layout = present(&[1, 2]);
        let walls: Vec<[u8; 3]> = (0..200)
            .map(|seed| {
                bank.sample_for(&layout, &Style::none(), seed)
                    .get(1)
                    .unwrap()
            })
            .collect();
        let red = walls.iter().filter(|&&w| is_red(w)).count();
        // Red photos match the layout's classes exactly, white ones have a shop too: more red.
        assert!((110..=195).contains(&red), "{red} red walls of 200");
        assert!(walls.iter().any(|&w| !is_red(w)), "white walls drawn too");
        assert_eq!(
            bank.sample_for(&layout, &Style::none(), 7),
            bank.sample_for(&layout, &Style::none(), 7)
        );
        // Jittered: not only the bank's own colours.
        let own: Vec<[u8; 3]> = bank.styles.iter().filter_map(|s| s.get(1)).collect();
        assert!(walls.iter().any(|w| !own.contains(w)));
    }

    #[test]
    fn given_colours_are_kept_and_pick_matching_photos() {
        let bank = bank();
        let given = style(&[(1, [240, 232, 225])]);
        for seed in 0..50 {
            let s = bank.sample_for(&present(&[1, 2]), &given, seed);
            assert_eq!(s.get(1), Some([240, 232, 225]));
            // The chosen colour is exact, the drawn ones are hints.
            assert!(!s.is_drawn(1) && s.is_drawn(2));
            // Windows come from the white-render photos (blue 85 ± jitter), not the brick ones (35).
            let window = s.get(2).unwrap();
            assert!(window[2] >= 58, "seed {seed}: window {window:?}");
        }
    }

    #[test]
    fn classes_the_photo_lacks_come_from_another() {
        let bank = bank();
        // A shop in a layout of red-brick classes: the shop colour must still be set.
        for seed in 0..20 {
            let s = bank.sample_for(&present(&[1, 2, 5]), &Style::none(), seed);
            assert!(s.get(5).is_some(), "seed {seed}: shop free");
        }
        let empty = StyleBank::default();
        assert_eq!(
            empty.sample_for(&present(&[1]), &style(&[(2, [1, 2, 3])]), 3),
            style(&[(2, [1, 2, 3])])
        );
    }
}
