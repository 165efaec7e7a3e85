"""Helpers shared by validate.py and inference.py: training-run metadata, test-time pooling, label names, results."""
import argparse
import ast
import csv
import json
import logging
import os
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from zoo.models._weights_info import read_weights_info
from zoo.utils.checkpoint import load_state

__all__ = [
    'DATA_CONFIG_KEYS', 'RUN_ARG_KEYS', 'SelectOutputs', 'TestTimeAugment', 'TestTimePoolHead', 'add_eval_model_args',
    'apply_test_time_pool', 'checkpoint_files', 'prepare_eval_model', 'read_valid_labels',
    'data_config_of_weights', 'fill_from_run_args', 'label_names', 'parse_kv_pairs', 'read_run_args',
    'warn_data_config_overrides', 'write_results',
]

_logger = logging.getLogger(__name__)

# arguments of a training run that determine how to rebuild and feed its model
RUN_ARG_KEYS = ('model', 'model_kwargs', 'num_classes', 'in_chans', 'img_size', 'input_size', 'crop_pct', 'mean', 'std',
                'interpolation', 'gp', 'class_map')


DATA_CONFIG_KEYS = ('input_size', 'interpolation', 'mean', 'std', 'crop_pct', 'crop_mode')


def data_config_of_weights(model: nn.Module, checkpoint: Optional[str] = None) -> Dict[str, Any]:
    """The preprocessing recorded with a model's weights ({} when they record none).

    From the checkpoint file's record when one is given, else from a ``local-dir:`` model's config.json.
    """
    if checkpoint:
        return read_weights_info(checkpoint).data_config
    cfg = getattr(model, 'pretrained_cfg', None) or {}
    if cfg.get('source') == 'local-dir':
        return {k: cfg[k] for k in DATA_CONFIG_KEYS if cfg.get(k) is not None}
    return {}


def _comparable(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_comparable(v) for v in value)
    return round(value, 6) if isinstance(value, float) else value


def warn_data_config_overrides(data_config: Mapping[str, Any], trained: Mapping[str, Any], weights: str) -> List[str]:
    """Warn where the resolved data config differs from the one the weights were trained with.

    Returns:
        One description per differing key (empty when they agree).
    """
    diffs = [f'{key}={data_config[key]!r} (trained with {value!r})' for key, value in trained.items()
             if key in DATA_CONFIG_KEYS and key in data_config and _comparable(data_config[key]) != _comparable(value)]
    if diffs:
        _logger.warning('Preprocessing for %s differs from the one its weights were trained with: %s. Drop the '
                        'overriding flags to use the recorded config.', weights, ', '.join(diffs))
    return diffs


def parse_kv_pairs(items: Sequence[str]) -> Dict[str, Any]:
    """``['a=1', 'b=(2, 3)', 'c=name']`` -> dict; values are python literals when they parse as such, else strings.

    Raises:
        ValueError: An item without ``=``.
    """
    out: Dict[str, Any] = {}
    for item in items:
        if '=' not in item:
            raise ValueError(f'expected key=value pairs, got {item!r}.')
        key, value = item.split('=', 1)
        try:
            out[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            out[key] = value
    return out


def checkpoint_files(path: str) -> List[str]:
    """A checkpoint file, or the checkpoints in a folder (``model_best`` first, then by name)."""
    if not os.path.isdir(path):
        if not os.path.isfile(path):
            raise FileNotFoundError(f'checkpoint {path!r} does not exist.')
        return [path]
    files = sorted(f for f in os.listdir(path) if f.endswith(('.pth.tar', '.pth', '.pt', '.safetensors', '.bin'))
                   and not f.startswith('recovery-'))
    files.sort(key=lambda f: (not f.startswith('model_best'), f))
    if not files:
        raise FileNotFoundError(f'no checkpoint files (.pth.tar, .pth, .safetensors) in {path!r}.')
    return [os.path.join(path, f) for f in files]


def read_run_args(path: Optional[str]) -> Dict[str, Any]:
    """The ``args`` dict stored in a zoo training checkpoint ({} for weight-only or foreign files)."""
    if not path or not path.endswith(('.pth.tar', '.pth', '.pt')):
        return {}
    try:
        state = load_state(path)
    except Exception as e:  # e.g. a torch file with non-tensor objects: not one of ours
        _logger.debug('no run args in %s: %s', path, e)
        return {}
    args = state.get('args') if isinstance(state, dict) else None
    return dict(args) if isinstance(args, dict) else {}


def fill_from_run_args(args: Any, run_args: Mapping[str, Any], keys: Sequence[str] = RUN_ARG_KEYS) -> List[str]:
    """Copy ``keys`` from a training run's args into ``args`` where ``args`` leaves them unset (None / empty).

    Returns:
        The names that were filled.
    """
    filled = []
    for key in keys:
        if key in run_args and run_args[key] not in (None, '', {}) and getattr(args, key, None) in (None, '', {}):
            value = run_args[key]
            if key == 'model_kwargs':
                value = {k: tuple(v) if isinstance(v, list) else v for k, v in value.items()}
            setattr(args, key, value)
            filled.append(key)
    return filled


class TestTimePoolHead(nn.Module):
    """Evaluate a classifier on inputs larger than its training size without resizing them.

    The pooled-feature classifier is applied as a 1x1 convolution to every window (the training pool size) of the
    feature map; the window logits are then combined by the mean of average and max pooling.

    Args:
        base: Model with ``forward_features`` and a linear ``get_classifier()``.
        original_pool: Feature-map size (H, W) at the training resolution.
    """

    def __init__(self, base: nn.Module, original_pool: Tuple[int, int]) -> None:
        super().__init__()
        self.base = base
        self.original_pool = tuple(original_pool)
        fc = base.get_classifier()
        if not isinstance(fc, nn.Linear):
            raise ValueError('test-time pooling needs a linear classifier head.')
        self.fc = nn.Conv2d(fc.in_features, fc.out_features, 1, bias=fc.bias is not None)
        with torch.no_grad():
            self.fc.weight.copy_(fc.weight.view(*fc.weight.shape, 1, 1))
            if fc.bias is not None:
                self.fc.bias.copy_(fc.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.base.forward_features(x)
        x = F.avg_pool2d(x, kernel_size=self.original_pool, stride=1)
        x = self.fc(x)
        return 0.5 * (x.mean(dim=(2, 3)) + x.amax(dim=(2, 3)))


class TestTimeAugment(nn.Module):
    """Test-time augmentation: the mean of the logits over ``num_views`` views of each image.

    View ``k`` is the image itself (k = 0), its mirror (k = 1), then centre zooms of ``1 - 0.1 * (k // 2)`` of the
    frame resized back to the input size, each plain and mirrored (k = 2, 3, 4, ...).

    Args:
        model: Classifier.
        num_views: Number of views (1 = the model alone).
    """

    def __init__(self, model: nn.Module, num_views: int = 2) -> None:
        super().__init__()
        if num_views < 1 or num_views > 18:
            raise ValueError(f'--tta must be between 1 and 18 views, got {num_views}.')
        self.model = model
        self.num_views = num_views

    @staticmethod
    def view(x: torch.Tensor, k: int) -> torch.Tensor:
        """The ``k``-th view of a batch (N, C, H, W)."""
        zoom = 1. - 0.1 * (k // 2)
        if zoom < 1.:
            h, w = x.shape[-2:]
            ch, cw = max(1, round(h * zoom)), max(1, round(w * zoom))
            top, left = (h - ch) // 2, (w - cw) // 2
            x = F.interpolate(x[..., top:top + ch, left:left + cw], size=(h, w), mode='bilinear',
                              align_corners=False)
        return x.flip(-1) if k % 2 else x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        total = None
        for k in range(self.num_views):
            out = self.model(self.view(x, k))
            total = out if total is None else total + out
        return total / self.num_views


def apply_test_time_pool(model: nn.Module, data_config: Mapping[str, Any]) -> Tuple[nn.Module, bool]:
    """Wrap ``model`` in :class:`TestTimePoolHead` when the eval input is larger than its pretrained input size."""
    cfg = getattr(model, 'pretrained_cfg', {}) or {}
    if not cfg.get('pool_size') or not cfg.get('input_size'):
        _logger.warning('test-time pooling needs pretrained_cfg pool_size / input_size; not applied.')
        return model, False
    size, train_size = data_config['input_size'][-2:], cfg['input_size'][-2:]
    if size[0] <= train_size[0] and size[1] <= train_size[1]:
        return model, False
    _logger.info('Test-time pooling: %s input on a model trained at %s.', tuple(size), tuple(train_size))
    return TestTimePoolHead(model, tuple(cfg['pool_size'])), True


def label_names(num_classes: int, class_to_idx: Optional[Mapping[str, int]] = None,
                imagenet_detail: bool = False) -> List[str]:
    """Class names by index: the dataset's class map, else ImageNet-1k names for 1000 classes, else the indices."""
    if class_to_idx and len(class_to_idx) == num_classes:
        names = [''] * num_classes
        for name, idx in class_to_idx.items():
            names[idx] = name
        return names
    if num_classes == 1000:
        from zoo.data import ImageNetInfo  # imported lazily: zoo.data is heavier than this module
        info = ImageNetInfo()
        return [info.index_to_description(i, detailed=imagenet_detail) for i in range(1000)]
    return [str(i) for i in range(num_classes)]


def _flatten(row: Mapping[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, (list, tuple)):
            out.update({f'{key}_{i}': v for i, v in enumerate(value)})
        else:
            out[key] = value
    return out


def write_results(rows: List[Dict[str, Any]], path: str, fmt: Optional[str] = None) -> str:
    """Write result rows as csv or json (format from ``fmt`` or the file extension); returns the path written.

    JSON keeps list values as lists; CSV spreads a list value ``key`` over columns ``key_0, key_1, ...``.
    """
    fmt = (fmt or os.path.splitext(path)[1].lstrip('.') or 'csv').lower()
    if fmt not in ('csv', 'json'):
        raise ValueError(f"results format must be csv or json, got {fmt!r}.")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f'{path}.tmp-{os.getpid()}'
    with open(tmp, 'w', newline='') as f:
        if fmt == 'json':
            json.dump(rows, f, indent=2)
        else:
            flat = [_flatten(row) for row in rows]
            fields: List[str] = []
            for row in flat:
                fields += [k for k in row if k not in fields]
            writer = csv.DictWriter(f, fieldnames=fields)
            writer.writeheader()
            writer.writerows(flat)
    os.replace(tmp, path)
    return path


class SelectOutputs(nn.Module):
    """Keep only the output columns ``indices`` of a classifier (``--valid-labels``): output ``j`` is the model's
    class ``indices[j]``, so a dataset indexed over that subset is scored against it."""

    def __init__(self, model: nn.Module, indices: Sequence[int]) -> None:
        super().__init__()
        self.model = model
        self.register_buffer('indices', torch.as_tensor(list(indices), dtype=torch.long), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)[:, self.indices]


def add_eval_model_args(parser: argparse.ArgumentParser) -> None:
    """The flags validate.py and inference.py share for running a model: compile, dtype, re-parameterisation and
    the progress bar."""
    parser.add_argument('--torchcompile', nargs='?', type=str, default=None, const='inductor',
                        help='torch.compile the model with this backend (default inductor)')
    parser.add_argument('--torchcompile-mode', type=str, default=None,
                        help='torch.compile mode: default, reduce-overhead, max-autotune, ...')
    parser.add_argument('--model-dtype', default=None, type=str,
                        help='run the whole model in this dtype: float32, bfloat16 or float16 (not with --amp)')
    parser.add_argument('--reparam', action='store_true', default=False,
                        help='fold re-parameterisable blocks (RepVGG, MobileOne, FastViT, ...) before running')
    parser.add_argument('--progress-bar', action=argparse.BooleanOptionalAction, default=None,
                        help='progress bar instead of periodic log lines (default: on when stderr is a terminal)')
    parser.add_argument('--fast', action='store_true', default=False,
                        help='the CPU fast path, zoo.models.optimize_for_inference: re-parameterise, fold BatchNorm, '
                             'channels_last, bfloat16 where the CPU has it natively, torch.compile (the first batch '
                             'compiles; later runs reuse the cache). Not with --amp, --model-dtype or --torchcompile')
    parser.add_argument('--int8', default='', type=str, metavar='DIR',
                        help='post-training int8 (needs torchao: pip install zoo[int8]): calibrate on the images of '
                             'this folder (any layout; keep it apart from the evaluation data), with the evaluation '
                             'transform. Not with --amp, --model-dtype or --torchcompile')
    parser.add_argument('--int8-images', default=100, type=int, metavar='N',
                        help='calibration images taken evenly from the --int8 folder (default 100)')


def int8_calibration_batches(folder: str, num_images: int, data_config: Mapping[str, Any], batch_size: int,
                             workers: int = 0) -> List[torch.Tensor]:
    """Normalised float32 batches of ``num_images`` images taken evenly from ``folder`` (any layout), through the
    evaluation transform of ``data_config``: the calibration data of ``--int8``.

    Raises:
        ValueError: ``num_images`` is not positive, or the folder holds no image.
    """
    from zoo.data import create_dataset, create_loader  # the data package is only needed here
    if num_images < 1:
        raise ValueError(f'--int8-images must be >= 1, got {num_images}.')
    dataset = create_dataset('', root=folder, search_split=False)
    if len(dataset) == 0:
        raise ValueError(f'--int8 {folder}: no images found to calibrate on.')
    dataset.select_evenly(min(num_images, len(dataset)))
    loader = create_loader(
        dataset, input_size=data_config['input_size'], batch_size=min(batch_size, len(dataset)), is_training=False,
        interpolation=data_config['interpolation'], mean=data_config['mean'], std=data_config['std'],
        crop_pct=data_config['crop_pct'], crop_mode=data_config.get('crop_mode'), num_workers=workers,
        device=torch.device('cpu'))
    return [x for x, _ in loader]


def prepare_eval_model(
        model: nn.Module,
        device: torch.device,
        dtype: Optional[torch.dtype] = None,
        channels_last: bool = False,
        reparam: bool = False,
        compile_backend: Optional[str] = None,
        compile_mode: Optional[str] = None,
        fast: bool = False,
        int8_calibration: Optional[Iterable[torch.Tensor]] = None,
) -> nn.Module:
    """Put ``model`` in eval mode on ``device`` in ``dtype``, optionally folded, channels-last and compiled.

    ``fast`` hands the model to `zoo.models.optimize_for_inference` instead, which chooses the dtype and compiles
    itself, so it refuses an explicit ``dtype`` or ``compile_backend``; ``int8_calibration`` (image batches) makes
    that path quantize to int8.
    """
    model = model.eval()
    if fast or int8_calibration is not None:
        if dtype is not None or compile_backend:
            raise ValueError('--fast / --int8 choose the dtype and compile by themselves; drop --model-dtype / '
                             '--torchcompile (or drop --fast / --int8).')
        from zoo.models import optimize_for_inference  # the model package is heavy; only needed here
        return optimize_for_inference(model.to(device), channels_last=channels_last,
                                      int8_calibration=int8_calibration)
    if reparam:
        from zoo.models import reparameterize_model  # the model package is heavy; only needed here
        model = reparameterize_model(model, inplace=True)
    model = model.to(device=device, dtype=dtype)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    if compile_backend:
        model = torch.compile(model, backend=compile_backend, mode=compile_mode)
    return model


def read_valid_labels(path: str, num_classes: int) -> List[int]:
    """Class indices, one per line, of a ``--valid-labels`` file; each must be an output of the model."""
    with open(path) as f:
        lines = [line.strip() for line in f if line.strip()]
    try:
        labels = [int(line) for line in lines]
    except ValueError as e:
        raise ValueError(f'--valid-labels {path}: every line must be a class index ({e}).') from e
    bad = [i for i in labels if not 0 <= i < num_classes]
    if bad or not labels:
        raise ValueError(f'--valid-labels {path}: needs class indices in 0..{num_classes - 1}; got '
                         f'{bad[:5] if bad else "none"}.')
    return labels
