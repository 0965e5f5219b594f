//! `building`: a whole building (four walls of one style around a footprint, a flat roof) as
//! per-wall bundles and one `building.glb`.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use facade_studio::generate::building::BuildingParams;
use facade_studio::generate::roof::RoofKind;
use facade_studio::generate::street::generate_buildings;

use super::bar;
use super::generate::{FacadeArgs, RenderArgs};

#[derive(Args)]
pub(crate) struct BuildingArgs {
    /// Output folder (front/, right/, back/, left/, building.glb, building.json); an existing
    /// one is written file by file, nothing in it removed.
    #[arg(long)]
    out: PathBuf,
    /// Width (front and back) × depth (sides) in metres, e.g. 12x8.
    #[arg(long, value_parser = parse_footprint)]
    footprint: (f32, f32),
    /// Floors above the ground floor.
    #[arg(long, default_value_t = 4)]
    floors: u32,
    /// Height of an upper floor in metres (the ground floor is 1.4 times taller).
    #[arg(long, default_value_t = 3.2)]
    floor_height: f32,
    /// The roof: flat, or hipped (30° slopes up to a ridge along the longer side).
    #[arg(long, value_enum, default_value_t = RoofKind::Flat)]
    roof: RoofKind,
    /// Seed of the walls' layouts (and of the style unless --style-seed).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How many buildings (building-001/ …, seeds --seed, --seed + 1 …, a style each).
    #[arg(long, default_value_t = 1)]
    count: u32,
    /// Line the buildings up along a street (widths ±25 %, floors ±1) in one street.glb.
    #[arg(long)]
    street: bool,
    #[command(flatten)]
    facade: FacadeArgs,
    #[command(flatten)]
    render: RenderArgs,
}

/// "W×D" or "WxD" in metres.
fn parse_footprint(s: &str) -> std::result::Result<(f32, f32), String> {
    let bad = || format!("\"{s}\": give width×depth in metres, e.g. 12x8");
    let (w, d) = s.split_once(['x', 'X', '×']).ok_or_else(bad)?;
    let num = |t: &str| t.trim().parse::<f32>().map_err(|_| bad());
    Ok((num(w)?, num(d)?))
}

pub(crate) fn cmd_building(a: BuildingArgs) -> Result<()> {
    let (width_m, depth_m) = a.footprint;
    let params = BuildingParams {
        width_m,
        depth_m,
        floors: a.floors,
        floor_m: a.floor_height,
        roof: a.roof,
        facade: a.facade.params((width_m, 1.0), (1, 1), (1, 1), a.seed),
    };
    params.check().map_err(|e| anyhow::anyhow!(e))?;
    let (renderer, palette) = a.render.renderer()?;
    let pb = bar(
        4 * a.count as u64,
        "rendering walls [{bar:30}] {pos}/{len} ({eta})",
    );
    let render = renderer.as_ref().map(|r| a.render.set_render(r, a.seed));
    let progress = |k: u32| pb.set_position(k as u64);
    let set = (a.count, a.street);
    generate_buildings(
        &params,
        set,
        &a.out,
        &palette,
        render,
        a.render.normal_y,
        progress,
    )?;
    pb.finish_and_clear();
    match set {
        (1, false) => eprintln!(
            "wrote a {width_m}×{depth_m} m building of {} floors ({:.1} m tall) into {}",
            a.floors + 1,
            params.height_m(),
            a.out.display()
        ),
        (n, street) => eprintln!(
            "wrote {n} buildings{} into {}",
            if street { " and street.glb" } else { "" },
            a.out.display()
        ),
    }
    Ok(())
}
