//! A building's roof: its shape and its triangles over the footprint (in the building's frame,
//! metres, eaves at y = 0).

use serde::Serialize;

use super::glb;

/// The roof's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum RoofKind {
    Flat,
    /// Four slopes of 30° up to a ridge along the longer side (a pyramid on a square).
    Hipped,
}

/// The pitch of a hipped roof.
pub const ROOF_PITCH_DEG: f32 = 30.0;

/// The roof's triangles over a `w` × `d` footprint, eaves at y = 0.
pub fn roof_triangles(kind: RoofKind, w: f32, d: f32) -> glb::Triangles {
    match kind {
        RoofKind::Flat => {
            let (x, z) = (w / 2.0, d / 2.0);
            let [a, b, c, e] = [[-x, 0.0, z], [x, 0.0, z], [x, 0.0, -z], [-x, 0.0, -z]];
            vec![[a, b, c], [a, c, e]]
        }
        RoofKind::Hipped if w >= d => hipped(w, d),
        // The ridge along z: the same roof built along x and turned by 90° about +y.
        RoofKind::Hipped => hipped(d, w)
            .into_iter()
            .map(|t| t.map(|[x, y, z]| [z, y, -x]))
            .collect(),
    }
}

/// A hipped roof whose ridge runs along x (`w` ≥ `d`).
fn hipped(w: f32, d: f32) -> glb::Triangles {
    let rise = d / 2.0 * ROOF_PITCH_DEG.to_radians().tan();
    let (x, z, a) = (w / 2.0, d / 2.0, (w - d) / 2.0);
    let [fl, fr, br, bl] = [[-x, 0.0, z], [x, 0.0, z], [x, 0.0, -z], [-x, 0.0, -z]];
    let (rl, rr) = ([-a, rise, 0.0], [a, rise, 0.0]);
    let mut t = vec![[fl, fr, rr], [br, bl, rl], [fr, br, rr], [bl, fl, rl]];
    if a > 1e-3 {
        // The long sides are trapezoids (on a square they are triangles).
        t.extend([[fl, rr, rl], [br, rl, rr]]);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every roof face looks up and away from the middle, the eaves are the footprint's
    /// rectangle and a hipped ridge rises by half the shorter side at 30°.
    #[test]
    fn roofs_cover_the_footprint_and_face_up_and_out() {
        for (kind, w, d) in [
            (RoofKind::Flat, 12.0, 8.0),
            (RoofKind::Hipped, 12.0, 8.0),
            (RoofKind::Hipped, 6.0, 10.0),
            (RoofKind::Hipped, 8.0, 8.0),
        ] {
            let roof = roof_triangles(kind, w, d);
            let area: f32 = roof
                .iter()
                .map(|t| {
                    let n = glb_normal_unnormalised(t);
                    n.iter().map(|x| x * x).sum::<f32>().sqrt() / 2.0
                })
                .sum();
            for t in &roof {
                let n = glb_normal_unnormalised(t);
                let centre = [0, 1, 2].map(|k| t.iter().map(|v| v[k]).sum::<f32>() / 3.0);
                assert!(n[1] > 0.0, "{kind:?} {w}x{d}: a face looks down");
                assert!(
                    n[0] * centre[0] + n[2] * centre[2] >= -1e-4,
                    "{kind:?}: looks inwards"
                );
            }
            let eaves: Vec<[f32; 3]> = roof
                .iter()
                .flatten()
                .filter(|v| v[1] == 0.0)
                .copied()
                .collect();
            assert!(
                eaves
                    .iter()
                    .all(|v| v[0].abs() == w / 2.0 && v[2].abs() == d / 2.0)
            );
            let rise = roof.iter().flatten().map(|v| v[1]).fold(0.0, f32::max);
            match kind {
                RoofKind::Flat => assert!((rise, area) == (0.0, w * d), "{area}"),
                RoofKind::Hipped => {
                    let want = w.min(d) / 2.0 * 30f32.to_radians().tan();
                    assert!((rise - want).abs() < 1e-4, "{rise} against {want}");
                    assert!(area > w * d, "slopes are larger than their plan: {area}");
                }
            }
        }
    }

    fn glb_normal_unnormalised([a, b, c]: &[[f32; 3]; 3]) -> [f32; 3] {
        let (u, v) = (
            [0, 1, 2].map(|k| b[k] - a[k]),
            [0, 1, 2].map(|k| c[k] - a[k]),
        );
        [
            u[1] * v[2] - u[2] * v[1],
            u[2] * v[0] - u[0] * v[2],
            u[0] * v[1] - u[1] * v[0],
        ]
    }
}
