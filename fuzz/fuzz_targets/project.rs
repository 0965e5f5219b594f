#![no_main]
//! Any bytes through `facade_studio::untrusted::project`: errors are fine, panics are bugs.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = facade_studio::untrusted::project(data);
});
