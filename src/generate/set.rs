//! A set of facades: `count` bundles from consecutive seeds, each rendered by the model when one is
//! given, and an `index.json` listing them.

use std::path::Path;

use serde::Serialize;

use super::{Bundle, FacadeParams, NormalY, describe, labels, layout, write_bundle};
use crate::error::{Error, Result};
use crate::label_map::LabelMap;
use crate::palette::Palette;
use crate::render::Renderer;
use crate::render::tiled::Tiling;
use crate::style::Style;

/// Pixels of repeated edge around each facade in the atlases (against mipmap bleeding).
pub const ATLAS_PADDING: u32 = 8;

#[derive(Serialize)]
struct Entry {
    folder: String,
    seed: u64,
    width_px: u32,
    height_px: u32,
    floors: u32,
    bays: u32,
}

/// How a set is rendered: by this model, each facade in a style its style prior draws for the
/// facade's layout (seeds `style_seed`, `style_seed + 1` …) when a seed is given and the model
/// takes one.
pub struct SetRender<'a> {
    pub renderer: &'a Renderer,
    pub style_seed: Option<u64>,
}

impl SetRender<'_> {
    /// The style facade `k` (layout `map`) of the set is rendered in.
    pub fn style(&self, k: u32, map: &LabelMap) -> Style {
        match (self.style_seed, self.renderer.takes_style()) {
            (Some(seed), true) => {
                let present = crate::style::classes_of(map);
                (self.renderer.style_bank()).sample_for(&present, &Style::none(), seed + k as u64)
            }
            _ => Style::none(),
        }
    }
}

/// Writes `out/facade-NNN/` for seeds `params.seed .. params.seed + count`, then the atlases
/// (`atlas-<map>.png`, `atlas.json`) and `out/index.json`.
/// Normal maps point green `normal_y`; `done` is called after each facade. The parameters are checked before anything is written.
pub fn generate_set(
    params: &FacadeParams,
    count: u32,
    out: &Path,
    palette: &Palette,
    render: Option<SetRender<'_>>,
    normal_y: NormalY,
    mut done: impl FnMut(u32),
) -> Result<()> {
    params.check().map_err(Error::msg)?;
    if count == 0 {
        return Err(Error::msg("--count 0: nothing to generate"));
    }
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let model = render.as_ref().map(|r| r.renderer.meta.name.clone());
    let mut index = Vec::new();
    for k in 0..count {
        let p = FacadeParams {
            seed: params.seed + k as u64,
            ..params.clone()
        };
        let l = layout(&p);
        let map = labels(&l, palette)?;
        let style = render
            .as_ref()
            .map(|r| r.style(k, &map))
            .unwrap_or_default();
        let albedo = match &render {
            Some(r) => {
                let tiling = if p.tileable {
                    Tiling::Wrapped
                } else {
                    Tiling::Tiles
                };
                Some(r.renderer.render_as(&map, &style, None, tiling)?)
            }
            None => None,
        };
        let folder = format!("facade-{:03}", k + 1);
        let json = describe(&p, &l, model.as_deref(), style.to_json(palette));
        let bundle = Bundle::new(&map, palette, albedo, p.px_per_m, normal_y, json);
        write_bundle(&out.join(&folder), &bundle)?;
        index.push(Entry {
            folder,
            seed: p.seed,
            width_px: l.width,
            height_px: l.height,
            floors: l.floors,
            bays: l.bays,
        });
        done(k + 1);
    }
    let folders: Vec<String> = index.iter().map(|e| e.folder.clone()).collect();
    super::atlas::write_atlases(out, &folders, ATLAS_PADDING)?;
    let text = serde_json::to_string_pretty(&index).expect("plain data serialises");
    crate::fsutil::atomic_write(&out.join("index.json"), text.as_bytes())
}
