#![no_main]
//! Any bytes through `facade_studio::untrusted::label_image`: errors are fine, panics are bugs.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = facade_studio::untrusted::label_image(data);
});
