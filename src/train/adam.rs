//! Adam as pix2pix uses it (β1 0.5, β2 0.999, ε 1e-8, PyTorch's bias correction). On the CPU
//! backend it runs fused into one pass per parameter on the host: Burn's Adam spends ~125 ms a
//! step on the ngf-32 generator's 13.6 M weights there (a dozen tensor-wide passes); this takes a
//! fraction of that. On a GPU the same update runs on the device, one kernel launch per parameter
//! (`kernels::gpu_adam`; tensor operations for other float types), so no weight or gradient
//! crosses to the host (the state is read back only to write a checkpoint).
//! Its state is keyed by parameter id, stored in one format for both, so a checkpoint written on
//! one device resumes on the other.

use std::collections::HashMap;

use burn::module::{Module, ModuleMapper, Param};
use burn::optim::GradientsParams;
use burn::prelude::*;

use crate::kernels::adam::{AdamCoefficients as Coefficients, host_update as update};

/// First and second moments of one parameter, flattened, where its weights live.
#[derive(Debug, Clone)]
enum Moments {
    Host {
        m: Vec<f32>,
        v: Vec<f32>,
    },
    Device {
        m: Box<Tensor<1>>,
        v: Box<Tensor<1>>,
    },
}

#[derive(Debug, Clone)]
struct Slot {
    step: u64,
    moments: Moments,
}

impl Slot {
    fn zeros(n: usize) -> Slot {
        Slot {
            step: 0,
            moments: Moments::Host {
                m: vec![0.0; n],
                v: vec![0.0; n],
            },
        }
    }

    fn len(&self) -> usize {
        match &self.moments {
            Moments::Host { m, .. } => m.len(),
            Moments::Device { m, .. } => m.dims()[0],
        }
    }

    /// The moments on the host (read back from the device if they are there).
    fn host(&mut self) -> (&mut Vec<f32>, &mut Vec<f32>) {
        if let Moments::Device { m, v } = &self.moments {
            let read = |t: &Tensor<1>| {
                t.clone()
                    .into_data()
                    .try_into_vec::<f32>()
                    .unwrap_or_default()
            };
            self.moments = Moments::Host {
                m: read(m),
                v: read(v),
            };
        }
        match &mut self.moments {
            Moments::Host { m, v } => (m, v),
            Moments::Device { .. } => unreachable!("moved to the host above"),
        }
    }

    /// The moments as tensors on `device` (uploaded once if they are on the host).
    fn device(&mut self, device: &Device) -> (Tensor<1>, Tensor<1>) {
        if let Moments::Host { m, v } = &mut self.moments {
            let n = m.len();
            let up = |x: &mut Vec<f32>| {
                Tensor::<1>::from_data(TensorData::new(std::mem::take(x), [n]), device)
            };
            self.moments = Moments::Device {
                m: Box::new(up(m)),
                v: Box::new(up(v)),
            };
        }
        match &self.moments {
            Moments::Device { m, v } => ((**m).clone(), (**v).clone()),
            Moments::Host { .. } => unreachable!("moved to the device above"),
        }
    }
}

/// True when tensors on `device` live in host memory (the Flex CPU backend).
fn on_host(device: &Device) -> bool {
    device.clone().inner() == Device::flex()
}

#[derive(Debug, Clone)]
pub struct Adam {
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    slots: HashMap<u64, Slot>,
    /// False when the last step produced a NaN or infinite weight.
    pub finite: bool,
}

impl Adam {
    pub fn new(beta1: f32) -> Adam {
        Adam {
            beta1,
            beta2: 0.999,
            eps: 1e-8,
            slots: HashMap::new(),
            finite: true,
        }
    }

    /// Updates `module`'s parameters that have a gradient in `grads`.
    pub fn step<M: Module>(&mut self, lr: f64, module: M, grads: GradientsParams) -> M {
        let (module, check) = self.step_unchecked(lr, module, grads);
        if let Some(check) = check {
            self.check_finite(check.into_scalar::<f32>());
        }
        module
    }

    /// [`Adam::step`] without waiting for a device: on a device, also returns a one-value check
    /// that is finite exactly when every updated weight is. The caller reads it (with whatever
    /// else it reads back from the step, in one transfer) and hands its value to
    /// [`Adam::check_finite`].
    pub fn step_unchecked<M: Module>(
        &mut self,
        lr: f64,
        module: M,
        grads: GradientsParams,
    ) -> (M, Option<Tensor<1>>) {
        self.finite = true;
        let mut mapper = Mapper {
            adam: self,
            grads,
            lr: lr as f32,
            device_check: None,
        };
        let module = module.map(&mut mapper);
        (module, mapper.device_check)
    }

    /// Takes the value of the check [`Adam::step_unchecked`] returned.
    pub fn check_finite(&mut self, check: f32) {
        self.finite &= check.is_finite();
    }

    /// (parameters with state, of which have their moments on a device rather than the host).
    pub fn placement(&self) -> (usize, usize) {
        let on_device = self
            .slots
            .values()
            .filter(|s| matches!(s.moments, Moments::Device { .. }))
            .count();
        (self.slots.len(), on_device)
    }

    /// Serialises the state: per parameter (id, step, n, m[n], v[n]), little-endian.
    /// Moments on a device are read back for this (and stay on the device).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut ids: Vec<&u64> = self.slots.keys().collect();
        ids.sort();
        let mut out = Vec::new();
        out.extend_from_slice(&(ids.len() as u64).to_le_bytes());
        for id in ids {
            let mut s = self.slots[id].clone();
            out.extend_from_slice(&id.to_le_bytes());
            out.extend_from_slice(&s.step.to_le_bytes());
            out.extend_from_slice(&(s.len() as u64).to_le_bytes());
            let (m, v) = s.host();
            for x in m.iter().chain(v.iter()) {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        out
    }

    pub fn load_bytes(&mut self, bytes: &[u8]) -> Result<(), String> {
        let mut pos = 0usize;
        let u64_at = |pos: &mut usize| -> Result<u64, String> {
            let b = bytes
                .get(*pos..*pos + 8)
                .ok_or("optimizer state ends early")?;
            *pos += 8;
            Ok(u64::from_le_bytes(
                b.try_into().map_err(|_| "bad optimizer state")?,
            ))
        };
        let count = u64_at(&mut pos)?;
        let mut slots = HashMap::new();
        for _ in 0..count {
            let id = u64_at(&mut pos)?;
            let step = u64_at(&mut pos)?;
            let n = u64_at(&mut pos)? as usize;
            // Checked arithmetic, each overflow named: a wrapped sum would otherwise look like a
            // short file (the fuzz regression test tells the two apart).
            let need = n.checked_mul(8).ok_or("optimizer state is too large")?;
            let end = pos
                .checked_add(need)
                .ok_or("optimizer state is too large")?;
            let data = bytes.get(pos..end).ok_or("optimizer state ends early")?;
            pos += need;
            let floats: Vec<f32> = data
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            let (m, v) = floats.split_at(n);
            slots.insert(
                id,
                Slot {
                    step,
                    moments: Moments::Host {
                        m: m.to_vec(),
                        v: v.to_vec(),
                    },
                },
            );
        }
        self.slots = slots;
        Ok(())
    }
}

struct Mapper<'a> {
    adam: &'a mut Adam,
    grads: GradientsParams,
    lr: f32,
    /// Finite exactly when every weight updated on a device is (read once after the step).
    device_check: Option<Tensor<1>>,
}

impl ModuleMapper for Mapper<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        let Some(grad) = self.grads.remove::<D>(id) else {
            return Param::from_mapped_value(id, tensor, mapper);
        };
        let require_grad = tensor.is_require_grad();
        let inner = tensor.inner();
        let n = inner.shape().num_elements();
        let slot = self
            .adam
            .slots
            .entry(id.val())
            .or_insert_with(|| Slot::zeros(n));
        if slot.len() != n {
            *slot = Slot::zeros(n);
        }
        slot.step += 1;
        let (b1, b2) = (self.adam.beta1, self.adam.beta2);
        let k = Coefficients {
            lr: self.lr,
            b1,
            b2,
            c1: 1.0 - b1.powi(slot.step as i32),
            c2: 1.0 - b2.powi(slot.step as i32),
            eps: self.adam.eps,
        };
        let updated = if on_host(&inner.device()) {
            match host_update(inner, grad.inner(), slot, k) {
                Ok((w, finite)) => {
                    self.adam.finite &= finite;
                    w
                }
                Err(w) => {
                    self.adam.finite = false;
                    *w
                }
            }
        } else {
            let check = self.device_check.take();
            let (w, check) = device_update(inner, grad.inner(), slot, k, check);
            self.device_check = Some(check);
            w
        };
        Param::from_mapped_value(id, restore(updated, require_grad), mapper)
    }
}

/// Adam on the host, in place in the weight tensor. Returns the new weights and whether they are
/// all finite, or (`Err`) the old weights when the weights or the gradient could not be read as
/// f32 values on the CPU (reported as a divergence).
fn host_update<const D: usize>(
    weights: Tensor<D>,
    grad: Tensor<D>,
    slot: &mut Slot,
    k: Coefficients,
) -> std::result::Result<(Tensor<D>, bool), Box<Tensor<D>>> {
    let (m, v) = slot.host();
    crate::kernels::update_in_place(weights, &grad, |w, g| update(w, g, m, v, k)).map_err(Box::new)
}

/// Adam on the device; `check` (absent for a step's first parameter) comes back finite exactly
/// when it was and every new weight is.
fn device_update<const D: usize>(
    weights: Tensor<D>,
    grad: Tensor<D>,
    slot: &mut Slot,
    k: Coefficients,
    check: Option<Tensor<1>>,
) -> (Tensor<D>, Tensor<1>) {
    let shape = weights.shape();
    let n = shape.num_elements();
    let (m, v) = slot.device(&weights.device());
    let (w, g) = (weights.reshape([n]), grad.reshape([n]));
    #[cfg(feature = "gpu")]
    if crate::kernels::gpu_adam::applies(&w, &g, &m, &v) {
        let check = check.unwrap_or_else(|| Tensor::zeros([1], &w.device()));
        let new = crate::kernels::gpu_adam::update(w, g, m, v, check, k);
        slot.moments = Moments::Device {
            m: Box::new(new.m),
            v: Box::new(new.v),
        };
        return (new.w.reshape(shape), new.check);
    }
    let m = m * k.b1 + g.clone() * (1.0 - k.b1);
    let v = v * k.b2 + g.square() * (1.0 - k.b2);
    let step = (m.clone() / k.c1) / ((v.clone() / k.c2).sqrt() + k.eps) * k.lr;
    slot.moments = Moments::Device {
        m: Box::new(m),
        v: Box::new(v),
    };
    let w = w - step;
    // The sum of the weights is finite exactly when every weight is.
    let sum = w.clone().sum();
    let check = match check {
        Some(check) => check + sum,
        None => sum,
    };
    (w.reshape(shape), check)
}

/// Back into the autodiff graph as a parameter.
fn restore<const D: usize>(inner: Tensor<D>, require_grad: bool) -> Tensor<D> {
    let t = Tensor::from_inner(inner);
    if require_grad { t.require_grad() } else { t }
}
