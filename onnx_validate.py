#!/usr/bin/env python3
"""Score an ONNX image classifier under onnxruntime on a labelled image folder (top-1 / top-5 / loss).

Example::

    python onnx_export.py lite0.onnx --model tf_efficientnet_lite0 --checkpoint efficientnet-lite0.pth
    python onnx_validate.py /imagenet/validation --onnx-input lite0.onnx

Images are preprocessed with the model's own data config, stored in the file by ``onnx_export.py`` (input size,
interpolation, mean / std, crop); ``--model`` takes it from a zoo name instead (for files written by other tools),
and the size / crop / mean / std flags override single values. The loop and the report are validate.py's.
Needs ``pip install "zoo[onnx]"``.
"""
import argparse
import logging
import time
from typing import Any, Dict, List, Optional

import torch
import torch.nn as nn

import zoo
from zoo.data import check_num_classes, create_dataset, create_loader, resolve_data_config
from zoo.utils import Runtime, setup_default_logging, validate, write_results
from zoo.utils.onnx import OnnxClassifier

_logger = logging.getLogger('onnx_validate')


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description='Validate an ONNX model with onnxruntime')
    p.add_argument('data', metavar='DIR', help='image folder with one sub-folder per class (or a tar)')
    p.add_argument('--onnx-input', required=True, metavar='FILE', help='the .onnx file')
    p.add_argument('--model', '-m', default=None, metavar='NAME',
                   help='zoo name whose data config to use (default: the one stored in the file)')
    p.add_argument('--split', default='validation', metavar='NAME')
    p.add_argument('--class-map', default='', metavar='FILENAME')
    p.add_argument('--img-size', default=None, type=int, metavar='N')
    p.add_argument('--crop-pct', default=None, type=float, metavar='N')
    p.add_argument('--crop-mode', default=None, type=str, metavar='NAME')
    p.add_argument('--mean', type=float, nargs='+', default=None, metavar='MEAN')
    p.add_argument('--std', type=float, nargs='+', default=None, metavar='STD')
    p.add_argument('--interpolation', default='', type=str, metavar='NAME')
    p.add_argument('-b', '--batch-size', default=100, type=int, metavar='N')
    p.add_argument('-j', '--workers', default=2, type=int, metavar='N')
    p.add_argument('--threads', default=None, type=int, metavar='N', help='onnxruntime intra-op threads')
    p.add_argument('--log-freq', default=10, type=int, metavar='N')
    p.add_argument('--results-file', default='', type=str, metavar='FILENAME', help='.csv or .json')
    return p


def _data_config(args: argparse.Namespace, session: OnnxClassifier) -> Dict[str, Any]:
    if args.model:
        with torch.device('meta'):  # only the cfg is needed; nothing is allocated
            cfg = zoo.create_model(args.model).pretrained_cfg
    elif 'input_size' in session.metadata:
        cfg = session.metadata
    else:
        raise ValueError(f'{args.onnx_input} holds no data config (it was not written by onnx_export.py); name the '
                         f'model it came from with --model, or give --img-size, --mean, --std and --crop-pct.')
    data_config = resolve_data_config(vars(args), pretrained_cfg=cfg, verbose=True)
    session.check_input_size(data_config['input_size'])
    return data_config


def validate_onnx(args: argparse.Namespace) -> Dict[str, Any]:
    """Score the ONNX file of `args` on its image folder; returns the result row (validate.py's columns)."""
    session = OnnxClassifier(args.onnx_input, num_threads=args.threads)
    data_config = _data_config(args, session)
    dataset = create_dataset('', root=args.data, split=args.split, class_map=args.class_map or None)
    num_classes = session.metadata.get('num_classes')
    if num_classes:
        check_num_classes(num_classes, dataset, 'the evaluation data')
    loader = create_loader(
        dataset, input_size=data_config['input_size'], batch_size=args.batch_size, use_prefetcher=False,
        interpolation=data_config['interpolation'], mean=data_config['mean'], std=data_config['std'],
        num_workers=args.workers, crop_pct=data_config['crop_pct'], crop_mode=data_config.get('crop_mode'))
    start = time.time()
    metrics = validate(session, loader, nn.CrossEntropyLoss(), Runtime(), log_interval=args.log_freq)
    name = session.metadata.get('model') or args.model or str(args.onnx_input)
    row = dict(
        model=name,
        onnx=str(args.onnx_input),
        top1=round(metrics['top1'], 4), top1_err=round(100 - metrics['top1'], 4),
        top5=round(metrics['top5'], 4), top5_err=round(100 - metrics['top5'], 4),
        loss=round(metrics['loss'], 6),
        img_size=data_config['input_size'][-1],
        crop_pct=data_config['crop_pct'],
        interpolation=data_config['interpolation'],
        num_samples=metrics['num_samples'],
        num_unreadable=metrics['num_unreadable'],
        seconds=round(time.time() - start, 2),
    )
    _logger.info(' * %s (onnxruntime): Acc@1 %.3f (%.3f)  Acc@5 %.3f (%.3f)  loss %.4f', name, row['top1'],
                 row['top1_err'], row['top5'], row['top5_err'], row['loss'])
    return row


def main(argv: Optional[List[str]] = None) -> Dict[str, Any]:
    setup_default_logging()
    args = build_parser().parse_args(argv)
    row = validate_onnx(args)
    if args.results_file:
        _logger.info('Results written to %s', write_results([row], args.results_file))
    return row


if __name__ == '__main__':
    main()
