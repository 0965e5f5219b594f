//! Training data: finding image pairs in a folder, decoding them, augmenting them as published,
//! and feeding batches to the trainer from a prefetch thread.

pub mod augment;
pub mod dataset;
pub mod derive;
pub mod download;
pub mod hints;
pub mod prefetch;

pub use augment::{AugmentConfig, Batch};
pub use dataset::{Dataset, Layout, Pair, PairSource};
pub use prefetch::Prefetcher;
