#!/usr/bin/env python3
"""Measure model throughput, FLOPs, roofline fraction and memory.

Examples:
    python benchmark.py --model resnet50 --bench inference -b 32 --channels-last
    python benchmark.py --model 'resnet*' --bench both --precision amp_bfloat16 --results-file results/x.csv
    python benchmark.py --model models.txt --data-dir ../shared/data/imagenet-samples
    python benchmark.py --model resnet50 efficientnet_b0 --results-file results/x.csv --plot   # also results/x.png
    python benchmark.py --plot-from results/benchmark-cpu.csv      # chart an existing CSV, no benchmarking
"""
import argparse
import logging
import sys
from typing import List, Optional

import torch

from zoo.benchmark import MODES, PRECISIONS, BenchmarkConfig, format_table, resolve_model_names, run_benchmarks, write_results


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description='zoo model benchmark', formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__)
    parser.add_argument('--model', '-m', nargs='+', default=['resnet50'],
                        help='model names, wildcards or files with one name per line')
    parser.add_argument('--bench', choices=MODES, default='inference', help='what to time')
    parser.add_argument('--batch-size', '-b', type=int, default=32)
    parser.add_argument('--img-size', type=int, default=None, help='input size (default: the model\'s own)')
    parser.add_argument('--precision', choices=PRECISIONS, default='float32')
    parser.add_argument('--amp', action='store_true', help='shorthand for --precision amp_bfloat16 on CPU, '
                                                           'amp_float16 on CUDA')
    parser.add_argument('--channels-last', action='store_true')
    parser.add_argument('--torchcompile', nargs='?', const='inductor', default=None, help='torch.compile backend')
    parser.add_argument('--fuse', action='store_true', help='fold BatchNorm into convs before timing inference')
    parser.add_argument('--fast', action='store_true',
                        help='time zoo.models.optimize_for_inference (reparam + BN folding + channels_last + native '
                             'bf16 + torch.compile); the compile time goes in its own column')
    parser.add_argument('--threads', type=int, default=None, help='torch intra-op threads')
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--iters', type=int, default=10)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--num-classes', type=int, default=None)
    parser.add_argument('--data-dir', default=None, help='a folder of images to benchmark on instead of noise')
    parser.add_argument('--results-file', default=None, help='write rows to this .csv or .json')
    parser.add_argument('--plot', action='store_true',
                        help='also write a bar chart of throughput and %% of GEMM peak next to the --results-file '
                             '.csv (needs matplotlib)')
    parser.add_argument('--plot-from', default=None, metavar='CSV',
                        help='only draw the bar chart of an existing results CSV (PNG beside it); nothing is timed')
    return parser


def config_from_args(args: argparse.Namespace) -> BenchmarkConfig:
    precision = args.precision
    if args.amp:
        precision = 'amp_float16' if args.device.startswith('cuda') else 'amp_bfloat16'
    return BenchmarkConfig(
        mode=args.bench, batch_size=args.batch_size, img_size=args.img_size, precision=precision,
        channels_last=args.channels_last, torchcompile=args.torchcompile, fuse=args.fuse, fast=args.fast,
        warmup=args.warmup, iters=args.iters, device=args.device, num_classes=args.num_classes, data_dir=args.data_dir)


def main(argv: Optional[List[str]] = None) -> int:
    logging.basicConfig(level=logging.INFO, format='%(message)s')
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.plot and not (args.results_file or '').endswith('.csv'):
        parser.error('--plot charts the results CSV: give --results-file <name>.csv.')
    if args.plot_from:
        return _plot(args.plot_from)
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = config_from_args(args)
    # the results file is rewritten after every model, so a long run that is stopped keeps what it measured
    save = (lambda rows: write_results(rows, args.results_file)) if args.results_file else None
    rows = run_benchmarks(resolve_model_names(args.model), cfg, on_model_done=save)
    print(format_table(rows))
    failed = any('error' in r for r in rows)
    if args.plot:
        failed = _plot(args.results_file) or failed
    return 1 if failed else 0


def _plot(csv_path: str) -> int:
    try:
        from zoo.utils.plot_summary import plot_benchmark
        path, _ = plot_benchmark(csv_path)
    except ImportError:
        from zoo.utils.plot_summary import INSTALL_HINT
        logging.error('No chart: %s.', INSTALL_HINT)
        return 1
    except (OSError, ValueError) as e:
        logging.error('No chart from %s: %s', csv_path, e)
        return 1
    logging.info('Chart: %s', path)
    return 0


if __name__ == '__main__':
    sys.exit(main())
