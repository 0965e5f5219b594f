//! Several buildings (`building --count N`): `building-001/`, `building-002/` … from consecutive
//! seeds and styles, and with `--street` lined up side by side along +x, fronts on one line
//! (facing +z), each of a varied width (±25 %) and floor count (±1), in one `street.glb`.
//! `index.json` lists them with their offsets.

use std::path::Path;

use rand::{Rng, SeedableRng, rngs::StdRng};
use serde::Serialize;

use super::NormalY;
use super::building::{BuildingParams, Written, generate_building, write_in_its_style};
use super::glb;
use super::set::SetRender;
use crate::error::{Error, Result};
use crate::palette::Palette;

#[derive(Serialize)]
struct Entry {
    folder: String,
    seed: u64,
    footprint_m: [f32; 2],
    floors: u32,
    height_m: f32,
    /// Where the building's footprint centre stands in `street.glb` (x, y, z metres).
    offset_m: [f32; 3],
}

/// Building `k` of a set: the next seed, and on a street a width and floor count of its own
/// (kept as given when the varied ones could not be built).
pub fn variant(params: &BuildingParams, k: u32, street: bool) -> BuildingParams {
    let seeded = BuildingParams {
        facade: super::FacadeParams {
            seed: params.facade.seed + k as u64,
            ..params.facade.clone()
        },
        ..params.clone()
    };
    if !street {
        return seeded;
    }
    let mut rng = StdRng::seed_from_u64(seeded.facade.seed ^ 0x57_2EE7);
    let width = (params.width_m * rng.random_range(0.75..1.25) * 2.0).round() / 2.0;
    let floors = (params.floors as i64 + rng.random_range(-1..=1)).max(1) as u32;
    let varied = BuildingParams {
        width_m: width,
        floors,
        ..seeded.clone()
    };
    match varied.check() {
        Ok(()) => varied,
        Err(_) => seeded,
    }
}

/// Writes `count` buildings into `out` (and `street.glb` when `street`), every one checked
/// before anything is written. `done(k)` is called after each wall (k = 1 … 4·count). One
/// building that is no street is written straight into `out` ([`generate_building`]).
pub fn generate_buildings(
    params: &BuildingParams,
    (count, street): (u32, bool),
    out: &Path,
    palette: &Palette,
    render: Option<SetRender<'_>>,
    normal_y: NormalY,
    mut done: impl FnMut(u32),
) -> Result<()> {
    if (count, street) == (1, false) {
        return generate_building(params, out, palette, render, normal_y, done);
    }
    params.check().map_err(Error::msg)?;
    if count == 0 {
        return Err(Error::msg("--count 0: nothing to generate"));
    }
    let all: Vec<BuildingParams> = (0..count).map(|k| variant(params, k, street)).collect();
    for (k, p) in all.iter().enumerate() {
        p.check()
            .map_err(|e| Error::msg(format!("building {}: {e}", k + 1)))?;
    }
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let mut written: Vec<(Written, Entry)> = Vec::new();
    let mut x = 0.0;
    for (k, p) in all.iter().enumerate() {
        let folder = format!("building-{:03}", k + 1);
        let how = (palette, render.as_ref(), normal_y);
        let k = k as u32;
        let w = write_in_its_style(p, k, &out.join(&folder), how, |j| done(4 * k + j))?;
        let entry = Entry {
            folder,
            seed: p.facade.seed,
            footprint_m: [p.width_m, p.depth_m],
            floors: p.floors,
            height_m: p.height_m(),
            offset_m: [x + p.width_m / 2.0, 0.0, 0.0],
        };
        x += p.width_m;
        written.push((w, entry));
    }
    // The street centred on the origin.
    for (_, e) in &mut written {
        e.offset_m[0] = match street {
            true => e.offset_m[0] - x / 2.0,
            false => 0.0,
        };
    }
    if street {
        let buildings: Vec<(String, [f32; 3], glb::BuildingMesh)> = written
            .iter()
            .map(|(w, e)| (e.folder.clone(), e.offset_m, w.mesh()))
            .collect();
        let glb = glb::street_glb(&buildings)?;
        crate::fsutil::atomic_write(&out.join("street.glb"), &glb)?;
    }
    let entries: Vec<&Entry> = written.iter().map(|(_, e)| e).collect();
    let text = serde_json::to_string_pretty(&entries).expect("plain data serialises");
    crate::fsutil::atomic_write(&out.join("index.json"), text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::FacadeParams;

    #[test]
    fn a_street_varies_widths_and_floors_and_a_set_only_the_seed() {
        let params = BuildingParams {
            width_m: 12.0,
            depth_m: 8.0,
            floors: 3,
            floor_m: 3.2,
            roof: crate::generate::roof::RoofKind::Hipped,
            facade: FacadeParams::default(),
        };
        let street: Vec<BuildingParams> = (0..8).map(|k| variant(&params, k, true)).collect();
        let widths: Vec<f32> = street.iter().map(|p| p.width_m).collect();
        assert!(
            widths.iter().all(|w| (9.0..=15.0).contains(w)),
            "{widths:?}"
        );
        assert!(widths.windows(2).any(|w| w[0] != w[1]), "{widths:?}");
        assert!(street.iter().any(|p| p.floors != 3), "floors vary");
        assert!(street.iter().all(|p| p.check().is_ok() && p.depth_m == 8.0));
        let set: Vec<BuildingParams> = (0..3).map(|k| variant(&params, k, false)).collect();
        let seeds: Vec<u64> = set.iter().map(|p| p.facade.seed).collect();
        assert_eq!(seeds, [1, 2, 3]);
        assert!(set.iter().all(|p| p.width_m == 12.0 && p.floors == 3));
    }
}
