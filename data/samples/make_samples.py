#!/usr/bin/env python3
"""Writes the bundled sample pairs (our own synthetic images, no third-party data).

gt/*.png: procedural 128x128 RGB scenes (rings, stripes, gradients); sr/*.png: the same scene rendered with a
blurred/noisy "restoration" so PSNR/SSIM/NIQE give non-trivial numbers. Pure Python (zlib + struct), deterministic.
"""
import math, os, random, struct, zlib

def png(path, w, h, rgb):
    raw = b"".join(b"\x00" + bytes(rgb[y * w * 3:(y + 1) * w * 3]) for y in range(h))
    def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f: f.write(data)

def scene(kind, x, y, soft):
    # soft in [0,1] widens transitions: the "SR" version is a softer rendering of the same scene
    s = 1.0 + 6.0 * soft
    if kind == 0:
        r = math.hypot(x - 64, y - 60); v = 0.5 + 0.5 * math.tanh(math.sin(r / 3.0) * 4 / s)
        return (v, 0.3 + 0.4 * x / 127, 1 - v)
    if kind == 1:
        v = 0.5 + 0.5 * math.tanh(math.sin((x + 0.5 * y) / 2.5) * 5 / s)
        return (0.2 + 0.6 * v, 0.8 * y / 127, 0.5 + 0.3 * math.cos(x / 20))
    t = 0.5 + 0.5 * math.tanh(((x // 16 + y // 16) % 2 - 0.5) * 8 / s)
    return (t * 0.9, 0.5 + 0.4 * math.sin(y / 11), 0.7 - 0.5 * t)

def render(kind, soft, noise, seed):
    rnd = random.Random(seed); out = []
    for y in range(128):
        for x in range(128):
            for c in scene(kind, x, y, soft):
                out.append(max(0, min(255, round(255 * c + rnd.gauss(0, noise)))))
    return out

here = os.path.dirname(os.path.abspath(__file__))
for d in ("gt", "sr"): os.makedirs(os.path.join(here, d), exist_ok=True)
for k, name in enumerate(["rings", "stripes", "checks"]):
    png(os.path.join(here, "gt", name + ".png"), 128, 128, render(k, 0.0, 0.0, k))
    png(os.path.join(here, "sr", name + ".png"), 128, 128, render(k, 0.35, 4.0, 100 + k))
