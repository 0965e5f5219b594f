//! Where a stride-2 decoder leaves its grid in a spectrum: the lattice frequencies (multiples of
//! 1/8 cycle/pixel on both axes, three stride-2 levels deep) and the ring 2–4 bins around each.
//! `eval`'s grid figure reads the spectrum here.

/// The periodic Hann window's value at `n` of `len` points: spectra read through it carry no
/// cross of power from the picture's borders, which would swamp the lattice points on the axes.
pub fn hann(n: usize, len: usize) -> f64 {
    0.5 - 0.5 * (2.0 * std::f64::consts::PI * n as f64 / len.max(2) as f64).cos()
}

/// One lattice frequency and the frequencies of the ring around it, as flat indices `j·w + i`
/// of a `w`×`h` spectrum (the zero frequency and other lattice points left out of the ring).
#[derive(Debug, Clone, PartialEq)]
pub struct LatticePoint {
    pub peak: usize,
    pub ring: Vec<usize>,
    /// Which of [`STRIDES`] the point belongs to: 0 for the points of a 2-pixel pattern (what the
    /// decoder's last ×2 leaves), 1 for the further points of a 4-pixel one, 2 for the rest (8).
    pub stride: usize,
}

/// The pattern periods the lattice points are grouped by (pixels).
pub const STRIDES: [usize; 3] = [2, 4, 8];

/// The 63 lattice points of a `w`×`h` spectrum (the zero frequency is not one).
pub fn lattice_points(w: usize, h: usize) -> Vec<LatticePoint> {
    let step_x = w as f64 / 8.0;
    let step_y = h as f64 / 8.0;
    let is_lattice = |i: usize, j: usize| {
        let near = |k: usize, step: f64| {
            let r = k as f64 / step;
            (r - r.round()).abs() * step < 0.5
        };
        near(i, step_x) && near(j, step_y)
    };
    let mut points = Vec::with_capacity(63);
    for a in 0..8 {
        for b in 0..8 {
            if a == 0 && b == 0 {
                continue;
            }
            let ci = (a as f64 * step_x).round() as isize;
            let cj = (b as f64 * step_y).round() as isize;
            let mut ring = Vec::new();
            for dj in -4isize..=4 {
                for di in -4isize..=4 {
                    if !(4..=16).contains(&(di * di + dj * dj)) {
                        continue;
                    }
                    let i = (ci + di).rem_euclid(w as isize) as usize;
                    let j = (cj + dj).rem_euclid(h as isize) as usize;
                    if (i == 0 && j == 0) || is_lattice(i, j) {
                        continue;
                    }
                    ring.push(j * w + i);
                }
            }
            let peak = (cj as usize % h) * w + (ci as usize % w);
            let stride = match (a % 4, b % 4, a % 2, b % 2) {
                (0, 0, _, _) => 0,
                (_, _, 0, 0) => 1,
                _ => 2,
            };
            points.push(LatticePoint { peak, ring, stride });
        }
    }
    points
}

/// Every frequency within one bin (on both axes) of a lattice point, as flat indices of a
/// `w`×`h` spectrum, each once: what the spectral envelope loss leaves out of its rings when told
/// to give the lattice no credit.
pub fn peak_blocks(w: usize, h: usize) -> Vec<usize> {
    let mut out: Vec<usize> = lattice_points(w, h)
        .iter()
        .flat_map(|p| {
            let (ci, cj) = ((p.peak % w) as isize, (p.peak / w) as isize);
            (-1isize..=1).flat_map(move |dj| {
                (-1isize..=1).map(move |di| {
                    let i = (ci + di).rem_euclid(w as isize) as usize;
                    let j = (cj + dj).rem_euclid(h as isize) as usize;
                    j * w + i
                })
            })
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_256_spectrum_has_63_points_32_bins_apart_with_full_rings() {
        let points = lattice_points(256, 256);
        assert_eq!(points.len(), 63);
        // a = 0, b = 1: the point (0, 32); a = 1, b = 0: (32, 0).
        assert_eq!(points[0].peak, 32 * 256);
        assert_eq!(points[7].peak, 32);
        // 2 ≤ distance ≤ 4 on the integer grid: 48 - 4 (distance < 2 with d² = 1..3 are out) = 40
        // bins, none of them a lattice point at this size.
        assert!(
            points.iter().all(|p| p.ring.len() == 40),
            "{:?}",
            points[0].ring.len()
        );
        assert!(points.iter().all(|p| !p.ring.contains(&p.peak)));
        // A 2-pixel pattern has 3 points, a 4-pixel one 15 (12 more), an 8-pixel one 63.
        let count = |s: usize| points.iter().filter(|p| p.stride == s).count();
        assert_eq!((count(0), count(1), count(2)), (3, 12, 48));
        // 3×3 bins around each point, none shared at this size.
        let blocks = peak_blocks(256, 256);
        assert_eq!(blocks.len(), 63 * 9);
        assert!(blocks.contains(&(33 * 256 + 31)) && !blocks.contains(&(34 * 256 + 32)));
    }
}
