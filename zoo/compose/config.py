"""Model config files: Python modules that define ``model_cfg`` and optional data / optimizer / schedule settings.

A config file is loaded as a module (``importlib``), never ``exec``'d from a string, so it can import, compute and be
checked by linters like any Python file. It defines plain dicts::

    model_cfg = dict(backbone=dict(type='ResNet_CIFAR', depth=18), neck=dict(type='GlobalAveragePooling'),
                     head=dict(type='LinearClsHead', num_classes=10, in_channels=512))
    data = dict(dataset='torch/cifar10', input_size=(3, 32, 32), batch_size=128)    # optional
    optimizer = dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4)            # optional
    schedule = dict(type='cosine', epochs=200, warmup_epochs=5)                      # optional

Keys are checked against the lists below so a typo fails loudly; ``config_to_train_args`` maps them onto the
timm-style argument names of ``train.py`` (``opt``, ``sched``, ``epochs``, ``input_size``, ...).
Configs shipped with zoo live in ``zoo/compose/configs/`` and load by name (``load_config('resnet18_cifar')``).

One file can describe a family of configs: it defines ``VARIANTS = {name: dict(**params)}`` and a function
``make(**params)`` returning ``dict(model_cfg=..., data=..., optimizer=..., schedule=...)``; each variant name then
loads like a file of its own (``resnet_cifar.py`` ships ``resnet18_cifar``, ``resnet34_cifar`` and ``resnet50_cifar``).
"""
import functools
import hashlib
import importlib.util
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


from zoo.compose.classifier import ComposedClassifier, build_classifier
from zoo.compose.heads import ClsHead
from zoo.compose.registry import HEADS, closest_names

__all__ = [
    'Config', 'load_config', 'list_configs', 'build_model_from_config', 'config_to_train_args', 'config_pretrained_cfg',
    'CONFIG_DIR', 'DATA_KEYS', 'OPTIMIZER_KEYS', 'SCHEDULE_KEYS',
]

_logger = logging.getLogger(__name__)

CONFIG_DIR = Path(__file__).resolve().parent / 'configs'

# Section keys, named as train.py's (timm's) arguments so they map one to one; 'type' is mapped to opt / sched.
DATA_KEYS = (
    'dataset', 'data_dir', 'train_split', 'val_split', 'input_size', 'img_size', 'mean', 'std', 'interpolation',
    'crop_pct', 'batch_size', 'validation_batch_size', 'hflip', 'vflip', 'scale', 'ratio', 'color_jitter', 'aa',
    'reprob', 'mixup', 'cutmix', 'workers', 'input_img_mode',
)
OPTIMIZER_KEYS = ('type', 'lr', 'momentum', 'weight_decay', 'opt_eps', 'opt_betas', 'clip_grad')
SCHEDULE_KEYS = (
    'type', 'epochs', 'warmup_epochs', 'warmup_lr', 'min_lr', 'decay_epochs', 'decay_milestones', 'decay_rate',
    'cooldown_epochs',
)
# create_model arguments a composed model accepts only when unset (None/0): it takes these from its config.
_UNSET_MODEL_KWARGS = ('drop_rate', 'drop_path_rate', 'drop_block_rate', 'bn_momentum', 'bn_eps')
_SECTIONS = {'data': DATA_KEYS, 'optimizer': OPTIMIZER_KEYS, 'schedule': SCHEDULE_KEYS}


@dataclass(frozen=True)
class Config:
    """A loaded config file.

    Attributes:
        name: File stem, e.g. 'resnet18_cifar'.
        model_cfg: dict(backbone=..., neck=..., head=...) for :func:`build_classifier`.
        data: Dataset / input / loader settings (train.py names).
        optimizer: dict(type='SGD', lr=..., ...).
        schedule: dict(type='cosine', epochs=..., ...).
        path: The file it came from.
    """

    name: str
    model_cfg: dict[str, Any]
    data: dict[str, Any] = field(default_factory=dict)
    optimizer: dict[str, Any] = field(default_factory=dict)
    schedule: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def num_classes(self) -> int | None:
        """The head's ``num_classes`` when the head is a config dict that sets it."""
        head = self.model_cfg.get('head')
        return head.get('num_classes') if isinstance(head, Mapping) else None

    @property
    def input_size(self) -> tuple[int, int, int] | None:
        """(C, H, W) from ``data['input_size']`` or ``data['img_size']`` plus the backbone's input channels."""
        if 'input_size' in self.data:
            return tuple(self.data['input_size'])
        if 'img_size' in self.data:
            size = self.data['img_size']
            height, width = (size, size) if isinstance(size, int) else size
            backbone = self.model_cfg.get('backbone')
            chans = backbone.get('in_channels', 3) if isinstance(backbone, Mapping) else 3
            return chans, height, width
        return None


def _load_module(path: Path) -> Any:
    # A unique module name per file: two configs called 'model.py' in different folders must not share a module.
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    spec = importlib.util.spec_from_file_location(f'zoo_config_{path.stem}_{digest}', path)
    if spec is None or spec.loader is None:
        raise ImportError(f'cannot load {path} as a Python module; a config must be a .py file')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.lru_cache(maxsize=None)
def _shipped() -> dict[str, tuple[Path, str | None]]:
    """Shipped config name -> (file, variant name or None for a plain file)."""
    out: dict[str, tuple[Path, str | None]] = {}
    for path in sorted(CONFIG_DIR.glob('*.py')):
        if path.stem.startswith('_'):
            continue
        variants = getattr(_load_module(path), 'VARIANTS', None)
        for name in (variants or {path.stem: None}):
            out[name] = (path, name if variants else None)
    return out


def list_configs() -> list[str]:
    """Names of the configs shipped with zoo (one per variant of a multi-variant file)."""
    return sorted(_shipped())


def _resolve(path_or_name: str | Path) -> tuple[Path, str | None]:
    """(file, variant) of a config path or shipped name."""
    path = Path(path_or_name).expanduser()
    if path.is_file():
        return path, None
    name = Path(str(path_or_name)).stem
    if path.suffix in ('', '.py') and path.parent == Path('.') and name in _shipped():
        return _shipped()[name]
    names = closest_names(path.stem, list_configs(), 3)
    raise FileNotFoundError(f'config {str(path_or_name)!r} is neither a file nor a shipped config; shipped configs '
                            f'(closest first): {names}. Pass a path to a .py file defining model_cfg.')


def _module_sections(module: Any, path: Path, variant: str | None) -> dict[str, Any]:
    """model_cfg / data / optimizer / schedule of a config module, made by ``make(**VARIANTS[variant])`` for a
    multi-variant file."""
    variants = getattr(module, 'VARIANTS', None)
    if variants is None:
        return {name: getattr(module, name, None) for name in ('model_cfg', *_SECTIONS)}
    if variant not in variants:
        raise KeyError(f'{path} describes the configs {sorted(variants)}; load one of them by name, e.g. '
                       f'load_config({next(iter(variants))!r}), or pass variant=')
    sections = module.make(**variants[variant])
    unknown = sorted(set(sections) - {'model_cfg', *_SECTIONS})
    if unknown:
        raise KeyError(f'{path}: make() returned unknown section(s) {unknown}; expected model_cfg, '
                       f'{", ".join(_SECTIONS)}')
    return sections


def _check_section(name: str, section: Any, allowed: tuple[str, ...], path: Path) -> dict[str, Any]:
    if section is None:
        return {}
    if not isinstance(section, Mapping):
        raise TypeError(f'{path}: {name} must be a dict, got {type(section).__name__}')
    unknown = [k for k in section if k not in allowed]
    if unknown:
        hints = ', '.join(f'{k!r} (did you mean {closest_names(k, list(allowed), 1)[0]!r}?)' for k in unknown)
        raise KeyError(f'{path}: {name} has unknown key(s) {hints}; accepted: {list(allowed)}')
    return dict(section)


def load_config(path_or_name: str | Path, variant: str | None = None) -> Config:
    """Load a config file, or a shipped config by name.

    Args:
        path_or_name: Path to a ``.py`` file, or the name of a shipped config (see :func:`list_configs`).
        variant: For a file with ``VARIANTS``, which one (a shipped variant name already names it).

    Returns:
        The :class:`Config`, named after the variant or, for a plain file, the file stem.

    Raises:
        FileNotFoundError: No such file or shipped config (lists the closest shipped names).
        KeyError: The file has no ``model_cfg``, a section has an unknown key, or the variant is not in the file.
    """
    path, shipped_variant = _resolve(path_or_name)
    path, variant = path.resolve(), variant or shipped_variant
    sections = _module_sections(_load_module(path), path, variant)
    model_cfg = sections.get('model_cfg')
    if not isinstance(model_cfg, Mapping):
        raise KeyError(f'{path} must define model_cfg = dict(backbone=..., neck=..., head=...); '
                       f'got {type(model_cfg).__name__}')
    checked = {name: _check_section(name, sections.get(name), keys, path) for name, keys in _SECTIONS.items()}
    _logger.debug('loaded config %s from %s', variant or path.stem, path)
    return Config(name=variant or path.stem, model_cfg=dict(model_cfg), path=path, **checked)


def config_pretrained_cfg(cfg: Config) -> dict[str, Any]:
    """The ``pretrained_cfg`` metadata a model built from ``cfg`` exposes (input size, mean/std, crop)."""
    out: dict[str, Any] = {'architecture': cfg.name}
    if cfg.input_size is not None:
        out['input_size'] = cfg.input_size
    for key in ('mean', 'std', 'interpolation', 'crop_pct'):
        if key in cfg.data:
            out[key] = tuple(cfg.data[key]) if isinstance(cfg.data[key], (list, tuple)) else cfg.data[key]
    return out


def _with_overrides(model_cfg: dict[str, Any], num_classes: int | None, in_chans: int | None) -> dict[str, Any]:
    model_cfg = dict(model_cfg)
    if num_classes is not None:
        head = model_cfg.get('head')
        if not isinstance(head, Mapping):
            raise TypeError('num_classes can only override a head given as a config dict')
        model_cfg['head'] = dict(head, num_classes=num_classes)
    if in_chans is not None:
        backbone = model_cfg.get('backbone')
        if not isinstance(backbone, Mapping):
            raise TypeError('in_chans can only override a backbone given as a config dict')
        model_cfg['backbone'] = dict(backbone, in_channels=in_chans)
    return model_cfg


def build_model_from_config(
        config: Config | str | Path,
        pretrained: bool = False,
        num_classes: int | None = None,
        in_chans: int | None = None,
        global_pool: str | None = None,
        **kwargs: Any,
) -> ComposedClassifier:
    """Build the classifier a config describes, with the overrides ``create_model`` callers pass.

    Args:
        config: A :class:`Config`, a config file path or a shipped config name.
        pretrained: Load the weights named by ``model_cfg['pretrained']`` (a zoo model name).
        num_classes: Override the head's class count; 0 builds without a classifier.
        in_chans: Override the backbone's input channels.
        global_pool: As in :meth:`ComposedClassifier.reset_classifier`.
        **kwargs: Other ``create_model`` arguments: accepted only when they are unset/zero (``drop_rate=0``),
            because a composed model takes such settings from its config.

    Returns:
        The classifier, with ``pretrained_cfg`` filled from the config's data settings.
    """
    cfg = config if isinstance(config, Config) else load_config(config)
    unsupported = sorted(k for k, v in kwargs.items() if not (k in _UNSET_MODEL_KWARGS and not v))
    if unsupported:
        raise TypeError(f'composed model {cfg.name!r} does not take {unsupported} from create_model; '
                        f'set them in its config file ({cfg.path}) instead')
    if pretrained and not cfg.model_cfg.get('pretrained'):
        raise ValueError(f"config {cfg.name!r} names no pretrained weights; add pretrained='resnet50' (a zoo model "
                         f"name) to its model_cfg, or build with pretrained=False")
    build_cfg = _with_overrides(cfg.model_cfg, num_classes if num_classes != 0 else None, in_chans)
    model = build_classifier(build_cfg, pretrained_cfg=config_pretrained_cfg(cfg), load_pretrained=pretrained)
    if num_classes == 0 or global_pool is not None:
        model.reset_classifier(model.num_classes if num_classes is None else num_classes, global_pool)
    return model


def _head_loss_cfg(head: Any) -> Any:
    """The loss config of a head config, including the cross-entropy a ClsHead uses when the config names none."""
    if not isinstance(head, Mapping):
        return None
    if 'loss' in head:
        return head['loss']
    head_cls = HEADS.get(head['type']) if head.get('type') in HEADS else None
    return dict(type='CrossEntropyLoss') if head_cls is not None and issubclass(head_cls, ClsHead) else None


def config_to_train_args(cfg: Config | str | Path) -> dict[str, Any]:
    """Map a config's settings onto ``train.py``'s (timm-style) argument names, for ``parser.set_defaults``.

    ``optimizer['type']`` becomes ``opt`` (lower case), ``schedule['type']`` becomes ``sched``; every other key
    keeps its name, and tuples become lists as argparse would give them. A head's ``CrossEntropyLoss`` label
    smoothing becomes ``smoothing``. ``model`` is the registered model name when the config is shipped
    (``composed_<name>``; see :func:`zoo.models.composed.train_defaults_from_config` for any file),
    ``num_classes`` comes from the head and ``in_chans`` from the backbone.

    Args:
        cfg: A :class:`Config`, path or shipped name.

    Returns:
        ``{arg_name: value}``.
    """
    cfg = cfg if isinstance(cfg, Config) else load_config(cfg)
    args: dict[str, Any] = {}
    if cfg.path is not None and cfg.path.parent == CONFIG_DIR:
        args['model'] = f'composed_{cfg.name}'
    if cfg.num_classes is not None:
        args['num_classes'] = cfg.num_classes
    backbone = cfg.model_cfg.get('backbone')
    if isinstance(backbone, Mapping) and 'in_channels' in backbone:
        args['in_chans'] = backbone['in_channels']
    loss = _head_loss_cfg(cfg.model_cfg.get('head'))
    if isinstance(loss, Mapping) and loss.get('type') == 'CrossEntropyLoss':
        # train.py builds its own criterion; label smoothing is the one CE setting it has a flag for.
        args['smoothing'] = loss.get('label_smoothing', 0.0)
    args.update(cfg.data)
    if cfg.input_size is not None:
        args['input_size'] = list(cfg.input_size)
        args.pop('img_size', None)
    for section, type_arg in ((cfg.optimizer, 'opt'), (cfg.schedule, 'sched')):
        for key, value in section.items():
            if key == 'type':
                args[type_arg] = str(value).lower()
            else:
                args[key] = value
    # argparse gives nargs='+' options (mean, std, scale, input_size, ...) as lists; match that.
    return {key: list(value) if isinstance(value, tuple) else value for key, value in args.items()}
