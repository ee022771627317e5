#!/usr/bin/python3
"""Independent numpy reference for the spectral half of the acoustic LLDs (loudness and
MFCC 1-13 as in ../shared/docs/acoustic-lld-spec.md), plus the 3-frame smoothing and the
+-2 frame deltas. Written from the spec, not from the C code: the filterbank here is a dense
(257, 26) matrix evaluated triangle by triangle.

Regenerate the fixtures (run from the repository root, Debian's python3 with numpy):
    /usr/bin/python3 tests/reference/lld_spectral_reference.py tests/fixtures/audio
Outputs (little-endian float32, row-major; shapes in spectral_ref.json):
    spectral_signal.f32   (N,)        test signal at 16 kHz, values in [-1, 1]
    spectral_melbank.f32  (257, 26)   filterbank weights per FFT bin and band
    spectral_mel.f32      (F, 26)     mel power spectrum per frame (no HTK scaling)
    spectral_raw.f32      (F, 14)     loudness, mfcc1..13 per frame (before smoothing)
    spectral_post.f32     (F, 28)     smoothed (14) then deltas (14)
"""
import json
import os
import sys

import numpy as np

SR, HOP, N, NFFT, NMEL, NCEP, LIFTER = 16000, 160, 512, 512, 26, 13, 22
LO, HI = 20.0, 8000.0


def mel(f):
    return 1127.0 * np.log(1.0 + f / 700.0)


def imel(m):
    return 700.0 * (np.exp(m / 1127.0) - 1.0)


def melbank():
    """Dense triangular filterbank; bins strictly between the bin nearest LO and the bin
    nearest HI take part (the spec's openSMILE-compatible range)."""
    edges = np.linspace(mel(LO), mel(HI), NMEL + 2)
    df = SR / NFFT
    fb = np.zeros((NFFT // 2 + 1, NMEL))
    k_lo, k_hi = int(round(LO / df)), int(round(HI / df))
    for k in range(k_lo + 1, min(k_hi, NFFT // 2 + 1)):
        m = mel(k * df)
        for b in range(NMEL):
            left, centre, right = edges[b], edges[b + 1], edges[b + 2]
            if left < m <= centre:
                fb[k, b] = (m - left) / (centre - left)
            elif centre < m < right:
                fb[k, b] = (right - m) / (right - centre)
    return fb, imel(edges[1:-1])


def equal_loudness(f):
    w2 = (2 * np.pi * f) ** 2
    w = np.sqrt(w2)
    return 1e32 * (w2 + 56.8e6) * w2 ** 2 / ((w2 + 6.3e6) ** 2 * (w2 + 0.38e9) * (w2 ** 3 * w + 1.7e31))


def signal():
    rng = np.random.default_rng(20201)
    t = np.arange(int(0.35 * SR)) / SR
    x = 3e-6 * rng.standard_normal(t.size)          # near-silence: MFCC floor active
    voiced = (t >= 0.08)
    f0 = 140 + 30 * np.sin(2 * np.pi * 3 * t)
    phase = 2 * np.pi * np.cumsum(f0) / SR
    harm = sum(np.sin(h * phase) / h for h in range(1, 25))
    env = np.minimum(1.0, (t - 0.08) / 0.05).clip(0, 1)
    x = x + voiced * 0.25 * env * harm + 0.01 * rng.standard_normal(t.size) * voiced
    x = np.round(np.clip(x, -1, 1) * 32767) / 32767   # int16 grid, as decoded audio
    return x.astype(np.float32).astype(np.float64)


def frames_of(x):
    n = (x.size - 960) // HOP + 1                     # rows follow the 60 ms stream
    idx = np.arange(N)[None, :] + HOP * np.arange(n)[:, None]
    return x[idx]


def spectral(x, fb, centres):
    win = 0.54 - 0.46 * np.cos(2 * np.pi * np.arange(N) / (N - 1))
    spec = np.fft.rfft(frames_of(x) * win, NFFT)
    power = spec.real ** 2 + spec.imag ** 2
    melp = power @ fb
    loud = (np.maximum(melp, 9.3e-10) * equal_loudness(centres)) ** 0.33
    loud = loud.mean(axis=1)
    logm = np.log(np.maximum(melp * 32767.0 ** 2, 1.0))
    i = np.arange(1, NCEP + 1)[:, None]
    b = np.arange(NMEL)[None, :]
    dct = np.sqrt(2.0 / NMEL) * np.cos(np.pi * i / NMEL * (b + 0.5))
    lifter = 1 + LIFTER / 2 * np.sin(np.pi * np.arange(1, NCEP + 1) / LIFTER)
    mfcc = (logm @ dct.T) * lifter
    return melp, np.column_stack([loud, mfcc])


def smooth(v):
    p = np.vstack([v[:1], v, v[-1:]])
    return (p[:-2] + p[1:-1] + p[2:]) / 3


def delta(v, W=2):
    p = np.vstack([v[:1]] * W + [v] + [v[-1:]] * W)
    T = v.shape[0]
    d = sum(i * (p[W + i:W + i + T] - p[W - i:W - i + T]) for i in range(1, W + 1))
    return d / (2 * sum(i * i for i in range(1, W + 1)))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/audio"
    os.makedirs(out, exist_ok=True)
    x = signal()
    fb, centres = melbank()
    melp, raw = spectral(x, fb, centres)
    s = smooth(raw)
    post = np.column_stack([s, delta(s)])
    files = {"spectral_signal.f32": x, "spectral_melbank.f32": fb, "spectral_mel.f32": melp,
             "spectral_raw.f32": raw, "spectral_post.f32": post}
    for name, a in files.items():
        np.asarray(a, dtype="<f4").tofile(os.path.join(out, name))
    meta = {name: list(np.shape(a)) for name, a in files.items()}
    with open(os.path.join(out, "spectral_ref.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(json.dumps(meta))


if __name__ == "__main__":
    main()
