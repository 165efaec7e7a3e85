#!/usr/bin/env python3
"""Train an image classifier (single process, or distributed under ``torchrun`` / ``distributed_train.sh``).

With no data argument it trains a small ResNet on the built-in ``zoo/digits`` data in a few minutes on a CPU::

    python train.py
    python train.py /data/imagenet --model resnet50 --sched cosine --epochs 100 --lr 0.4 --amp -j 8
    python train.py -c config.yaml --epochs 20      # YAML values are defaults, flags override them

Flags follow timm's ``train.py``. The loops live in ``zoo.utils.train_loop``; this file parses arguments and wires
library pieces together.
"""
import argparse
import inspect
import logging
import os
import sys
import time
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import yaml
from torch.utils.data import IterableDataset

import zoo
from zoo.data import (
    TRAIN_CROP_MODES,
    AugMixDataset,
    FastCollateMixup,
    Mixup,
    check_num_classes,
    class_names_by_index,
    create_dataset,
    create_loader,
    resolve_data_config,
)
from zoo.loss import (
    DISTILL_TYPES,
    LOSS_TYPES,
    TOKEN_TARGETS,
    BinaryCrossEntropy,
    DistillationLoss,
    DistillationTeacher,
    JsdCrossEntropy,
    LabelSmoothingCrossEntropy,
    SoftTargetCrossEntropy,
    create_classification_loss,
)
from zoo.models import WeightsInfo, export_checkpoint_weights, load_checkpoint
from zoo.optim import create_optimizer_v2, list_optimizers, optimizer_kwargs
from zoo.scheduler import SCHEDULERS, Scheduler, create_scheduler_v2, scheduler_kwargs
from zoo.utils import (
    DEFAULT_DIST_TIMEOUT,
    CheckpointSaver,
    DistInfo,
    ModelEma,
    NativeScaler,
    RankTimeoutError,
    Runtime,
    TrainOptions,
    convert_splitbn_model,
    convert_sync_batchnorm,
    distribute_bn,
    exit_on_dist_timeout,
    init_distributed_device,
    parse_kv_pairs,
    plain_args,
    random_seed,
    read_run_args,
    resolve_amp,
    resolve_model_dtype,
    resume_checkpoint,
    run_output_dir,
    setup_default_logging,
    train_one_epoch,
    trim_summary,
    update_summary,
    use_progress_bar,
    validate,
)
from zoo.utils.plot_summary import try_plot_summary

_logger = logging.getLogger('train')

# Used when neither a data folder nor --dataset is given: a narrow ResNet-18 (3x3 stem, no max-pool) on the 8x8 digits
# upscaled to 16x16. About 0.7M parameters, so an epoch takes seconds on two CPU cores. Flags and -c still override.
DIGITS_DEFAULTS: Dict[str, Any] = dict(
    dataset='zoo/digits',
    model='resnet18_cifar',
    model_kwargs={'channels': (16, 32, 64, 128), 'stem_width': 16},
    num_classes=10,
    img_size=16,
    crop_pct=1.0,
    batch_size=64,
    epochs=8,
    warmup_epochs=1,
    warmup_lr=0.01,
    opt='sgd',
    lr=0.1,
    weight_decay=5e-4,
    scale=[0.7, 1.0],
    ratio=[0.8, 1.25],
    hflip=0.,  # mirrored digits are different digits
    color_jitter=0.,
    workers=0,
    log_interval=10,
)


class ParseKwargs(argparse.Action):
    """``--model-kwargs a=1 b=(2,3) c=name``: values are python literals when they parse as such, else strings."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Sequence[str],
                 option_string: Optional[str] = None) -> None:
        try:
            setattr(namespace, self.dest, parse_kv_pairs(values))
        except ValueError as e:
            parser.error(f'{option_string}: {e}')


def _add_data_args(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group('Dataset parameters')
    g.add_argument('data', nargs='?', metavar='DIR', help='dataset root (omit to train on the built-in digits)')
    g.add_argument('--data-dir', metavar='DIR', help='dataset root (alternative to the positional argument)')
    g.add_argument('--dataset', '-d', metavar='NAME', default='',
                   help="'' / folder / tar, torch/<name>, zoo/digits, wds/<shards>, hfds/<path> or hfids/<path> "
                        "(default: folder, or digits without data)")
    g.add_argument('--train-split', metavar='NAME', default='train',
                   help='split name, or a shard pattern inside a wds/ folder')
    g.add_argument('--val-split', metavar='NAME', default='validation')
    g.add_argument('--train-num-samples', default=None, type=int, metavar='N',
                   help='training samples per epoch of an iterable dataset (wds/, hfids/); a subset of a map-style one')
    g.add_argument('--val-num-samples', default=None, type=int, metavar='N',
                   help='evaluation samples of an iterable dataset; a subset of a map-style one')
    g.add_argument('--input-key', default=None, type=str, metavar='NAME',
                   help='image field of dict-style samples: HF dataset column / webdataset member extension(s)')
    g.add_argument('--target-key', default=None, type=str, metavar='NAME',
                   help='label field of dict-style samples: HF dataset column / webdataset member or .json field')
    g.add_argument('--dataset-download', action='store_true', default=False)
    g.add_argument('--class-map', default='', type=str, metavar='FILENAME')
    g.add_argument('--ignore-unmapped-classes', action='store_true', default=False,
                   help='leave out images of class folders that --class-map lacks (default: an error)')
    g.add_argument('--max-unreadable-fraction', type=float, default=0.01, metavar='FRAC',
                   help='stop when more than this fraction of an epoch\'s images cannot be read (default 0.01)')
    g.add_argument('--input-img-mode', default=None, type=str)


def _add_model_args(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group('Model parameters')
    g.add_argument('--model', default='resnet50', type=str, metavar='MODEL')
    g.add_argument('--pretrained', action='store_true', default=False)
    g.add_argument('--pretrained-path', default=None, type=str, help='load pretrained weights from this file')
    g.add_argument('--initial-checkpoint', default='', type=str, metavar='PATH', help='initialise weights from file')
    g.add_argument('--resume', default='', type=str, metavar='PATH',
                   help='resume a run from a checkpoint file, or from the newest checkpoint in a run folder')
    g.add_argument('--no-resume-opt', action='store_true', default=False, help='do not restore the optimizer state')
    g.add_argument('--num-classes', type=int, default=None, metavar='N')
    g.add_argument('--gp', default=None, type=str, metavar='POOL', help='global pool type (avg, max, avgmax, ...)')
    g.add_argument('--img-size', type=int, default=None, metavar='N')
    g.add_argument('--in-chans', type=int, default=None, metavar='N')
    g.add_argument('--input-size', default=None, nargs=3, type=int, metavar='N', help='C H W')
    g.add_argument('--crop-pct', default=None, type=float, metavar='N', help='eval center crop fraction')
    g.add_argument('--mean', type=float, nargs='+', default=None, metavar='MEAN')
    g.add_argument('--std', type=float, nargs='+', default=None, metavar='STD')
    g.add_argument('--interpolation', default='', type=str, metavar='NAME')
    g.add_argument('-b', '--batch-size', type=int, default=128, metavar='N', help='batch size per process')
    g.add_argument('-vb', '--validation-batch-size', type=int, default=None, metavar='N')
    g.add_argument('--channels-last', action='store_true', default=False)
    g.add_argument('--grad-accum-steps', type=int, default=1, metavar='N')
    g.add_argument('--grad-checkpointing', action='store_true', default=False)
    g.add_argument('--model-kwargs', nargs='*', default={}, action=ParseKwargs)
    g.add_argument('--head-init-scale', default=None, type=float)
    g.add_argument('--head-init-bias', default=None, type=float)
    g.add_argument('--torchcompile-mode', type=str, default=None)
    s = parser.add_mutually_exclusive_group()
    s.add_argument('--torchcompile', nargs='?', type=str, default=None, const='inductor', help='torch.compile backend')


def _add_device_args(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group('Device and precision')
    g.add_argument('--device', default='cuda', type=str, help='cuda falls back to cpu when no GPU is present')
    g.add_argument('--amp', action='store_true', default=False,
                   help='mixed precision (float16 + grad scaler on CUDA, bfloat16 autocast on CPU)')
    g.add_argument('--amp-dtype', default='float16', type=str, help='bfloat16 or float16')
    g.add_argument('--model-dtype', default=None, type=str,
                   help='train the whole model in this dtype: float32, bfloat16 or float16 (not with --amp)')
    g.add_argument('--no-ddp-bb', action='store_true', default=False, help='no DDP buffer broadcast')
    g.add_argument('--synchronize-step', action='store_true', default=False,
                   help='wait for the accelerator after every update, so logged step times are the device\'s')
    g.add_argument('--local_rank', '--local-rank', default=0, type=int,
                   help='(set by old launchers; torchrun passes the rank in the environment)')
    g.add_argument('--dist-backend', default=None, type=str, help='process group backend (default gloo/nccl)')
    g.add_argument('--dist-timeout', default=DEFAULT_DIST_TIMEOUT, type=float, metavar='SECONDS',
                   help='end the job when a rank stops answering for this long (default %(default)g s)')


def _add_optim_args(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group('Optimizer parameters')
    g.add_argument('--opt', default='sgd', type=str, metavar='OPTIMIZER', help=f'one of {", ".join(list_optimizers())}')
    g.add_argument('--opt-eps', default=None, type=float, metavar='EPSILON')
    g.add_argument('--opt-betas', default=None, type=float, nargs='+', metavar='BETA')
    g.add_argument('--momentum', type=float, default=0.9, metavar='M')
    g.add_argument('--weight-decay', type=float, default=2e-5)
    g.add_argument('--clip-grad', type=float, default=None, metavar='NORM')
    g.add_argument('--clip-mode', type=str, default='norm', help='norm, value or agc')
    g.add_argument('--layer-decay', type=float, default=None, help='layer-wise lr decay')
    g.add_argument('--layer-decay-min-scale', type=float, default=0., help='floor of the layer-wise lr scale')
    g.add_argument('--layer-decay-no-opt-scale', type=float, default=None,
                   help='freeze layers whose layer-wise lr scale falls below this')
    g.add_argument('--opt-foreach', action=argparse.BooleanOptionalAction, default=None,
                   help='multi-tensor optimizer implementation on / off (default: the optimizer decides)')
    g.add_argument('--opt-kwargs', dest='opt_args', nargs='*', default=None, action=ParseKwargs)


def _add_sched_args(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group('Learning rate schedule parameters')
    g.add_argument('--sched', type=str, default='cosine', metavar='SCHEDULER',
                   help=f'one of {", ".join(SCHEDULERS)}, none')
    g.add_argument('--sched-on-updates', action='store_true', default=False)
    g.add_argument('--lr', type=float, default=None, metavar='LR', help='default: --lr-base scaled by batch size')
    g.add_argument('--lr-base', type=float, default=0.1, metavar='LR')
    g.add_argument('--lr-base-size', type=int, default=256, metavar='DIV')
    g.add_argument('--lr-base-scale', type=str, default='', metavar='SCALE', help='linear or sqrt')
    g.add_argument('--lr-noise', type=float, nargs='+', default=None, metavar='pct, pct')
    g.add_argument('--lr-noise-pct', type=float, default=0.67, metavar='PERCENT')
    g.add_argument('--lr-noise-std', type=float, default=1.0, metavar='STDDEV')
    g.add_argument('--lr-cycle-mul', type=float, default=1.0, metavar='MULT')
    g.add_argument('--lr-cycle-decay', type=float, default=0.5, metavar='MULT')
    g.add_argument('--lr-cycle-limit', type=int, default=1, metavar='N')
    g.add_argument('--lr-k-decay', type=float, default=1.0)
    g.add_argument('--lr-decay-fn', type=str, default=None,
                   help='wsd / rsqrt decay shape: linear, 1-sqrt, cosine, power or exp')
    g.add_argument('--lr-stable-timescale', type=float, default=None, help='rsqrt timescale in epochs')
    g.add_argument('--warmup-lr', type=float, default=1e-5, metavar='LR')
    g.add_argument('--min-lr', type=float, default=0, metavar='LR')
    g.add_argument('--epochs', type=int, default=300, metavar='N')
    g.add_argument('--epoch-repeats', type=float, default=0., metavar='N',
                   help='passes over an iterable dataset (wds/, hfids/) per epoch; may be fractional')
    g.add_argument('--start-epoch', default=None, type=int, metavar='N', help='override the resumed epoch')
    g.add_argument('--stop-epoch', default=None, type=int, metavar='N',
                   help='stop before this epoch without shortening the schedule (time-boxed jobs; resume later)')
    g.add_argument('--decay-milestones', default=[90, 180, 270], type=int, nargs='+', metavar='MILESTONES')
    g.add_argument('--decay-epochs', type=float, default=None, metavar='N',
                   help='step interval (default 90); wsd / rsqrt decay length, < 1 = fraction (default 0.2)')
    g.add_argument('--warmup-epochs', type=int, default=5, metavar='N')
    g.add_argument('--warmup-prefix', action='store_true', default=False)
    g.add_argument('--cooldown-epochs', type=int, default=0, metavar='N')
    g.add_argument('--patience-epochs', type=int, default=10, metavar='N')
    g.add_argument('--decay-rate', '--dr', type=float, default=0.1, metavar='RATE')


def _add_aug_args(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group('Augmentation and regularization parameters')
    g.add_argument('--no-aug', action='store_true', default=False)
    g.add_argument('--train-crop-mode', type=str, default=None, choices=TRAIN_CROP_MODES,
                   help='rrc: random-resized crop (default); rkrc / rkrr: aspect-keeping resize with random zoom '
                        'and aspect, then centre / random crop (reflect-padded)')
    g.add_argument('--scale', type=float, nargs='+', default=[0.08, 1.0], metavar='PCT')
    g.add_argument('--ratio', type=float, nargs='+', default=[3. / 4., 4. / 3.], metavar='RATIO')
    g.add_argument('--hflip', type=float, default=0.5)
    g.add_argument('--vflip', type=float, default=0.)
    g.add_argument('--color-jitter', type=float, default=0.4, metavar='PCT')
    g.add_argument('--color-jitter-prob', type=float, default=None, metavar='PCT',
                   help='apply the colour jitter to this fraction of images (default: all)')
    g.add_argument('--grayscale-prob', type=float, default=None, metavar='PCT', help='random grayscale probability')
    g.add_argument('--gaussian-blur-prob', type=float, default=None, metavar='PCT',
                   help='random Gaussian blur probability')
    g.add_argument('--aa', type=str, default=None, metavar='NAME', help='auto-augment policy, e.g. rand-m9-mstd0.5')
    g.add_argument('--aug-repeats', type=float, default=0, help='repeated augmentation copies')
    g.add_argument('--aug-splits', type=int, default=0, help='AugMix splits (>= 2 to enable)')
    g.add_argument('--jsd-loss', action='store_true', default=False, help='JSD consistency loss with --aug-splits')
    g.add_argument('--bce-loss', action='store_true', default=False)
    g.add_argument('--bce-sum', action='store_true', default=False)
    g.add_argument('--bce-target-thresh', type=float, default=None)
    g.add_argument('--bce-pos-weight', type=float, default=None)
    g.add_argument('--loss-type', type=str, default=None, choices=LOSS_TYPES,
                   help='training loss (default: from --bce-loss / --jsd-loss, else cross entropy)')
    g.add_argument('--asl-gamma-pos', type=float, default=1.)
    g.add_argument('--asl-gamma-neg', type=float, default=4.)
    g.add_argument('--asl-clip', type=float, default=0.05)
    g.add_argument('--poly-epsilon', type=float, default=2.)
    g.add_argument('--reprob', type=float, default=0., metavar='PCT', help='random erase probability')
    g.add_argument('--remode', type=str, default='pixel', help='random erase mode')
    g.add_argument('--recount', type=int, default=1, help='random erase count')
    g.add_argument('--resplit', action='store_true', default=False, help='do not erase the first AugMix split')
    g.add_argument('--mixup', type=float, default=0.0)
    g.add_argument('--cutmix', type=float, default=0.0)
    g.add_argument('--cutmix-minmax', type=float, nargs='+', default=None)
    g.add_argument('--mixup-prob', type=float, default=1.0)
    g.add_argument('--mixup-switch-prob', type=float, default=0.5)
    g.add_argument('--mixup-mode', type=str, default='batch')
    g.add_argument('--mixup-off-epoch', default=0, type=int, metavar='N')
    g.add_argument('--smoothing', type=float, default=0.1)
    g.add_argument('--train-interpolation', type=str, default='random')
    g.add_argument('--drop', type=float, default=0.0, metavar='PCT')
    g.add_argument('--drop-connect', type=float, default=None, metavar='PCT', help='deprecated: use --drop-path')
    g.add_argument('--drop-path', type=float, default=None, metavar='PCT')
    g.add_argument('--drop-block', type=float, default=None, metavar='PCT')
    g.add_argument('--bn-momentum', type=float, default=None)
    g.add_argument('--bn-eps', type=float, default=None)
    g.add_argument('--sync-bn', action='store_true', default=False,
                   help='synchronise BatchNorm statistics every step across GPUs (distributed GPU runs)')
    g.add_argument('--dist-bn', type=str, default='reduce', help='broadcast, reduce or "" after each epoch')
    g.add_argument('--split-bn', action='store_true', default=False, help='separate BN per AugMix split')


def _add_misc_args(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group('EMA')
    g.add_argument('--model-ema', action='store_true', default=False)
    g.add_argument('--model-ema-force-cpu', action='store_true', default=False)
    g.add_argument('--model-ema-decay', type=float, default=0.9998)
    g.add_argument('--model-ema-warmup', action='store_true', default=False)
    g = parser.add_argument_group('Miscellaneous')
    g.add_argument('--seed', type=int, default=42, metavar='S')
    g.add_argument('--worker-seeding', type=str, default='all')
    g.add_argument('--log-interval', type=int, default=50, metavar='N', help='updates between progress lines')
    g.add_argument('--recovery-interval', type=int, default=0, metavar='N', help='batches between recovery saves')
    g.add_argument('--checkpoint-hist', type=int, default=10, metavar='N')
    g.add_argument('-j', '--workers', type=int, default=4, metavar='N')
    g.add_argument('--pin-mem', action='store_true', default=False)
    g.add_argument('--no-prefetcher', action='store_true', default=False)
    g.add_argument('--output', default='', type=str, metavar='PATH', help='default ./output/train')
    g.add_argument('--experiment', default='', type=str, metavar='NAME', help='run folder name under --output')
    g.add_argument('--eval-metric', default='top1', type=str, metavar='EVAL_METRIC', help='top1, top5 or loss')
    g.add_argument('--save-images', action='store_true', default=False,
                   help='save the first augmented training batch as train-batch.png in the output folder')
    g.add_argument('--progress-bar', action=argparse.BooleanOptionalAction, default=None,
                   help='progress bar instead of periodic log lines (default: on when stderr is a terminal)')
    g.add_argument('--plot', action=argparse.BooleanOptionalAction, default=True,
                   help='write summary.png training curves at the end (needs matplotlib; default on)')


def _add_kd_args(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group('Knowledge distillation')
    g.add_argument('--kd-model-name', '--kd-model', dest='kd_model_name', default=None, type=str, metavar='MODEL',
                   help='teacher model name; distils into the trained model')
    g.add_argument('--kd-checkpoint', default='', type=str, metavar='PATH',
                   help='teacher weights (a train.py checkpoint also supplies the teacher model name)')
    g.add_argument('--kd-pretrained', action='store_true', default=False,
                   help='teacher with its pretrained weights')
    g.add_argument('--kd-distill-type', default='logit', choices=DISTILL_TYPES,
                   help='logit: KL between softened class distributions; feature: MSE of pre-logits features; '
                        'token: the student\'s distillation head (head_dist) learns from the teacher')
    g.add_argument('--kd-token-distill-type', default='soft', choices=TOKEN_TARGETS,
                   help='token mode: soft (softened KL at --kd-temperature) or hard (the teacher\'s top class)')
    g.add_argument('--distill-loss-weight', default=None, type=float,
                   help='distillation loss weight (default 1, or 1 - --task-loss-weight when only that is given)')
    g.add_argument('--task-loss-weight', default=None, type=float, help='task loss weight (default 1)')
    g.add_argument('--kd-temperature', default=4.0, type=float, help='softmax temperature of logit distillation')
    g.add_argument('--kd-student-feature-dim', default=None, type=int,
                   help='student pre-logits width for feature distillation (default: its num_features)')
    g.add_argument('--kd-teacher-feature-dim', default=None, type=int,
                   help='teacher pre-logits width for feature distillation (default: its num_features)')


def build_parser() -> Tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """The ``-c`` config pre-parser and the main parser."""
    config_parser = argparse.ArgumentParser(description='Training config', add_help=False)
    config_parser.add_argument('-c', '--config', default='', type=str, metavar='FILE',
                               help='YAML file of defaults, or a zoo.compose classifier config (.py file or shipped '
                                    'name such as digits_resnet)')
    parser = argparse.ArgumentParser(description='zoo ImageNet-style training', parents=[config_parser])
    for add in (_add_data_args, _add_model_args, _add_device_args, _add_optim_args, _add_sched_args, _add_aug_args,
                _add_misc_args, _add_kd_args):
        add(parser)
    return config_parser, parser


def _is_compose_config(config: str) -> bool:
    """A `.py` classifier config file, or the name of one shipped in zoo/compose/configs."""
    import zoo.compose
    return config.endswith('.py') or config in zoo.compose.list_configs()


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse flags over YAML defaults (``-c``), over the digits defaults when no data is given."""
    config_parser, parser = build_parser()
    pre, remaining = config_parser.parse_known_args(argv)
    cfg: Dict[str, Any] = {}
    if pre.config and _is_compose_config(pre.config):
        # a Python classifier config (zoo.compose): its model is registered and its settings become defaults
        from zoo.models.composed import train_defaults_from_config
        cfg = train_defaults_from_config(pre.config)
    elif pre.config:
        with open(pre.config) as f:
            cfg = yaml.safe_load(f) or {}
    if not isinstance(cfg, dict):
        parser.error(f'config {pre.config!r} must hold a mapping of argument names to values.')
    unknown = sorted(set(cfg) - set(vars(parser.parse_args([]))))
    if unknown:
        parser.error(f'unknown keys in {pre.config!r}: {", ".join(unknown)} (use argument names with underscores)')
    parser.set_defaults(**cfg)
    args = parser.parse_args(remaining)
    if args.data is None and args.data_dir is None and not args.dataset:
        parser.set_defaults(**DIGITS_DEFAULTS)
        parser.set_defaults(**cfg)  # a config file still wins over the digits defaults
        args = parser.parse_args(remaining)
    args.data_dir = args.data_dir or args.data
    args.config = pre.config
    return args


def resolve_lr(args: argparse.Namespace, world_size: int) -> None:
    """Set ``args.lr`` from ``--lr-base`` scaled by the global batch size when ``--lr`` is not given."""
    if args.lr is not None:
        return
    global_batch = args.batch_size * world_size * args.grad_accum_steps
    ratio = global_batch / args.lr_base_size
    scale = args.lr_base_scale or ('sqrt' if any(k in args.opt.lower() for k in ('ada', 'lamb')) else 'linear')
    if scale == 'sqrt':
        ratio = ratio ** 0.5
    args.lr = args.lr_base * ratio
    _logger.info('lr %.3e (lr_base %.3e, global batch %d, %s scaling)', args.lr, args.lr_base, global_batch, scale)


def _resolve_legacy_flags(args: argparse.Namespace) -> None:
    if args.drop_connect is not None:
        _logger.warning('--drop-connect is deprecated, use --drop-path (taking it as --drop-path %s).',
                        args.drop_connect if args.drop_path is None else args.drop_path)
        if args.drop_path is None:
            args.drop_path = args.drop_connect


def build_model(args: argparse.Namespace) -> nn.Module:
    """Create the model from the arguments (pretrained / initial weights, regularisation, BN overrides)."""
    model = zoo.create_model(
        args.model,
        pretrained=args.pretrained or bool(args.pretrained_path),
        pretrained_cfg_overlay=dict(file=args.pretrained_path) if args.pretrained_path else None,
        in_chans=args.in_chans if args.in_chans is not None else (args.input_size[0] if args.input_size else None),
        num_classes=args.num_classes,
        drop_rate=args.drop,
        drop_path_rate=args.drop_path,
        drop_block_rate=args.drop_block,
        global_pool=args.gp,
        bn_momentum=args.bn_momentum,
        bn_eps=args.bn_eps,
        checkpoint_path=args.initial_checkpoint or None,
        **args.model_kwargs,
    )
    if args.head_init_scale is not None or args.head_init_bias is not None:
        head = model.get_classifier()
        with torch.no_grad():
            if args.head_init_scale is not None:
                head.weight.mul_(args.head_init_scale)
            if args.head_init_bias is not None:
                nn.init.constant_(head.bias, args.head_init_bias)
    if args.num_classes is None:
        args.num_classes = model.num_classes
    if args.grad_checkpointing:
        model.set_grad_checkpointing(True)
    return model


def build_loaders(
        args: argparse.Namespace, data_config: Dict[str, Any], dist: DistInfo,
) -> Tuple[Any, Any, Any, List[str]]:
    """Training and evaluation loaders, a batch-level mixup function when mixup runs outside the collate, and the
    class names of the training data by index.

    The evaluation data is indexed by the training class names and both are checked against ``--num-classes``
    before anything runs.
    """
    common = dict(class_map=args.class_map or None, download=args.dataset_download, seed=args.seed)
    if args.input_img_mode:
        common['input_img_mode'] = args.input_img_mode
    if args.ignore_unmapped_classes:
        common['ignore_unmapped_classes'] = True
    if args.input_key or args.target_key:
        common.update(input_key=args.input_key, target_key=args.target_key)
    dataset_train = create_dataset(args.dataset, root=args.data_dir, split=args.train_split, is_training=True,
                                   batch_size=args.batch_size, repeats=args.epoch_repeats,
                                   num_samples=args.train_num_samples, **common)
    dataset_eval = create_dataset(args.dataset, root=args.data_dir, split=args.val_split, is_training=False,
                                  batch_size=args.validation_batch_size or args.batch_size,
                                  num_samples=args.val_num_samples, **common)
    class_names = class_names_by_index(dataset_train.class_to_idx)
    if class_names:
        dataset_eval.use_class_names(class_names, source='the training data')
    check_num_classes(args.num_classes, dataset_train, 'the training data')
    check_num_classes(args.num_classes, dataset_eval, 'the evaluation data')
    num_aug_splits = args.aug_splits if args.aug_splits > 1 else 0
    if num_aug_splits:
        if isinstance(dataset_train, IterableDataset):
            raise SystemExit('--aug-splits (AugMix) needs a map-style dataset, not a streamed one '
                             f'({args.dataset}).')
        dataset_train = AugMixDataset(dataset_train, num_splits=num_aug_splits)
    collate_fn, mixup_fn = None, None
    if args.mixup > 0 or args.cutmix > 0 or args.cutmix_minmax is not None:
        mixup_args = dict(mixup_alpha=args.mixup, cutmix_alpha=args.cutmix, cutmix_minmax=args.cutmix_minmax,
                          prob=args.mixup_prob, switch_prob=args.mixup_switch_prob, mode=args.mixup_mode,
                          label_smoothing=args.smoothing, num_classes=args.num_classes)
        if args.prefetcher:
            if num_aug_splits:
                raise SystemExit('mixup with --aug-splits needs --no-prefetcher (collate mixup cannot split).')
            collate_fn = FastCollateMixup(**mixup_args)
        else:
            mixup_fn = Mixup(**mixup_args)
    train_interpolation = args.train_interpolation
    if args.no_aug or not train_interpolation:
        train_interpolation = data_config['interpolation']
    device = dist.device
    loader_train = create_loader(
        dataset_train, input_size=data_config['input_size'], batch_size=args.batch_size, is_training=True,
        use_prefetcher=args.prefetcher, no_aug=args.no_aug, re_prob=args.reprob, re_mode=args.remode,
        re_count=args.recount, re_split=args.resplit, train_crop_mode=args.train_crop_mode, scale=args.scale,
        ratio=args.ratio, hflip=args.hflip, vflip=args.vflip, color_jitter=args.color_jitter,
        color_jitter_prob=args.color_jitter_prob, grayscale_prob=args.grayscale_prob or 0.,
        gaussian_blur_prob=args.gaussian_blur_prob or 0., auto_augment=args.aa, num_aug_repeats=int(args.aug_repeats),
        num_aug_splits=num_aug_splits, interpolation=train_interpolation, mean=data_config['mean'],
        std=data_config['std'], num_workers=args.workers, distributed=dist.distributed, collate_fn=collate_fn,
        pin_memory=args.pin_mem, device=device, worker_seeding=args.worker_seeding)
    loader_eval = create_loader(
        dataset_eval, input_size=data_config['input_size'], batch_size=args.validation_batch_size or args.batch_size,
        is_training=False, use_prefetcher=args.prefetcher, interpolation=data_config['interpolation'],
        mean=data_config['mean'], std=data_config['std'], num_workers=args.workers, distributed=dist.distributed,
        crop_pct=data_config['crop_pct'], crop_mode=data_config.get('crop_mode'), pin_memory=args.pin_mem,
        device=device)
    return loader_train, loader_eval, mixup_fn, class_names


def build_train_loss(args: argparse.Namespace) -> nn.Module:
    """Training loss from the augmentation / loss flags."""
    mixup_active = args.mixup > 0 or args.cutmix > 0 or args.cutmix_minmax is not None
    if args.loss_type is not None:
        return create_classification_loss(
            args.loss_type, smoothing=args.smoothing, soft_targets=mixup_active, pos_weight=args.bce_pos_weight,
            bce_target_thresh=args.bce_target_thresh, bce_sum=args.bce_sum, asl_gamma_pos=args.asl_gamma_pos,
            asl_gamma_neg=args.asl_gamma_neg, asl_clip=args.asl_clip, poly_epsilon=args.poly_epsilon,
            jsd_splits=args.aug_splits)
    bce = dict(target_threshold=args.bce_target_thresh, sum_classes=args.bce_sum,
               pos_weight=None if args.bce_pos_weight is None else torch.tensor(args.bce_pos_weight))
    if args.jsd_loss:
        if args.aug_splits < 2:
            raise SystemExit('--jsd-loss needs --aug-splits >= 2 (clean + augmented views).')
        return JsdCrossEntropy(num_splits=args.aug_splits, smoothing=args.smoothing)
    if mixup_active:
        # mixup builds smoothed soft targets itself
        return BinaryCrossEntropy(smoothing=0., **bce) if args.bce_loss else SoftTargetCrossEntropy()
    if args.bce_loss:
        return BinaryCrossEntropy(smoothing=args.smoothing, **bce)
    return LabelSmoothingCrossEntropy(args.smoothing) if args.smoothing else nn.CrossEntropyLoss()


def build_distiller(args: argparse.Namespace, student: nn.Module, data_config: Dict[str, Any],
                    device: torch.device) -> DistillationLoss:
    """The teacher of ``--kd-model-name`` / ``--kd-checkpoint`` (frozen, on the student's device and dtype) and the
    distillation loss around it."""
    run_args = read_run_args(args.kd_checkpoint) if args.kd_checkpoint else {}
    name = args.kd_model_name or run_args.get('model')
    if not name:
        raise SystemExit('--kd-checkpoint does not record its model: give --kd-model-name too.')
    kwargs = dict(run_args.get('model_kwargs') or {}) if name == run_args.get('model') else {}
    if run_args.get('num_classes'):
        kwargs.setdefault('num_classes', run_args['num_classes'])
    teacher = zoo.create_model(name, pretrained=args.kd_pretrained, **kwargs)
    if args.kd_checkpoint:
        # also puts the data config the teacher was trained with into its pretrained_cfg
        load_checkpoint(teacher, args.kd_checkpoint, use_ema=True)
    if args.kd_distill_type in ('logit', 'token') and teacher.num_classes != args.num_classes:
        raise SystemExit(f'{args.kd_distill_type} distillation needs the teacher ({name}: {teacher.num_classes} '
                         f'classes) to predict the student\'s {args.num_classes} classes; use --kd-distill-type '
                         'feature or another teacher.')
    teacher_cfg = resolve_data_config({}, model=teacher)
    teacher.to(device=device, dtype=resolve_model_dtype(args.model_dtype))
    wrapped = DistillationTeacher(teacher, data_config['mean'], data_config['std'], teacher_cfg['mean'],
                                  teacher_cfg['std'], teacher_size=tuple(teacher_cfg['input_size'][-2:]))
    if not wrapped.same_norm:
        _logger.info('Teacher inputs re-normalised from mean %s / std %s to %s / %s.', data_config['mean'],
                     data_config['std'], teacher_cfg['mean'], teacher_cfg['std'])
    loss = DistillationLoss(wrapped, student, distill_type=args.kd_distill_type, temperature=args.kd_temperature,
                            task_weight=args.task_loss_weight, distill_weight=args.distill_loss_weight,
                            student_feature_dim=args.kd_student_feature_dim,
                            teacher_feature_dim=args.kd_teacher_feature_dim,
                            token_target=args.kd_token_distill_type)
    return loss.to(device=device)


def save_batch_image(x: torch.Tensor, mean: Sequence[float], std: Sequence[float], path: str) -> None:
    """Write a normalised batch as a PNG grid of the images, un-normalised to their 0..1 colours."""
    from torchvision.utils import save_image
    x = x.detach().float().cpu()
    mean_t, std_t = torch.tensor(mean).view(1, -1, 1, 1), torch.tensor(std).view(1, -1, 1, 1)
    save_image((x * std_t + mean_t).clamp(0, 1), path, nrow=max(1, int(x.shape[0] ** 0.5 + 0.5)), padding=1)
    _logger.info('First training batch (%d images): %s', x.shape[0], path)


def wrap_ddp(model: nn.Module, dist: DistInfo, sync_buffers: bool = True) -> nn.Module:
    """DistributedDataParallel wrapper; buffer syncing uses whichever keyword this torch version prefers."""
    kwargs: Dict[str, Any] = {'device_ids': [dist.local_rank] if dist.device.type == 'cuda' else None}
    if 'forward_sync_buffers' in inspect.signature(nn.parallel.DistributedDataParallel.__init__).parameters:
        kwargs['forward_sync_buffers'] = sync_buffers
    else:
        kwargs['broadcast_buffers'] = sync_buffers
    return nn.parallel.DistributedDataParallel(model, **kwargs)


def check_ranks_in_sync(model: nn.Module, rt: Runtime) -> bool:
    """Compare a weight fingerprint across ranks (DDP should keep them identical); logs the outcome on rank 0."""
    flat = torch.cat([p.detach().double().flatten() for p in model.parameters()])
    # weighting by position makes the fingerprint sensitive to permutations, not only to the sum
    position = torch.arange(1, flat.numel() + 1, dtype=torch.float64, device=flat.device)
    fingerprint = torch.stack([flat.sum(), (flat * position).sum()])
    gathered = [torch.zeros_like(fingerprint) for _ in range(rt.world_size)]
    torch.distributed.all_gather(gathered, fingerprint)
    same = all(torch.equal(g.cpu(), gathered[0].cpu()) for g in gathered)
    if rt.primary:
        if same:
            _logger.info('Weights identical on all %d ranks (fingerprint %.10e).', rt.world_size, gathered[0][1].item())
        else:
            _logger.warning('Weights DIFFER across ranks: %s', [g.tolist() for g in gathered])
    return same


def _output_dir(args: argparse.Namespace, data_config: Dict[str, Any]) -> str:
    name = args.experiment or '-'.join([
        datetime.now().strftime('%Y%m%d-%H%M%S'), args.model.replace('/', '_'), str(data_config['input_size'][-1])])
    return run_output_dir(args.output or './output/train', name, resume=args.resume, named=bool(args.experiment))


@dataclass
class Session:
    """Everything one training run holds between epochs."""
    args: argparse.Namespace
    model: nn.Module
    optimizer: torch.optim.Optimizer
    rt: Runtime
    opts: TrainOptions
    loader_train: Any
    loader_eval: Any
    train_loss_fn: nn.Module
    eval_loss_fn: nn.Module
    data_config: Dict[str, Any]
    class_names: List[str]
    lr_scheduler: Optional[Scheduler] = None
    num_epochs: int = 0
    updates_per_epoch: int = 0
    model_ema: Optional[ModelEma] = None
    mixup_fn: Optional[Callable] = None
    saver: Optional[CheckpointSaver] = None
    output_dir: Optional[str] = None


def prepare_model(args: argparse.Namespace, dist: DistInfo) -> Tuple[nn.Module, Dict[str, Any]]:
    """Create the model, adapt it (split / sync BN, channels-last, compile) and resolve its data config."""
    model = build_model(args)
    if args.split_bn:
        if args.aug_splits < 2:
            raise SystemExit('--split-bn needs --aug-splits >= 2.')
        model = convert_splitbn_model(model, args.aug_splits)
    data_config = resolve_data_config(vars(args), model=model, verbose=dist.rank == 0)
    if dist.rank == 0:
        _logger.info('Model %s created, params: %d', args.model, sum(p.numel() for p in model.parameters()))
    model.to(device=dist.device, dtype=resolve_model_dtype(args.model_dtype))
    if args.channels_last:
        model.to(memory_format=torch.channels_last)
    if args.sync_bn and dist.device.type == 'cpu':
        raise SystemExit('--sync-bn needs GPUs (torch synchronises BatchNorm on CUDA / XPU only); on CPU leave it out '
                         'and keep --dist-bn reduce, which averages the BN statistics across ranks after each epoch.')
    if args.sync_bn and not dist.distributed:
        _logger.warning('--sync-bn has nothing to synchronise in a single process; BatchNorm stays as it is.')
    if dist.distributed and args.sync_bn:
        args.dist_bn = ''  # statistics are already synchronised every step
        model = convert_sync_batchnorm(model)
    if args.torchcompile:
        model = torch.compile(model, backend=args.torchcompile, mode=args.torchcompile_mode)
    return model, data_config


def build_session(args: argparse.Namespace, dist: DistInfo) -> Session:
    """Model, optimizer, precision, EMA, DDP wrapper, data, schedule and losses for a run."""
    if args.eval_metric not in ('top1', 'top5', 'loss'):
        raise SystemExit(f"--eval-metric must be top1, top5 or loss, got {args.eval_metric!r}.")
    model, data_config = prepare_model(args, dist)
    resolve_lr(args, dist.world_size)
    distiller = build_distiller(args, model, data_config, dist.device) if args.kd_model_name or args.kd_checkpoint \
        else None
    optimizer = create_optimizer_v2(model, **optimizer_kwargs(args))
    if distiller is not None and distiller.trainable_parameters():
        # the feature projection learns with the student (at the base lr, without weight decay)
        optimizer.add_param_group({'params': distiller.trainable_parameters(), 'weight_decay': 0.})
    autocast, use_scaler = resolve_amp(args.amp, args.amp_dtype, dist.device)
    model_ema = None
    if args.model_ema:
        model_ema = ModelEma(model, decay=args.model_ema_decay, use_warmup=args.model_ema_warmup,
                             device=torch.device('cpu') if args.model_ema_force_cpu else None)
    if dist.distributed:
        model = wrap_ddp(model, dist, sync_buffers=not args.no_ddp_bb)
    loader_train, loader_eval, mixup_fn, class_names = build_loaders(args, data_config, dist)
    updates_per_epoch = (len(loader_train) + args.grad_accum_steps - 1) // args.grad_accum_steps
    lr_scheduler, num_epochs = create_scheduler_v2(optimizer, **scheduler_kwargs(args),
                                                   updates_per_epoch=updates_per_epoch)
    rt = Runtime(device=dist.device, dist=dist, autocast=autocast,
                 loss_scaler=NativeScaler(dist.device.type) if use_scaler else None,
                 channels_last=args.channels_last, prefetched=args.prefetcher,
                 dtype=resolve_model_dtype(args.model_dtype))
    opts = TrainOptions(grad_accum_steps=args.grad_accum_steps, clip_grad=args.clip_grad, clip_mode=args.clip_mode,
                        log_interval=args.log_interval, recovery_interval=args.recovery_interval,
                        max_unreadable_fraction=args.max_unreadable_fraction,
                        progress_bar=use_progress_bar(args.progress_bar), distiller=distiller,
                        synchronize_step=args.synchronize_step)
    return Session(
        args=args, model=model, optimizer=optimizer, rt=rt, opts=opts, loader_train=loader_train,
        loader_eval=loader_eval, train_loss_fn=build_train_loss(args).to(dist.device),
        eval_loss_fn=nn.CrossEntropyLoss().to(dist.device), data_config=data_config, class_names=class_names,
        lr_scheduler=lr_scheduler,
        num_epochs=num_epochs, updates_per_epoch=updates_per_epoch, model_ema=model_ema, mixup_fn=mixup_fn)


def resume_session(s: Session) -> int:
    """Restore ``--resume`` state and put the schedule at the start epoch; returns the start epoch."""
    args, start_epoch = s.args, 0
    if args.resume:
        restore_opt = not args.no_resume_opt
        info = resume_checkpoint(s.model, args.resume, s.optimizer if restore_opt else None, s.rt.loss_scaler,
                                 s.model_ema, s.lr_scheduler if restore_opt else None)
        start_epoch = info['start_epoch']
    if args.start_epoch is not None:
        start_epoch = args.start_epoch
    if s.lr_scheduler is not None and start_epoch > 0:
        if args.sched_on_updates:
            s.lr_scheduler.step_update(start_epoch * s.updates_per_epoch)
        else:
            s.lr_scheduler.step(start_epoch)
    return start_epoch


def attach_saver(s: Session, start_epoch: int = 0) -> None:
    """On the primary process: create the output folder, write args.yaml and the checkpoint saver."""
    if not s.rt.primary:
        return
    s.output_dir = _output_dir(s.args, s.data_config)
    if s.args.resume and trim_summary(os.path.join(s.output_dir, 'summary.csv'), start_epoch):
        _logger.info('Dropped summary.csv rows of epochs >= %d: they are run again.', start_epoch)
    s.saver = CheckpointSaver(
        s.model, s.optimizer, args=s.args, model_ema=s.model_ema, amp_scaler=s.rt.loss_scaler,
        scheduler=s.lr_scheduler, checkpoint_dir=s.output_dir, decreasing=s.args.eval_metric == 'loss',
        max_history=s.args.checkpoint_hist)
    # checkpoints record how their weights were fed and what the outputs mean (validate.py / inference.py use it)
    s.saver.extra_state = WeightsInfo.from_data_config(s.data_config, s.class_names).to_state()
    with open(os.path.join(s.output_dir, 'args.yaml'), 'w') as f:
        yaml.safe_dump(plain_args(s.args), f, sort_keys=True)
    if s.args.save_images:
        path = os.path.join(s.output_dir, 'train-batch.png')
        s.opts.first_batch_hook = lambda x: (save_batch_image(x, s.data_config['mean'], s.data_config['std'], path),
                                             setattr(s.opts, 'first_batch_hook', None))
    _logger.info('Output folder: %s', s.output_dir)


def main(argv: Optional[List[str]] = None) -> Dict[str, Any]:
    """Run training; returns the best metric, its epoch and the output folder."""
    setup_default_logging()
    args = parse_args(argv)
    _resolve_legacy_flags(args)
    args.prefetcher = not args.no_prefetcher
    try:
        resolve_model_dtype(args.model_dtype, args.amp)  # a bad value or combination ends the run before any work
    except ValueError as e:
        raise SystemExit(str(e)) from e
    if args.local_rank and 'LOCAL_RANK' not in os.environ:
        # torch.distributed.launch (before torchrun) passes the node-local rank as an argument, not in the environment
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    dist = init_distributed_device(args.device, args.dist_backend, timeout=args.dist_timeout)
    try:
        with exit_on_dist_timeout(dist, args.dist_timeout):
            return train(args, dist)
    except RankTimeoutError as e:
        raise SystemExit(str(e)) from e


def train(args: argparse.Namespace, dist: DistInfo) -> Dict[str, Any]:
    """The training run of :func:`main` once the process (group) is set up."""
    if dist.distributed:
        _logger.info('Process %d of %d on %s (%s).', dist.rank, dist.world_size, dist.device,
                     torch.distributed.get_backend())
    if args.dataset == 'zoo/digits' and dist.rank == 0:
        _logger.info('Training on the built-in zoo/digits data (pass a folder or --dataset to train on your own).')
    random_seed(args.seed, dist.rank)
    session = build_session(args, dist)
    start_epoch = resume_session(session)
    attach_saver(session, start_epoch)
    if session.rt.primary:
        _logger.info('Scheduled epochs: %d (starting at %d), %d updates per epoch.', session.num_epochs, start_epoch,
                     session.updates_per_epoch)
    stop_epoch = session.num_epochs if args.stop_epoch is None else min(session.num_epochs, args.stop_epoch)
    for epoch in range(start_epoch, stop_epoch):
        run_epoch(session, epoch)
    saver = session.saver
    if saver is not None and saver.best_metric is not None:
        _logger.info('*** Best metric: %s (epoch %s)', saver.best_metric, saver.best_epoch)
        export_best_weights(session)
    summary = os.path.join(session.output_dir or '', 'summary.csv')
    if args.plot and session.output_dir and os.path.isfile(summary):
        try_plot_summary(summary)
    if dist.distributed:
        torch.distributed.destroy_process_group()
    return {'best_metric': saver.best_metric if saver else None, 'best_epoch': saver.best_epoch if saver else None,
            'output_dir': session.output_dir}


def export_best_weights(s: Session) -> Optional[str]:
    """Write ``model_best.safetensors``: the best weights (EMA ones when EMA ran) with their data config and classes."""
    best = os.path.join(s.output_dir or '', 'model_best.pth.tar')
    if not os.path.isfile(best):
        return None
    path = str(export_checkpoint_weights(best, os.path.join(s.output_dir, 'model_best.safetensors'),
                                         use_ema=s.args.model_ema))
    _logger.info('Best weights with their data config and class names: %s', path)
    return path


def run_epoch(s: Session, epoch: int) -> None:
    """One epoch: train, sync BN statistics, evaluate, step the schedule, then log and checkpoint."""
    args, rt = s.args, s.rt
    # per-epoch reseeding makes a resumed run draw the same shuffles and augmentations as an uninterrupted one
    random_seed(args.seed + 1000 * epoch, rt.dist.rank if rt.dist else 0)
    # a sampler (map-style data) or the dataset itself (streamed data) picks the epoch's shuffle
    for source in (getattr(s.loader_train, 'sampler', None), getattr(s.loader_train, 'dataset', None)):
        if hasattr(source, 'set_epoch'):
            source.set_epoch(epoch)
    if args.mixup_off_epoch and epoch >= args.mixup_off_epoch:
        if s.mixup_fn is not None:
            s.mixup_fn.mixup_enabled = False
        elif hasattr(s.loader_train, 'mixup_enabled'):
            s.loader_train.mixup_enabled = False
    start = time.time()
    train_metrics = train_one_epoch(epoch, s.model, s.loader_train, s.optimizer, s.train_loss_fn, rt, s.opts,
                                    lr_scheduler=s.lr_scheduler, saver=s.saver, model_ema=s.model_ema,
                                    mixup_fn=s.mixup_fn)
    world = rt.world_size
    sync_bn_stats = world > 1 and args.dist_bn in ('broadcast', 'reduce')
    if world > 1:
        check_ranks_in_sync(s.model, rt)
    if sync_bn_stats:
        distribute_bn(s.model, world, args.dist_bn == 'reduce')
    eval_metrics = validate(s.model, s.loader_eval, s.eval_loss_fn, rt, log_interval=args.log_interval,
                            progress_bar=s.opts.progress_bar)
    if s.model_ema is not None:
        if sync_bn_stats:
            distribute_bn(s.model_ema, world, args.dist_bn == 'reduce')
        # as in timm, the EMA weights' metrics drive checkpoint ranking when EMA is on
        eval_metrics = validate(s.model_ema, s.loader_eval, s.eval_loss_fn, rt, log_interval=args.log_interval,
                                log_suffix=' (EMA)', progress_bar=s.opts.progress_bar)
    lrs = [g['lr'] for g in s.optimizer.param_groups]
    lr = sum(lrs) / len(lrs)
    if s.lr_scheduler is not None:
        s.lr_scheduler.step(epoch + 1, eval_metrics[args.eval_metric])
    if rt.primary:
        _logger.info('Epoch %d done in %.1fs: train loss %.4f, eval loss %.4f, top1 %.3f, top5 %.3f, lr %.3e',
                     epoch, time.time() - start, train_metrics['loss'], eval_metrics['loss'], eval_metrics['top1'],
                     eval_metrics['top5'], lr)
    if s.output_dir is not None:
        summary = os.path.join(s.output_dir, 'summary.csv')
        update_summary(epoch, train_metrics, eval_metrics, summary, lr=lr, write_header=not os.path.exists(summary))
    if s.saver is not None:
        s.saver.save_checkpoint(epoch, metric=eval_metrics[args.eval_metric])
        s.saver.clear_recovery()


if __name__ == '__main__':
    with suppress(KeyboardInterrupt):
        main(sys.argv[1:])
