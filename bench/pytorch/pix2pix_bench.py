#!/usr/bin/env python3
"""PyTorch peer of `facade-studio bench --backend cpu`: the same pix2pix model and recipe, timed
the same way, printed with the same keys (see bench/pytorch/README.md)."""
import argparse, json, math, os, time, warnings

warnings.filterwarnings("ignore", message="Failed to initialize NumPy")
import torch
import torch.nn as nn
import torch.nn.functional as F

# Nearest ×2 + 3×3 conv == 4×4 stride-2 transposed conv with the tied kernel M·W·Mᵀ (the same
# trick as src/model/upsample.rs): row k of TAPS says which 3×3 taps kernel index k sums.
TAPS = torch.tensor([[0., 0., 1.], [0., 1., 1.], [1., 1., 0.], [1., 0., 0.]])
KRON = torch.einsum("ka,lb->abkl", TAPS, TAPS).reshape(9, 16)


class ResizeConv(nn.Module):
    """Nearest ×2 then 3×3 conv, [N, ci, H, W] -> [N, co, 2H, 2W]."""

    def __init__(self, ci, co, bias, plain):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(ci, co, 3, 3) * 0.02)  # transposed-conv layout
        self.bias = nn.Parameter(torch.zeros(co)) if bias else None
        self.plain, self.fixed = plain, None

    def kernel(self):
        ci, co = self.weight.shape[:2]
        kron = KRON.to(self.weight.device)
        return (self.weight.reshape(ci * co, 9) @ kron).reshape(ci, co, 4, 4)

    def forward(self, x):
        if self.plain:  # the literal form: 2.25× the multiply-adds
            x = F.interpolate(x, scale_factor=2, mode="nearest")
            return F.conv2d(x, self.weight.transpose(0, 1), self.bias, padding=1)
        k = self.fixed if self.fixed is not None else self.kernel()
        return F.conv_transpose2d(x, k, self.bias, stride=2, padding=1)


def norm_layer(paper, c):
    n = (nn.BatchNorm2d(c, track_running_stats=False) if paper
         else nn.InstanceNorm2d(c, affine=True))
    nn.init.normal_(n.weight, 1.0, 0.02)
    return n


def conv(ci, co, stride, bias):
    c = nn.Conv2d(ci, co, 4, stride, 1, bias=bias)
    nn.init.normal_(c.weight, 0.0, 0.02)
    return c


class Generator(nn.Module):
    def __init__(self, ngf, size, paper, plain=False):
        super().__init__()
        L = int(math.log2(size))
        width = lambda i: ngf * 2 ** min(i, 3)
        bias = not paper  # no conv bias before batch norm
        self.downs, self.ups, self.drop = nn.ModuleList(), nn.ModuleList(), []
        for i in range(L):
            ci, co, inner = 3 if i == 0 else width(i - 1), width(i), i == L - 1
            norm = nn.Identity() if i == 0 or inner else norm_layer(paper, co)
            self.downs.append(nn.Sequential(conv(ci, co, 2, bias), norm))
            up_in, up_out, up_bias = co if inner else 2 * co, 3 if i == 0 else ci, bias or i == 0
            if paper:
                up = nn.ConvTranspose2d(up_in, up_out, 4, 2, 1, bias=up_bias)
                nn.init.normal_(up.weight, 0.0, 0.02)
            else:
                up = ResizeConv(up_in, up_out, up_bias, plain)
            self.ups.append(nn.Sequential(up, nn.Identity() if i == 0 else norm_layer(paper, up_out)))
            self.drop.append(i >= 4 and i + 2 <= L)

    def forward(self, x):
        skips = []
        for i, down in enumerate(self.downs):
            x = down(F.leaky_relu(x, 0.2) if i > 0 else x)
            skips.append(x)
        u = skips.pop()
        for i in reversed(range(len(self.ups))):
            if i + 1 < len(self.ups):
                u = torch.cat([skips.pop(), u], 1)
            u = self.ups[i](F.relu(u))
            if self.drop[i]:
                u = F.dropout(u, 0.5, self.training)
        return torch.tanh(u)


class PatchGan(nn.Module):
    def __init__(self, ndf, paper):
        super().__init__()
        bias = not paper
        layout = [(6, ndf, 2, False), (ndf, 2 * ndf, 2, True),
                  (2 * ndf, 4 * ndf, 2, True), (4 * ndf, 8 * ndf, 1, True)]
        self.blocks = nn.ModuleList(
            nn.Sequential(conv(ci, co, s, bias or not n), norm_layer(paper, co) if n else nn.Identity(),
                          nn.LeakyReLU(0.2))
            for ci, co, s, n in layout)
        self.head = conv(8 * ndf, 1, 1, True)

    def forward(self, x):
        feats = []
        for b in self.blocks:
            x = b(x)
            feats.append(x)
        return feats, self.head(x)


class Discriminator(nn.Module):
    """PatchGANs at full resolution and (default recipe) half resolution."""

    def __init__(self, ndf, size, paper):
        super().__init__()
        scales = 1 if paper else (2 if size >> 1 >= 32 else 1)
        self.scales = nn.ModuleList(PatchGan(ndf, paper) for _ in range(scales))

    def forward(self, pair):
        outs = []
        for k, d in enumerate(self.scales):
            if k > 0:
                pair = F.avg_pool2d(pair, 3, 2, 1, count_include_pad=False)
            outs.append(d(pair))
        return outs


def gan_loss(outs, real):
    return sum(F.binary_cross_entropy_with_logits(l, torch.full_like(l, float(real)))
               for _, l in outs) / len(outs)


def synthetic_layout(size, seed=1):
    """Label ids like src/bench.rs's: wall (1) with a grid of windows (2)."""
    g = torch.Generator().manual_seed(seed)
    cols, rows = (int(torch.randint(3, 6, (1,), generator=g)) for _ in range(2))
    ids = torch.ones(size, size, dtype=torch.long)
    for r in range(rows):
        for c in range(cols):
            x0, y0 = size * (2 * c + 1) // (2 * cols + 1), size * (2 * r + 1) // (2 * rows + 1)
            ids[y0:y0 + size // (2 * rows + 2), x0:x0 + size // (2 * cols + 2)] = 2
    return ids


PALETTE = torch.randint(0, 256, (12, 3), generator=torch.Generator().manual_seed(0))


def encode(ids):  # label ids [H, W] -> [1, 3, H, W] in [-1, 1]
    return (PALETTE[ids].permute(2, 0, 1).float() / 127.5 - 1.0).unsqueeze(0).contiguous()


def to_rgb8(t):  # [N, 3, H, W] in [-1, 1] -> [N, H, W, 3] uint8
    return ((t + 1) * 127.5).round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).contiguous()


def percentile(xs, p):
    s = sorted(xs)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))] if s else float("nan")


DEV = torch.device("cpu")


def sync():  # GPU work is asynchronous: wait for it before reading the clock
    if DEV.type == "cuda":
        torch.cuda.synchronize()


def peak_rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def count(m):
    return sum(p.numel() for p in m.parameters())


def bench_width(a, ngf, batch, threads):
    torch.manual_seed(7)
    if DEV.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    paper, size, ndf = a.paper, a.size, max(ngf, 16)
    G = Generator(ngf, size, paper, a.plain_upsample).eval().to(DEV)
    ids = synthetic_layout(size)
    with torch.no_grad():
        for m in G.modules():  # like Generator::for_rendering: tied kernels computed once
            if isinstance(m, ResizeConv):
                m.fixed = m.kernel()

        def render():
            t = time.perf_counter()
            to_rgb8(G(encode(ids).to(DEV))).cpu()
            sync()
            return (time.perf_counter() - t) * 1000

        for _ in range(3):
            render()
        renders = [render() for _ in range(a.renders)]
    del G

    G = Generator(ngf, size, paper, a.plain_upsample).train().to(DEV)
    D = Discriminator(ndf, size, paper).train().to(DEV)
    if a.params:
        print(json.dumps({"ngf": ngf, "recipe": "paper" if paper else "default",
                          "g_params": count(G), "d_params": count(D)}))
    adam = dict(lr=2e-4, betas=(0.5, 0.999), eps=1e-8, fused=True if a.fused_adam else None)
    opt_g, opt_d = torch.optim.Adam(G.parameters(), **adam), torch.optim.Adam(D.parameters(), **adam)
    ema = None if paper else [p.detach().clone() for p in G.parameters()]
    x = encode(ids).repeat(batch, 1, 1, 1).to(DEV)
    y = (torch.rand(batch, 3, size, size, generator=torch.Generator().manual_seed(3)) * 2 - 1).to(DEV)
    updates = 0

    def step():
        nonlocal updates
        fake = G(x)
        real_pair = torch.cat([x, y], 1)
        d_loss = 0.5 * (gan_loss(D(real_pair), True)
                        + gan_loss(D(torch.cat([x, fake.detach()], 1)), False))
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        D.requires_grad_(False)  # G step: D frozen (no weight grads)
        fake_out = D(torch.cat([x, fake], 1))
        g_loss = gan_loss(fake_out, True) + 100.0 * F.l1_loss(fake, y)
        if not paper:  # feature matching on the updated D, weight 10
            with torch.no_grad():
                real_out = D(real_pair)
            fm = sum(F.l1_loss(f, r) for (ff, _), (rf, _) in zip(fake_out, real_out)
                     for f, r in zip(ff, rf)) / len(fake_out)
            g_loss = g_loss + 10.0 * fm
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        D.requires_grad_(True)
        if ema is not None:  # ema = d·ema + (1-d)·w, d lowered early as src/train/ema.rs does
            d = min(0.999, (1 + updates) / (10 + updates))
            with torch.no_grad():
                torch._foreach_lerp_(ema, [p.detach() for p in G.parameters()], 1 - d)
            updates += 1

    steps = []
    for i in range(a.steps + 3):  # 3 warm-up steps, as `facade-studio bench`
        t = time.perf_counter()
        step()
        sync()
        if i >= 3:
            steps.append((time.perf_counter() - t) * 1000)
    p50 = percentile(steps, 50)
    gpu = f", {torch.cuda.get_device_name()}" if DEV.type == "cuda" else ""
    return {"ngf": ngf, "size": size, "backend": f"pytorch-{DEV.type}",
            "device": f"torch {torch.__version__}, {threads} threads{gpu}" + (
                f", OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}" if "OMP_WAIT_POLICY" in os.environ else ""),
            "render_ms_p50": percentile(renders, 50), "render_ms_p95": percentile(renders, 95),
            "render_runs": a.renders, "train_step_ms_p50": p50, "train_steps": a.steps,
            "batch": batch, "train_images_per_s": batch * 1000 / p50,
            "recipe": "paper" if paper else "default", "threads": threads,
            "peak_rss_mb": peak_rss_mb(), "precision": "f32",
            "gpu_reserved_mb": (torch.cuda.max_memory_reserved() / 2**20
                                if DEV.type == "cuda" else None)}


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--ngf", type=int, help="one width (default: 16, 32 and 64)")
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--renders", type=int, default=20)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--batch", default="1", help="images per step; several: 1,4,16")
    p.add_argument("--paper", action="store_true", help="the published recipe")
    p.add_argument("--threads", type=int, help="torch threads (default: all cores)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--params", action="store_true", help="also print parameter counts")
    p.add_argument("--plain-upsample", action="store_true",
                   help="default recipe: literal nearest ×2 + 3×3 conv instead of the tied 4×4 kernel")
    p.add_argument("--cuda", action="store_true", help="run on the GPU (the peer of --backend wgpu)")
    p.add_argument("--fused-adam", action="store_true", help="Adam(fused=True) instead of torch's default")
    a = p.parse_args()
    global DEV
    DEV = torch.device("cuda" if a.cuda else "cpu")
    threads = a.threads or os.cpu_count()
    torch.set_num_threads(threads)
    batches = [max(int(b), 1) for b in str(a.batch).split(",")]
    for ngf, batch in [(n, b) for n in ([a.ngf] if a.ngf else [16, 32, 64]) for b in batches]:
        r = bench_width(a, ngf, batch, threads)
        if a.json:
            print(json.dumps(r), flush=True)
        else:
            print(f"ngf {ngf:3} {r['recipe']}: render p50 {r['render_ms_p50']:.1f} ms "
                  f"(p95 {r['render_ms_p95']:.1f}), train step p50 {r['train_step_ms_p50']:.1f} ms "
                  f"({r['train_images_per_s']:.2f} img/s), peak RSS {r['peak_rss_mb']:.0f} MB",
                  flush=True)


if __name__ == "__main__":
    main()
