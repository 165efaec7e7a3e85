#!/usr/bin/env python3
"""Export a zoo model (a name, optionally with pretrained weights or a checkpoint) to an ONNX file.

Examples::

    python onnx_export.py lite0.onnx --model tf_efficientnet_lite0 --checkpoint efficientnet-lite0.pth
    python onnx_export.py r50.onnx --model resnet50 --pretrained --img-size 256

The batch dimension is dynamic (``--fixed-batch`` fixes it); height and width are those of the model's data config
(``--img-size`` changes them). The model is built with ``exportable=True`` and traced by ``torch.export``, then
written by PyTorch's dynamo ONNX exporter. The file's metadata keeps the model name and its data config, which
``onnx_validate.py`` uses for preprocessing. Needs ``pip install "zoo[onnx]"``.
"""
import argparse
import logging
from typing import Any, Dict, List, Optional

import zoo
from zoo.data import resolve_data_config
from zoo.models import load_checkpoint
from zoo.utils import setup_default_logging
from zoo.utils.onnx import export_onnx

_logger = logging.getLogger('onnx_export')


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description='Export a zoo model to ONNX')
    p.add_argument('output', metavar='FILE', help='the .onnx file to write')
    p.add_argument('--model', '-m', required=True, metavar='NAME', help='zoo model name (arch or arch.tag)')
    p.add_argument('--pretrained', action='store_true', default=False, help='load the name\'s pretrained weights')
    p.add_argument('--checkpoint', default='', metavar='PATH', help='weights to load after creation')
    p.add_argument('--use-ema', action='store_true', default=False, help='the EMA weights of a training checkpoint')
    p.add_argument('--num-classes', type=int, default=None, metavar='N')
    p.add_argument('--in-chans', type=int, default=None, metavar='N')
    p.add_argument('--img-size', type=int, default=None, metavar='N', help='input height = width (default: cfg)')
    p.add_argument('--fixed-batch', action='store_true', default=False, help='fix the batch size to 2')
    p.add_argument('--opset', type=int, default=None, metavar='N', help='ONNX opset (default: the exporter\'s)')
    p.add_argument('--check-atol', type=float, default=1e-4, metavar='X',
                   help='fail when onnxruntime and eager outputs differ by more (relative); negative skips the check')
    return p


def export(args: argparse.Namespace) -> Dict[str, Any]:
    """Build, load and export the model of `args`; returns what was written."""
    model = zoo.create_model(args.model, pretrained=args.pretrained, num_classes=args.num_classes,
                             in_chans=args.in_chans, exportable=True)
    if args.checkpoint:
        load_checkpoint(model, args.checkpoint, use_ema=args.use_ema)
    model.eval()
    data_config = resolve_data_config(vars(args), model=model)
    metadata = dict(model=args.model, num_classes=model.num_classes, **data_config)
    path, err = export_onnx(model, args.output, data_config['input_size'], dynamic_batch=not args.fixed_batch,
                            opset_version=args.opset, metadata=metadata,
                            check_atol=None if args.check_atol < 0 else args.check_atol)
    _logger.info('Wrote %s (%s, input %s, batch %s); onnxruntime vs eager max difference %.2e', path, args.model,
                 tuple(data_config['input_size']), 'fixed' if args.fixed_batch else 'dynamic', err)
    return dict(path=str(path), max_diff=err, **metadata)


def main(argv: Optional[List[str]] = None) -> Dict[str, Any]:
    setup_default_logging()
    return export(build_parser().parse_args(argv))


if __name__ == '__main__':
    main()
