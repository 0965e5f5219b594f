//! The shape of one 2-D convolution and the column matrix between its input and its output.
//!
//! A convolution from `[ci, h, w]` to `[co, oh, ow]` is a matrix product `Y = W · C` where `W` is
//! the weight `[co, ci·kh·kw]` exactly as Burn stores it and `C` (the *columns*) holds, for every
//! output position `p` and every tap `r = (c, ky, kx)`, the input pixel that tap reads
//! (`C[r][p]`, zero outside the image). [`im2col`] fills a range of `C`'s columns; [`col2im`]
//! adds such a range back onto the input positions the taps read (the adjoint).

/// One convolution's sizes (groups 1, dilation 1; padding the same on both sides of an axis).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    pub batch: usize,
    pub c_in: usize,
    pub h: usize,
    pub w: usize,
    pub c_out: usize,
    pub kh: usize,
    pub kw: usize,
    pub stride: [usize; 2],
    pub pad: [usize; 2],
}

impl Geometry {
    /// The output height and width.
    pub fn out_hw(&self) -> [usize; 2] {
        let out = |size: usize, k: usize, s: usize, p: usize| (size + 2 * p - k) / s + 1;
        [
            out(self.h, self.kh, self.stride[0], self.pad[0]),
            out(self.w, self.kw, self.stride[1], self.pad[1]),
        ]
    }

    /// Output positions per sample (`oh · ow`): the columns of `C`.
    pub fn positions(&self) -> usize {
        let [oh, ow] = self.out_hw();
        oh * ow
    }

    /// Taps per output value (`ci · kh · kw`): the rows of `C`, the columns of `W`.
    pub fn taps(&self) -> usize {
        self.c_in * self.kh * self.kw
    }

    pub fn in_len(&self) -> usize {
        self.c_in * self.h * self.w
    }

    pub fn out_len(&self) -> usize {
        self.c_out * self.positions()
    }

    /// The output columns within `ox0..ox1` whose tap `kx` reads inside the image (a range,
    /// possibly empty, with `ox0 <= lo <= hi <= ox1`).
    pub(super) fn inside(&self, kx: usize, ox0: usize, ox1: usize) -> [usize; 2] {
        let (s, p) = (self.stride[1], self.pad[1]);
        // ox·s + kx − p >= 0  and  ox·s + kx − p <= w − 1
        let lo = p.saturating_sub(kx).div_ceil(s);
        let hi = (self.w + p)
            .checked_sub(kx + 1)
            .map_or(0, |top| top / s + 1);
        let lo = lo.clamp(ox0, ox1);
        [lo, hi.clamp(lo, ox1)]
    }

    /// The input row `iy` (or column) that output row `o` reads through tap `k`, if inside.
    pub(super) fn source(
        o: usize,
        k: usize,
        stride: usize,
        pad: usize,
        size: usize,
    ) -> Option<usize> {
        (o * stride + k).checked_sub(pad).filter(|&i| i < size)
    }
}

/// The distance between the rows of a column block `width` positions wide: `width`, one cache
/// line more where it is a multiple of 64 values. Rows a power of two apart map onto the same few
/// cache sets, and the matrix products read or write many rows at once (the first layer's
/// 4096-wide blocks ran at 60 % of the speed of 4112-wide ones). Narrow blocks stay dense: the
/// matrix product has a faster path for a single dense column.
pub fn lead(width: usize) -> usize {
    if width >= 64 && width.is_multiple_of(64) {
        width + 16
    } else {
        width
    }
}

/// The input as [`im2col`] reads it. For stride 2 it is first split into its four phases (even
/// or odd rows × even or odd columns, each `⌈h/2⌉ × ⌈w/2⌉`, zero where the image ends), so that
/// every tap reads a contiguous run of a phase plane instead of every other value of a row.
pub enum Source<'a> {
    Plain(&'a [f32]),
    Phases(Vec<f32>),
}

impl<'a> Source<'a> {
    /// `x` is the whole batch, `[n, ci, h, w]`.
    pub fn new(g: &Geometry, x: &'a [f32]) -> Source<'a> {
        assert_eq!(x.len(), g.batch * g.in_len(), "im2col: input size");
        if g.stride != [2, 2] {
            return Source::Plain(x);
        }
        use rayon::prelude::*;
        let (hh, wh) = (g.h.div_ceil(2), g.w.div_ceil(2));
        let mut phases = vec![0.0; g.batch * g.c_in * 4 * hh * wh];
        phases
            .par_chunks_mut(4 * hh * wh)
            .zip(x.par_chunks(g.h * g.w))
            .for_each(|(out, plane)| {
                for (k, phase) in out.chunks_mut(hh * wh).enumerate() {
                    let (py, px) = (k / 2, k % 2);
                    for (i, line) in (py..g.h).step_by(2).zip(phase.chunks_mut(wh)) {
                        let src = plane[i * g.w + px..(i + 1) * g.w].iter().step_by(2);
                        line.iter_mut().zip(src).for_each(|(o, v)| *o = *v);
                    }
                }
            });
        Source::Phases(phases)
    }

    /// Sample `b`'s part.
    fn sample(&self, g: &Geometry, b: usize) -> &[f32] {
        match self {
            Source::Plain(x) => &x[b * g.in_len()..][..g.in_len()],
            Source::Phases(p) => {
                let len = p.len() / g.batch;
                &p[b * len..][..len]
            }
        }
    }
}

/// Fills `cols` (`taps` rows of `p1 - p0` values, [`lead`] apart) with the columns `p0..p1` of
/// sample `b`, rows in parallel when `parallel`.
pub fn im2col(
    g: &Geometry,
    x: &Source,
    b: usize,
    p0: usize,
    p1: usize,
    cols: &mut [f32],
    parallel: bool,
) {
    use rayon::prelude::*;
    let (width, lead) = (p1 - p0, lead(p1 - p0));
    assert_eq!(cols.len(), g.taps() * lead, "im2col: column block size");
    let sample = x.sample(g, b);
    let phased = matches!(x, Source::Phases(_));
    let fill = |(r, row): (usize, &mut [f32])| match phased {
        true => fill_row_phased(g, sample, p0, p1, r, &mut row[..width]),
        false => fill_row(g, sample, p0, p1, r, &mut row[..width]),
    };
    if parallel {
        cols.par_chunks_mut(lead).enumerate().for_each(fill);
    } else {
        cols.chunks_mut(lead).enumerate().for_each(fill);
    }
}

/// Row `r` (tap `(c, ky, kx)`) of [`im2col`]'s block at stride 2, from the phase planes: the tap
/// reads phase `((ky − pad) mod 2, (kx − pad) mod 2)` shifted by `⌊(k − pad) / 2⌋`.
fn fill_row_phased(g: &Geometry, phases: &[f32], p0: usize, p1: usize, r: usize, row: &mut [f32]) {
    let (c, ky, kx) = (r / (g.kh * g.kw), r / g.kw % g.kh, r % g.kw);
    let (hh, wh) = (g.h.div_ceil(2) as isize, g.w.div_ceil(2));
    let a = ky as isize - g.pad[0] as isize;
    let b = kx as isize - g.pad[1] as isize;
    let phase = (c * 2 + a.rem_euclid(2) as usize) * 2 + b.rem_euclid(2) as usize;
    let plane = &phases[phase * hh as usize * wh..][..hh as usize * wh];
    let (dy, dx) = (a.div_euclid(2), b.div_euclid(2));
    for_each_run(g, p0, p1, |oy, ox0, ox1, at| {
        let out = &mut row[at..at + (ox1 - ox0)];
        let i = oy as isize + dy;
        if !(0..hh).contains(&i) {
            out.fill(0.0);
            return;
        }
        let line = &plane[i as usize * wh..][..wh];
        // Column j = ox + dx of the phase plane, inside for 0 <= j < wh.
        let lo = ((-dx).max(0) as usize).clamp(ox0, ox1);
        let hi = ((wh as isize - dx).max(0) as usize).clamp(lo, ox1);
        out[..lo - ox0].fill(0.0);
        out[hi - ox0..].fill(0.0);
        if hi > lo {
            let first = (lo as isize + dx) as usize;
            out[lo - ox0..hi - ox0].copy_from_slice(&line[first..first + hi - lo]);
        }
    });
}

/// Row `r` (tap `(c, ky, kx)`) of [`im2col`]'s block.
fn fill_row(g: &Geometry, x: &[f32], p0: usize, p1: usize, r: usize, row: &mut [f32]) {
    let (c, ky, kx) = (r / (g.kh * g.kw), r / g.kw % g.kh, r % g.kw);
    let plane = &x[c * g.h * g.w..(c + 1) * g.h * g.w];
    for_each_run(g, p0, p1, |oy, ox0, ox1, at| {
        let out = &mut row[at..at + (ox1 - ox0)];
        match Geometry::source(oy, ky, g.stride[0], g.pad[0], g.h) {
            None => out.fill(0.0),
            Some(iy) => {
                let line = &plane[iy * g.w..(iy + 1) * g.w];
                let [lo, hi] = g.inside(kx, ox0, ox1);
                out[..lo - ox0].fill(0.0);
                out[hi - ox0..].fill(0.0);
                if hi == lo {
                    return;
                }
                let s = g.stride[1];
                let first = lo * s + kx - g.pad[1];
                if s == 1 {
                    out[lo - ox0..hi - ox0].copy_from_slice(&line[first..first + hi - lo]);
                } else {
                    let taps = line[first..].iter().step_by(s);
                    out[lo - ox0..hi - ox0]
                        .iter_mut()
                        .zip(taps)
                        .for_each(|(o, v)| *o = *v);
                }
            }
        }
    });
}

/// Adds the column block `cols` (columns `p0..p1`, laid out as [`im2col`] lays them out) onto one
/// sample's input gradient `dx` (`[ci, h, w]`): the adjoint of [`im2col`]. Each task owns a band
/// of rows of one input channel (whole channels when there are enough of them to go round), so
/// the tasks run in parallel without sharing a pixel.
pub fn col2im(g: &Geometry, cols: &[f32], p0: usize, p1: usize, dx: &mut [f32]) {
    use rayon::prelude::*;
    let k = g.kh * g.kw;
    let lead = lead(p1 - p0);
    assert_eq!(dx.len(), g.in_len(), "col2im: input size");
    assert_eq!(cols.len(), g.taps() * lead, "col2im: column block size");
    let tasks = 4 * rayon::current_num_threads();
    let band = g.h.div_ceil(tasks.div_ceil(g.c_in.max(1))).max(1);
    dx.par_chunks_mut(g.h * g.w)
        .zip(cols.par_chunks(k * lead))
        .for_each(|(plane, rows)| {
            plane
                .par_chunks_mut(band * g.w)
                .enumerate()
                .for_each(|(i, lines)| col2im_band(g, rows, p0, p1, i * band, lines));
        });
}

/// The rows `first..` of one channel's input gradient that `lines` holds, from that channel's
/// `rows` of a column block (see [`col2im`]).
fn col2im_band(g: &Geometry, rows: &[f32], p0: usize, p1: usize, first: usize, lines: &mut [f32]) {
    let end = first + lines.len() / g.w;
    for (t, row) in rows.chunks(lead(p1 - p0)).enumerate() {
        let (ky, kx) = (t / g.kw, t % g.kw);
        for_each_run(g, p0, p1, |oy, ox0, ox1, at| {
            let iy = match Geometry::source(oy, ky, g.stride[0], g.pad[0], g.h) {
                Some(iy) if (first..end).contains(&iy) => iy - first,
                _ => return,
            };
            let line = &mut lines[iy * g.w..(iy + 1) * g.w];
            let [lo, hi] = g.inside(kx, ox0, ox1);
            if hi == lo {
                return;
            }
            let s = g.stride[1];
            let first = lo * s + kx - g.pad[1];
            let values = &row[at + lo - ox0..at + hi - ox0];
            let taps = line[first..].iter_mut().step_by(s);
            taps.zip(values).for_each(|(pixel, v)| *pixel += v);
        });
    }
}

/// Calls `f(oy, ox0, ox1, at)` for each output row's run of positions inside `p0..p1`, where
/// `at` is the run's offset in the block.
fn for_each_run(g: &Geometry, p0: usize, p1: usize, mut f: impl FnMut(usize, usize, usize, usize)) {
    let [_, ow] = g.out_hw();
    let mut p = p0;
    while p < p1 {
        let (oy, ox0) = (p / ow, p % ow);
        let ox1 = ow.min(ox0 + (p1 - p));
        f(oy, ox0, ox1, p - p0);
        p += ox1 - ox0;
    }
}
