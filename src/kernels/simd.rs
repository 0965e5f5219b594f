//! Element-wise loops compiled for AVX2 + FMA where the processor has them (the build targets
//! the x86-64 baseline, whose SSE2 vectors are half as wide and have no fused multiply-add).

/// Runs `f`, compiled with AVX2 and FMA enabled when the processor supports them: `f` is inlined
/// into a function built for those features, so the loops inside it vectorise for them.
#[inline(always)]
pub fn wide<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        // SAFETY: the processor supports the features `avx2_fma` is compiled for.
        return unsafe { avx2_fma(f) };
    }
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn avx2_fma<R>(f: impl FnOnce() -> R) -> R {
    f()
}
