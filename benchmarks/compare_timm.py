#!/usr/bin/env python3
"""zoo vs timm on this machine, in one process, on the same inputs: writes results/vs-timm-cpu.csv.

Kept out of the package (timm comes from the test extra). Each figure alternates zoo and timm for several rounds
and keeps the median of each, so background load hits both alike; `ratio` is zoo's speed over timm's (> 1: zoo
faster); `ratio_min` / `ratio_max` are the extremes of the per-round ratios, the spread. Run:

    python benchmarks/compare_timm.py [--quick] [--results-file results/vs-timm-cpu.csv]
    python benchmarks/compare_timm.py --sections families --results-file results/vs-timm-families-cpu.csv
    python benchmarks/compare_timm.py --sections fast --results-file results/fast-path-cpu.csv
"""
import argparse
import copy
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional

import torch
import torch.nn as nn

import timm
import timm.data
import zoo
import zoo.data
from zoo.benchmark import time_steps, write_results

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / 'shared' / 'data' / 'imagenet-samples'


def _median_pair(fn_zoo: Callable[[], float], fn_timm: Callable[[], float], rounds: int) -> Dict[str, float]:
    """Alternate the two measurements (each returns seconds) and keep the medians."""
    zs, ts = [], []
    for _ in range(rounds):
        zs.append(fn_zoo())
        ts.append(fn_timm())
    z, t = statistics.median(zs), statistics.median(ts)
    per_round = [b / a for a, b in zip(zs, ts)]
    return dict(zoo_s=round(z, 5), timm_s=round(t, 5), ratio=round(t / z, 3), ratio_min=round(min(per_round), 3),
                ratio_max=round(max(per_round), 3))


def _import_seconds(module: str) -> float:
    code = f'import time, torch; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)'
    return float(subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True,
                                cwd=REPO).stdout)


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _step_seconds(model: nn.Module, x: torch.Tensor, iters: int, amp: bool = False) -> float:
    ctx = torch.autocast('cpu', dtype=torch.bfloat16) if amp else torch.autocast('cpu', enabled=False)
    with torch.inference_mode(), ctx:
        return statistics.median(time_steps(lambda: model(x), warmup=1, iters=iters))


def _prep(model: nn.Module, channels_last: bool) -> nn.Module:
    model = model.eval()
    return model.to(memory_format=torch.channels_last) if channels_last else model


def _input(batch: int, size: int, channels_last: bool) -> torch.Tensor:
    x = torch.randn(batch, 3, size, size)
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


def _train_step_fn(model: nn.Module, x: torch.Tensor) -> Callable[[], None]:
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
    target = torch.randint(0, 1000, (x.shape[0],))
    loss_fn = nn.CrossEntropyLoss()

    def step():
        loss = loss_fn(model(x), target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return step


# mmax9 keeps the noisy magnitude below 10: at 10, increasing posterize asks PIL for 0 bits, which Pillow >= 13
# refuses (timm's loader crashes on it; zoo's clamps)
AA_POLICY = 'rand-m9-mstd0.5-inc1-mmax9'


def _loader_seconds(lib, n_batches: int, batch: int) -> float:
    if lib is zoo:
        dataset = zoo.data.create_dataset('', root=str(SAMPLES), is_training=True)
        loader = zoo.data.create_loader(
            dataset, input_size=(3, 224, 224), batch_size=batch, is_training=True, auto_augment=AA_POLICY,
            re_prob=0.25, num_workers=2, persistent_workers=False, device=torch.device('cpu'))
    else:
        dataset = timm.data.create_dataset('', root=str(SAMPLES), is_training=True)
        loader = timm.data.create_loader(
            dataset, input_size=(3, 224, 224), batch_size=batch, is_training=True, auto_augment=AA_POLICY,
            re_prob=0.25, num_workers=2, persistent_workers=False, device=torch.device('cpu'))
    start = time.perf_counter()
    for i, (x, _) in enumerate(loader):
        if i + 1 >= n_batches:
            break
    return (time.perf_counter() - start) / (n_batches * batch)


def _decode_seconds(n: int) -> float:
    from PIL import Image
    files = sorted(SAMPLES.glob('*.JPEG'))[:n]
    start = time.perf_counter()
    for f in files:
        Image.open(f).convert('RGB').load()
    return (time.perf_counter() - start) / len(files)


SECTIONS = ('import', 'create', 'inference', 'amp', 'fuse', 'train', 'loader', 'families', 'fast')
DEFAULT_SECTIONS = ('import', 'create', 'inference', 'amp', 'fuse', 'train', 'loader')
FAST_MODELS = ('efficientnet_b0', 'mobilenetv3_large_100', 'resnet50')

BASE_MODELS = [
    'resnet50', 'efficientnet_b0', 'mobilenetv3_large_100', 'vit_small_patch16_224', 'deit_small_patch16_224',
    'convnext_tiny', 'swin_tiny_patch4_window7_224', 'mixer_s16_224', 'regnety_032', 'resnest26d', 'ese_vovnet19b_dw',
    'cspresnet50', 'dla34', 'densenet121', 'vgg11', 'legacy_seresnet50', 'res2net50_26w_4s', 'skresnet18',
]


def _pair_models(name: str):
    """zoo's and timm's model of one name, in eval mode, with identical weights."""
    zm, tm = zoo.create_model(name), timm.create_model(name)
    tm.load_state_dict(zm.state_dict())
    return zm.eval(), tm.eval(), zm.pretrained_cfg.get('input_size', (3, 224, 224))[-1]


def _fast_vs_timm_eager(name: str, batch: int, iters: int, rounds: int) -> Dict[str, object]:
    """zoo's optimize_for_inference against timm's eager float32 model in timm's default (contiguous) layout."""
    from zoo.models import optimize_for_inference
    zm, tm, size = _pair_models(name)
    x = torch.randn(batch, 3, size, size)
    with torch.inference_mode():
        expected = tm(x)
    fast = optimize_for_inference(zm, example_input=x)
    fast_step = lambda: statistics.median(time_steps(lambda: fast(x), warmup=1, iters=iters))  # noqa: E731
    res = _median_pair(fast_step, lambda: _step_seconds(tm, x, iters), rounds)
    agree = (fast(x).argmax(-1) == expected.argmax(-1)).float().mean().item()
    err = ((fast(x) - expected).abs().max() / expected.abs().max()).item()
    return dict(res, steps=' '.join(fast.steps), compile_s=round(fast.compile_seconds or 0.0, 1),
                top1_agreement=round(agree, 3), max_rel_diff=f'{err:.2e}')


def _read_names(path: str) -> List[str]:
    with open(path) as f:
        return [line.strip() for line in f if line.strip() and not line.startswith('#')]


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--results-file', default=str(REPO / 'results' / 'vs-timm-cpu.csv'))
    parser.add_argument('--quick', action='store_true', help='fewer rounds and models (smoke run)')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--sections', nargs='+', choices=SECTIONS, default=list(DEFAULT_SECTIONS),
                        help='what to measure (default: %(default)s); families = fp32 inference of one base model '
                             'per family module (--families), fast = zoo --fast path against timm eager fp32')
    parser.add_argument('--families', default=str(REPO / 'benchmarks' / 'family_models.txt'),
                        help='model list for the families section')
    parser.add_argument('--models', nargs='+', default=None,
                        help='model names for the families section instead of the --families file')
    parser.add_argument('--rounds', type=int, default=None, help='alternating rounds per figure (default 3)')
    args = parser.parse_args(argv)
    rounds = args.rounds or (2 if args.quick else 3)
    iters = 2 if args.quick else 4
    sections = set(args.sections)
    rows: List[Dict[str, object]] = []

    def add(what: str, model: str, settings: str, res: Dict[str, object]) -> None:
        row = dict(what=what, model=model, settings=settings, **res)
        print(row, flush=True)
        rows.append(row)

    if 'import' in sections:
        add('import', '', 'seconds beyond import torch', _median_pair(
            lambda: _import_seconds('zoo'), lambda: _import_seconds('timm'), rounds))
    if 'create' in sections:
        add('create', 'resnet50', 'random init', _median_pair(
            lambda: _timed(lambda: zoo.create_model('resnet50')),
            lambda: _timed(lambda: timm.create_model('resnet50')), rounds))
        with tempfile.TemporaryDirectory() as tmp:
            from safetensors.torch import save_file
            path = os.path.join(tmp, 'resnet50.safetensors')
            save_file(timm.create_model('resnet50').state_dict(), path)
            overlay = dict(file=path)
            add('create', 'resnet50', 'pretrained from local safetensors', _median_pair(
                lambda: _timed(lambda: zoo.create_model('resnet50', pretrained=True, pretrained_cfg_overlay=overlay)),
                lambda: _timed(lambda: timm.create_model('resnet50', pretrained=True, pretrained_cfg_overlay=overlay)),
                rounds))

    b = args.batch_size
    if 'inference' in sections:
        names = [n for n in BASE_MODELS if zoo.is_model(n) and timm.is_model(n)]
        for name in names[:3] if args.quick else names:
            zm, tm, size = _pair_models(name)
            # .to(memory_format=...) converts in place, so every layout gets its own copies
            z_cl, t_cl = _prep(copy.deepcopy(zm), True), _prep(copy.deepcopy(tm), True)
            z_nc, t_nc = _prep(zm, False), _prep(tm, False)
            x_cl, x_nc = _input(b, size, True), _input(b, size, False)
            add('inference_fp32', name, f'batch {b}, contiguous, same for both', _median_pair(
                lambda: _step_seconds(z_nc, x_nc, iters), lambda: _step_seconds(t_nc, x_nc, iters), rounds))
            add('inference_fp32', name, f'batch {b}, channels_last, same for both', _median_pair(
                lambda: _step_seconds(z_cl, x_cl, iters), lambda: _step_seconds(t_cl, x_cl, iters), rounds))
            # defaults: zoo's validate/inference run channels_last; timm's run contiguous unless told
            add('inference_fp32', name, f'batch {b}, each library\'s default layout', _median_pair(
                lambda: _step_seconds(z_cl, x_cl, iters), lambda: _step_seconds(t_nc, x_nc, iters), rounds))

    if 'families' in sections:
        names = args.models or _read_names(args.families)
        for name in names[:3] if args.quick else names:
            if not (zoo.is_model(name) and timm.is_model(name)):
                add('inference_fp32', name, 'skipped: not in both libraries', {})
                continue
            zm, tm, size = _pair_models(name)
            x = _input(b, size, False)
            add('inference_fp32', name, f'batch {b}, contiguous, same for both', _median_pair(
                lambda: _step_seconds(zm, x, iters), lambda: _step_seconds(tm, x, iters), rounds))

    if 'amp' in sections or 'fuse' in sections:
        zm, tm = _prep(zoo.create_model('resnet50'), True), _prep(timm.create_model('resnet50'), True)
        x = _input(b, 224, True)
    if 'amp' in sections:
        add('inference_amp_bf16', 'resnet50', f'batch {b}, channels_last, autocast bf16', _median_pair(
            lambda: _step_seconds(zm, x, iters, amp=True), lambda: _step_seconds(tm, x, iters, amp=True), rounds))
        add('zoo_amp_vs_fp32', 'resnet50', f'batch {b}, channels_last (timm_s column = zoo fp32)', _median_pair(
            lambda: _step_seconds(zm, x, iters, amp=True), lambda: _step_seconds(zm, x, iters), rounds))
    if 'fuse' in sections:
        fused = zoo.models.fuse_bn(copy.deepcopy(zm))
        add('zoo_fuse_bn_vs_plain', 'resnet50', f'batch {b}, channels_last (timm_s column = zoo unfused)',
            _median_pair(lambda: _step_seconds(fused, x, iters), lambda: _step_seconds(zm, x, iters), rounds))

    if 'fast' in sections:
        for name in FAST_MODELS[:1] if args.quick else FAST_MODELS:
            add('zoo_fast_vs_timm_eager', name, f'batch {b}; zoo optimize_for_inference, timm eager fp32 contiguous',
                _fast_vs_timm_eager(name, b, iters, rounds))

    if 'train' in sections:
        for name in ('resnet50', 'vit_small_patch16_224'):
            zm, tm = zoo.create_model(name), timm.create_model(name)
            x = torch.randn(max(2, b // 2), 3, 224, 224)
            zs, ts = _train_step_fn(zm, x), _train_step_fn(tm, x)
            add('train_step', name, f'batch {x.shape[0]}, fp32, SGD', _median_pair(
                lambda: statistics.median(time_steps(zs, 1, iters)),
                lambda: statistics.median(time_steps(ts, 1, iters)), rounds))

    if 'loader' in sections and SAMPLES.is_dir():
        n_batches = 4 if args.quick else 8
        add('loader', 'imagenet-samples', f'{AA_POLICY} + RE 0.25, 2 workers, s/img', _median_pair(
            lambda: _loader_seconds(zoo, n_batches, 32), lambda: _loader_seconds(timm, n_batches, 32), rounds))
        decode = _decode_seconds(200)
        add('jpeg_decode_bound', 'imagenet-samples', 'PIL decode+RGB, one process, s/img',
            dict(zoo_s=round(decode, 5), timm_s=round(decode, 5), ratio=1.0))

    write_results(rows, args.results_file)
    print(f'wrote {args.results_file}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
