//! Renders of any size by blended tiles: no seam at the tile borders (a hard tiling of the same
//! map shows one, so the measure can tell), exact output sizes, and wrap-around continuity.

use facade_studio::backend::cpu_device;
use facade_studio::label_map::LabelMap;
use facade_studio::models::default_model_path;
use facade_studio::palette::Palette;
use facade_studio::render::Renderer;
use facade_studio::render::tiled::origins;
use image::RgbImage;

/// A facade whose classes change only from top to bottom: any change along x is the model's
/// texture or a seam.
fn banded(width: u32, height: u32) -> LabelMap {
    let p = Palette::cmp_facades();
    let bands = [
        "cornice", "facade", "window", "sill", "facade", "window", "molding", "shop",
    ];
    let ids: Vec<u8> = bands.iter().map(|c| p.index_of(c).unwrap()).collect();
    LabelMap::from_fn(width, height, |_, y| {
        ids[(y * ids.len() as u32 / height) as usize]
    })
}

/// Mean absolute difference between column x and column x - 1 (all channels), for x in 1..w.
fn column_jumps(img: &RgbImage) -> Vec<f64> {
    let (w, h) = img.dimensions();
    (1..w)
        .map(|x| {
            let mut sum = 0.0;
            for y in 0..h {
                let (a, b) = (img.get_pixel(x, y).0, img.get_pixel(x - 1, y).0);
                sum += (0..3)
                    .map(|k| (a[k] as f64 - b[k] as f64).abs())
                    .sum::<f64>();
            }
            sum / h as f64
        })
        .collect()
}

/// Largest jump at the given columns, and the 99th percentile of the others.
fn border_and_inside(jumps: &[f64], borders: &[u32]) -> (f64, f64) {
    let at = |x: u32| jumps[x as usize - 1];
    let border = borders.iter().map(|&x| at(x)).fold(0.0, f64::max);
    let mut inside: Vec<f64> = (1..=jumps.len() as u32)
        .filter(|x| !borders.contains(x))
        .map(at)
        .collect();
    inside.sort_by(f64::total_cmp);
    (border, inside[inside.len() * 99 / 100])
}

fn shipped() -> Renderer {
    Renderer::load(&default_model_path(), cpu_device()).unwrap()
}

#[test]
fn blended_tiles_show_no_seam_where_hard_tiles_do() {
    let r = shipped();
    let map = banded(1024, 256);

    // Hard tiles: four separate renders side by side.
    let mut hard = RgbImage::new(1024, 256);
    for k in 0..4u32 {
        let tile = LabelMap::from_fn(256, 256, |x, y| map.get(k * 256 + x, y));
        image::imageops::replace(
            &mut hard,
            &r.render(&tile, &facade_studio::style::Style::none(), None)
                .unwrap(),
            (k * 256) as i64,
            0,
        );
    }
    let (seam, inside) = border_and_inside(&column_jumps(&hard), &[256, 512, 768]);
    eprintln!("hard tiles: border {seam:.1}, inside p99 {inside:.1}");
    assert!(
        seam > 1.5 * inside,
        "the measure should see hard seams ({seam:.1} vs {inside:.1})"
    );

    let blended = r
        .render_tiled(&map, &facade_studio::style::Style::none(), None, false)
        .unwrap();
    assert_eq!(blended.dimensions(), (1024, 256));
    let xs = origins(1024, 256, 64, false);
    let borders: Vec<u32> = xs
        .iter()
        .flat_map(|&x| [x, x + 256])
        .filter(|&x| x > 0 && x < 1024)
        .collect();
    let (seam, inside) = border_and_inside(&column_jumps(&blended), &borders);
    eprintln!("blended tiles: border {seam:.1}, inside p99 {inside:.1}");
    assert!(
        seam <= inside,
        "a seam shows at a tile border: {seam:.1} vs {inside:.1} inside"
    );
}

#[test]
fn any_size_renders_at_exactly_that_size_and_wraps_round() {
    let r = shipped();
    let map = banded(600, 300);
    let img = r
        .render_tiled(&map, &facade_studio::style::Style::none(), None, false)
        .unwrap();
    assert_eq!(img.dimensions(), (600, 300));

    // Wrapped: the last column continues into the first as smoothly as columns inside do.
    let wrapped = r
        .render_tiled(&map, &facade_studio::style::Style::none(), None, true)
        .unwrap();
    assert_eq!(wrapped.dimensions(), (600, 300));
    let mut ring = RgbImage::new(601, 300);
    image::imageops::replace(&mut ring, &wrapped, 1, 0);
    for y in 0..300 {
        ring.put_pixel(0, y, *wrapped.get_pixel(599, y));
    }
    let jumps = column_jumps(&ring);
    let (edge, inside) = border_and_inside(&jumps, &[1]);
    eprintln!("wrap: edge {edge:.1}, inside p99 {inside:.1}");
    assert!(
        edge <= inside,
        "the wrap-around edge jumps {edge:.1} (inside p99 {inside:.1})"
    );
    // Without wrapping the two edges are rendered apart and do not meet (the measure can tell).
    let mut open = RgbImage::new(601, 300);
    image::imageops::replace(&mut open, &img, 1, 0);
    for y in 0..300 {
        open.put_pixel(0, y, *img.get_pixel(599, y));
    }
    let (open_edge, _) = border_and_inside(&column_jumps(&open), &[1]);
    eprintln!("no wrap: edge {open_edge:.1}");
    assert!(
        open_edge > 3.0 * inside,
        "the measure should see unwrapped edges meet badly"
    );
}
