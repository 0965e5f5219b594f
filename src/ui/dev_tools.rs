//! Developer tooling switched on by environment variables: `FACADE_SCREENSHOT=path.png` saves a
//! screenshot once the first render is shown (after `FACADE_SCREENSHOT_AFTER` seconds, if set)
//! and quits — for the README and for looking at the app in CI-like environments;
//! `FACADE_WINDOW_SIZE=WxH` opens the window at that size (for screenshots of more of a tab);
//! `FACADE_FRAME_STATS` prints the UI thread's frame times when the app exits.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::preview::Preview;
use crate::image_io::save_png;

pub struct DevTools {
    screenshot: Option<PathBuf>,
    screenshot_after: f64,
    frame_stats: bool,
    frames: u64,
    opened: Instant,
    /// Milliseconds the UI thread spent in each frame's logic + ui (the last 4096 frames).
    pub frame_ms: VecDeque<f32>,
    frame_started: Option<Instant>,
}

/// The window's opening size: `FACADE_WINDOW_SIZE` ("1600x1000") when it reads as one, else
/// `default`.
pub fn window_size(default: [f32; 2]) -> [f32; 2] {
    std::env::var("FACADE_WINDOW_SIZE")
        .ok()
        .and_then(|v| parse_size(&v))
        .unwrap_or(default)
}

fn parse_size(text: &str) -> Option<[f32; 2]> {
    let (w, h) = text.trim().split_once(['x', 'X'])?;
    let (w, h) = (w.trim().parse::<f32>().ok()?, h.trim().parse::<f32>().ok()?);
    (w >= 1.0 && h >= 1.0 && w.is_finite() && h.is_finite()).then_some([w, h])
}

impl DevTools {
    pub fn from_env() -> DevTools {
        DevTools {
            screenshot: std::env::var_os("FACADE_SCREENSHOT").map(PathBuf::from),
            screenshot_after: std::env::var("FACADE_SCREENSHOT_AFTER")
                .ok()
                .and_then(|s| s.parse::<f64>().ok())
                .unwrap_or(0.0),
            frame_stats: std::env::var_os("FACADE_FRAME_STATS").is_some(),
            frames: 0,
            opened: Instant::now(),
            frame_ms: VecDeque::new(),
            frame_started: None,
        }
    }

    /// At the start of `logic`.
    pub fn begin_frame(&mut self) {
        self.frame_started = Some(Instant::now());
    }

    /// At the start of `ui`: counts the frame and takes the screenshot when it is time.
    pub fn on_ui(&mut self, ctx: &egui::Context, preview: &Preview) {
        self.frames += 1;
        let waited = self.opened.elapsed().as_secs_f64() >= self.screenshot_after;
        let ready = waited && (preview.renders > 0 || preview.error.is_some() || self.frames > 600);
        if !ready || self.frames < 5 {
            if self.screenshot.is_some() {
                ctx.request_repaint_after(Duration::from_millis(1000));
            }
            return;
        }
        let Some(path) = self.screenshot.take() else {
            return;
        };
        let ctx2 = ctx.clone();
        ctx.request_screenshot(move |img: std::sync::Arc<egui::ColorImage>| {
            let [w, h] = img.size;
            let rgba: Vec<u8> = img.pixels.iter().flat_map(|c| c.to_array()).collect();
            if let Some(buf) = image::RgbaImage::from_raw(w as u32, h as u32, rgba) {
                let rgb = image::DynamicImage::ImageRgba8(buf).to_rgb8();
                match save_png(&rgb, &path) {
                    Ok(()) => eprintln!("screenshot saved to {}", path.display()),
                    Err(e) => eprintln!("screenshot failed: {e}"),
                }
            }
            ctx2.send_viewport_cmd(egui::ViewportCommand::Close);
        });
        ctx.request_repaint();
    }

    /// At the end of `ui`.
    pub fn end_frame(&mut self) {
        if let Some(t) = self.frame_started.take() {
            if self.frame_ms.len() >= 4096 {
                self.frame_ms.pop_front();
            }
            self.frame_ms.push_back(t.elapsed().as_secs_f32() * 1000.0);
        }
    }

    pub fn on_exit(&self) {
        if !self.frame_stats {
            return;
        }
        let mut v: Vec<f64> = self.frame_ms.iter().map(|&x| x as f64).collect();
        v.sort_by(|a, b| a.total_cmp(b));
        eprintln!(
            "UI frame time over {} frames: p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms",
            v.len(),
            crate::bench::percentile(&v, 50.0),
            crate::bench::percentile(&v, 95.0),
            v.last().copied().unwrap_or(0.0)
        );
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn window_sizes_read_as_width_x_height_or_not_at_all() {
        assert_eq!(super::parse_size("1600x1000"), Some([1600.0, 1000.0]));
        assert_eq!(super::parse_size(" 800 X 600 "), Some([800.0, 600.0]));
        for bad in [
            "",
            "1600",
            "x1000",
            "1600x",
            "0x10",
            "-5x10",
            "wide x tall",
            "NaNx5",
        ] {
            assert_eq!(super::parse_size(bad), None, "{bad:?}");
        }
    }
}
