//! `generate`: parametric facades as game-engine bundles.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use facade_studio::backend::BackendChoice;
use facade_studio::generate::set::SetRender;
use facade_studio::generate::{FacadeParams, GroundFloor, NormalY, generate_set};
use facade_studio::palette::Palette;

use facade_studio::render::Renderer;

use super::{bar, load_renderer};

#[derive(Args)]
pub(crate) struct GenerateArgs {
    /// Output folder (facade-001/, facade-002/, …, atlas-*.png, atlas.json, index.json).
    #[arg(long)]
    out: PathBuf,
    /// How many facades (seeds --seed, --seed + 1, …).
    #[arg(long, default_value_t = 1)]
    count: u32,
    /// Seed of the first facade (the layout's random choices; renders are deterministic).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Building width in metres.
    #[arg(long, default_value_t = 16.0)]
    width_m: f32,
    /// Building height in metres.
    #[arg(long, default_value_t = 16.0)]
    height_m: f32,
    /// Upper floors: N or MIN-MAX.
    #[arg(long, default_value = "3-5", value_parser = parse_range)]
    floors: (u32, u32),
    /// Window bays per floor: N or MIN-MAX.
    #[arg(long, default_value = "4-6", value_parser = parse_range)]
    bays: (u32, u32),
    /// Render so that the left and right edges continue into each other (repeat along a street).
    #[arg(long)]
    tileable: bool,
    #[command(flatten)]
    facade: FacadeArgs,
    #[command(flatten)]
    render: RenderArgs,
}

/// What every generated facade is drawn with (`generate` and `building`).
#[derive(Args)]
pub(crate) struct FacadeArgs {
    /// Pixels per metre.
    #[arg(long, default_value_t = 16.0)]
    px_per_m: f32,
    /// Window width in metres.
    #[arg(long, default_value_t = 1.2)]
    window_width: f32,
    /// Window height in metres.
    #[arg(long, default_value_t = 1.6)]
    window_height: f32,
    /// The ground floor (of the front, for a building).
    #[arg(long, value_enum, default_value_t = GroundFloor::Shops)]
    ground: GroundFloor,
    /// Probability of balconies on a floor.
    #[arg(long, default_value_t = 0.3)]
    balcony: f32,
    /// Probability of blinds (shutters) beside the windows.
    #[arg(long, default_value_t = 0.35)]
    blind: f32,
    /// Probability of window sills.
    #[arg(long, default_value_t = 0.8)]
    sill: f32,
    /// Probability of a cornice under the roof line.
    #[arg(long, default_value_t = 0.9)]
    cornice: f32,
    /// Probability of molding bands between floors.
    #[arg(long, default_value_t = 0.5)]
    molding: f32,
    /// Probability of pillars at the corners.
    #[arg(long, default_value_t = 0.4)]
    pillar: f32,
    /// Do not mirror bays about the middle.
    #[arg(long)]
    asymmetric: bool,
}

/// How generated facades are rendered and written (`generate` and `building`).
#[derive(Args)]
pub(crate) struct RenderArgs {
    /// Labels, maps and description only, no render.
    #[arg(long)]
    no_render: bool,
    /// Normal map convention: up = OpenGL, glTF, Godot, Blender; down = DirectX, Unreal.
    #[arg(long, value_enum, default_value_t = NormalY::Up)]
    pub normal_y: NormalY,
    /// The gallery style drawn by seed N (for a set: facade k takes seed N + k, a street whose
    /// facades differ) [default: --seed].
    #[arg(long, conflicts_with = "no_style")]
    style_seed: Option<u64>,
    /// Render without styles (the model's own colours, alike for every facade).
    #[arg(long)]
    no_style: bool,
    /// Model file or run folder [default: the shipped model].
    #[arg(long)]
    model: Option<PathBuf>,
    #[command(flatten)]
    detail: super::DetailArg,
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    backend: BackendChoice,
}

impl FacadeArgs {
    /// These settings on a facade of `size_m` (width, height) with `floors` and `bays`.
    pub(crate) fn params(
        &self,
        (width_m, height_m): (f32, f32),
        floors: (u32, u32),
        bays: (u32, u32),
        seed: u64,
    ) -> FacadeParams {
        FacadeParams {
            width_m,
            height_m,
            px_per_m: self.px_per_m,
            floors,
            bays,
            window_width_m: self.window_width,
            window_height_m: self.window_height,
            ground: self.ground,
            balcony: self.balcony,
            blind: self.blind,
            sill: self.sill,
            cornice: self.cornice,
            molding: self.molding,
            pillar: self.pillar,
            symmetric: !self.asymmetric,
            tileable: false,
            seed,
        }
    }
}

impl RenderArgs {
    /// The model (none with --no-render) and the palette its facades are drawn in.
    pub(crate) fn renderer(&self) -> Result<(Option<Renderer>, Palette)> {
        let renderer = match self.no_render {
            true => None,
            false => Some(load_renderer(
                self.model.clone(),
                self.backend,
                self.detail.amount,
            )?),
        };
        let palette = renderer
            .as_ref()
            .map_or_else(Palette::cmp_facades, |r| r.palette.clone());
        Ok((renderer, palette))
    }

    /// How `renderer` renders: styles from seed `seed` on unless --no-style.
    pub(crate) fn set_render<'a>(&self, renderer: &'a Renderer, seed: u64) -> SetRender<'a> {
        SetRender {
            renderer,
            style_seed: match self.no_style {
                true => None,
                false => Some(self.style_seed.unwrap_or(seed)),
            },
        }
    }
}

/// "N" or "MIN-MAX".
pub(crate) fn parse_range(s: &str) -> std::result::Result<(u32, u32), String> {
    let num = |t: &str| {
        t.trim()
            .parse::<u32>()
            .map_err(|_| format!("\"{s}\": give a whole number or a range like 3-5"))
    };
    match s.split_once('-') {
        Some((a, b)) => Ok((num(a)?, num(b)?)),
        None => num(s).map(|n| (n, n)),
    }
}

impl GenerateArgs {
    fn params(&self) -> FacadeParams {
        FacadeParams {
            tileable: self.tileable,
            ..self.facade.params(
                (self.width_m, self.height_m),
                self.floors,
                self.bays,
                self.seed,
            )
        }
    }
}

pub(crate) fn cmd_generate(a: GenerateArgs) -> Result<()> {
    let params = a.params();
    params.check().map_err(|e| anyhow::anyhow!(e))?;
    let (renderer, palette) = a.render.renderer()?;
    let pb = bar(a.count as u64, "generating [{bar:30}] {pos}/{len} ({eta})");
    generate_set(
        &params,
        a.count,
        &a.out,
        &palette,
        renderer.as_ref().map(|r| a.render.set_render(r, a.seed)),
        a.render.normal_y,
        |k| pb.set_position(k as u64),
    )?;
    pb.finish_and_clear();
    let (w, h) = params.size_px();
    eprintln!(
        "wrote {} facade{} of {w}×{h} px into {}",
        a.count,
        if a.count == 1 { "" } else { "s" },
        a.out.display()
    );
    Ok(())
}
