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

    /// `count` different styles (as far as the bank has them) for seeds `first`, `first + 1` …
    pub fn draw_many(&self, first: u64, count: usize) -> Vec<Style> {
        let mut out: Vec<Style> = Vec::with_capacity(count);
        let mut seed = first;
        while out.len() < count.min(self.styles.len()) && seed < first + 64 * count as u64 {
            if let Some(s) = self.draw(seed)
                && !out.contains(s)
            {
                out.push(s.clone());
            }
            seed += 1;
        }
        out
    }
}
