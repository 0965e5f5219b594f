#!/usr/bin/env python3
"""Sums CubeCL's per-kernel profile (CUBECL_DEBUG_OPTION=profile, lines `| 12.3µs | name`) by
kernel: total time, launches, share. Usage: profile_summary.py profile.log [top]"""
import re, sys
from collections import defaultdict

UNITS = {"ns": 1e-6, "µs": 1e-3, "us": 1e-3, "ms": 1.0, "s": 1e3}
LINE = re.compile(r"^\|\s*([0-9.]+)\s*(ns|µs|us|ms|s)\s*\|\s*(.+?)\s*$")


def family(name):
    # Kernel names carry their generic arguments and shapes; group by the name before them.
    return re.split(r"[<{(\[]", name, 1)[0].strip() or name


def main(path, top=40):
    total, count, full = defaultdict(float), defaultdict(int), defaultdict(float)
    for line in open(path, errors="replace"):
        m = LINE.match(line.strip())
        if not m:
            continue
        ms = float(m.group(1)) * UNITS[m.group(2)]
        total[family(m.group(3))] += ms
        count[family(m.group(3))] += 1
        full[m.group(3)[:160]] += ms
    whole = sum(total.values()) or 1.0
    print(f"{sum(count.values())} kernel launches, {whole:.1f} ms of kernel time")
    print(f'{"ms":>9} {"share":>6} {"launches":>8}  kernel')
    for name, ms in sorted(total.items(), key=lambda kv: -kv[1])[:top]:
        print(f"{ms:9.2f} {100 * ms / whole:5.1f}% {count[name]:8d}  {name[:110]}")
    print("\nlongest single kernels (by full name):")
    for name, ms in sorted(full.items(), key=lambda kv: -kv[1])[:15]:
        print(f"{ms:9.2f}  {name}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 40)
