//! The published architecture: parameter counts, output shapes, initialisation.

use burn::prelude::*;
use facade_studio::model::{DropoutMasks, ModelConfig};

#[test]
fn paper_sized_models_have_the_published_parameter_counts() {
    let device = Device::flex();
    let config = ModelConfig::paper(64); // ngf = ndf = 64, 256 px
    assert_eq!(config.levels(), 8);
    let g = config.init_generator(&device);
    let d = config.init_discriminator(&device);
    let (gp, dp) = (g.num_params() as f64, d.num_params() as f64);
    assert!(
        (gp / 54.4e6 - 1.0).abs() < 0.01,
        "generator has {gp} parameters"
    );
    assert!(
        (dp / 2.77e6 - 1.0).abs() < 0.01,
        "discriminator has {dp} parameters"
    );
    // ngf 32: the 13.6 M the CPU-friendly default is sized by.
    let g32 = ModelConfig::paper(32).init_generator(&device);
    assert!(
        (g32.num_params() as f64 / 13.6e6 - 1.0).abs() < 0.01,
        "{}",
        g32.num_params()
    );
    // The default: 3×3 taps instead of 4×4 in the decoder, two PatchGANs.
    let default = ModelConfig::new();
    let (g, d) = (
        default.init_generator(&device),
        default.init_discriminator(&device),
    );
    let decoder_share = (gp - g.num_params() as f64) / gp;
    assert!(
        (0.15..0.35).contains(&decoder_share),
        "nearest + 3×3 saves {decoder_share} of the parameters"
    );
    let one = ModelConfig::paper(64)
        .with_norm(facade_studio::model::NormKind::Instance)
        .init_discriminator(&device);
    assert_eq!(
        d.num_params(),
        2 * one.num_params(),
        "two discriminators of the same size"
    );
}

#[test]
fn output_shapes_match_the_paper() {
    let device = Device::flex();
    let config = ModelConfig::new()
        .with_ngf(4)
        .with_ndf(4)
        .with_style_channels(0);
    let g = config.init_generator(&device);
    let d = config.init_discriminator(&device);
    let x = Tensor::<4>::zeros([1, 3, 256, 256], &device);
    let y = g.forward(x.clone(), &mut DropoutMasks::off());
    assert_eq!(y.dims(), [1, 3, 256, 256]);
    let scales = d.forward(Tensor::cat(vec![x.clone(), y.clone()], 1));
    let shapes: Vec<[usize; 4]> = scales.iter().map(|s| s.logits.dims()).collect();
    assert_eq!(
        shapes,
        vec![[1, 1, 30, 30], [1, 1, 14, 14]],
        "70×70 PatchGAN gives 30×30 at 256 px, 14×14 at half resolution"
    );
    let features: Vec<[usize; 4]> = scales[0].features.iter().map(|f| f.dims()).collect();
    assert_eq!(
        features,
        vec![
            [1, 4, 128, 128],
            [1, 8, 64, 64],
            [1, 16, 32, 32],
            [1, 32, 31, 31]
        ]
    );
    // The paper's single PatchGAN.
    let paper = ModelConfig::paper(4).init_discriminator(&device);
    let one = paper.forward(Tensor::cat(vec![x, y.clone()], 1));
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].logits.dims(), [1, 1, 30, 30]);
    // tanh output
    let v = y.into_data().try_into_vec::<f32>().unwrap();
    assert!(v.iter().all(|v| (-1.0..=1.0).contains(v)));
    // A wide canvas renders too (fully convolutional).
    let wide = g.forward(
        Tensor::<4>::zeros([1, 3, 256, 512], &device),
        &mut DropoutMasks::off(),
    );
    assert_eq!(wide.dims(), [1, 3, 256, 512]);
}

#[test]
fn weights_start_normal_with_std_0_02() {
    let device = Device::flex();
    let g = ModelConfig::paper(16).init_generator(&device);
    // Gather every 4-D weight (convolutions); their std must be ≈ 0.02.
    struct Stats(f64, f64, usize);
    impl burn::module::ModuleVisitor for Stats {
        fn visit_float<const D: usize>(&mut self, p: &burn::module::Param<Tensor<D>>) {
            if D == 4 {
                for v in p.val().into_data().try_into_vec::<f32>().unwrap() {
                    self.0 += v as f64;
                    self.1 += (v as f64) * (v as f64);
                    self.2 += 1;
                }
            }
        }
    }
    let mut s = Stats(0.0, 0.0, 0);
    g.visit(&mut s);
    let mean = s.0 / s.2 as f64;
    let std = (s.1 / s.2 as f64 - mean * mean).sqrt();
    assert!(
        mean.abs() < 1e-3 && (std - 0.02).abs() < 1e-3,
        "mean {mean} std {std}"
    );
}

#[test]
fn dropout_seeds_give_variations_and_seed_off_is_deterministic() {
    let device = Device::flex();
    // 64 px has 6 levels: level 4 is a dropout block.
    let config = ModelConfig::new()
        .with_ngf(4)
        .with_ndf(4)
        .with_size(64)
        .with_style_channels(0);
    assert!(config.has_dropout(4));
    device.seed(3);
    let g = config.init_generator(&device);
    let x = Tensor::<4>::random(
        [1, 3, 64, 64],
        burn::tensor::Distribution::Uniform(-1.0, 1.0),
        &device,
    );
    let run = |m: &mut DropoutMasks| {
        g.forward(x.clone(), m)
            .into_data()
            .try_into_vec::<f32>()
            .unwrap()
    };
    let off1 = run(&mut DropoutMasks::off());
    let off2 = run(&mut DropoutMasks::off());
    assert_eq!(off1, off2);
    let s1 = run(&mut DropoutMasks::seeded(1, 0.5));
    let s1b = run(&mut DropoutMasks::seeded(1, 0.5));
    let s2 = run(&mut DropoutMasks::seeded(2, 0.5));
    assert_eq!(s1, s1b, "same seed, same variation");
    assert_ne!(s1, s2, "another seed, another variation");
}

#[test]
fn with_instance_norm_a_render_alone_equals_it_within_a_batch() {
    // Batch > 1 trains with per-sample statistics, so one render sees what training saw.
    let device = Device::flex();
    let config = ModelConfig::new()
        .with_ngf(4)
        .with_ndf(4)
        .with_size(64)
        .with_style_channels(0);
    assert_eq!(config.norm, facade_studio::model::NormKind::Instance);
    device.seed(4);
    let g = config.init_generator(&device);
    let dist = burn::tensor::Distribution::Uniform(-1.0, 1.0);
    let a = Tensor::<4>::random([1, 3, 64, 64], dist, &device);
    let b = Tensor::<4>::random([1, 3, 64, 64], dist, &device);
    let alone = g.forward(a.clone(), &mut DropoutMasks::off());
    let both = g.forward(Tensor::cat(vec![a, b], 0), &mut DropoutMasks::off());
    let first = both.narrow(0, 0, 1);
    assert_eq!(alone.dims(), first.dims());
    let diff = (alone.clone() - first).abs().max().into_scalar::<f32>();
    assert!(diff < 1e-5, "instance norm: {diff}");
    // Batch statistics (the paper's) mix the two.
    let paper = config
        .clone()
        .with_norm(facade_studio::model::NormKind::Batch);
    device.seed(4);
    let g = paper.init_generator(&device);
    let a = Tensor::<4>::random([1, 3, 64, 64], dist, &device);
    let b = Tensor::<4>::random([1, 3, 64, 64], dist, &device);
    let alone = g.forward(a.clone(), &mut DropoutMasks::off());
    let both = g.forward(Tensor::cat(vec![a, b], 0), &mut DropoutMasks::off());
    let diff = (alone - both.narrow(0, 0, 1))
        .abs()
        .max()
        .into_scalar::<f32>();
    assert!(diff > 1e-3, "batch norm should depend on the batch: {diff}");
}
