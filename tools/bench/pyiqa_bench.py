#!/usr/bin/env python3
"""Speed of the Python reference (pyiqa, chaofengc/IQA-PyTorch) for the metrics our C# port implements, on this machine.

Counterpart of `hfdiff bench iqa` / `hfdiff bench metrics`: the same seeded image pair (1,3,S,S) float32 in [0,1]
(gt = round(255*rand)/255, sr = round(255*clamp(gt + 0.05*randn))/255, torch.Generator seeded 20260101), one warm-up
call, then N timed calls; prints median/min/max ms and images/s per metric, plus the 1/5/15-minute load averages
before and after each metric.

What is timed is the call pyiqa's InferenceModel makes: `net(sr, gt)` for full-reference metrics, `net(sr)` otherwise,
under torch.no_grad(), on the pyiqa arch built with pyiqa's default options for the metric:
  psnr       PSNR(test_y_channel=False)            (RGB, data_range 1)
  ssim       SSIM()                                (YIQ-Y, rounded, float64)
  niqe       NIQE(pretrained_model_path=.mat)      (YIQ-Y; pyiqa re-reads the .mat on every call, as timed here)
  lpips      LPIPS(net='alex', version='0.1')      lpips-vgg: net='vgg'
  musiq      MUSIQ(num_class=1)                    full-size koniq config (hidden 384, 14 layers)
  clipiqa    CLIPIQA('clipiqa', 'RN50')            text encoder runs inside every call (10 prompts), as in pyiqa
  clipiqa+   CLIPIQA('clipiqa+', 'RN50')           learned-prompt text features recomputed inside every call
  clipiqa-imageonly  NOT a pyiqa call: the same CLIP image path with the 10 prompt features computed once beforehand
             (what our C# ClipIqaMetric does per image) -- for an apples-to-apples comparison.
No pretrained weights are used (none can be downloaded here): every network is the full-size architecture with its
default random initialisation after torch.manual_seed(20260101); speed does not depend on weight values.
  * LPIPS: torchvision's alexnet/vgg16 are created with weights=None (pyiqa asks for IMAGENET1K_V1, a download).
  * CLIP RN50: built from the architecture (embed 1024, layers 3-4-6-3, width 64, text 512x12x8) and passed through
    pyiqa's own build_model (convert_weights to fp16, load_state_dict, .float() on CPU) instead of clip.load's download.
  * NIQE: --niqe-params FILE (.mat with mu_prisparam (36), cov_prisparam (36,36)), else a random valid set
    (mu ~ N(0,1), cov = A A^T/36 + 0.1 I, symmetric positive definite) written to a temporary .mat.

Setup (CPU only; reuses Debian's torch so no CUDA wheels are pulled):
  apt-get install -y python3-torch python3-torchvision python3-scipy python3-regex
  /usr/bin/python3 -m venv --system-site-packages /tmp/pyiqa-venv
  /tmp/pyiqa-venv/bin/pip install --no-deps pyiqa ftfy openai-clip   # where PyPI is reachable (not tried here); pick a
                                                          # pyiqa release that runs on the installed torch
  Debian's torch loads the reference (netlib) BLAS by default, which makes matmul-heavy metrics many times slower; for
  a fair run also `apt-get install -y libopenblas0-openmp` and start this script with
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp (the system BLAS alternative can stay as it is).
  If pyiqa cannot be pip-installed, put a source tree that has `pyiqa/archs/*_arch.py` (plus `clip` for CLIP-IQA) on
  PYTHONPATH instead; see docs/benchmarks-pyiqa.md for what was used on the benchmark machine.

Usage:
  python3 tools/bench/pyiqa_bench.py [--runs 5] [--size 512] [--threads 2] [--metrics psnr,ssim,...] [--niqe-params F]
"""
import argparse
import os
import platform
import statistics
import tempfile
import time

import numpy as np
import scipy
import scipy.io
import torch
import torchvision

SEED = 20260101
ALL_METRICS = ['psnr', 'ssim', 'niqe', 'lpips', 'lpips-vgg', 'musiq', 'clipiqa', 'clipiqa+', 'clipiqa-imageonly']
# openai CLIP RN50 (clip/model.py build_model on RN50.pt): embed_dim, image_resolution, vision_layers, vision_width,
# vision_patch_size, context_length, vocab_size, transformer_width, transformer_heads, transformer_layers
CLIP_RN50 = (1024, 224, (3, 4, 6, 3), 64, None, 77, 49408, 512, 8, 12)


def load_avg():
    return '/'.join(f'{x:.2f}' for x in os.getloadavg())


def image_pair(size):
    g = torch.Generator().manual_seed(SEED)
    gt = torch.rand(1, 3, size, size, generator=g).mul(255).round().div(255)
    sr = (gt + 0.05 * torch.randn(1, 3, size, size, generator=g)).clamp(0, 1).mul(255).round().div(255)
    return gt, sr


def random_niqe_params(path):
    g = torch.Generator().manual_seed(SEED)
    a = torch.randn(36, 36, generator=g, dtype=torch.float64)
    cov = a @ a.T / 36 + 0.1 * torch.eye(36, dtype=torch.float64)
    mu = torch.randn(1, 36, generator=g, dtype=torch.float64)
    scipy.io.savemat(path, {'mu_prisparam': mu.numpy(), 'cov_prisparam': cov.numpy()})


def random_clip_rn50():
    """pyiqa's CLIP loading path (build_model -> fp16 convert_weights -> load_state_dict -> .float()) on random weights."""
    from pyiqa.archs import clip_model
    state_dict = clip_model.CLIP(*CLIP_RN50).state_dict()
    return clip_model.build_model(dict(state_dict)).to('cpu').float()


def build(name, niqe_params):
    """(module, is_full_reference) for a metric name, random weights, no downloads."""
    torch.manual_seed(SEED)
    if name == 'psnr':
        from pyiqa.archs.psnr_arch import PSNR
        return PSNR(test_y_channel=False), True
    if name == 'ssim':
        from pyiqa.archs.ssim_arch import SSIM
        return SSIM(), True
    if name == 'niqe':
        from pyiqa.archs.niqe_arch import NIQE
        return NIQE(pretrained_model_path=niqe_params), False
    if name in ('lpips', 'lpips-vgg'):
        from pyiqa.archs import lpips_arch

        class RandomTorchvisionModels:  # pyiqa requests ImageNet weights (a download); use random init instead
            alexnet = staticmethod(lambda *a, **k: torchvision.models.alexnet(weights=None))
            vgg16 = staticmethod(lambda *a, **k: torchvision.models.vgg16(weights=None))
        lpips_arch.models = RandomTorchvisionModels
        return lpips_arch.LPIPS(pretrained=False, net='alex' if name == 'lpips' else 'vgg', version='0.1'), True
    if name == 'musiq':
        from pyiqa.archs.musiq_arch import MUSIQ
        return MUSIQ(pretrained=False, num_class=1), False
    if name in ('clipiqa', 'clipiqa+'):
        from pyiqa.archs import clipiqa_arch
        clipiqa_arch.load = lambda backbone, device='cpu': random_clip_rn50()
        return clipiqa_arch.CLIPIQA(model_type=name, backbone='RN50', pretrained=False), False
    if name == 'clipiqa-imageonly':
        return ImageOnlyClipIqa(build('clipiqa', niqe_params)[0]), False
    raise ValueError(f'unknown metric {name!r}; choose from {", ".join(ALL_METRICS)}')


class ImageOnlyClipIqa(torch.nn.Module):
    """pyiqa CLIPIQA's per-image math with the prompt text features computed once (not a pyiqa call)."""

    def __init__(self, clipiqa):
        super().__init__()
        self.m = clipiqa
        clip = clipiqa.clip_model[0]
        with torch.no_grad():
            t = clip.encode_text(clipiqa.prompt_pairs)
            self.text = t / t.norm(dim=-1, keepdim=True)

    def forward(self, x):
        clip = self.m.clip_model[0]
        x = (x - self.m.default_mean.to(x)) / self.m.default_std.to(x)
        f = clip.encode_image(x, pos_embedding=self.m.pos_embedding)
        f = f / f.norm(dim=-1, keepdim=True)
        logits = clip.logit_scale.exp() * f @ self.text.t()
        return logits.reshape(logits.shape[0], -1, 2).softmax(dim=-1)[..., 0].mean(dim=1, keepdim=True)


def time_metric(net, fr, sr, gt, runs):
    net.eval()
    call = (lambda: net(sr, gt)) if fr else (lambda: net(sr))
    with torch.no_grad():
        value = call()  # warm-up
        ms = []
        for _ in range(runs):
            t0 = time.perf_counter()
            value = call()
            ms.append((time.perf_counter() - t0) * 1000)
    return statistics.median(ms), min(ms), max(ms), float(torch.as_tensor(value).flatten()[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--runs', type=int, default=5)
    ap.add_argument('--size', type=int, default=512)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--metrics', default=','.join(ALL_METRICS))
    ap.add_argument('--niqe-params', default=None, help='.mat with mu_prisparam/cov_prisparam (default: random valid set)')
    args = ap.parse_args()
    if args.runs < 1 or args.size < 96 or args.threads < 1:
        ap.error('--runs >= 1, --size >= 96 (one NIQE block), --threads >= 1')
    names = [n.strip() for n in args.metrics.split(',') if n.strip()]
    for n in names:
        if n not in ALL_METRICS:
            ap.error(f'unknown metric {n!r}; choose from {", ".join(ALL_METRICS)}')

    torch.set_num_threads(args.threads)
    import pyiqa
    print(f'python {platform.python_version()}  torch {torch.__version__}  torchvision {torchvision.__version__}  '
          f'numpy {np.__version__}  scipy {scipy.__version__}  pyiqa {getattr(pyiqa, "__version__", "?")} '
          f'({os.path.dirname(pyiqa.__file__)})')
    print(f'torch threads: {torch.get_num_threads()}  {args.size}x{args.size} pair, {args.runs} runs after one warm-up')

    niqe_params = args.niqe_params
    tmp = None
    if 'niqe' in names and niqe_params is None:
        tmp = tempfile.TemporaryDirectory()
        niqe_params = os.path.join(tmp.name, 'niqe_random_params.mat')
        random_niqe_params(niqe_params)
        print('niqe: random (valid) pristine parameters')

    gt, sr = image_pair(args.size)
    rows = []
    for name in names:
        before = load_avg()
        net, fr = build(name, niqe_params)
        med, lo, hi, value = time_metric(net, fr, sr, gt, args.runs)
        after = load_avg()
        rows.append((name, med, lo, hi, value, before, after))
        print(f'{name:18s} median {med:9.2f} ms   min {lo:9.2f}   max {hi:9.2f}   {1000 / med:8.2f} images/s   '
              f'value {value:.8g}   load {before} -> {after}', flush=True)
        del net
    if tmp is not None:
        tmp.cleanup()


if __name__ == '__main__':
    main()
