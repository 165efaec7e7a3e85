"""Optimizer factory: one table of optimizer specs, one function that builds any of them by name."""
import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Union

import torch
from torch import nn
from torch.optim import Optimizer

from zoo.optim._param_groups import param_groups_layer_decay, param_groups_weight_decay
from zoo.optim.adabelief import AdaBelief
from zoo.optim.adafactor import Adafactor
from zoo.optim.adamp import AdamP
from zoo.optim.adan import Adan
from zoo.optim.lamb import Lamb
from zoo.optim.lars import Lars
from zoo.optim.lion import Lion
from zoo.optim.lookahead import Lookahead
from zoo.optim.madgrad import MADGRAD
from zoo.optim.novograd import NovoGrad
from zoo.optim.rmsprop_tf import RMSpropTF
from zoo.optim.sgd import SGDP, SGDW

__all__ = ['OptimSpec', 'create_optimizer_v2', 'create_optimizer', 'optimizer_kwargs', 'list_optimizers']

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OptimSpec:
    """How to build one optimizer name.

    Attributes:
        cls: Optimizer class.
        has_momentum: Accepts ``momentum`` (the factory then passes its momentum argument, default 0.9).
        has_eps: Accepts ``eps``; otherwise a caller's eps is dropped.
        has_betas: Accepts ``betas``; otherwise a caller's betas are dropped.
        defaults: Keyword defaults that distinguish this name (e.g. nesterov, trust_clip).
    """
    cls: Callable[..., Optimizer]
    has_momentum: bool = False
    has_eps: bool = True
    has_betas: bool = False
    defaults: Dict[str, Any] = field(default_factory=dict)


_SGD = dict(has_momentum=True, has_eps=False)
_ADAM = dict(has_betas=True)

OPTIMIZERS: Dict[str, OptimSpec] = {
    'sgd': OptimSpec(torch.optim.SGD, **_SGD, defaults={'nesterov': True}),
    'nesterov': OptimSpec(torch.optim.SGD, **_SGD, defaults={'nesterov': True}),
    'momentum': OptimSpec(torch.optim.SGD, **_SGD, defaults={'nesterov': False}),
    'sgdp': OptimSpec(SGDP, has_momentum=True, defaults={'nesterov': True}),
    'sgdw': OptimSpec(SGDW, **_SGD, defaults={'nesterov': True}),
    'adam': OptimSpec(torch.optim.Adam, **_ADAM),
    'adamw': OptimSpec(torch.optim.AdamW, **_ADAM),
    'adamp': OptimSpec(AdamP, **_ADAM, defaults={'wd_ratio': 0.01, 'nesterov': True}),
    'nadam': OptimSpec(torch.optim.NAdam, **_ADAM),
    'nadamw': OptimSpec(torch.optim.NAdam, **_ADAM, defaults={'decoupled_weight_decay': True}),
    'radam': OptimSpec(torch.optim.RAdam, **_ADAM),
    'adamax': OptimSpec(torch.optim.Adamax, **_ADAM),
    'adabelief': OptimSpec(AdaBelief, **_ADAM, defaults={'rectify': False}),
    'radabelief': OptimSpec(AdaBelief, **_ADAM, defaults={'rectify': True}),
    'adadelta': OptimSpec(torch.optim.Adadelta),
    'adagrad': OptimSpec(torch.optim.Adagrad, defaults={'eps': 1e-8}),
    'adafactor': OptimSpec(Adafactor, **_ADAM),
    'adan': OptimSpec(Adan, **_ADAM, defaults={'no_prox': False}),
    'adanw': OptimSpec(Adan, **_ADAM, defaults={'no_prox': True}),
    'lamb': OptimSpec(Lamb, **_ADAM),
    'lambc': OptimSpec(Lamb, **_ADAM, defaults={'trust_clip': True}),
    'lars': OptimSpec(Lars, has_momentum=True),
    'larc': OptimSpec(Lars, has_momentum=True, defaults={'trust_clip': True}),
    'nlars': OptimSpec(Lars, has_momentum=True, defaults={'nesterov': True}),
    'nlarc': OptimSpec(Lars, has_momentum=True, defaults={'nesterov': True, 'trust_clip': True}),
    'lion': OptimSpec(Lion, has_eps=False, has_betas=True),
    'madgrad': OptimSpec(MADGRAD, has_momentum=True),
    'madgradw': OptimSpec(MADGRAD, has_momentum=True, defaults={'decoupled_decay': True}),
    'novograd': OptimSpec(NovoGrad, **_ADAM),
    'nvnovograd': OptimSpec(NovoGrad, **_ADAM),
    'rmsprop': OptimSpec(torch.optim.RMSprop, has_momentum=True, defaults={'alpha': 0.9}),
    'rmsproptf': OptimSpec(RMSpropTF, has_momentum=True, defaults={'alpha': 0.9}),
}

LOOKAHEAD_PREFIX = 'lookahead_'


def list_optimizers(include_lookahead: bool = False) -> List[str]:
    """Names accepted by :func:`create_optimizer_v2`, sorted.

    Args:
        include_lookahead: Also list the ``lookahead_<name>`` forms.
    """
    names = sorted(OPTIMIZERS)
    return names + [LOOKAHEAD_PREFIX + n for n in names] if include_lookahead else names


def _resolve_name(opt: str) -> tuple:
    name = opt.lower()
    lookahead = name.startswith(LOOKAHEAD_PREFIX)
    if lookahead:
        name = name[len(LOOKAHEAD_PREFIX):]
    if name not in OPTIMIZERS:
        raise ValueError(
            f"Unknown optimizer '{opt}'. Valid names: {', '.join(list_optimizers())} "
            f"(any of them may be prefixed with '{LOOKAHEAD_PREFIX}').")
    return name, lookahead


def _build_param_groups(
        model: nn.Module,
        weight_decay: float,
        filter_bias_and_bn: bool,
        layer_decay: Optional[float],
) -> List[Dict[str, Any]]:
    no_decay = set(model.no_weight_decay()) if hasattr(model, 'no_weight_decay') else set()
    if layer_decay is not None:
        return param_groups_layer_decay(
            model, weight_decay=weight_decay, no_weight_decay_list=no_decay, exclude_1d=filter_bias_and_bn,
            layer_decay=layer_decay)
    if weight_decay and (filter_bias_and_bn or no_decay):
        return param_groups_weight_decay(
            model, weight_decay=weight_decay, no_weight_decay_list=no_decay, exclude_1d=filter_bias_and_bn)
    return [{'params': [p for p in model.parameters() if p.requires_grad], 'weight_decay': weight_decay}]


def create_optimizer_v2(
        model_or_params: Union[nn.Module, Iterable],
        opt: str = 'sgd',
        lr: Optional[float] = None,
        weight_decay: float = 0.,
        momentum: float = 0.9,
        filter_bias_and_bn: bool = True,
        layer_decay: Optional[float] = None,
        param_group_fn: Optional[Callable[[nn.Module], Iterable]] = None,
        **kwargs: Any,
) -> Optimizer:
    """Create an optimizer by name.

    With a module, parameter groups are built as follows (first match wins): ``param_group_fn(model)``; layer-wise
    lr decay groups when ``layer_decay`` is set; otherwise biases, 1-d params (norm layers) and names from
    ``model.no_weight_decay()`` get zero weight decay. Parameters or groups passed directly are used as-is.

    Args:
        model_or_params: A model, or parameters / param group dicts.
        opt: Optimizer name (see :func:`list_optimizers`), optionally prefixed with ``lookahead_``.
        lr: Learning rate; None keeps the optimizer's own default.
        weight_decay: Weight decay.
        momentum: Momentum for optimizers that take one.
        filter_bias_and_bn: Exclude biases and 1-d params from weight decay.
        layer_decay: Layer-wise lr decay factor (uses ``model.group_matcher``).
        param_group_fn: Custom ``model -> param groups`` function.
        **kwargs: Extra optimizer arguments (eps, betas, ...). eps / betas are dropped for optimizers without them.

    Returns:
        The optimizer (wrapped in :class:`Lookahead` for ``lookahead_`` names).

    Raises:
        ValueError: Unknown optimizer name (the message lists valid names).
    """
    name, lookahead = _resolve_name(opt)
    spec = OPTIMIZERS[name]
    if isinstance(model_or_params, nn.Module):
        if param_group_fn is not None:
            params = param_group_fn(model_or_params)
        else:
            params = _build_param_groups(model_or_params, weight_decay, filter_bias_and_bn, layer_decay)
    else:
        params = model_or_params
    args: Dict[str, Any] = {'weight_decay': weight_decay, **kwargs}
    if lr is not None:
        args['lr'] = lr
    for key, value in spec.defaults.items():
        args.setdefault(key, value)
    if spec.has_momentum:
        args.setdefault('momentum', momentum)
    if not spec.has_eps:
        args.pop('eps', None)
    if not spec.has_betas:
        args.pop('betas', None)
    if args.get('betas') is not None:
        args['betas'] = tuple(args['betas'])
    optimizer = spec.cls(params, **args)
    if lookahead:
        optimizer = Lookahead(optimizer)
    return optimizer


def optimizer_kwargs(cfg: Any) -> Dict[str, Any]:
    """Keyword arguments for :func:`create_optimizer_v2` from an argparse namespace or attribute config.

    Reads ``opt, lr, weight_decay, momentum`` and, when set, ``opt_eps, opt_betas, layer_decay, opt_args`` (dict).
    """
    kwargs: Dict[str, Any] = dict(opt=cfg.opt, lr=cfg.lr, weight_decay=cfg.weight_decay, momentum=cfg.momentum)
    if getattr(cfg, 'opt_eps', None) is not None:
        kwargs['eps'] = cfg.opt_eps
    if getattr(cfg, 'opt_betas', None) is not None:
        kwargs['betas'] = tuple(cfg.opt_betas)
    if getattr(cfg, 'layer_decay', None) is not None:
        kwargs['layer_decay'] = cfg.layer_decay
    if getattr(cfg, 'opt_args', None) is not None:
        kwargs.update(cfg.opt_args)
    return kwargs


def create_optimizer(args: Any, model: nn.Module, filter_bias_and_bn: bool = True) -> Optimizer:
    """Legacy entry point: ``create_optimizer_v2(model, **optimizer_kwargs(args))``."""
    return create_optimizer_v2(model, **optimizer_kwargs(args), filter_bias_and_bn=filter_bias_and_bn)
