//! The render worker: a thread that owns the generator and renders the newest request. While it
//! renders, newer requests replace the pending one, so a fast painter never queues up work.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender, unbounded};

use super::Renderer;
use crate::backend::{self, BackendChoice};
use crate::events::{LoadedModel, RenderEvent, RenderRequest, ThumbnailRequest};

#[derive(Default)]
struct Pending {
    render: Option<RenderRequest>,
    /// Gallery thumbnails still to render, the next last (after any `render`).
    thumbnails: Vec<ThumbnailRequest>,
    load: Option<PathBuf>,
    shutdown: bool,
}

/// The requests waiting for the worker, and the condition it sleeps on.
type Mailbox = Arc<(Mutex<Pending>, Condvar)>;

pub struct RenderWorker {
    mailbox: Mailbox,
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
    #[doc(hidden)]
    pub fn start_with_faults(
        model: PathBuf,
        backend: BackendChoice,
        wake: Box<dyn Fn() + Send>,
        gpu_faults: Vec<String>,
    ) -> RenderWorker {
        let mailbox: Mailbox = Arc::new((Mutex::new(Pending::default()), Condvar::new()));
        let (tx, rx) = unbounded();
        let thread_mailbox = mailbox.clone();
        let busy = Arc::new(AtomicBool::new(false));
        let thread_busy = busy.clone();
        let thread = std::thread::Builder::new()
            .name("render-worker".into())
            .spawn(move || {
                let worker = Worker::new(tx, wake, backend, thread_busy, gpu_faults);
                worker_loop(thread_mailbox, worker, model)
            })
            .ok();
        RenderWorker {
            mailbox,
            events: rx,
            busy,
            thread,
        }
    }

    fn with_pending(&self, f: impl FnOnce(&mut Pending)) {
        let (lock, cvar) = &*self.mailbox;
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

/// The worker thread's state: its device, its model, and where its events go.
struct Worker {
    tx: Sender<RenderEvent>,
    wake: Box<dyn Fn() + Send>,
    device: backend::SelectedDevice,
    renderer: Option<Renderer>,
    busy: Arc<AtomicBool>,
    /// Deliberate GPU failures still to fire, the next last.
    gpu_faults: Vec<String>,
}

/// What the worker takes from the mailbox in one go.
struct Job {
    render: Option<RenderRequest>,
    load: Option<PathBuf>,
    thumbnail: Option<ThumbnailRequest>,
}

fn worker_loop(mailbox: Mailbox, mut worker: Worker, model: PathBuf) {
    worker.load(&model);
    while let Some(job) = next_job(&mailbox) {
        if let Some(path) = job.load {
            worker.load(&path);
        }
        if let Some(t) = job.thumbnail {
            worker.thumbnail(t);
        }
        if let Some(request) = job.render {
            worker.render(request);
        }
    }
}

/// Waits for work; None when the worker is to shut down (or the mailbox is poisoned).
fn next_job(mailbox: &Mailbox) -> Option<Job> {
    let (lock, cvar) = &**mailbox;
    let mut p = lock.lock().ok()?;
    while p.render.is_none() && p.load.is_none() && p.thumbnails.is_empty() && !p.shutdown {
        p = cvar.wait(p).ok()?;
    }
    if p.shutdown {
        return None;
    }
    let render = p.render.take();
    // Thumbnails wait while a preview render is asked for.
    let thumbnail = match render {
        None => p.thumbnails.pop(),
        Some(_) => None,
    };
    Some(Job {
        render,
        load: p.load.take(),
        thumbnail,
    })
}

impl Worker {
    /// Picks the device (the CPU, with a message, when the asked one fails).
    fn new(
        tx: Sender<RenderEvent>,
        wake: Box<dyn Fn() + Send>,
        choice: BackendChoice,
        busy: Arc<AtomicBool>,
        mut gpu_faults: Vec<String>,
    ) -> Worker {
        gpu_faults.reverse();
        let mut worker = Worker {
            tx,
            wake,
            device: backend::cpu_device(),
            renderer: None,
            busy,
            gpu_faults,
        };
        match backend::select(choice, &mut |_| {}) {
            Ok(d) => worker.device = d,
            Err(e) => worker.send(RenderEvent::ModelFailed(e.to_string())),
        }
        worker
    }

    fn send(&self, event: RenderEvent) {
        let _ = self.tx.send(event);
        (self.wake)();
    }

    /// Loads `path` on the worker's device; on failure the previous model stays.
    fn load(&mut self, path: &Path) {
        let device = self.device.clone();
        match backend::guarded(|| Renderer::load(path, device)) {
            Ok(Ok(r)) => {
                // A failure here shows again, and is handled, at the first real render.
                let _ = backend::guarded(|| r.warm_up());
                self.send(RenderEvent::ModelReady {
                    model: LoadedModel {
                        name: r.meta.name.clone(),
                        device: r.device.description.clone(),
                        ngf: r.meta.model.ngf,
                        path: r.source.clone(),
                    },
                    styles: r.takes_style().then(|| r.style_bank().clone()),
                    task: r.meta.task.clone(),
                    palette: r.meta.palette.clone(),
                });
                self.renderer = Some(r);
            }
            Ok(Err(e)) => self.send(RenderEvent::ModelFailed(e.to_string())),
            Err(e) => self.send(RenderEvent::ModelFailed(format!(
                "{}: loading failed ({e})",
                path.display()
            ))),
        }
    }

    /// Runs `f` with the busy flag up, so a trainer sharing the CPU waits.
    fn busy<T>(&self, f: impl FnOnce() -> T) -> T {
        self.busy.store(true, Ordering::Release);
        let out = f();
        self.busy.store(false, Ordering::Release);
        out
    }

    /// A gallery thumbnail; a failure leaves its slot empty.
    fn thumbnail(&self, t: ThumbnailRequest) {
        let Some(r) = self.renderer.as_ref() else {
            return;
        };
        let result = self.busy(|| backend::guarded(|| r.render_thumbnail(&t.map, &t.style)));
        if let Ok(Ok(image)) = result {
            self.send(RenderEvent::Thumbnail {
                revision: t.revision,
                index: t.index,
                image,
            });
        }
    }

    /// The preview render. A GPU that runs out of memory or goes away: the worker carries on on
    /// the CPU and renders the request there.
    fn render(&mut self, request: RenderRequest) {
        let Some(result) = self.try_render(&request) else {
            return;
        };
        let error = match result {
            Ok(event) => return self.send(event),
            Err(e) => e,
        };
        if self.device.backend != backend::BackendKind::Wgpu {
            return self.send(RenderEvent::RenderFailed {
                revision: request.revision,
                error,
            });
        }
        let Some(source) = self.renderer.take().map(|r| r.source) else {
            return;
        };
        self.send(RenderEvent::ModelFailed(format!(
            "the GPU failed to render ({error}); switching the preview to the CPU"
        )));
        self.device = backend::cpu_device();
        self.load(&source);
        match self.try_render(&request) {
            Some(Ok(event)) => self.send(event),
            Some(Err(error)) => self.send(RenderEvent::RenderFailed {
                revision: request.revision,
                error,
            }),
            None => {}
        }
    }

    /// One render attempt: the event to send, or the error; None without a model.
    fn try_render(&mut self, request: &RenderRequest) -> Option<Result<RenderEvent, String>> {
        self.renderer.as_mut()?.detail = request.detail;
        let fault = match self.device.backend == backend::BackendKind::Wgpu {
            true => self.gpu_faults.pop(),
            false => None,
        };
        let r = self.renderer.as_ref()?;
        let started = Instant::now();
        let result = self.busy(|| {
            backend::guarded(|| {
                if let Some(message) = fault {
                    panic!("{message}");
                }
                r.render_exact(&request.map, &request.style, Some(request.seed))
            })
        });
        Some(match result {
            Ok(Ok(image)) => Ok(RenderEvent::Rendered {
                revision: request.revision,
                seed: request.seed,
                image,
                millis: started.elapsed().as_secs_f64() * 1000.0,
            }),
            Ok(Err(e)) => Err(e.to_string()),
            Err(e) => Err(e),
        })
    }
}
