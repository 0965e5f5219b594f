//! The render worker: a thread that owns the generator and renders the newest request. While it
//! renders, newer requests replace the pending one, so a fast painter never queues up work.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender, unbounded};

use super::Renderer;
use crate::backend::{self, BackendChoice};
use crate::events::{RenderEvent, RenderRequest, ThumbnailRequest};

#[derive(Default)]
struct Pending {
    render: Option<RenderRequest>,
    /// Gallery thumbnails still to render, the next last (after any `render`).
    thumbnails: Vec<ThumbnailRequest>,
    load: Option<PathBuf>,
    shutdown: bool,
}

type Slot = Arc<(Mutex<Pending>, Condvar)>;

pub struct RenderWorker {
    slot: Slot,
    pub events: Receiver<RenderEvent>,
    /// True while a render is running: a trainer sharing the CPU waits for it (the preview has
    /// priority over training).
    pub busy: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl RenderWorker {
    /// Starts the worker on `backend` and loads `model`. `wake` is called after each event (the
    /// UI passes its repaint request).
    pub fn start(
        model: PathBuf,
        backend: BackendChoice,
        wake: Box<dyn Fn() + Send>,
    ) -> RenderWorker {
        RenderWorker::start_with_faults(model, backend, wake, Vec::new())
    }

    /// As `start`, with deliberate failures for tests that prove recovery: the first GPU renders
    /// panic with these messages, in order (as burn-wgpu panics on out-of-memory or a lost
    /// device), before any real work.
    pub fn start_with_faults(
        model: PathBuf,
        backend: BackendChoice,
        wake: Box<dyn Fn() + Send>,
        gpu_faults: Vec<String>,
    ) -> RenderWorker {
        let slot: Slot = Arc::new((Mutex::new(Pending::default()), Condvar::new()));
        let (tx, rx) = unbounded();
        let thread_slot = slot.clone();
        let busy = Arc::new(AtomicBool::new(false));
        let thread_busy = busy.clone();
        let thread = std::thread::Builder::new()
            .name("render-worker".into())
            .spawn(move || {
                worker_loop(
                    thread_slot,
                    tx,
                    model,
                    backend,
                    wake,
                    thread_busy,
                    gpu_faults,
                )
            })
            .ok();
        RenderWorker {
            slot,
            events: rx,
            busy,
            thread,
        }
    }

    fn with_pending(&self, f: impl FnOnce(&mut Pending)) {
        let (lock, cvar) = &*self.slot;
        if let Ok(mut p) = lock.lock() {
            f(&mut p);
            cvar.notify_one();
        }
    }

    /// Asks for a render; replaces a pending request that has not started.
    pub fn request(&self, request: RenderRequest) {
        self.with_pending(|p| p.render = Some(request));
    }

    /// Asks for gallery thumbnails (rendered while no preview render waits); replaces the ones
    /// still pending.
    pub fn request_thumbnails(&self, mut thumbnails: Vec<ThumbnailRequest>) {
        thumbnails.reverse();
        self.with_pending(|p| p.thumbnails = thumbnails);
    }

    /// Swaps in another model (a checkpoint or model file) without restarting.
    pub fn load_model(&self, path: PathBuf) {
        self.with_pending(|p| p.load = Some(path));
    }
}

impl Drop for RenderWorker {
    fn drop(&mut self) {
        self.with_pending(|p| p.shutdown = true);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn worker_loop(
    slot: Slot,
    tx: Sender<RenderEvent>,
    model: PathBuf,
    choice: BackendChoice,
    wake: Box<dyn Fn() + Send>,
    busy: Arc<AtomicBool>,
    mut gpu_faults: Vec<String>,
) {
    gpu_faults.reverse();
    let send = |e: RenderEvent| {
        let _ = tx.send(e);
        wake();
    };
    let device = match backend::select(choice, &mut |_| {}) {
        Ok(d) => d,
        Err(e) => {
            send(RenderEvent::ModelFailed(e.to_string()));
            backend::cpu_device()
        }
    };
    let mut renderer: Option<Renderer> = None;
    let mut device = device;
    let load =
        |path: &PathBuf, device: &backend::SelectedDevice, renderer: &mut Option<Renderer>| {
            let loaded = backend::guarded(|| Renderer::load(path, device.clone()));
            match loaded {
                Ok(Ok(r)) => {
                    // A failure here shows again, and is handled, at the first real render.
                    let _ = backend::guarded(|| r.warm_up());
                    send(RenderEvent::ModelReady {
                        name: r.meta.name.clone(),
                        device: r.device.description.clone(),
                        ngf: r.meta.model.ngf,
                        path: r.source.clone(),
                        styles: r.takes_style().then(|| r.style_bank().clone()),
                        task: r.meta.task.clone(),
                    });
                    *renderer = Some(r);
                }
                Ok(Err(e)) => send(RenderEvent::ModelFailed(e.to_string())),
                Err(e) => send(RenderEvent::ModelFailed(format!(
                    "{}: loading failed ({e})",
                    path.display()
                ))),
            }
        };
    load(&model, &device, &mut renderer);
    loop {
        let (request, new_model, thumbnail) = {
            let (lock, cvar) = &*slot;
            let Ok(mut p) = lock.lock() else { return };
            while p.render.is_none() && p.load.is_none() && p.thumbnails.is_empty() && !p.shutdown {
                p = match cvar.wait(p) {
                    Ok(p) => p,
                    Err(_) => return,
                };
            }
            if p.shutdown {
                return;
            }
            let render = p.render.take();
            let thumbnail = match render {
                None => p.thumbnails.pop(),
                Some(_) => None,
            };
            (render, p.load.take(), thumbnail)
        };
        if let Some(path) = new_model {
            load(&path, &device, &mut renderer);
        }
        if let (Some(t), Some(r)) = (thumbnail, renderer.as_ref()) {
            busy.store(true, Ordering::Release);
            let result = backend::guarded(|| r.render_thumbnail(&t.map, &t.style));
            busy.store(false, Ordering::Release);
            if let Ok(Ok(image)) = result {
                send(RenderEvent::Thumbnail {
                    revision: t.revision,
                    index: t.index,
                    image,
                });
            }
        }
        let Some(request) = request else { continue };
        let mut attempt = 0;
        while let Some(r) = renderer.as_ref() {
            let started = Instant::now();
            busy.store(true, Ordering::Release);
            let fault = match device.backend == backend::BackendKind::Wgpu {
                true => gpu_faults.pop(),
                false => None,
            };
            let result = backend::guarded(|| {
                if let Some(message) = fault {
                    panic!("{message}");
                }
                r.render_exact(&request.map, &request.style, Some(request.seed))
            })
            .unwrap_or_else(|e| Err(crate::error::Error::msg(e)));
            busy.store(false, Ordering::Release);
            match result {
                Ok(image) => send(RenderEvent::Rendered {
                    revision: request.revision,
                    seed: request.seed,
                    image,
                    millis: started.elapsed().as_secs_f64() * 1000.0,
                }),
                // A GPU that runs out of memory or goes away: carry on on the CPU.
                Err(e) if attempt == 0 && device.backend == backend::BackendKind::Wgpu => {
                    let source = r.source.clone();
                    send(RenderEvent::ModelFailed(format!(
                        "the GPU failed to render ({e}); switching the preview to the CPU"
                    )));
                    device = backend::cpu_device();
                    renderer = None;
                    load(&source, &device, &mut renderer);
                    attempt += 1;
                    continue;
                }
                Err(e) => send(RenderEvent::RenderFailed {
                    revision: request.revision,
                    error: e.to_string(),
                }),
            }
            break;
        }
    }
}
