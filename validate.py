#!/usr/bin/env python3
"""Evaluate one or more models (top-1 / top-5 / loss) on a labelled image folder, tar or built-in dataset.

Examples::

    python validate.py /imagenet/validation --model resnet50 --pretrained
    python validate.py /imagenet/validation --model 'resnet*' --pretrained --results-file results.csv
    python validate.py --checkpoint output/train/<run>/model_best.pth.tar   # model and data from the run

``--model`` accepts a name, a comma-separated list, a wildcard, ``all`` (every pretrained model) or a text file of
names. ``--checkpoint`` accepts a file or a folder of checkpoints. A zoo training checkpoint also supplies the
model name, its arguments and the data settings of its run when they are not given.

Weights that record their data config and class names (zoo checkpoints, ``model_best.safetensors``, ``save_for_hf``
folders) are evaluated with that preprocessing unless a flag overrides it (with a warning), and the dataset is matched
to their classes by name: a dataset class the weights do not know is an error. Unreadable images are left out:
``num_samples`` counts the images scored, ``num_unreadable`` those skipped.
"""
import argparse
import logging
import os
import sys
import time
from typing import Any, Dict, List, Optional

import torch
import torch.nn as nn

import zoo
from zoo.data import check_num_classes, create_dataset, create_loader, resolve_data_config
from zoo.data.naflex import create_naflex_loader, naflex_patch_size
from zoo.models import load_checkpoint
from zoo.utils import (
    Runtime,
    SelectOutputs,
    TestTimeAugment,
    add_eval_model_args,
    apply_test_time_pool,
    checkpoint_files,
    data_config_of_weights,
    fill_from_run_args,
    init_distributed_device,
    int8_calibration_batches,
    parse_kv_pairs,
    prepare_eval_model,
    read_run_args,
    read_valid_labels,
    resolve_amp,
    resolve_model_dtype,
    setup_default_logging,
    use_progress_bar,
    validate,
    warn_data_config_overrides,
    write_results,
)

_logger = logging.getLogger('validate')


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description='zoo validation')
    p.add_argument('data', nargs='?', metavar='DIR', help='dataset root (default: the checkpoint run\'s dataset)')
    p.add_argument('--data-dir', metavar='DIR')
    p.add_argument('--dataset', '-d', default='', metavar='NAME',
                   help="'' / folder / tar, torch/<name>, zoo/digits, wds/<shards>, hfds/<path>, hfids/<path>")
    p.add_argument('--split', default='validation', metavar='NAME',
                   help='split name, or a shard pattern inside a wds/ folder')
    p.add_argument('--num-samples', default=None, type=int, metavar='N',
                   help='evaluate only N images: evenly spaced over a map-style dataset, the first N of a streamed one')
    p.add_argument('--input-key', default=None, type=str, metavar='NAME',
                   help='image field of dict-style samples: HF dataset column / webdataset member extension(s)')
    p.add_argument('--target-key', default=None, type=str, metavar='NAME',
                   help='label field of dict-style samples: HF dataset column / webdataset member or .json field')
    p.add_argument('--dataset-download', action='store_true', default=False)
    p.add_argument('--class-map', default='', type=str, metavar='FILENAME')
    p.add_argument('--ignore-unmapped-classes', action='store_true', default=False,
                   help='leave out images of class folders that --class-map lacks (default: an error)')
    p.add_argument('--input-img-mode', default=None, type=str)
    p.add_argument('--model', '-m', default=None, metavar='NAME', help='name, list, wildcard, all, or a file')
    p.add_argument('--pretrained', action='store_true', default=False)
    p.add_argument('--checkpoint', default='', type=str, metavar='PATH', help='checkpoint file or folder')
    p.add_argument('--use-ema', action='store_true', default=False,
                   help='use the EMA weights of the checkpoint (a run with --model-ema logs EMA metrics)')
    p.add_argument('--model-kwargs', nargs='*', default=[], metavar='K=V')
    p.add_argument('--num-classes', type=int, default=None)
    p.add_argument('--gp', default=None, type=str, metavar='POOL')
    p.add_argument('--img-size', default=None, type=int, metavar='N')
    p.add_argument('--in-chans', type=int, default=None, metavar='N')
    p.add_argument('--input-size', default=None, nargs=3, type=int, metavar='N', help='C H W')
    p.add_argument('--use-train-size', action='store_true', default=False, help='ignore the test size of the cfg')
    p.add_argument('--crop-pct', default=None, type=float, metavar='N')
    p.add_argument('--crop-mode', default=None, type=str, metavar='N')
    p.add_argument('--mean', type=float, nargs='+', default=None, metavar='MEAN')
    p.add_argument('--std', type=float, nargs='+', default=None, metavar='STD')
    p.add_argument('--interpolation', default='', type=str, metavar='NAME')
    p.add_argument('-b', '--batch-size', default=None, type=int, metavar='N', help='default: the run\'s, else 256')
    p.add_argument('-j', '--workers', default=2, type=int, metavar='N')
    p.add_argument('--test-pool', dest='test_pool', action='store_true', help='test-time pooling for large inputs')
    p.add_argument('--tta', default=0, type=int, metavar='N',
                   help='test-time augmentation: mean logits over N views (image, mirror, centre zooms); 0/1 = off')
    p.add_argument('--valid-labels', default='', type=str, metavar='FILENAME',
                   help='file of class indices (one per line) to score over, e.g. the 200 classes of ImageNet-R')
    p.add_argument('--no-prefetcher', action='store_true', default=False)
    p.add_argument('--pin-mem', action='store_true', default=False)
    p.add_argument('--channels-last', action=argparse.BooleanOptionalAction, default=True,
                   help='channels_last memory format (default on: faster for conv nets on CPU and GPU)')
    p.add_argument('--device', default='cuda', type=str, help='cuda falls back to cpu when no GPU is present')
    p.add_argument('--amp', action='store_true', default=False, help='bfloat16 autocast on CPU, float16 on CUDA')
    p.add_argument('--amp-dtype', default='float16', type=str)
    p.add_argument('--naflex-loader', action='store_true', default=False,
                   help='NaFlex models: feed padded patch batches, each image at its own aspect ratio resized to fit '
                        '--naflex-max-seq-len patches (no crop)')
    p.add_argument('--naflex-max-seq-len', default=576, type=int, metavar='N', help='patch budget per image')
    add_eval_model_args(p)
    p.add_argument('--log-freq', default=10, type=int, metavar='N')
    p.add_argument('--results-file', default='', type=str, metavar='FILENAME', help='.csv or .json')
    p.add_argument('--results-format', default=None, type=str, help='csv or json (default: from the extension)')
    return p


def _model_names(spec: str, pretrained: bool) -> List[str]:
    if os.path.isfile(spec):
        with open(spec) as f:
            return [line.strip() for line in f if line.strip() and not line.startswith('#')]
    if spec == 'all':
        return zoo.list_pretrained()
    names: List[str] = []
    for part in (s.strip() for s in spec.split(',') if s.strip()):
        if any(c in part for c in '*?['):
            found = zoo.list_models(part, pretrained=pretrained)
            if not found:
                raise SystemExit(f'no model matches {part!r}.')
            names += found
        else:
            names.append(part)
    return names


def validate_one(args: argparse.Namespace, model_name: str, checkpoint: str, device: torch.device) -> Dict[str, Any]:
    """Build, load and evaluate one model; returns its results row."""
    model = zoo.create_model(model_name, pretrained=args.pretrained, num_classes=args.num_classes,
                             in_chans=args.in_chans, global_pool=args.gp, **args.model_kwargs)
    if checkpoint:
        # also puts the data config and class names stored with the weights into model.pretrained_cfg
        load_checkpoint(model, checkpoint, use_ema=args.use_ema)
    param_count = sum(p.numel() for p in model.parameters())
    data_config = resolve_data_config(vars(args), model=model, use_test_size=not args.use_train_size, verbose=True)
    weights = checkpoint or model_name
    warn_data_config_overrides(data_config, data_config_of_weights(model, checkpoint), weights)
    keys = {'input_key': args.input_key, 'target_key': args.target_key} if args.input_key or args.target_key else {}
    dataset = create_dataset(args.dataset, root=args.data_dir, split=args.split, class_map=args.class_map or None,
                             download=args.dataset_download, ignore_unmapped_classes=args.ignore_unmapped_classes,
                             batch_size=args.batch_size, num_samples=args.num_samples, **keys,
                             **({'input_img_mode': args.input_img_mode} if args.input_img_mode else {}))
    class_names = model.pretrained_cfg.get('label_names')
    if class_names:
        dataset.use_class_names(class_names, source=f'the weights ({weights})')
    valid_labels = read_valid_labels(args.valid_labels, model.num_classes) if args.valid_labels else None
    check_num_classes(len(valid_labels) if valid_labels else model.num_classes, dataset, 'the evaluation data')
    test_time_pool = False
    patch_size = naflex_patch_size(model, args.tta, args.test_pool) if args.naflex_loader else None
    if args.test_pool:
        model, test_time_pool = apply_test_time_pool(model, data_config)
    model_dtype = resolve_model_dtype(args.model_dtype, args.amp, args.fast or bool(args.int8))
    if valid_labels:
        model = SelectOutputs(model, valid_labels)
    if args.tta > 1:
        model = TestTimeAugment(model, args.tta)
    calibration = int8_calibration_batches(args.int8, args.int8_images, data_config, args.batch_size,
                                           args.workers) if args.int8 else None
    model = prepare_eval_model(model, device, model_dtype, args.channels_last, args.reparam, args.torchcompile,
                               args.torchcompile_mode, fast=args.fast, int8_calibration=calibration)
    if patch_size:
        loader = create_naflex_loader(dataset, args.batch_size, patch_size, args.naflex_max_seq_len, data_config,
                                      num_workers=args.workers, pin_memory=args.pin_mem)
    else:
        loader = create_loader(
            dataset, input_size=data_config['input_size'], batch_size=args.batch_size,
            use_prefetcher=not args.no_prefetcher,
            interpolation=data_config['interpolation'], mean=data_config['mean'], std=data_config['std'],
            num_workers=args.workers, crop_pct=1.0 if test_time_pool else data_config['crop_pct'],
            crop_mode=data_config.get('crop_mode'), pin_memory=args.pin_mem, device=device)
    autocast, _ = resolve_amp(args.amp, args.amp_dtype, device)
    rt = Runtime(device=device, autocast=autocast, channels_last=args.channels_last and not patch_size,
                 prefetched=not (args.no_prefetcher or patch_size), dtype=model_dtype)
    start = time.time()
    metrics = validate(model, loader, nn.CrossEntropyLoss().to(device), rt, log_interval=args.log_freq,
                       progress_bar=use_progress_bar(args.progress_bar))
    row = dict(
        model=model_name,
        top1=round(metrics['top1'], 4), top1_err=round(100 - metrics['top1'], 4),
        top5=round(metrics['top5'], 4), top5_err=round(100 - metrics['top5'], 4),
        loss=round(metrics['loss'], 6),
        param_count=round(param_count / 1e6, 3),
        img_size=data_config['input_size'][-1],
        crop_pct=data_config['crop_pct'],
        interpolation=data_config['interpolation'],
        test_time_pool=test_time_pool,
        tta=max(args.tta, 1),
        model_dtype='int8' if args.int8 else str((model.dtype if args.fast else model_dtype)
                                                 or torch.float32).replace('torch.', ''),
        fast=' '.join(model.steps) if args.fast or args.int8 else '',
        checkpoint=checkpoint or ('pretrained' if args.pretrained else 'random-init'),
        num_samples=metrics['num_samples'],
        num_unreadable=metrics['num_unreadable'],
        seconds=round(time.time() - start, 2),
    )
    _logger.info(' * %s: Acc@1 %.3f (%.3f)  Acc@5 %.3f (%.3f)  loss %.4f', model_name, row['top1'], row['top1_err'],
                 row['top5'], row['top5_err'], row['loss'])
    return row


def main(argv: Optional[List[str]] = None) -> List[Dict[str, Any]]:
    """Validate every requested (model, checkpoint) pair; returns the result rows."""
    setup_default_logging()
    args = build_parser().parse_args(argv)
    try:
        args.model_kwargs = parse_kv_pairs(args.model_kwargs)
    except ValueError as e:
        raise SystemExit(f'--model-kwargs: {e}')
    args.data_dir = args.data_dir or args.data
    checkpoints = checkpoint_files(args.checkpoint) if args.checkpoint else ['']
    run_args = read_run_args(checkpoints[0])
    filled = fill_from_run_args(args, run_args)
    if args.data_dir is None and not args.dataset:
        if run_args.get('dataset') or run_args.get('data_dir'):
            args.dataset, args.data_dir = run_args.get('dataset') or '', run_args.get('data_dir')
            filled.append('dataset')
            # the run's data: its image / label field names come with it (given keys still win)
            filled += fill_from_run_args(args, run_args, ('input_key', 'target_key'))
        else:
            raise SystemExit('give a dataset folder (or --dataset), or a --checkpoint from a zoo training run.')
    if filled:
        _logger.info('From the training run: %s', ', '.join(f'{k}={getattr(args, k)!r}' for k in filled))
    if run_args.get('model_ema') and not args.use_ema:
        _logger.info('This run trained with --model-ema and logged EMA metrics; add --use-ema to reproduce them.')
    if not args.model:
        raise SystemExit('give --model (or a --checkpoint written by zoo train.py, which records it).')
    if args.batch_size is None:
        args.batch_size = run_args.get('validation_batch_size') or run_args.get('batch_size') or 256
    device = init_distributed_device(args.device).device
    rows = []
    for name in _model_names(args.model, args.pretrained):
        for ckpt in checkpoints:
            rows.append(validate_one(args, name, ckpt, device))
    if args.results_file:
        _logger.info('Results written to %s', write_results(rows, args.results_file, args.results_format))
    return rows


if __name__ == '__main__':
    main(sys.argv[1:])
