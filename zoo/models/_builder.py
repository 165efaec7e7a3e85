"""The one path from a factory call to a ready model: cfg resolution, construction, weights, feature wrapping.

Model definitions never download or load anything; families call `build_model_with_cfg` from their
`_create_<family>` function and this module does the rest.
"""
import contextlib
import dataclasses
import inspect
import logging
import os
from typing import Any, Callable, Dict, Iterator, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from zoo.models._base import check_num_classes
from zoo.models._features import create_feature_net
from zoo.models._helpers import _family_filters, load_checkpoint, load_state_dict, load_state_dict_checked
from zoo.models._hub import WeightsUnavailableError, download_hf_weights, download_url_weights
from zoo.models._manipulate import adapt_input_conv
from zoo.models._pretrained import PretrainedCfg
from zoo.models._registry import get_pretrained_cfg

__all__ = ['build_model_with_cfg', 'load_pretrained', 'resolve_pretrained_cfg', 'no_init']

_logger = logging.getLogger(__name__)

FilterFn = Callable[[Dict[str, Any], nn.Module], Dict[str, Any]]

_INIT_FNS = (
    'uniform_', 'normal_', 'trunc_normal_', 'constant_', 'ones_', 'zeros_', 'eye_', 'dirac_', 'xavier_uniform_',
    'xavier_normal_', 'kaiming_uniform_', 'kaiming_normal_', 'orthogonal_', 'sparse_',
)


@contextlib.contextmanager
def no_init(names: Sequence[str] = _INIT_FNS) -> Iterator[None]:
    """Turn the `torch.nn.init` functions into no-ops while a model whose weights will all be loaded is built.

    Random initialisation is most of the cost of building a large model, and it is wasted when every parameter is
    overwritten by a checkpoint. Families call initialisers through `nn.init.*`, so patching that module covers them
    and torch's own layers. `names` limits the patch to some initialisers. Nesting is safe (each level restores
    what it found). Not thread-safe: do not build models concurrently in threads.
    """
    saved = {name: getattr(nn.init, name) for name in names}
    try:
        for name in names:
            setattr(nn.init, name, lambda tensor, *args, **kwargs: tensor)
        yield
    finally:
        for name, fn in saved.items():
            setattr(nn.init, name, fn)


_CFG_FIELDS = {f.name for f in dataclasses.fields(PretrainedCfg)}


def _cfg_from_dict(cfg: Dict[str, Any], base: Optional[PretrainedCfg]) -> PretrainedCfg:
    unknown = set(cfg) - _CFG_FIELDS
    if unknown:
        _logger.debug('ignoring unknown pretrained cfg keys %s', sorted(unknown))
    values = {k: tuple(v) if isinstance(v, list) and k in ('input_size', 'test_input_size', 'min_input_size', 'mean',
                                                             'std', 'pool_size', 'test_pool_size') else v
              for k, v in cfg.items() if k in _CFG_FIELDS}
    return base.replace(**values) if base is not None else PretrainedCfg(**values)


def resolve_pretrained_cfg(
        variant: str,
        pretrained_cfg: Union[str, Dict[str, Any], PretrainedCfg, None] = None,
        pretrained_cfg_overlay: Optional[Dict[str, Any]] = None,
) -> PretrainedCfg:
    """Pick the cfg for `variant`: a tag name, a full cfg (e.g. from a Hub config.json) or the default tag.

    A dict is laid over the architecture's registered default so fields it lacks (first_conv, classifier) remain.
    `pretrained_cfg_overlay` then replaces individual fields, e.g. `dict(file='/path/weights.safetensors')`.
    """
    base = get_pretrained_cfg(variant)
    if isinstance(pretrained_cfg, str):
        cfg = get_pretrained_cfg(f'{variant}.{pretrained_cfg}') if pretrained_cfg else base
    elif isinstance(pretrained_cfg, PretrainedCfg):
        cfg = pretrained_cfg
    elif isinstance(pretrained_cfg, dict):
        cfg = _cfg_from_dict(pretrained_cfg, base)
    else:
        cfg = base
    if cfg is None:
        cfg = PretrainedCfg(architecture=variant)
    if pretrained_cfg_overlay:
        overlay = dict(pretrained_cfg_overlay)
        if any(k in overlay for k in ('file', 'url', 'hf_hub_id', 'state_dict')):
            # an explicit source replaces the registered one rather than competing with it
            for key in ('file', 'url', 'hf_hub_id', 'state_dict', 'hf_hub_filename', 'sha256'):
                overlay.setdefault(key, None)
        cfg = _cfg_from_dict(overlay, cfg)
    if cfg.architecture is None:
        cfg = cfg.replace(architecture=variant)
    return cfg


def _load_source(cfg: PretrainedCfg, cache_dir: Optional[str]) -> Tuple[Dict[str, Any], str]:
    if cfg.state_dict is not None:
        return dict(cfg.state_dict), 'pretrained_cfg.state_dict'
    if cfg.file:
        return load_state_dict(cfg.file, sha256=cfg.sha256), str(cfg.file)
    try:
        if cfg.hf_hub_id:
            path = download_hf_weights(cfg.hf_hub_id, cfg.hf_hub_filename, cache_dir=cache_dir)
            return load_state_dict(path, sha256=cfg.sha256), f'hf-hub:{cfg.hf_hub_id}'
        if cfg.url:
            url = cfg.url[0] if isinstance(cfg.url, (tuple, list)) else cfg.url
            path = download_url_weights(url, cache_dir=cache_dir)
            return load_state_dict(path, sha256=cfg.sha256), url
    except WeightsUnavailableError as e:
        name = cfg.architecture + (f'.{cfg.tag}' if cfg.tag else '')
        raise WeightsUnavailableError(f'Pretrained weights for {name}: {e}') from e
    raise RuntimeError(
        f'No pretrained weights exist for {cfg.architecture!r}{"." + cfg.tag if cfg.tag else ""}. Use '
        f'zoo.list_pretrained("{cfg.architecture}*") to see tags with weights, pass pretrained=False, or give a '
        f'file with pretrained_cfg_overlay=dict(file=...).')


def _as_tuple(names: Union[str, Tuple[str, ...], None]) -> Tuple[str, ...]:
    if not names:
        return ()
    return (names,) if isinstance(names, str) else tuple(names)


def load_pretrained(
        model: nn.Module,
        pretrained_cfg: PretrainedCfg,
        num_classes: Optional[int] = None,
        in_chans: Optional[int] = None,
        filter_fn: Optional[FilterFn] = None,
        strict: bool = True,
        cache_dir: Optional[Union[str, os.PathLike]] = None,
) -> None:
    """Load the weights a cfg names into `model`, adapting the first conv and dropping a mismatched classifier."""
    state_dict, source = _load_source(pretrained_cfg, str(cache_dir) if cache_dir else None)
    if filter_fn is not None:
        state_dict = filter_fn(state_dict, model)

    own = model.state_dict()
    for conv_name in _as_tuple(pretrained_cfg.first_conv):
        key = f'{conv_name}.weight'
        if key in state_dict and key in own and state_dict[key].shape[1] != own[key].shape[1]:
            state_dict[key] = adapt_input_conv(own[key].shape[1], state_dict[key])
            _logger.info('Adapted %s from %d to %d input channels', key, pretrained_cfg.input_size[0],
                         own[key].shape[1])

    allow_missing = ()
    num_classes = getattr(model, 'num_classes', num_classes)
    if num_classes is not None and num_classes != pretrained_cfg.num_classes:
        dropped = []
        for name in _as_tuple(pretrained_cfg.classifier):
            for suffix in ('.weight', '.bias'):
                if state_dict.pop(name + suffix, None) is not None:
                    dropped.append(name + suffix)
        allow_missing = tuple(k for k in dropped if k in own)
        _logger.info('Dropped pretrained classifier %s (%d classes, model has %d)', dropped,
                     pretrained_cfg.num_classes, num_classes)
    # assign rather than copy: the loaded tensors become the parameters, so a model built without random init never
    # touches (page-faults in) its own freshly allocated weight memory; dtypes follow the model, not the file
    for key, value in state_dict.items():
        if key in own and torch.is_tensor(value) and value.dtype != own[key].dtype and value.is_floating_point():
            state_dict[key] = value.to(own[key].dtype)
    load_state_dict_checked(model, state_dict, strict=strict, source=source, allow_missing=allow_missing, assign=True)


def _accepts(model_cls: Callable[..., nn.Module], name: str) -> bool:
    """Whether `model_cls(name=...)` is a known argument, following `**kwargs` that a subclass forwards to its base.

    `**kwargs` on the last constructor before nn.Module are the class's own (e.g. config overrides it validates).
    """
    if isinstance(model_cls, type):
        for cls in model_cls.__mro__:
            if cls is nn.Module:
                return True
            if '__init__' not in vars(cls):
                continue
            params = inspect.signature(vars(cls)['__init__']).parameters
            if name in params:
                return True
            if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
                return False
        return False
    try:
        params = inspect.signature(model_cls).parameters
    except (TypeError, ValueError):
        return True
    return name in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


# probabilities that dropout / stochastic depth / DropBlock / patch dropout take, under any of their argument names
_RATE_ARGS = ('drop_rate', 'drop_path_rate', 'drop_block_rate', 'attn_drop_rate', 'proj_drop_rate', 'pos_drop_rate',
              'patch_drop_rate', 'head_drop_rate')


def _check_model_args(variant: str, kwargs: Dict[str, Any]) -> None:
    """Refuse values no family can use, at construction and naming the argument (not at the first forward)."""
    for name in _RATE_ARGS:
        value = kwargs.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0. <= value < 1.:
            raise ValueError(f'{name} must be a probability in [0, 1), got {value!r} (for {variant}).')
    in_chans = kwargs.get('in_chans')
    if in_chans is not None and (isinstance(in_chans, bool) or not isinstance(in_chans, int) or in_chans < 1):
        raise ValueError(f'in_chans must be a positive int (image channels, e.g. 3 or 1), got {in_chans!r}.')
    num_classes = kwargs.get('num_classes')
    if num_classes is not None:
        check_num_classes(num_classes)


def _check_output_stride(model_cls: Callable[..., nn.Module], variant: str, kwargs: Dict[str, Any]) -> None:
    output_stride = kwargs.get('output_stride')
    if output_stride is None:
        return
    if not _accepts(model_cls, 'output_stride'):
        if output_stride != 32:
            raise ValueError(
                f'{variant} does not support output_stride={output_stride} (it has no dilated variant); '
                f'only output_stride=32 is available. Use a family that supports dilation, e.g. resnet50.')
        kwargs.pop('output_stride')


# options of the features wrapper that may come as create_model arguments (timm's names)
_FEATURE_ARGS = ('feature_cls', 'output_fmt', 'out_map', 'return_dict', 'feature_concat', 'flatten_sequential',
                 'no_rewrite', 'default_hook_type', 'norm', 'prune')


def _pop_feature_args(model_cls: Callable[..., nn.Module], variant: str, features_only: bool,
                      kwargs: Dict[str, Any]) -> Dict[str, Any]:
    """The wrapper options among `kwargs` (those the model's constructors do not name), removed from `kwargs`."""
    named = set()
    for cls in model_cls.__mro__ if isinstance(model_cls, type) else ():
        if '__init__' in vars(cls):
            named.update(inspect.signature(vars(cls)['__init__']).parameters)
    found = {k: kwargs.pop(k) for k in _FEATURE_ARGS if k in kwargs and k not in named}
    if found and not features_only:
        raise TypeError(f'{sorted(found)} configure the features wrapper; pass features_only=True with them '
                        f'(for {variant}).')
    return found


def build_model_with_cfg(
        model_cls: Callable[..., nn.Module],
        variant: str,
        pretrained: bool,
        pretrained_cfg: Union[str, Dict[str, Any], PretrainedCfg, None] = None,
        pretrained_cfg_overlay: Optional[Dict[str, Any]] = None,
        model_cfg: Optional[Any] = None,
        feature_cfg: Optional[Dict[str, Any]] = None,
        pretrained_strict: bool = True,
        pretrained_filter_fn: Optional[FilterFn] = None,
        cache_dir: Optional[Union[str, os.PathLike]] = None,
        checkpoint_path: Optional[Union[str, os.PathLike]] = None,
        **kwargs,
) -> nn.Module:
    """Build `model_cls(**kwargs)` for `variant`, load weights, and wrap for features when asked.

    Args:
        model_cls: the model class (or a callable returning a model).
        variant: registered architecture name.
        pretrained: load the weights named by the resolved pretrained cfg.
        pretrained_cfg: tag name, cfg dict or PretrainedCfg; default is the architecture's first tag.
        pretrained_cfg_overlay: fields replacing those of the resolved cfg (e.g. `file`).
        model_cfg: passed as `cfg=` for families configured by a dataclass.
        feature_cfg: the family's defaults for the features wrapper (`out_indices`, `feature_cls`,
            `flatten_sequential`, ...); the caller's arguments override them.
        pretrained_strict: refuse weights that do not fill the model exactly.
        pretrained_filter_fn: converts foreign checkpoint layouts to this family's keys.
        cache_dir: download cache for weights.
        checkpoint_path: a local file loaded after construction (through `pretrained_filter_fn` as well).
        **kwargs: model arguments, plus `features_only`, `out_indices` and the wrapper options of `_FEATURE_ARGS`
            (`feature_cls`: 'getter', 'list', 'dict', 'hook', 'fx' or a class).
    """
    cfg = resolve_pretrained_cfg(variant, pretrained_cfg, pretrained_cfg_overlay)
    features_only = kwargs.pop('features_only', False)
    feature_cfg = dict(feature_cfg or {})
    # a family may set its default levels in feature_cfg; an explicit out_indices wins
    out_indices = kwargs.pop('out_indices', None)
    default_out_indices = feature_cfg.pop('out_indices', None)
    out_indices = default_out_indices if out_indices is None else out_indices
    user_feature_cfg = _pop_feature_args(model_cls, variant, features_only, kwargs)
    _check_output_stride(model_cls, variant, kwargs)

    if _accepts(model_cls, 'num_classes'):
        kwargs.setdefault('num_classes', cfg.num_classes)
    if cfg.fixed_input_size and _accepts(model_cls, 'img_size'):
        kwargs.setdefault('img_size', cfg.input_size[-2:])
    _check_model_args(variant, kwargs)
    unknown = [key for key in kwargs if not _accepts(model_cls, key)]
    if unknown:
        raise TypeError(f'{variant} got unexpected argument(s) {unknown}; see the signature of '
                        f'{getattr(model_cls, "__name__", model_cls)} for the arguments it takes.')

    # skip random init only when the load that follows is strict and fills every parameter
    fills_all = pretrained and pretrained_strict and cfg.has_weights and (
        kwargs.get('num_classes', cfg.num_classes) in (cfg.num_classes, 0))
    with no_init() if fills_all else contextlib.nullcontext():
        model = model_cls(cfg=model_cfg, **kwargs) if model_cfg is not None else model_cls(**kwargs)
    if pretrained_filter_fn is not None and isinstance(model_cls, type):
        _family_filters[model_cls] = pretrained_filter_fn
    model.pretrained_cfg = cfg.to_dict(remove_null=True)
    model.pretrained_cfg.pop('state_dict', None)
    model.default_cfg = model.pretrained_cfg

    if pretrained:
        load_pretrained(
            model, cfg, num_classes=kwargs.get('num_classes'), in_chans=kwargs.get('in_chans', 3),
            filter_fn=pretrained_filter_fn, strict=pretrained_strict, cache_dir=cache_dir)
    if checkpoint_path:
        load_checkpoint(model, checkpoint_path, filter_fn=pretrained_filter_fn)

    if features_only:
        cfg = model.pretrained_cfg
        model = create_feature_net(model, out_indices, feature_cfg, user_feature_cfg)
        model.pretrained_cfg = cfg
        model.default_cfg = model.pretrained_cfg
    return model
