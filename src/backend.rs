//! Choosing where tensors live: a GPU through burn-wgpu (Vulkan, Metal, DX12) when one is there,
//! the Flex CPU backend otherwise.

#[cfg(feature = "gpu")]
use std::sync::OnceLock;

use burn::prelude::*;

use crate::error::Result;

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
    /// wgpu on whatever adapter it finds (including software Vulkan); the CPU, with a notice,
    /// when there is none.
    Wgpu,
    /// The Flex CPU backend.
    Cpu,
}

/// Which backend a device runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    /// Burn's Flex CPU backend.
    Cpu,
    /// burn-wgpu (Vulkan, Metal, DX12; a software adapter counts too).
    Wgpu,
}

impl BackendKind {
    /// "cpu" or "wgpu", for tables, logs and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::Cpu => "cpu",
            BackendKind::Wgpu => "wgpu",
        }
    }
}

impl std::fmt::Display for BackendKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
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
    pub backend: BackendKind,
    /// The largest buffer the GPU device accepts, in bytes (none on the CPU).
    pub max_buffer_bytes: Option<u64>,
}

#[derive(Debug, Clone)]
#[cfg_attr(not(feature = "gpu"), allow(dead_code))]
struct WgpuProbe {
    device: Device,
    max_buffer_bytes: u64,
    name: String,
    api: String,
    software: bool,
}

#[cfg(feature = "gpu")]
static WGPU: OnceLock<std::result::Result<WgpuProbe, String>> = OnceLock::new();

#[cfg(not(feature = "gpu"))]
fn probe_wgpu() -> std::result::Result<WgpuProbe, String> {
    Err("this build has no GPU support (built without the `gpu` feature)".to_string())
}

#[cfg(feature = "gpu")]
fn probe_wgpu() -> std::result::Result<WgpuProbe, String> {
    WGPU.get_or_init(
        || match guarded(|| Device::wgpu_options().init_with_setup()) {
            Ok(Ok((device, setup))) => {
                let info = setup.adapter.get_info();
                let software = info.device_type == burn::tensor::wgpu::wgpu::DeviceType::Cpu;
                let limits = setup.device.limits();
                Ok(WgpuProbe {
                    device,
                    max_buffer_bytes: limits
                        .max_buffer_size
                        .min(limits.max_storage_buffer_binding_size),
                    name: info.name.clone(),
                    api: format!("{:?}", info.backend),
                    software,
                })
            }
            Ok(Err(e)) => Err(format!("{e}")),
            Err(e) => Err(format!("the wgpu runtime failed while starting ({e})")),
        },
    )
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
        backend: BackendKind::Cpu,
        max_buffer_bytes: None,
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
                backend: BackendKind::Wgpu,
                max_buffer_bytes: Some(p.max_buffer_bytes),
            }),
            Err(e) => {
                notice(format!(
                    "--backend wgpu: no usable GPU adapter ({e}); using the CPU instead. Install your GPU's Vulkan/Metal/DX12 driver (or mesa-vulkan-drivers for software Vulkan) to use the GPU."
                ));
                Ok(cpu_device())
            }
        },
        BackendChoice::Auto => match probe_wgpu() {
            Ok(p) if !p.software => Ok(SelectedDevice {
                device: p.device,
                description: format!("GPU: {} ({})", p.name, p.api),
                is_gpu: true,
                software: false,
                backend: BackendKind::Wgpu,
                max_buffer_bytes: Some(p.max_buffer_bytes),
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

/// Runs `f`, turning a panic into a one-line error. Burn reports backend failures by panicking
/// (burn-wgpu: out of GPU memory, a lost device, a kernel that fails to compile), so every call
/// that may run a model on a GPU goes through here and can fall back to the CPU.
pub fn guarded<T>(f: impl FnOnce() -> T) -> std::result::Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|panic| {
        let text = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "unknown error".into());
        describe_failure(&text)
    })
}

/// A person's summary of a backend failure: allocation failures become "out of GPU memory";
/// anything else keeps its innermost cause (Burn's messages nest "Caused by:" lines).
pub fn describe_failure(text: &str) -> String {
    const ALLOC: &str = "can't allocate buffer of size: ";
    if let Some(i) = text.find(ALLOC) {
        let digits: String = text[i + ALLOC.len()..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        let mb = digits.parse::<u64>().unwrap_or(0) >> 20;
        return format!("out of GPU memory: a {mb} MB buffer could not be allocated");
    }
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty()
                && !l.starts_with("Caused by")
                && !l.contains("backtrace")
                && !l.starts_with("Asked at")
        })
        .collect();
    match lines.as_slice() {
        [] => "unknown error".into(),
        [only] => only.to_string(),
        [first, .., last] => format!("{first}: {last}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpu_failures_read_as_one_line() {
        assert_eq!(
            describe_failure("Caused by:\n  can't allocate buffer of size: 201326592\n"),
            "out of GPU memory: a 192 MB buffer could not be allocated"
        );
        assert_eq!(
            describe_failure("Device lost\nCaused by:\n  backtrace here\n  driver reset"),
            "Device lost: driver reset"
        );
        assert_eq!(describe_failure(""), "unknown error");
    }

    #[test]
    fn a_panic_becomes_an_error() {
        let r: std::result::Result<(), String> =
            guarded(|| panic!("can't allocate buffer of size: 1048576"));
        assert_eq!(
            r.unwrap_err(),
            "out of GPU memory: a 1 MB buffer could not be allocated"
        );
        assert_eq!(guarded(|| 3), Ok(3));
        assert_eq!(BackendKind::Wgpu.to_string(), "wgpu");
        assert_eq!(cpu_device().backend, BackendKind::Cpu);
    }
}
