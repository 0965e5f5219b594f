//! Tests on the real CMP facades, run when FACADES_DIR names the folder (CI sets it).

use std::path::PathBuf;

use facade_studio::backend::BackendChoice;
use facade_studio::data::Dataset;
use facade_studio::data::prefetch::preload;
use facade_studio::events::TrainEvent;
use facade_studio::model::ModelConfig;
use facade_studio::palette::Palette;
use facade_studio::train::{TrainConfig, TrainJob, spawn};

fn facades() -> Option<PathBuf> {
    match std::env::var("FACADES_DIR") {
        Ok(d) if !d.is_empty() => Some(PathBuf::from(d).join("train")),
        _ => {
            eprintln!(
                "SKIPPED: FACADES_DIR is not set; set it to the facades folder to run the real-data tests"
            );
            None
        }
    }
}

#[test]
fn all_400_training_pairs_load_with_the_expected_class_shares() {
    let Some(dir) = facades() else { return };
    let palette = Palette::cmp_facades();
    let ds = Dataset::open(&dir).unwrap();
    assert_eq!(ds.len(), 400);
    let (pairs, bad) = preload(&ds, &palette, 256, 2, &|_, _| {});
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(pairs.len(), 400);
    // The data's README measured shares on "the first 100" files as a directory listing sorts
    // them (1, 10, 100, 101, …), so take the same 100.
    let mut listing: Vec<usize> = (0..400).collect();
    listing.sort_by_key(|i| (i + 1).to_string());
    let mut shares = [0.0; 12];
    for &i in &listing[..100] {
        let pair_shares = pairs[i].labels.class_shares(12);
        assert_eq!(pair_shares.len(), shares.len());
        for (s, v) in shares.iter_mut().zip(pair_shares) {
            *s += v / 100.0;
        }
    }
    // The README's table: background 22.5 %, facade 36.8 %, window 13.6 %, door 1.5 %, cornice
    // 2.7 %, sill 3.6 %, balcony 4.6 %, blind 0.7 %, deco 1.4 %, molding 7.6 %, pillar 0.6 %,
    // shop 4.3 %.
    let expected = [
        0.225, 0.368, 0.136, 0.015, 0.027, 0.036, 0.046, 0.007, 0.014, 0.076, 0.006, 0.043,
    ];
    for (class, (got, want)) in shares.iter().zip(expected).enumerate() {
        assert!(
            (got - want).abs() < 0.01,
            "class {class}: {got:.4} vs {want}"
        );
    }
}

#[test]
fn twenty_training_steps_on_the_real_data() {
    let Some(dir) = facades() else { return };
    let run = tempfile::tempdir().unwrap();
    let train = TrainConfig {
        data: dir,
        holdout: 40,
        max_steps: Some(20),
        checkpoint_every: 20,
        sample_every: 20,
        samples: 2,
        ..TrainConfig::default()
    };
    let train = train.with_model(ModelConfig::new().with_width(8));
    let handle = spawn(TrainJob::new(run.path(), train, BackendChoice::Cpu));
    let events: Vec<TrainEvent> = handle.events.iter().collect();
    handle.join();
    assert!(
        matches!(events.last(), Some(TrainEvent::Finished { step: 20, .. })),
        "{:?}",
        events.last()
    );
    assert!(events.iter().any(|e| matches!(
        e,
        TrainEvent::Started {
            train_pairs: 360,
            skipped: 0,
            ..
        }
    )));
    let losses: Vec<_> = events
        .iter()
        .filter_map(|e| {
            if let TrainEvent::Losses(l) = e {
                Some(*l)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(losses.len(), 20);
    assert!(
        losses
            .iter()
            .all(|l| l.g_l1.is_finite() && l.d_real.is_finite())
    );
}
