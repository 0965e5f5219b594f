//! Choosing where tensors live: a GPU through burn-wgpu (Vulkan, Metal, DX12) when one is there,
//! the Flex CPU backend otherwise.

#[cfg(feature = "gpu")]
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

impl SelectedDevice {
    /// Whether tensors live on the wgpu runtime (a GPU, or a software adapter when asked for
    /// with `--backend wgpu`): where kernels are compiled and tuned, and float types other than
    /// f32 can be set.
    pub fn on_wgpu(&self) -> bool {
        self.backend == BackendKind::Wgpu
    }
}

/// The float type a GPU computes in (`--precision`). The CPU computes in f32 only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Precision {
    F32,
    /// Half precision storage and arithmetic.
    F16,
    /// f32 storage, arithmetic at reduced precision where the device allows (CubeCL's flex32).
    Flex32,
}

impl Precision {
    /// As the flag spells it.
    pub fn name(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::F16 => "f16",
            Precision::Flex32 => "flex32",
        }
    }

    /// Makes this the device's float type. Must come before the device's first tensor.
    pub fn configure(self, selected: &mut SelectedDevice) -> Result<()> {
        use burn::tensor::FloatDType;
        let dtype = match self {
            Precision::F32 => return Ok(()),
            Precision::F16 => FloatDType::F16,
            Precision::Flex32 => FloatDType::Flex32,
        };
        if !selected.on_wgpu() {
            return Err(Error::msg(format!(
                "--precision {} needs a GPU; {} computes in f32 (leave --precision out, or pass --backend wgpu)",
                self.name(),
                selected.description
            )));
        }
        selected.device.configure(dtype).map_err(|e| {
            Error::msg(format!(
                "--precision {} is not available on {} ({e:?}); use --precision f32",
                self.name(),
                selected.description
            ))
        })
    }
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

/// Where the GPU runtime keeps what it learns between runs (CubeCL's autotune results and
/// compiled kernels): `FACADE_GPU_CACHE`, else `gpu-cache` in `FACADE_STATE_DIR`, else
/// `facade-studio/gpu-cache` in the user's cache folder (`$XDG_CACHE_HOME`, `~/.cache`). None
/// where no such folder can be named: the runtime then uses its own default.
pub fn gpu_cache_dir() -> Option<std::path::PathBuf> {
    gpu_cache_dir_from(|name| std::env::var_os(name))
}

/// [`gpu_cache_dir`] with the environment read through `env`.
fn gpu_cache_dir_from(
    env: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> Option<std::path::PathBuf> {
    use std::path::PathBuf;
    let var = |name: &str| env(name).filter(|v| !v.is_empty());
    if let Some(dir) = var("FACADE_GPU_CACHE") {
        return Some(PathBuf::from(dir));
    }
    if let Some(dir) = var("FACADE_STATE_DIR") {
        return Some(PathBuf::from(dir).join("gpu-cache"));
    }
    let cache = var("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(cache.join("facade-studio").join("gpu-cache"))
}

#[cfg(feature = "gpu")]
fn probe_wgpu() -> std::result::Result<WgpuProbe, String> {
    WGPU.get_or_init(|| {
        configure_gpu_runtime();
        wgpu_setup()
    })
    .clone()
}

/// CubeCL's settings for this app, before its first GPU work: autotune at its `minimal` level
/// unless `CUBECL_AUTOTUNE_LEVEL` (or a `cubecl.toml`) says otherwise — on an H200 the default
/// level spent minutes measuring candidate kernels for one model width before the first
/// training step — and its caches in [`gpu_cache_dir`], so each shape is tuned once per machine.
#[cfg(feature = "gpu")]
fn configure_gpu_runtime() {
    use burn::cubecl::config::autotune::AutotuneLevel;
    use burn::cubecl::config::{CubeClRuntimeConfig, RuntimeConfig};
    let told = std::env::var_os("CUBECL_AUTOTUNE_LEVEL").is_some();
    let config = CubeClRuntimeConfig::from_current_dir();
    let from_file = !matches!(config.autotune.level, AutotuneLevel::Balanced);
    if !told && !from_file {
        let mut config = config.override_from_env();
        config.autotune.level = AutotuneLevel::Minimal;
        // False when the runtime already read its settings (another part of the process used
        // the GPU first): they stay as they are.
        let _ = CubeClRuntimeConfig::try_set(config);
    }
    if let Some(dir) = gpu_cache_dir() {
        burn::cubecl::environment::set_root(dir);
    }
}

#[cfg(feature = "gpu")]
fn wgpu_setup() -> std::result::Result<WgpuProbe, String> {
    match guarded(|| Device::wgpu_options().init_with_setup()) {
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
    }
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
    fn the_gpu_cache_follows_the_environment() {
        use std::path::PathBuf;
        let with = |vars: &'static [(&'static str, &'static str)]| {
            gpu_cache_dir_from(move |name| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).into())
            })
        };
        let all = &[
            ("FACADE_GPU_CACHE", "/g"),
            ("FACADE_STATE_DIR", "/s"),
            ("XDG_CACHE_HOME", "/x"),
            ("HOME", "/h"),
        ];
        assert_eq!(with(all), Some(PathBuf::from("/g")));
        assert_eq!(
            with(&[("FACADE_GPU_CACHE", ""), ("FACADE_STATE_DIR", "/s")]),
            Some(PathBuf::from("/s/gpu-cache"))
        );
        assert_eq!(
            with(&[("XDG_CACHE_HOME", "/x"), ("HOME", "/h")]),
            Some(PathBuf::from("/x/facade-studio/gpu-cache"))
        );
        assert_eq!(
            with(&[("HOME", "/h")]),
            Some(PathBuf::from("/h/.cache/facade-studio/gpu-cache"))
        );
        assert_eq!(with(&[]), None);
    }

    #[test]
    fn half_precision_is_refused_on_the_cpu_with_the_fix() {
        let mut cpu = cpu_device();
        assert!(Precision::F32.configure(&mut cpu).is_ok());
        let e = Precision::F16.configure(&mut cpu).unwrap_err().to_string();
        assert!(
            e.contains("--precision f16 needs a GPU") && e.contains("--backend wgpu"),
            "{e}"
        );
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
