//! Choosing where tensors live: a GPU through burn-wgpu (Vulkan, Metal, DX12) when one is there,
//! the Flex CPU backend otherwise.

use std::sync::OnceLock;

use burn::prelude::*;

use crate::error::{Error, Result};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
pub enum BackendChoice {
    /// A GPU when wgpu finds one (not a software rasteriser), the CPU otherwise.
    #[default]
    Auto,
    /// wgpu on whatever adapter it finds (including software Vulkan); an error when there is none.
    Wgpu,
    /// The Flex CPU backend.
    Cpu,
}

/// A device and how to describe it to a person.
#[derive(Debug, Clone)]
pub struct SelectedDevice {
    pub device: Device,
    /// "GPU: NVIDIA RTX 4070 (Vulkan)", "CPU (Flex, 2 threads)", …
    pub description: String,
    pub is_gpu: bool,
    /// The wgpu adapter is a CPU rasteriser (lavapipe, WARP): correct but slow.
    pub software: bool,
    /// "wgpu" or "cpu", for tables and logs.
    pub backend: &'static str,
}

#[derive(Debug, Clone)]
struct WgpuProbe {
    device: Device,
    name: String,
    api: String,
    software: bool,
}

static WGPU: OnceLock<std::result::Result<WgpuProbe, String>> = OnceLock::new();

fn probe_wgpu() -> std::result::Result<WgpuProbe, String> {
    WGPU.get_or_init(|| {
        let attempt = std::panic::catch_unwind(|| Device::wgpu_options().init_with_setup());
        match attempt {
            Ok(Ok((device, setup))) => {
                let info = setup.adapter.get_info();
                let software = info.device_type == burn::tensor::wgpu::wgpu::DeviceType::Cpu;
                Ok(WgpuProbe {
                    device,
                    name: info.name.clone(),
                    api: format!("{:?}", info.backend),
                    software,
                })
            }
            Ok(Err(e)) => Err(format!("{e}")),
            Err(_) => Err("the wgpu runtime panicked while starting".to_string()),
        }
    })
    .clone()
}

pub fn cpu_device() -> SelectedDevice {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    SelectedDevice {
        device: Device::flex(),
        description: format!("CPU (Flex, {threads} threads)"),
        is_gpu: false,
        software: false,
        backend: "cpu",
    }
}

/// Picks the device for `choice`. `notice` receives a one-line message when `auto` falls back.
pub fn select(choice: BackendChoice, notice: &mut dyn FnMut(String)) -> Result<SelectedDevice> {
    match choice {
        BackendChoice::Cpu => Ok(cpu_device()),
        BackendChoice::Wgpu => match probe_wgpu() {
            Ok(p) => Ok(SelectedDevice {
                device: p.device,
                description: format!(
                    "{}: {} ({})",
                    if p.software { "software GPU" } else { "GPU" },
                    p.name,
                    p.api
                ),
                is_gpu: !p.software,
                software: p.software,
                backend: "wgpu",
            }),
            Err(e) => Err(Error::msg(format!(
                "--backend wgpu: no usable GPU adapter ({e}). Install your GPU's Vulkan/Metal/DX12 driver (or mesa-vulkan-drivers for software Vulkan), or use --backend cpu."
            ))),
        },
        BackendChoice::Auto => match probe_wgpu() {
            Ok(p) if !p.software => Ok(SelectedDevice {
                device: p.device,
                description: format!("GPU: {} ({})", p.name, p.api),
                is_gpu: true,
                software: false,
                backend: "wgpu",
            }),
            Ok(p) => {
                notice(format!(
                    "only a software GPU adapter was found ({}); using the CPU backend, which is faster",
                    p.name
                ));
                Ok(cpu_device())
            }
            Err(e) => {
                notice(format!("no GPU adapter found ({e}); using the CPU backend"));
                Ok(cpu_device())
            }
        },
    }
}
