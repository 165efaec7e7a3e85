#!/usr/bin/env python3
"""Predict the top-k classes of images in a folder, a tar file or a single image file.

Examples::

    python inference.py /path/to/images --model resnet50 --pretrained --results-file preds.csv
    python inference.py photo.jpg --checkpoint output/train/<run>/model_best.pth.tar --topk 3 --results-format json
    python inference.py /imagenet/validation/ --model mobilenetv3_large_100 --checkpoint ./model_best.pth.tar

Each output row holds the file name and, for the k best classes (best first), their names (``--label-type``;
``none`` leaves them out), their class indices (with ``--include-index``) and their probabilities (``--output-type
prob``, the default) or raw logits (``--output-type logit``; ``--exclude-output`` leaves them out). A column holds
the top-k list (a single value for ``--topk 1``; in CSV the list is JSON text); ``--results-separate-col`` spreads
them over columns ``index_0 .. index_{k-1}``, ``label_0``, ... ``--filename-col`` / ``--index-col`` /
``--label-col`` / ``--output-col`` rename the columns. A file that cannot be read gets a row with only the file
name and ``error``, never a prediction. The rows are also printed unless ``--no-console-results``.

Weights that record their data config and class names (zoo checkpoints, ``model_best.safetensors``, ``save_for_hf``
folders) are run with that preprocessing and labelled with those names by default.
"""
import argparse
import json
import logging
import os
import sys
from typing import Any, Dict, List, Optional

import torch

import zoo
from zoo.data import ImageDataset, create_dataset, create_loader, load_class_map, resolve_data_config
from zoo.data.naflex import create_naflex_loader, naflex_patch_size
from zoo.models import load_checkpoint
from zoo.utils import (
    Runtime,
    add_eval_model_args,
    apply_test_time_pool,
    data_config_of_weights,
    fill_from_run_args,
    init_distributed_device,
    int8_calibration_batches,
    label_names,
    parse_kv_pairs,
    prepare_eval_model,
    read_run_args,
    resolve_amp,
    resolve_model_dtype,
    setup_default_logging,
    use_progress_bar,
    warn_data_config_overrides,
    write_results,
)
from zoo.utils.inference import ResultColumns, SingleFileReader, lists_as_text, predict_rows

_logger = logging.getLogger('inference')


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description='zoo inference')
    p.add_argument('data', nargs='?', metavar='PATH', help='image folder, .tar file or image file')
    p.add_argument('--data-dir', metavar='PATH')
    p.add_argument('--dataset', '-d', default='', metavar='NAME', help="'' / folder / tar, or zoo/digits")
    p.add_argument('--split', default='validation', metavar='NAME')
    p.add_argument('--num-samples', default=None, type=int, metavar='N',
                   help='predict only N images, evenly spaced over the input')
    p.add_argument('--class-map', default='', type=str, metavar='FILENAME', help='class names by index')
    p.add_argument('--input-img-mode', default=None, type=str)
    p.add_argument('--model', '-m', default=None, metavar='NAME')
    p.add_argument('--pretrained', action='store_true', default=False)
    p.add_argument('--checkpoint', default='', type=str, metavar='PATH')
    p.add_argument('--use-ema', action='store_true', default=False)
    p.add_argument('--model-kwargs', nargs='*', default=[], metavar='K=V')
    p.add_argument('--num-classes', type=int, default=None)
    p.add_argument('--gp', default=None, type=str, metavar='POOL')
    p.add_argument('--img-size', default=None, type=int, metavar='N')
    p.add_argument('--in-chans', type=int, default=None, metavar='N')
    p.add_argument('--input-size', default=None, nargs=3, type=int, metavar='N')
    p.add_argument('--use-train-size', action='store_true', default=False)
    p.add_argument('--crop-pct', default=None, type=float, metavar='N')
    p.add_argument('--crop-mode', default=None, type=str)
    p.add_argument('--mean', type=float, nargs='+', default=None)
    p.add_argument('--std', type=float, nargs='+', default=None)
    p.add_argument('--interpolation', default='', type=str)
    p.add_argument('-b', '--batch-size', default=256, type=int, metavar='N')
    p.add_argument('-j', '--workers', default=2, type=int, metavar='N')
    p.add_argument('--test-pool', dest='test_pool', action='store_true', help='test-time pooling for large inputs')
    p.add_argument('--no-prefetcher', action='store_true', default=False)
    p.add_argument('--pin-mem', action='store_true', default=False)
    p.add_argument('--channels-last', action=argparse.BooleanOptionalAction, default=True,
                   help='channels_last memory format (default on: faster for conv nets on CPU and GPU)')
    p.add_argument('--device', default='cuda', type=str)
    p.add_argument('--amp', action='store_true', default=False)
    p.add_argument('--amp-dtype', default='float16', type=str)
    p.add_argument('--naflex-loader', action='store_true', default=False,
                   help='NaFlex models: feed padded patch batches, each image at its own aspect ratio resized to fit '
                        '--naflex-max-seq-len patches (no crop)')
    p.add_argument('--naflex-max-seq-len', default=576, type=int, metavar='N', help='patch budget per image')
    add_eval_model_args(p)
    p.add_argument('--topk', default=5, type=int, metavar='N')
    p.add_argument('--output-type', default='prob', choices=('prob', 'logit'))
    p.add_argument('--label-type', default='description', choices=('none', 'name', 'description', 'detail'),
                   help='ImageNet label style: wnid, class name, name with wnid, or none (no label column)')
    p.add_argument('--fullname', action='store_true', default=False, help='write full paths, not base names')
    p.add_argument('--filename-col', default='filename', type=str, help='name of the file-name column')
    p.add_argument('--index-col', default='index', type=str, help='name of the class-index column(s)')
    p.add_argument('--label-col', default='label', type=str, help='name of the class-name column(s)')
    p.add_argument('--output-col', default=None, type=str,
                   help='name of the probability / logit column(s) (default: the --output-type)')
    p.add_argument('--include-index', action='store_true', default=False, help='write the class indices')
    p.add_argument('--exclude-output', action='store_true', default=False,
                   help='leave out the probabilities / logits (needs indices or labels)')
    p.add_argument('--results-separate-col', action='store_true', default=False,
                   help='one column per rank (index_0, index_1, ...) instead of one list column')
    p.add_argument('--no-console-results', action='store_true', default=False,
                   help='do not print the result rows to stdout')
    p.add_argument('--results-dir', default='', type=str, metavar='DIR')
    p.add_argument('--results-file', default='', type=str, metavar='FILENAME', help='default topk_predictions')
    p.add_argument('--results-format', default=None, nargs='+',
                   help='csv and/or json (default: the --results-file extension, else csv)')
    p.add_argument('--log-freq', default=10, type=int)
    return p


def build_dataset(args: argparse.Namespace) -> ImageDataset:
    """A dataset over the input path: an image file, a folder (any layout) or a tar."""
    mode = {'input_img_mode': args.input_img_mode} if args.input_img_mode else {}
    if args.data_dir and os.path.isfile(args.data_dir) and not args.data_dir.endswith('.tar'):
        return ImageDataset(reader=SingleFileReader(args.data_dir), **mode)
    return create_dataset(args.dataset, root=args.data_dir, split=args.split, search_split=False, **mode)


def _names(args: argparse.Namespace, model: torch.nn.Module, dataset: ImageDataset) -> List[str]:
    """Class names by index: --class-map, else the names stored with the weights, else digits / ImageNet names."""
    num_classes = model.num_classes
    trained = model.pretrained_cfg.get('label_names')
    if args.class_map:
        names = label_names(num_classes, load_class_map(args.class_map, os.path.dirname(args.class_map) or '.'))
        if trained and list(trained) != names[:len(trained)]:
            raise SystemExit(f'--class-map {args.class_map} does not match the class names stored with the weights '
                             f'(first differences at index {_first_difference(trained, names)}); drop --class-map to '
                             f'use the weights\' names.')
        return names
    if trained and len(trained) <= num_classes:
        # a head wider than the training classes: the extra outputs keep their index as name
        return list(trained) + [str(i) for i in range(len(trained), num_classes)]
    if args.dataset == 'zoo/digits':
        return label_names(num_classes, getattr(dataset.reader, 'class_to_idx', None))
    if num_classes == 1000 and args.label_type == 'name':
        from zoo.data import ImageNetInfo
        return ImageNetInfo().label_names()
    return label_names(num_classes, imagenet_detail=args.label_type == 'detail')


def _first_difference(a: List[str], b: List[str]) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def predict(args: argparse.Namespace) -> List[Dict[str, Any]]:
    """Run the model over the input and return one result row per image (an error row for unreadable ones)."""
    device = init_distributed_device(args.device).device
    model = zoo.create_model(args.model, pretrained=args.pretrained, num_classes=args.num_classes,
                             in_chans=args.in_chans, global_pool=args.gp, **args.model_kwargs)
    if args.checkpoint:
        # also puts the data config and class names stored with the weights into model.pretrained_cfg
        load_checkpoint(model, args.checkpoint, use_ema=args.use_ema)
    data_config = resolve_data_config(vars(args), model=model, use_test_size=not args.use_train_size)
    warn_data_config_overrides(data_config, data_config_of_weights(model, args.checkpoint),
                               args.checkpoint or args.model)
    dataset = build_dataset(args)
    if args.num_samples:
        dataset.select_evenly(args.num_samples)
    names = _names(args, model, dataset)
    test_time_pool = False
    patch_size = naflex_patch_size(model, test_pool=args.test_pool) if args.naflex_loader else None
    if args.test_pool:
        model, test_time_pool = apply_test_time_pool(model, data_config)
    model_dtype = resolve_model_dtype(args.model_dtype, args.amp, args.fast or bool(args.int8))
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
            use_prefetcher=not args.no_prefetcher, interpolation=data_config['interpolation'],
            mean=data_config['mean'], std=data_config['std'], num_workers=args.workers,
            crop_pct=1.0 if test_time_pool else data_config['crop_pct'], crop_mode=data_config.get('crop_mode'),
            pin_memory=args.pin_mem, device=device)
    autocast, _ = resolve_amp(args.amp, args.amp_dtype, device)
    rt = Runtime(device=device, autocast=autocast, channels_last=args.channels_last and not patch_size,
                 dtype=model_dtype)
    filenames = dataset.filenames(basename=not args.fullname, absolute=args.fullname)
    return predict_rows(model, loader, filenames, names, topk=args.topk, output_type=args.output_type, rt=rt,
                        log_interval=args.log_freq, progress_bar=use_progress_bar(args.progress_bar))


def main(argv: Optional[List[str]] = None) -> List[Dict[str, Any]]:
    setup_default_logging()
    args = build_parser().parse_args(argv)
    try:
        args.model_kwargs = parse_kv_pairs(args.model_kwargs)
    except ValueError as e:
        raise SystemExit(f'--model-kwargs: {e}')
    args.data_dir = args.data_dir or args.data
    run_args = read_run_args(args.checkpoint)
    fill_from_run_args(args, run_args, keys=('model', 'model_kwargs', 'num_classes', 'in_chans', 'img_size',
                                             'input_size', 'crop_pct', 'mean', 'std', 'interpolation', 'gp'))
    if args.data_dir is None and not args.dataset:
        if run_args.get('dataset') == 'zoo/digits':
            args.dataset = 'zoo/digits'
        else:
            raise SystemExit('give an image folder, .tar or image file to predict.')
    if not args.model:
        raise SystemExit('give --model (or a --checkpoint written by zoo train.py, which records it).')
    columns = ResultColumns(
        filename=args.filename_col, index=args.index_col, label=args.label_col, output=args.output_col,
        include_index=args.include_index, include_label=args.label_type != 'none',
        include_output=not args.exclude_output, separate=args.results_separate_col)
    rows = columns.shape(predict(args))
    out_dir = args.results_dir or '.'
    base, ext = os.path.splitext(args.results_file or 'topk_predictions')
    if ext.lower() not in ('.csv', '.json'):
        base, ext = base + ext, ''
    formats = args.results_format or [ext.lstrip('.').lower() or 'csv']
    num_errors = sum('error' in row for row in rows)
    for fmt in formats:
        path = write_results(rows if fmt == 'json' else lists_as_text(rows), os.path.join(out_dir, f'{base}.{fmt}'),
                             fmt)
        _logger.info('Wrote %d predictions and %d error rows to %s', len(rows) - num_errors, num_errors, path)
    if not args.no_console_results:
        print(json.dumps(rows, indent=1))  # the script's result, as timm's inference.py prints it
    return rows


if __name__ == '__main__':
    main(sys.argv[1:])
