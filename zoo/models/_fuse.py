"""Eval-time fusion: fold each BatchNorm into the convolution that feeds it.

A BatchNorm in eval mode is an affine map per channel, y = (x - mean) / sqrt(var + eps) * gamma + beta, so after a
convolution it can be absorbed into that convolution's weight and bias. The model's code is left as it is: the
folded norm is swapped for an identity (or, for a norm fused with an activation, for that activation), so every
family benefits without a fused variant of its blocks. Which conv feeds which norm is read from a torch.fx trace of
the model, so only pairs where the norm's sole input is the conv's output, and the conv's output goes nowhere else,
are folded.
"""
import logging
from typing import List, Tuple

import torch
import torch.fx
import torch.nn as nn

from zoo.layers.norm_act import BatchNormAct2d
from zoo.models._reparam import fuse_conv_bn

__all__ = ['fuse_bn', 'fold_bn_into_conv']

_logger = logging.getLogger(__name__)


def fold_bn_into_conv(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> None:
    """Rewrite `conv`'s weight and bias in place so that conv(x) equals bn(conv(x)) in eval mode."""
    with torch.no_grad():
        weight, bias = fuse_conv_bn(conv.weight, bn, conv.bias)
        conv.weight.copy_(weight.to(conv.weight.dtype))
        if conv.bias is None:
            conv.bias = nn.Parameter(bias.to(conv.weight.dtype))
        else:
            conv.bias.copy_(bias.to(conv.bias.dtype))


class _ActOnly(nn.Module):
    """What a BatchNormAct2d becomes once its norm is folded away: dropout + activation."""

    def __init__(self, norm_act: BatchNormAct2d):
        super().__init__()
        self.drop = norm_act.drop
        self.act = norm_act.act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.drop(x))


class _LeafTracer(torch.fx.Tracer):
    """Trace down to convs and norms (they are the leaves the fusion needs to see)."""

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return isinstance(m, (nn.Conv2d, nn.BatchNorm2d)) or super().is_leaf_module(m, qualname)


def _conv_bn_pairs(model: nn.Module) -> List[Tuple[str, str]]:
    graph = _LeafTracer().trace(model)
    modules = dict(model.named_modules())
    pairs = []
    for node in graph.nodes:
        if node.op != 'call_module' or not isinstance(modules.get(node.target), nn.BatchNorm2d):
            continue
        src = node.args[0] if node.args else None
        if not isinstance(src, torch.fx.Node) or src.op != 'call_module':
            continue
        conv = modules.get(src.target)
        if isinstance(conv, nn.Conv2d) and len(src.users) == 1 and conv.out_channels == modules[node.target].num_features:
            pairs.append((src.target, node.target))
    return pairs


def _set_submodule(model: nn.Module, name: str, module: nn.Module) -> None:
    parent_name, _, child = name.rpartition('.')
    setattr(model.get_submodule(parent_name) if parent_name else model, child, module)


@torch.no_grad()
def fuse_bn(model: nn.Module) -> nn.Module:
    """Fold every conv -> BatchNorm pair of an eval-mode model in place and return it.

    Outputs are unchanged up to float rounding, and inference gets faster by one memory pass per norm. The model
    must be in eval mode (training-mode BatchNorm uses batch statistics, which cannot be folded) and traceable by
    torch.fx; a model whose trace fails raises a RuntimeError naming the cause.
    """
    if model.training:
        raise RuntimeError('fuse_bn needs an eval-mode model: call model.eval() first (training BatchNorm uses batch '
                           'statistics, which cannot be folded into weights).')
    try:
        pairs = _conv_bn_pairs(model)
    except Exception as e:  # fx raises many kinds of errors on data-dependent control flow
        raise RuntimeError(f'fuse_bn could not trace {type(model).__name__} with torch.fx: {e}') from e
    for conv_name, bn_name in pairs:
        conv, bn = model.get_submodule(conv_name), model.get_submodule(bn_name)
        fold_bn_into_conv(conv, bn)
        _set_submodule(model, bn_name, _ActOnly(bn) if isinstance(bn, BatchNormAct2d) else nn.Identity())
    _logger.info('fuse_bn folded %d conv-norm pairs', len(pairs))
    return model
