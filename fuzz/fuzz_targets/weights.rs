#![no_main]
//! Any bytes as a weights file (model and checkpoint), as they are and with the checksum
//! resealed so that damage reaches the parsers behind it: errors are fine, panics are bugs.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = facade_studio::untrusted::weights(data);
    let _ = facade_studio::untrusted::weights_resealed(data);
});
