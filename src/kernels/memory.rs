//! How the process allocates: one glibc malloc arena for every thread.
//!
//! The kernels run on Rayon's worker threads ([`super::on_workers`]), so tensors are allocated
//! and freed there. glibc gives each allocating thread an arena of its own and keeps what is
//! freed in it for that thread, so with the work on two workers the freed activations of one step
//! sat in two arenas: peak memory during training grew by about 50 MB (ngf 32: 345 → 398 MB in
//! `facade-studio bench`). One arena shares the freed memory between threads again; the few
//! threads here hardly contend for its lock.

/// Sets glibc's `M_ARENA_MAX` to 1. Call it first thing in `main`, before other threads start
/// (it does nothing on other C libraries).
pub fn one_malloc_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes an allocator setting; called before other threads allocate.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}
