#!/usr/bin/env python3
"""The GPU table of docs/speed.md from bench/device.sh's bench.jsonl: ours (wgpu) against PyTorch CUDA,
per width and batch, ratios from the same run. Usage: table.py bench.jsonl"""
import json, sys


def main(path):
    rows = [json.loads(l) for l in open(path) if l.startswith("{")]
    conv = lambda r: "" if r.get("conv", "backend") == "backend" else " " + r["conv"]
    ours = {(r["ngf"], r["batch"], r.get("precision", "f32") + conv(r)): r
            for r in rows if r["backend"] == "wgpu"}
    torch = {(r["ngf"], r["batch"]): r for r in rows if r["backend"].startswith("pytorch")}
    mb = lambda r: f'{r.get("process_gpu_peak_mb") or 0:.0f}'
    print("| ngf | batch | precision | render: ours / torch | images/s: ours / torch | "
          "ours ÷ torch (speed) | peak GPU MB: ours / torch |")
    print("|---|---|---|---|---|---|---|")
    for (ngf, batch, prec), o in sorted(ours.items()):
        t = torch.get((ngf, batch))
        if t is None:
            print(f'| {ngf} | {batch} | {prec} | {o["render_ms_p50"]:.1f} ms / – | '
                  f'{o["train_images_per_s"]:.1f} / – | – | {mb(o)} / – |')
            continue
        print(f'| {ngf} | {batch} | {prec} | {o["render_ms_p50"]:.1f} / {t["render_ms_p50"]:.1f} ms '
              f'({o["render_ms_p50"] / t["render_ms_p50"]:.2f}×) | '
              f'{o["train_images_per_s"]:.1f} / {t["train_images_per_s"]:.1f} | '
              f'{o["train_images_per_s"] / t["train_images_per_s"]:.2f}× | {mb(o)} / {mb(t)} |')


if __name__ == "__main__":
    main(sys.argv[1])
