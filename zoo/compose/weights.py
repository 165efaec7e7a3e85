"""Weight mapping between the named ResNets (zoo/timm layout) and composed ResNet classifiers.

The composed ResNet backbone is built from the named family's blocks, so the two layouts differ only by where the
tensors sit: the backbone's under ``backbone.`` and the classifier at ``head.fc``::

    named (zoo.models.resnet, timm)      composed (ResNet backbone + LinearClsHead)
    conv1.weight                         backbone.conv1.weight
    layer1.0.bn2.weight                  backbone.layer1.0.bn2.weight
    fc.weight                            head.fc.weight

so ``resnet50`` weights load into ``ResNet(depth=50) -> GAP -> LinearClsHead``, and the same holds for the deep-stem /
avg-down variants (``resnet50d``: ``conv1.0/1/3/4/6`` keep their indices).
"""
import logging
from collections.abc import Mapping

import torch
from torch import nn

__all__ = ['named_resnet_to_composed', 'composed_to_named_resnet', 'load_resnet_weights']

_logger = logging.getLogger(__name__)

StateDict = Mapping[str, torch.Tensor]

_BACKBONE = 'backbone.'
_HEAD_FC = 'head.fc.'


def named_resnet_to_composed(state_dict: StateDict, with_head: bool = True) -> dict[str, torch.Tensor]:
    """Place a named-ResNet state_dict (``conv1``, ``bn1``, ``layer*``, ``fc``) into the composed layout.

    Args:
        state_dict: Weights of a zoo/timm ResNet.
        with_head: Keep the classifier (``fc`` -> ``head.fc``); False drops it, for a different class count.

    Returns:
        A new dict in the composed layout (tensors are shared, not copied).
    """
    out = {}
    for key, value in state_dict.items():
        if key.startswith('fc.'):
            if with_head:
                out[_HEAD_FC + key[len('fc.'):]] = value
            continue
        out[_BACKBONE + key] = value
    return out


def composed_to_named_resnet(state_dict: StateDict) -> dict[str, torch.Tensor]:
    """Inverse of :func:`named_resnet_to_composed`: composed keys back to the zoo/timm ResNet layout.

    Raises:
        KeyError: A key belongs to neither the backbone nor the linear head (e.g. a neck with parameters).
    """
    out = {}
    for key, value in state_dict.items():
        if key.startswith(_HEAD_FC):
            out['fc.' + key[len(_HEAD_FC):]] = value
        elif key.startswith(_BACKBONE):
            out[key[len(_BACKBONE):]] = value
        else:
            raise KeyError(f'{key!r} has no place in a named ResNet (only backbone.* and head.fc.* map)')
    return out


def _source_state_dict(source: str | nn.Module | StateDict) -> dict[str, torch.Tensor]:
    if isinstance(source, str):
        # Imported here so that building a composed model never imports the model families.
        from zoo.models import create_model
        _logger.info('loading pretrained weights of %s into a composed ResNet', source)
        source = create_model(source, pretrained=True)
    if isinstance(source, nn.Module):
        return source.state_dict()
    if isinstance(source, Mapping):
        return dict(source)
    raise TypeError(f'weights source must be a zoo model name, a model or a state_dict, got {type(source).__name__}')


def _fit_to_model(weights: dict[str, torch.Tensor], own: StateDict, prefix: str) -> dict[str, torch.Tensor]:
    """Drop the stages a shallower backbone (``num_stages < 4``) does not build; adapt the first conv's channels."""
    built_stages = {key[len(prefix):].split('.')[0] for key in own if key.startswith(prefix + 'layer')}
    out = {}
    for key, value in weights.items():
        module = key[len(prefix):].split('.')[0] if key.startswith(prefix) else ''
        if module.startswith('layer') and module not in built_stages:
            continue
        out[key] = value
    dropped = sorted({k[len(prefix):].split('.')[0] for k in set(weights) - set(out)})
    if dropped:
        _logger.info('skipping pretrained %s: the backbone does not build them', dropped)
    # The first conv is conv1 (plain stem) or conv1.0 (deep stem); grayscale or multispectral inputs reuse RGB filters.
    for key in (f'{prefix}conv1.weight', f'{prefix}conv1.0.weight'):
        if key in out and key in own and out[key].shape[1] != own[key].shape[1]:
            # Imported here: the adaptation helper lives with the model machinery, which building does not need.
            from zoo.models._manipulate import adapt_input_conv
            out[key] = adapt_input_conv(own[key].shape[1], out[key])
    return out


def load_resnet_weights(
        model: nn.Module,
        source: str | nn.Module | StateDict,
        backbone_only: bool = False,
) -> None:
    """Load named-ResNet weights into a composed classifier (or into a bare ResNet backbone).

    The classifier is loaded only when its shape matches; otherwise (another class count) it keeps its init.
    Stages the backbone does not build (``num_stages < 4``) are skipped, and the first conv is adapted to another
    number of input channels; every other backbone tensor must be present with the right shape.

    Args:
        model: A ComposedClassifier with a ResNet backbone, or a ResNet backbone.
        source: A zoo model name (its pretrained weights, e.g. 'resnet50'), a named ResNet, or its state_dict.
        backbone_only: Never load the classifier.

    Raises:
        RuntimeError: Missing or mis-shaped backbone tensors, naming the first few and the likely cause.
    """
    composed = named_resnet_to_composed(_source_state_dict(source))
    is_backbone = not hasattr(model, 'backbone')
    own = model.state_dict()
    if is_backbone:
        composed = {k[len(_BACKBONE):]: v for k, v in composed.items() if k.startswith(_BACKBONE)}
    else:
        head_keys = [k for k in composed if k.startswith(_HEAD_FC)]
        head_fits = all(k in own and own[k].shape == composed[k].shape for k in head_keys)
        if backbone_only or not head_fits:
            if head_keys and not backbone_only:
                _logger.info('classifier shapes differ from the source (another class count); keeping its init')
            composed = {k: v for k, v in composed.items() if not k.startswith(_HEAD_FC)}
    composed = _fit_to_model(composed, own, '' if is_backbone else _BACKBONE)
    wanted = {k for k in own if is_backbone or k.startswith(_BACKBONE)}
    missing = sorted(wanted - set(composed))
    unexpected = sorted(set(composed) - set(own))
    mismatched = sorted(k for k in set(composed) & set(own) if composed[k].shape != own[k].shape)
    if missing or unexpected or mismatched:
        raise RuntimeError(
            'weights do not fit this ResNet (check depth, deep_stem, avg_down, stem/base channels and in_channels): '
            f'missing {missing[:5]}{"..." if len(missing) > 5 else ""}, '
            f'unexpected {unexpected[:5]}{"..." if len(unexpected) > 5 else ""}, '
            f'mismatched shapes {mismatched[:5]}{"..." if len(mismatched) > 5 else ""}')
    model.load_state_dict(composed, strict=False)
