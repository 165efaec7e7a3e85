#!/usr/bin/env python3
"""Where zoo and timm spend fp32 inference time on one model: a re-timed ratio plus an operator profile of both.

For each model: zoo's and timm's model with identical weights and inputs; first the speed ratio again with more
alternating rounds than compare_timm.py (so noise and a real gap can be told apart), then `torch.profiler` over a few
steps of each, aggregated per aten operator (self CPU time and calls per step). The CSV holds, per model, one
`total` row and the operators whose time differs most, so a gap can be traced to the operators (or extra copies) that
cause it. Run (timm comes from the test extra):

    python benchmarks/profile_vs_timm.py --models vit_small_patch16_rope_mixed_ape_224 efficientvim_m1
    python benchmarks/profile_vs_timm.py --models-file benchmarks/family_models.txt --below 1.0 \
        --from-results results/vs-timm-families-cpu.csv --results-file results/profile-vs-timm-cpu.csv
"""
import argparse
import csv
import statistics
import sys
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
from torch.profiler import ProfilerActivity, profile

from compare_timm import _median_pair, _pair_models, _read_names, _step_seconds
from zoo.benchmark import write_results

REPO = Path(__file__).resolve().parents[1]


def op_profile(model: nn.Module, x: torch.Tensor, steps: int) -> Dict[str, Tuple[float, float]]:
    """{aten op: (self CPU ms per step, calls per step)} over `steps` inference steps (after one warm-up)."""
    with torch.inference_mode():
        model(x)
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for _ in range(steps):
                model(x)
    out: Dict[str, Tuple[float, float]] = {}
    for evt in prof.key_averages():
        if evt.key.startswith('aten::') or evt.key.startswith('mkldnn::'):
            out[evt.key] = (evt.self_cpu_time_total / 1000 / steps, evt.count / steps)
    return out


def compare(name: str, batch: int, iters: int, rounds: int, steps: int, top: int) -> List[Dict[str, object]]:
    zm, tm, size = _pair_models(name)
    x = torch.randn(batch, 3, size, size)
    timing = _median_pair(lambda: _step_seconds(zm, x, iters), lambda: _step_seconds(tm, x, iters), rounds)
    # profile each twice, alternating, and keep the lower time per op (the profiler is as noisy as the clock)
    runs: Dict[str, List[Dict[str, Tuple[float, float]]]] = defaultdict(list)
    for _ in range(2):
        runs['zoo'].append(op_profile(zm, x, steps))
        runs['timm'].append(op_profile(tm, x, steps))
    prof = {lib: {op: (min(r.get(op, (0.0, 0.0))[0] for r in rs), max(r.get(op, (0.0, 0.0))[1] for r in rs))
                  for op in set().union(*rs)} for lib, rs in runs.items()}
    zoo_total = sum(ms for ms, _ in prof['zoo'].values())
    timm_total = sum(ms for ms, _ in prof['timm'].values())
    rows: List[Dict[str, object]] = [dict(
        model=name, op='total', zoo_ms=round(zoo_total, 2), timm_ms=round(timm_total, 2),
        diff_ms=round(zoo_total - timm_total, 2), zoo_calls=sum(c for _, c in prof['zoo'].values()),
        timm_calls=sum(c for _, c in prof['timm'].values()), ratio=timing['ratio'], ratio_min=timing['ratio_min'],
        ratio_max=timing['ratio_max'], settings=f'batch {batch}, {size} px, fp32, contiguous, {rounds} rounds')]
    ops = set(prof['zoo']) | set(prof['timm'])
    diffs = []
    for op in ops:
        z_ms, z_calls = prof['zoo'].get(op, (0.0, 0.0))
        t_ms, t_calls = prof['timm'].get(op, (0.0, 0.0))
        diffs.append(dict(model=name, op=op, zoo_ms=round(z_ms, 2), timm_ms=round(t_ms, 2),
                          diff_ms=round(z_ms - t_ms, 2), zoo_calls=z_calls, timm_calls=t_calls))
    # the biggest time differences, plus every op whose call count differs (a structural difference)
    diffs.sort(key=lambda r: -abs(r['diff_ms']))
    keep = diffs[:top] + [r for r in diffs[top:] if r['zoo_calls'] != r['timm_calls']]
    return rows + keep


def _names_below(results_file: str, below: float) -> List[str]:
    with open(results_file) as f:
        return [r['model'] for r in csv.DictReader(f) if r.get('ratio') and float(r['ratio']) < below]


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--models', nargs='*', default=[])
    parser.add_argument('--models-file', default=None)
    parser.add_argument('--from-results', default=None, help='a compare_timm.py CSV; with --below, keep its slow rows')
    parser.add_argument('--below', type=float, default=None, help='only models whose ratio there is below this')
    parser.add_argument('--batch-size', type=int, default=2)
    parser.add_argument('--iters', type=int, default=3)
    parser.add_argument('--rounds', type=int, default=7)
    parser.add_argument('--profile-steps', type=int, default=2)
    parser.add_argument('--top', type=int, default=6, help='operators per model, by time difference')
    parser.add_argument('--results-file', default=None)
    args = parser.parse_args(argv)
    names = list(args.models) + (_read_names(args.models_file) if args.models_file else [])
    if args.from_results and args.below is not None:
        slow = set(_names_below(args.from_results, args.below))
        names = [n for n in names if n in slow] if names else sorted(slow)
    if not names:
        parser.error('no models: give --models, --models-file or --from-results with --below')
    torch.manual_seed(0)
    rows: List[Dict[str, object]] = []
    for name in names:
        got = compare(name, args.batch_size, args.iters, args.rounds, args.profile_steps, args.top)
        for r in got:
            print(' '.join(f'{k}={v}' for k, v in r.items() if k != 'settings'), flush=True)
        rows += got
        if args.results_file:
            write_results(rows, args.results_file)
    summary = [r for r in rows if r['op'] == 'total']
    print('median ratio of the re-timed models:', statistics.median(r['ratio'] for r in summary))
    return 0


if __name__ == '__main__':
    sys.exit(main())
