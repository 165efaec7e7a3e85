"""Optimizer factory: one table of optimizer specs, one function that builds any of them by name.

Names follow timm's (``timm.optim.list_optimizers()``), with the same classes behind them where torch provides one.
Naming conventions: a leading ``c`` is the cautious variant, a trailing ``w`` decoupled weight decay, a trailing ``c``
corrected weight decay (``lr ** 2 / max_lr``). ``bnb*`` and ``fused*`` names need bitsandbytes' or apex's CUDA
kernels; they are built from those packages when present and a CUDA device is available, otherwise creating them
raises an error saying what is missing.
"""
import fnmatch
import importlib
import logging
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable, Collection, Dict, Iterable, List, Optional, Tuple, Union

import torch
from torch import nn
from torch.optim import Optimizer

from zoo.optim._base import ZooOptimizer
from zoo.optim._param_groups import param_groups_layer_decay, param_groups_weight_decay
from zoo.optim.adabelief import AdaBelief
from zoo.optim.adafactor import Adafactor, AdafactorBigVision
from zoo.optim.adahessian import Adahessian
from zoo.optim.adam_legacy import NAdamLegacy, RAdamLegacy
from zoo.optim.adamp import AdamP
from zoo.optim.adamw import AdamWLegacy, NAdamW
from zoo.optim.adan import Adan
from zoo.optim.adopt import Adopt
from zoo.optim.kron import Kron
from zoo.optim.lamb import Lamb
from zoo.optim.laprop import LaProp
from zoo.optim.lars import Lars
from zoo.optim.lion import Lion
from zoo.optim.lookahead import Lookahead
from zoo.optim.madgrad import MADGRAD
from zoo.optim.mars import Mars
from zoo.optim.muon import Muon
from zoo.optim.novograd import NvNovoGrad
from zoo.optim.rmsprop_tf import RMSpropTF
from zoo.optim.sgd import SGDP, SGDW

__all__ = [
    'OptimSpec', 'OPTIMIZERS', 'create_optimizer_v2', 'create_optimizer', 'get_optimizer_class', 'list_optimizers',
    'optimizer_kwargs',
]

_logger = logging.getLogger(__name__)

OptimClass = Union[Callable[..., Optimizer], str]


@dataclass(frozen=True)
class OptimSpec:
    """How to build one optimizer name.

    Attributes:
        cls: Optimizer class, or the dotted path of a class in an optional package (bitsandbytes, apex).
        description: One line for ``list_optimizers(with_description=True)``.
        has_momentum: Accepts ``momentum`` (the factory then passes its momentum argument, default 0.9).
        has_eps: Accepts ``eps``; otherwise a caller's eps is dropped.
        has_betas: Accepts ``betas``; otherwise a caller's betas are dropped.
        defaults: Keyword defaults that distinguish this name (e.g. nesterov, trust_clip, caution).
    """
    cls: OptimClass
    description: str
    has_momentum: bool = False
    has_eps: bool = True
    has_betas: bool = False
    defaults: Dict[str, Any] = field(default_factory=dict)


_SGD = dict(has_momentum=True, has_eps=False)
_ADAM = dict(has_betas=True)
_CORRECTED = {'corrected_weight_decay': True}
_CAUTION = {'caution': True}


def _variants(base: OptimSpec, **names: Tuple[str, Dict[str, Any]]) -> Dict[str, OptimSpec]:
    """Specs that differ from ``base`` only in extra defaults and description."""
    return {n: OptimSpec(base.cls, desc, base.has_momentum, base.has_eps, base.has_betas, {**base.defaults, **extra})
            for n, (desc, extra) in names.items()}


def _external(path: str, description: str, **kwargs: Any) -> OptimSpec:
    return OptimSpec(path, description, **kwargs)


_sgd = OptimSpec(torch.optim.SGD, 'torch.optim.SGD with Nesterov momentum', **_SGD, defaults={'nesterov': True})
_sgdw = OptimSpec(SGDW, 'SGD with Nesterov momentum and decoupled weight decay', **_SGD, defaults={'nesterov': True})
_sgdp = OptimSpec(SGDP, 'SGD with projection of the radial update for scale-invariant weights', has_momentum=True,
                  defaults={'nesterov': True})
_adamw_legacy = OptimSpec(AdamWLegacy, "zoo's AdamW (AMSGrad, caution, corrected decay, RMS clipping options)",
                          **_ADAM)
_nadamw = OptimSpec(NAdamW, 'AdamW with a Nesterov first moment (AlgoPerf NAdamW)', **_ADAM)
_adamp = OptimSpec(AdamP, 'Adam with projection of the radial update for scale-invariant weights', **_ADAM,
                   defaults={'wd_ratio': 0.01, 'nesterov': True})
_adan = OptimSpec(Adan, 'adaptive Nesterov momentum with proximal weight decay', **_ADAM, defaults={'no_prox': False})
_adopt = OptimSpec(Adopt, 'Adam variant normalising by the previous second moment, converges for any beta2', **_ADAM)
_lamb = OptimSpec(Lamb, 'layer-wise adaptive moments (trust-ratio scaled Adam) for large batches', **_ADAM)
_lars = OptimSpec(Lars, 'layer-wise adaptive rate scaling for SGD', has_momentum=True)
_laprop = OptimSpec(LaProp, 'momentum over RMS-normalised gradients', **_ADAM)
_lion = OptimSpec(Lion, 'sign of interpolated momentum (evolved sign momentum)', has_eps=False, has_betas=True)
_madgrad = OptimSpec(MADGRAD, 'momentumised dual-averaged adaptive gradient method', has_momentum=True)
_mars = OptimSpec(Mars, 'variance-reduced AdamW on matrices', **_ADAM)
_muon = OptimSpec(Muon, 'momentum orthogonalised by Newton-Schulz on matrices, AdamW fallback', has_momentum=True,
                  has_betas=True)
_novograd = OptimSpec(NvNovoGrad, 'Adam-like with per-tensor gradient-norm second moments', **_ADAM)
_rmsproptf = OptimSpec(RMSpropTF, 'TensorFlow-style RMSprop (eps inside the root, lr in momentum)',
                       has_momentum=True, defaults={'alpha': 0.9})
_adafactor = OptimSpec(Adafactor, 'Adam-like with a factored second moment (sublinear memory)', **_ADAM)
_adafactorbv = OptimSpec(AdafactorBigVision, 'big_vision Adafactor: capped decay, low-precision momentum',
                         has_momentum=True)
_kron = OptimSpec(Kron, 'PSGD with a Kronecker-factored preconditioner', has_momentum=True, has_eps=False)
_adabelief = OptimSpec(AdaBelief, 'Adam normalising by the variance of the gradient around its mean', **_ADAM,
                       defaults={'rectify': False})

OPTIMIZERS: Dict[str, OptimSpec] = {
    # SGD family
    'sgd': _sgd,
    'nesterov': _sgd,
    'momentum': OptimSpec(torch.optim.SGD, 'torch.optim.SGD with classical momentum', **_SGD,
                          defaults={'nesterov': False}),
    'sgdw': _sgdw,
    'nesterovw': _sgdw,
    **_variants(_sgdw, sgdc=('SGDW with corrected weight decay', _CORRECTED),
                csgdw=('cautious SGDW', _CAUTION), csgdc=('cautious SGDW with corrected weight decay',
                                                          {**_CAUTION, **_CORRECTED})),
    'sgdp': _sgdp,
    **_variants(_sgdp, csgdp=('SGDP with (spherical) cautious updates', _CAUTION)),
    # Adam family
    'adam': OptimSpec(torch.optim.Adam, 'torch.optim.Adam', **_ADAM),
    'adamw': OptimSpec(torch.optim.AdamW, 'torch.optim.AdamW (decoupled weight decay)', **_ADAM),
    'adamwlegacy': _adamw_legacy,
    **_variants(_adamw_legacy, adamc=('AdamW with corrected weight decay', _CORRECTED),
                cadamw=('cautious AdamW', _CAUTION),
                cadamc=('cautious AdamW with corrected weight decay', {**_CAUTION, **_CORRECTED})),
    'nadam': OptimSpec(torch.optim.NAdam, 'torch.optim.NAdam (momentum-decay schedule)', **_ADAM),
    'nadamlegacy': OptimSpec(NAdamLegacy, 'NAdam with Dozat momentum schedule (pre-torch implementation)', **_ADAM),
    'nadamw': _nadamw,
    **_variants(_nadamw, nadamc=('NAdamW with corrected weight decay', _CORRECTED),
                cnadamw=('cautious NAdamW', _CAUTION),
                cnadamc=('cautious NAdamW with corrected weight decay', {**_CAUTION, **_CORRECTED})),
    'radam': OptimSpec(torch.optim.RAdam, 'torch.optim.RAdam (rectified Adam)', **_ADAM),
    'radamw': OptimSpec(torch.optim.RAdam, 'torch.optim.RAdam with decoupled weight decay', **_ADAM,
                        defaults={'decoupled_weight_decay': True}),
    'radamlegacy': OptimSpec(RAdamLegacy, 'rectified Adam (pre-torch implementation)', **_ADAM),
    'adamax': OptimSpec(torch.optim.Adamax, 'torch.optim.Adamax (infinity-norm Adam)', **_ADAM),
    'adamp': _adamp,
    **_variants(_adamp, cadamp=('AdamP with (spherical) cautious updates', _CAUTION)),
    'adabelief': _adabelief,
    **_variants(_adabelief, radabelief=('rectified AdaBelief', {'rectify': True})),
    'adan': _adan,
    **_variants(_adan, adanw=('Adan with decoupled weight decay', {'no_prox': True}),
                cadan=('cautious Adan', _CAUTION), cadanw=('cautious Adan with decoupled weight decay',
                                                           {**_CAUTION, 'no_prox': True})),
    'adopt': _adopt,
    **_variants(_adopt, adoptw=('ADOPT with decoupled weight decay', {'decoupled': True}),
                adoptc=('ADOPT with corrected decoupled weight decay', {'decoupled': True, **_CORRECTED}),
                cadopt=('cautious ADOPT', _CAUTION),
                cadoptw=('cautious ADOPT with decoupled weight decay', {'decoupled': True, **_CAUTION}),
                cadoptc=('cautious ADOPT with corrected decoupled weight decay',
                         {'decoupled': True, **_CAUTION, **_CORRECTED})),
    'laprop': _laprop,
    **_variants(_laprop, lapropc=('LaProp with corrected weight decay', _CORRECTED),
                claprop=('cautious LaProp', _CAUTION)),
    'mars': _mars,
    **_variants(_mars, cmars=('cautious MARS', _CAUTION)),
    'adahessian': OptimSpec(Adahessian, 'Adam with a Hutchinson estimate of the Hessian diagonal (second order)',
                            **_ADAM),
    # large-batch layer-wise adaptation
    'lamb': _lamb,
    **_variants(_lamb, lambc=('LAMB with the trust ratio clipped at 1', {'trust_clip': True}),
                lambw=('LAMB with decoupled weight decay', {'decoupled_decay': True}),
                lambcw=('LAMB with trust clipping and decoupled weight decay',
                        {'trust_clip': True, 'decoupled_decay': True}),
                lambcd=('LAMB with corrected decoupled weight decay', {'decoupled_decay': True, **_CORRECTED}),
                clamb=('cautious LAMB', _CAUTION),
                clambw=('cautious LAMB with decoupled weight decay', {**_CAUTION, 'decoupled_decay': True})),
    'lars': _lars,
    **_variants(_lars, larc=('LARS with the local rate clipped by the lr (LARC)', {'trust_clip': True}),
                nlars=('LARS with Nesterov momentum', {'nesterov': True}),
                nlarc=('LARC with Nesterov momentum', {'nesterov': True, 'trust_clip': True})),
    # sign / matrix methods
    'lion': _lion,
    **_variants(_lion, lionc=('Lion with corrected weight decay', _CORRECTED), clion=('cautious Lion', _CAUTION),
                clionc=('cautious Lion with corrected weight decay', {**_CAUTION, **_CORRECTED})),
    'muon': _muon,
    **_variants(_muon, nmuon=('Muon with Nesterov momentum (NAdamW fallback)', {'nesterov': True}),
                adamuon=('AdaMuon: Muon with a second moment on the orthogonalised update', {'algo': 'adamuon'}),
                nadamuon=('AdaMuon with Nesterov momentum (NAdamW fallback)', {'algo': 'adamuon', 'nesterov': True})),
    'kron': _kron,
    **_variants(_kron, kronw=('PSGD Kron with decoupled weight decay', {'decoupled_decay': True}),
                kronc=('PSGD Kron with corrected decoupled weight decay', {'decoupled_decay': True, **_CORRECTED})),
    # other adaptive methods
    'adadelta': OptimSpec(torch.optim.Adadelta, 'torch.optim.Adadelta'),
    'adagrad': OptimSpec(torch.optim.Adagrad, 'torch.optim.Adagrad', defaults={'eps': 1e-8}),
    'adafactor': _adafactor,
    **_variants(_adafactor, cadafactor=('cautious Adafactor with a first moment',
                                        {**_CAUTION, 'betas': (0.9, 0.999)})),
    'adafactorbv': _adafactorbv,
    **_variants(_adafactorbv, adafactorbvc=('big_vision Adafactor with corrected weight decay', _CORRECTED),
                cadafactorbv=('cautious big_vision Adafactor', _CAUTION),
                cadafactorbvc=('cautious big_vision Adafactor with corrected weight decay',
                               {**_CAUTION, **_CORRECTED})),
    'madgrad': _madgrad,
    **_variants(_madgrad, madgradw=('MADGRAD with decoupled weight decay', {'decoupled_decay': True})),
    'novograd': _novograd,
    'nvnovograd': _novograd,  # zoo's earlier name for the same optimizer
    **_variants(_novograd, novogradw=('NovoGrad with decoupled weight decay', {'decoupled_decay': True}),
                novogradc=('NovoGrad with corrected decoupled weight decay', {'decoupled_decay': True, **_CORRECTED})),
    'rmsprop': OptimSpec(torch.optim.RMSprop, 'torch.optim.RMSprop', has_momentum=True, defaults={'alpha': 0.9}),
    'rmsproptf': _rmsproptf,
    **_variants(_rmsproptf, rmsproptfw=('TF-style RMSprop with decoupled weight decay', {'decoupled_decay': True}),
                rmsproptfc=('TF-style RMSprop with corrected decoupled weight decay',
                            {'decoupled_decay': True, **_CORRECTED}),
                crmsproptf=('cautious TF-style RMSprop', _CAUTION)),
    # CUDA-only implementations from optional packages
    'bnbsgd': _external('bitsandbytes.optim.SGD', 'bitsandbytes SGD', **_SGD, defaults={'nesterov': True}),
    'bnbsgd8bit': _external('bitsandbytes.optim.SGD8bit', 'bitsandbytes 8-bit SGD', **_SGD,
                            defaults={'nesterov': True}),
    'bnbadam': _external('bitsandbytes.optim.Adam', 'bitsandbytes Adam', **_ADAM),
    'bnbadam8bit': _external('bitsandbytes.optim.Adam8bit', 'bitsandbytes 8-bit Adam', **_ADAM),
    'bnbadamw': _external('bitsandbytes.optim.AdamW', 'bitsandbytes AdamW', **_ADAM),
    'bnbadamw8bit': _external('bitsandbytes.optim.AdamW8bit', 'bitsandbytes 8-bit AdamW', **_ADAM),
    'bnbademamix': _external('bitsandbytes.optim.AdEMAMix', 'bitsandbytes AdEMAMix', **_ADAM),
    'bnbademamix8bit': _external('bitsandbytes.optim.AdEMAMix8bit', 'bitsandbytes 8-bit AdEMAMix', **_ADAM),
    'bnblion': _external('bitsandbytes.optim.Lion', 'bitsandbytes Lion', has_eps=False, has_betas=True),
    'bnblion8bit': _external('bitsandbytes.optim.Lion8bit', 'bitsandbytes 8-bit Lion', has_eps=False,
                             has_betas=True),
    'fusedsgd': _external('apex.optimizers.FusedSGD', 'NVIDIA apex fused SGD', **_SGD, defaults={'nesterov': True}),
    'fusedadam': _external('apex.optimizers.FusedAdam', 'NVIDIA apex fused Adam', **_ADAM,
                           defaults={'adam_w_mode': False}),
    'fusedadamw': _external('apex.optimizers.FusedAdam', 'NVIDIA apex fused AdamW', **_ADAM,
                            defaults={'adam_w_mode': True}),
    'fusedlamb': _external('apex.optimizers.FusedLAMB', 'NVIDIA apex fused LAMB', **_ADAM),
    'fusednovograd': _external('apex.optimizers.FusedNovoGrad', 'NVIDIA apex fused NovoGrad', **_ADAM,
                               defaults={'betas': (0.95, 0.98)}),
}

LOOKAHEAD_PREFIX = 'lookahead_'

# what each optional package needs, for the error raised when it is missing
_EXTERNAL_NEEDS = {
    'bitsandbytes': ('bitsandbytes', 'pip install bitsandbytes'),
    'apex': ('NVIDIA apex built with its CUDA extensions', 'see https://github.com/NVIDIA/apex'),
}


def list_optimizers(
        filter: Union[str, List[str]] = '',
        exclude_filters: Optional[List[str]] = None,
        with_description: bool = False,
        include_lookahead: bool = False,
) -> List[Union[str, Tuple[str, str]]]:
    """Names accepted by :func:`create_optimizer_v2`, sorted.

    Args:
        filter: fnmatch pattern, or list of patterns, a name must match (e.g. 'adam*'); empty keeps all.
        exclude_filters: Patterns of names to drop (e.g. ['bnb*', 'fused*']).
        with_description: Return ``(name, description)`` pairs.
        include_lookahead: Also list the ``lookahead_<name>`` forms.
    """
    names = sorted(OPTIMIZERS)
    if filter:
        patterns = [filter] if isinstance(filter, str) else list(filter)
        names = [n for n in names if any(fnmatch.fnmatch(n, p) for p in patterns)]
    for pattern in exclude_filters or ():
        names = [n for n in names if not fnmatch.fnmatch(n, pattern)]
    if include_lookahead:
        names = names + [LOOKAHEAD_PREFIX + n for n in names]
    if with_description:
        return [(n, _describe(n)) for n in names]
    return names


def _describe(name: str) -> str:
    if name.startswith(LOOKAHEAD_PREFIX):
        return f'Lookahead around {OPTIMIZERS[name[len(LOOKAHEAD_PREFIX):]].description}'
    return OPTIMIZERS[name].description


def _resolve_name(opt: str) -> Tuple[str, bool]:
    name = opt.lower()
    lookahead = name.startswith(LOOKAHEAD_PREFIX)
    if lookahead:
        name = name[len(LOOKAHEAD_PREFIX):]
    if name not in OPTIMIZERS:
        raise ValueError(
            f"Unknown optimizer '{opt}'. Valid names: {', '.join(list_optimizers())} "
            f"(any of them may be prefixed with '{LOOKAHEAD_PREFIX}').")
    return name, lookahead


def _import_external(name: str, path: str) -> Callable[..., Optimizer]:
    package = path.split('.')[0]
    what, how = _EXTERNAL_NEEDS[package]
    if not torch.cuda.is_available():
        raise RuntimeError(
            f"Optimizer '{name}' runs on {what}'s CUDA kernels ({path}) and needs a CUDA GPU; none is available. "
            f"Use a name from list_optimizers(exclude_filters=['bnb*', 'fused*']) on this machine.")
    module_name, cls_name = path.rsplit('.', 1)
    try:
        return getattr(importlib.import_module(module_name), cls_name)
    except (ImportError, AttributeError) as e:
        raise RuntimeError(f"Optimizer '{name}' needs {what} ({path}): {how}.") from e


def get_optimizer_class(name: str, bind_defaults: bool = True) -> Callable[..., Optimizer]:
    """The class behind ``name``, with the name's distinguishing defaults bound (``functools.partial``) unless
    ``bind_defaults=False``.

    Raises:
        ValueError: Unknown name.
        RuntimeError: A ``bnb*`` / ``fused*`` name without a CUDA GPU or without its package.
    """
    name, _ = _resolve_name(name)
    spec = OPTIMIZERS[name]
    cls = _import_external(name, spec.cls) if isinstance(spec.cls, str) else spec.cls
    return partial(cls, **spec.defaults) if bind_defaults and spec.defaults else cls


def _build_param_groups(
        model: nn.Module,
        weight_decay: float,
        filter_bias_and_bn: bool,
        fallback_list: Collection[str],
        fallback_no_weight_decay: bool,
        layer_decay: Optional[float],
        layer_decay_min_scale: float,
        layer_decay_no_opt_scale: Optional[float],
) -> List[Dict[str, Any]]:
    no_decay = set(model.no_weight_decay()) if hasattr(model, 'no_weight_decay') else set()
    common = dict(weight_decay=weight_decay, no_weight_decay_list=no_decay, exclude_1d=filter_bias_and_bn,
                  fallback_list=fallback_list, fallback_no_weight_decay=fallback_no_weight_decay)
    if layer_decay is not None:
        return param_groups_layer_decay(
            model, layer_decay=layer_decay, min_scale=layer_decay_min_scale, no_opt_scale=layer_decay_no_opt_scale,
            **common)
    return param_groups_weight_decay(model, **common)


def create_optimizer_v2(
        model_or_params: Union[nn.Module, Iterable],
        opt: str = 'sgd',
        lr: Optional[float] = None,
        weight_decay: float = 0.,
        momentum: float = 0.9,
        foreach: Optional[bool] = None,
        filter_bias_and_bn: bool = True,
        fallback_list: Collection[str] = (),
        fallback_no_weight_decay: bool = False,
        layer_decay: Optional[float] = None,
        layer_decay_min_scale: float = 0.,
        layer_decay_no_opt_scale: Optional[float] = None,
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
        foreach: Multi-tensor implementation on (True) / off (False); None leaves the optimizer's default. True is
            refused by optimizers that only have a per-tensor implementation.
        filter_bias_and_bn: Exclude biases and 1-d params from weight decay.
        fallback_list: Parameter name patterns (fnmatch) put in groups flagged ``use_fallback=True``: hybrid
            optimizers (muon, adamuon) update those with their AdamW fallback.
        fallback_no_weight_decay: Also route ``model.no_weight_decay()`` names to the fallback.
        layer_decay: Layer-wise lr decay factor (uses ``model.group_matcher``).
        layer_decay_min_scale: Floor of the layer-wise lr scale.
        layer_decay_no_opt_scale: Layers whose lr scale falls below this are frozen (``requires_grad=False``) and
            left out of the optimizer.
        param_group_fn: Custom ``model -> param groups`` function.
        **kwargs: Extra optimizer arguments (eps, betas, ...). eps / betas are dropped for optimizers without them.

    Returns:
        The optimizer (wrapped in :class:`Lookahead` for ``lookahead_`` names).

    Raises:
        ValueError: Unknown optimizer name (the message lists valid names), or foreach=True for an optimizer without
            a multi-tensor implementation.
        RuntimeError: A ``bnb*`` / ``fused*`` name on a machine without CUDA or without the package.
    """
    name, lookahead = _resolve_name(opt)
    spec = OPTIMIZERS[name]
    cls = get_optimizer_class(name, bind_defaults=False)
    if isinstance(model_or_params, nn.Module):
        if param_group_fn is not None:
            params = param_group_fn(model_or_params)
        else:
            params = _build_param_groups(
                model_or_params, weight_decay, filter_bias_and_bn, fallback_list, fallback_no_weight_decay,
                layer_decay, layer_decay_min_scale, layer_decay_no_opt_scale)
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
    if foreach is not None:
        if isinstance(cls, type) and issubclass(cls, ZooOptimizer) and not cls.supports_foreach:
            if foreach:
                raise ValueError(f"Optimizer '{name}' has no multi-tensor (foreach) implementation; "
                                 'pass foreach=None or False.')
        else:
            args.setdefault('foreach', foreach)
    optimizer = cls(params, **args)
    if lookahead:
        optimizer = Lookahead(optimizer)
    return optimizer


def optimizer_kwargs(cfg: Any) -> Dict[str, Any]:
    """Keyword arguments for :func:`create_optimizer_v2` from an argparse namespace or attribute config.

    Reads ``opt, lr, weight_decay, momentum`` and, when set, ``opt_eps, opt_betas, layer_decay,
    layer_decay_min_scale, layer_decay_no_opt_scale, opt_args`` (dict) and ``opt_foreach``.
    """
    kwargs: Dict[str, Any] = dict(opt=cfg.opt, lr=cfg.lr, weight_decay=cfg.weight_decay, momentum=cfg.momentum)
    if getattr(cfg, 'opt_eps', None) is not None:
        kwargs['eps'] = cfg.opt_eps
    if getattr(cfg, 'opt_betas', None) is not None:
        kwargs['betas'] = tuple(cfg.opt_betas)
    for key in ('layer_decay', 'layer_decay_min_scale', 'layer_decay_no_opt_scale'):
        if getattr(cfg, key, None) is not None:
            kwargs[key] = getattr(cfg, key)
    if getattr(cfg, 'opt_args', None) is not None:
        kwargs.update(cfg.opt_args)
    if getattr(cfg, 'opt_foreach', None) is not None:
        kwargs['foreach'] = cfg.opt_foreach
    return kwargs


def create_optimizer(args: Any, model: nn.Module, filter_bias_and_bn: bool = True) -> Optimizer:
    """Legacy entry point: ``create_optimizer_v2(model, **optimizer_kwargs(args))``."""
    return create_optimizer_v2(model, **optimizer_kwargs(args), filter_bias_and_bn=filter_bias_and_bn)
