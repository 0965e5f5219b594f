//! The styles of a model's training photos, saved in the model file: what the gallery and
//! `render --style-seed` draw from, so every drawn style is one a real facade has.

use rand::{Rng, SeedableRng, rngs::StdRng};

use super::Style;

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StyleBank {
    pub styles: Vec<Style>,
}

impl StyleBank {
    pub fn is_empty(&self) -> bool {
        self.styles.is_empty()
    }

    pub fn len(&self) -> usize {
        self.styles.len()
    }

    /// The style drawn by `seed` (the same seed, the same style), or None for an empty bank.
    pub fn draw(&self, seed: u64) -> Option<&Style> {
        if self.styles.is_empty() {
            return None;
        }
        let mut rng = StdRng::seed_from_u64(seed ^ 0x5717_1E5E_ED00_0000);
        self.styles.get(rng.random_range(0..self.styles.len()))
    }

    /// `count` styles that differ from each other as much as the bank allows, for a draw
    /// starting at seed `first`: each is the one farthest (in colour) from those already chosen
    /// among eight candidates drawn by consecutive seeds.
    pub fn draw_many(&self, first: u64, count: usize) -> Vec<Style> {
        let mut out: Vec<Style> = Vec::with_capacity(count);
        let mut seed = first;
        while out.len() < count.min(self.styles.len()) {
            let candidates: Vec<&Style> = (0..8).filter_map(|k| self.draw(seed + k)).collect();
            seed += 8;
            let gap = |s: &Style| out.iter().map(|o| distance(s, o)).min().unwrap_or(u32::MAX);
            let best = candidates.into_iter().max_by_key(|s| gap(s));
            match best {
                Some(s) if gap(s) > 0 => out.push(s.clone()),
                _ if seed > first + 64 * count as u64 => break,
                _ => {}
            }
        }
        out
    }
}

/// How different two styles look: the summed colour distance over the classes both set.
fn distance(a: &Style, b: &Style) -> u32 {
    (0..a.colours.len().min(b.colours.len()) as u8)
        .filter_map(|c| Some((a.get(c)?, b.get(c)?)))
        .map(|(x, y)| (0..3).map(|i| x[i].abs_diff(y[i]) as u32).sum::<u32>())
        .sum()
}
