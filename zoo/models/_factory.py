"""`create_model`: name parsing (arch, arch.tag, hf-hub:, local-dir:) in front of the registered factories."""
import os
from typing import Any, Dict, Optional, Tuple, Union

import torch.nn as nn

from zoo.layers.config import set_layer_config
from zoo.models._hub import load_model_config_from_hf, load_model_config_from_path
from zoo.models._pretrained import PretrainedCfg, split_model_name_tag
from zoo.models._registry import model_entrypoint

__all__ = ['create_model', 'parse_model_name']

_SOURCES = ('hf-hub', 'local-dir')


def parse_model_name(model_name: str) -> Tuple[Optional[str], str]:
    """'hf-hub:org/repo' -> ('hf-hub', 'org/repo'); 'resnet50.a1_in1k' -> (None, 'resnet50.a1_in1k')."""
    if model_name.startswith('hf_hub:'):
        model_name = 'hf-hub:' + model_name[len('hf_hub:'):]  # older spelling
    prefix, sep, rest = model_name.partition(':')
    if sep and prefix in _SOURCES:
        return prefix, rest
    if sep and len(prefix) > 1:  # one letter may be a Windows drive in a local-dir path
        raise ValueError(f'Unknown model source {prefix!r} in {model_name!r}; use one of {_SOURCES} or a plain name.')
    return None, model_name


def create_model(
        model_name: str,
        pretrained: bool = False,
        pretrained_cfg: Union[str, Dict[str, Any], PretrainedCfg, None] = None,
        pretrained_cfg_overlay: Optional[Dict[str, Any]] = None,
        checkpoint_path: Optional[Union[str, os.PathLike]] = None,
        cache_dir: Optional[Union[str, os.PathLike]] = None,
        scriptable: Optional[bool] = None,
        exportable: Optional[bool] = None,
        **kwargs,
) -> nn.Module:
    """Create a model by name, timm style.

    Args:
        model_name: `arch`, `arch.tag`, `hf-hub:org/repo[@revision]` or `local-dir:/path/to/folder` (a folder with
            config.json and model.safetensors, as written by `save_for_hf`).
        pretrained: load pretrained weights (from the Hub, a URL or a file, whichever the cfg names).
        pretrained_cfg: a tag, a cfg dict or a PretrainedCfg replacing the default one.
        pretrained_cfg_overlay: fields to replace in the resolved cfg, e.g. `dict(file='weights.safetensors')`.
        checkpoint_path: a local checkpoint loaded after creation (safetensors, or a torch file of tensors).
        cache_dir: where downloads are cached.
        scriptable: build layers that `torch.jit.script` compiles (see `zoo.layers.config`).
        exportable: build layers that `torch.export` / ONNX trace for any input size: TF 'SAME' padding as shape
            arithmetic, explicit attention (see `zoo.layers.config`).
        **kwargs: model arguments such as num_classes, in_chans, global_pool, drop_rate, drop_path_rate,
            features_only, out_indices, feature_cls, feature_cfg, output_stride. Arguments that are None are dropped
            so the family's own defaults hold.

    Example:
        >>> import zoo
        >>> model = zoo.create_model('resnet18', num_classes=10)
        >>> feats = zoo.create_model('resnet50', features_only=True, out_indices=(-2, -1), output_stride=16)
    """
    if kwargs.get('no_jit') is not None:
        raise TypeError('no_jit is not supported: zoo has no JIT-compiled layers for it to switch off (its activations '
                        'are plain PyTorch ops); remove the argument. scriptable=True / exportable=True select the '
                        'TorchScript / export friendly layers.')
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    # timm's `feature_cfg=dict(feature_cls=..., out_indices=...)`: its entries are features_only arguments; spread
    # here so they merge with (instead of colliding with) the family's own feature defaults
    kwargs = {**dict(kwargs.pop('feature_cfg', None) or {}), **kwargs}
    source, name = parse_model_name(model_name)
    if source is not None:
        if pretrained_cfg is not None:
            raise ValueError(f'pretrained_cfg cannot be combined with a {source}: model name; its config.json is the cfg.')
        if source == 'hf-hub':
            cfg, arch, model_args = load_model_config_from_hf(name, cache_dir=str(cache_dir) if cache_dir else None)
        else:
            cfg, arch, model_args = load_model_config_from_path(name)
        pretrained_cfg = cfg
        kwargs = {**model_args, **kwargs}
        if source == 'local-dir':
            pretrained = True  # a local folder is its weights; there is nothing else to create it from
    else:
        arch, tag = split_model_name_tag(name)
        if tag:
            if pretrained_cfg is not None:
                raise ValueError(f'Give the tag either in the name ({name!r}) or as pretrained_cfg, not both.')
            pretrained_cfg = tag
    create_fn = model_entrypoint(arch)
    with set_layer_config(scriptable=scriptable, exportable=exportable):
        return create_fn(
            pretrained=pretrained,
            pretrained_cfg=pretrained_cfg,
            pretrained_cfg_overlay=pretrained_cfg_overlay,
            cache_dir=cache_dir,
            checkpoint_path=checkpoint_path,
            **kwargs,
        )
