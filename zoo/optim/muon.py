"""Muon: momentum orthogonalised by Newton-Schulz, with an AdamW fallback for non-matrix parameters.

Jordan et al., "Muon: An optimizer for hidden layers in neural networks" (2024, kellerjordan.github.io/posts/muon).
The momentum of each weight matrix is replaced by its nearest semi-orthogonal matrix ``U V^T`` (the zeroth power of
its SVD), approximated by a few iterations of the odd polynomial ``X <- a X + b (X X^T) X + c (X X^T)^2 X`` in
bfloat16 after scaling ``X`` to a spectral norm of at most 1. Conv kernels ``(out, in, *k)`` are flattened to
``(out, in * k)`` (``conv_mode='flatten'``) or orthogonalised per kernel position (``'batched'``).

The step is scaled per shape (``adjust_lr_fn``): 'match_rms_adamw' = ``0.2 * sqrt(max(out, in))`` (Liu et al.,
"Muon is Scalable for LLM Training", 2025) so AdamW lrs and decay transfer; 'original' = ``sqrt(max(1, out / in))``;
'rms_to_rms' = ``sqrt(out / in)`` (Bernstein, Pethick et al.).

``algo='adamuon'`` adds an element-wise second moment on the orthogonalised direction and rescales it to a fixed RMS
(Si et al., "AdaMuon: Adaptive Muon Optimizer", 2025). Parameters that are not matrices (or are too small / thin),
and groups marked ``use_fallback=True`` (or ``use_muon=False``), take AdamW steps (NAdamW when ``nesterov``) with
``lr * fallback_lr_scale``.

Coefficient presets: 'original' (K. Jordan), 'quintic' (per-iteration coefficients by F. Cesista, as used in
modded-nanogpt), 'polar_express' / 'polar_express_safer' (Amsel et al., "The Polar Express", 2025).
"""
import math
import numbers
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import torch
from torch import Tensor

from zoo.optim._base import ZooOptimizer, validate_betas
from zoo.optim.adamw import adam_step_

__all__ = ['Muon', 'NS_COEFFICIENTS', 'orthogonalize', 'suitable_for_muon']

Coefficients = Tuple[float, float, float]

# published iteration coefficients (a, b, c); a list is used step by step, its last entry repeated
NS_COEFFICIENTS: Dict[str, List[Coefficients]] = {
    'original': [(3.4445, -4.7750, 2.0315)],
    'quintic': [
        (4.0848, -6.8946, 2.9270),
        (3.9505, -6.3029, 2.6377),
        (3.7418, -5.5913, 2.3037),
        (2.8769, -3.1427, 1.2046),
        (2.8366, -3.0525, 1.2012),
    ],
    'polar_express': [
        (8.237312490495555, -23.157747414558198, 16.680568411445915),
        (4.082441999064835, -2.893047735332586, 0.5252849256975648),
        (3.9263479922546582, -2.8547468034765298, 0.5318022422894988),
        (3.2982187133085143, -2.424541981026706, 0.48632008358844075),
        (2.2970369434552573, -1.63662558125903, 0.4002628455953627),
        (1.8763805351440397, -1.2347896577722228, 0.35891887501668385),
        (1.8564423485617974, -1.2132449880935525, 0.3568003487825883),
        (1.8749994008682747, -1.2499988017229169, 0.3749994008546422),
    ],
    'polar_express_safer': [
        (8.156554524902461, -22.48329292557795, 15.878769915207462),
        (4.0429299351667245, -2.808917465908704, 0.5000178451051299),
        (3.8916678022926563, -2.7724841532176825, 0.5060648178503389),
        (3.285753657755658, -2.3681294933425394, 0.46449024233003117),
        (2.3005307116270983, -1.6111665557258408, 0.3833374427545273),
        (1.8631210546382593, -1.2042160621002727, 0.3421879560523383),
        (1.8382572152247512, -1.1779263289537742, 0.3396513038637379),
        (1.8749999923301852, -1.2499999836060613, 0.374999991275876),
    ],
}


def _coefficients(spec: Union[str, Sequence[Any]]) -> List[Coefficients]:
    """A preset name, one (a, b, c) triple, or a list of triples -> list of float triples."""
    if isinstance(spec, str):
        if spec not in NS_COEFFICIENTS:
            raise ValueError(f"Unknown Newton-Schulz coefficients {spec!r}; presets: {', '.join(NS_COEFFICIENTS)}.")
        return list(NS_COEFFICIENTS[spec])
    triples = [spec] if len(spec) == 3 and all(isinstance(v, numbers.Real) for v in spec) else list(spec)
    if not triples or any(len(t) != 3 for t in triples):
        raise ValueError(f'Newton-Schulz coefficients must be (a, b, c) triples, got {spec!r}.')
    return [(float(a), float(b), float(c)) for a, b, c in triples]


def orthogonalize(
        g: Tensor,
        steps: int = 5,
        coefficients: Union[str, Sequence[Any]] = 'quintic',
        eps: float = 1e-7,
        safety_factor: float = 1.0,
        scale_eps: bool = False,
        dtype: torch.dtype = torch.bfloat16,
) -> Tensor:
    """Approximate the semi-orthogonal polar factor of ``g`` (2-d, or 3-d batched) by Newton-Schulz iterations.

    Args:
        g: Matrix or batch of matrices.
        steps: Iterations; the coefficient list is truncated or its last triple repeated to match.
        coefficients: Preset name or triples.
        eps: Floor of the Frobenius norm used to scale ``g`` (an additive damping with ``scale_eps``).
        safety_factor: Extra divisor of that norm (> 1 keeps the spectral norm safely below 1).
        scale_eps: Scale eps by ``sqrt(in / out)`` and add it to the norm instead of flooring (muP-style damping).
        dtype: Iteration dtype.

    Returns:
        A tensor of ``g``'s shape in ``dtype``.
    """
    coeffs = _coefficients(coefficients)
    coeffs = coeffs[:steps] + [coeffs[-1]] * max(0, steps - len(coeffs))
    x = g.to(dtype=dtype, copy=True)
    wide = x.size(-2) <= x.size(-1)
    if not wide:
        x = x.mT  # iterate on the smaller Gram matrix
    norm = x.norm(dim=(-2, -1), keepdim=True).mul(safety_factor)
    if scale_eps:
        norm.add_(eps * (g.shape[-1] / g.shape[-2]) ** 0.5)
    else:
        norm.clamp_(min=eps)
    x = (x / norm).contiguous()
    # fused GEMMs: gram = x x^T; poly = b gram + c gram^2; x = a x + poly x
    mm = torch.baddbmm if x.ndim > 2 else torch.addmm
    for a, b, c in coeffs:
        gram = mm(x, x, x.mT, beta=0., alpha=1.) if x.ndim > 2 else x @ x.mT
        poly = mm(gram, gram, gram, beta=b, alpha=c)
        x = mm(x, poly, x, beta=a, alpha=1.)
    return x if wide else x.mT


def suitable_for_muon(param: Tensor, min_dim_size: int = 4, max_aspect_ratio: float = 128.) -> bool:
    """Whether Muon should handle ``param``: a matrix (conv kernels flattened to ``(out, in * k)``) with both sides
    at least ``min_dim_size``, an aspect ratio of at most ``max_aspect_ratio`` and no unit leading dim (position
    embeddings, depthwise kernels)."""
    shape = param.shape
    if param.ndim < 2 or sum(s > 1 for s in shape) < 2 or shape[0] == 1 or shape[1] == 1:
        return False
    rows, cols = shape[0], math.prod(shape[1:])
    return min(rows, cols) >= min_dim_size and max(rows, cols) / min(rows, cols) <= max_aspect_ratio


def _as_matrix(x: Tensor, conv_mode: str) -> Tensor:
    if x.ndim == 2:
        return x
    if conv_mode == 'flatten':
        return x.reshape(x.shape[0], -1)
    return x.reshape(x.shape[0], x.shape[1], -1).permute(2, 0, 1)  # (positions, out, in)


def _from_matrix(x: Tensor, shape: torch.Size, conv_mode: str) -> Tensor:
    if len(shape) > 2 and conv_mode == 'batched':
        x = x.permute(1, 2, 0)
    return x.reshape(shape)


def _shape_scale(matrix_shape: Sequence[int], fn: Optional[str], adamuon: bool) -> Tuple[float, bool]:
    """lr multiplier for an orthogonalised update of ``matrix_shape`` and whether AdaMuon RMS-normalises it."""
    if not fn:
        return 1., False
    rows, cols = matrix_shape[-2], matrix_shape[-1]
    if adamuon:
        scales = {'match_rms_adamw': (0.2 * math.prod(matrix_shape) ** 0.5, True),
                  'rms_to_rms': ((rows / cols) ** 0.5, False), 'rsqrt_in': (cols ** -0.5, False)}
    else:
        scales = {'match_rms_adamw': (0.2 * max(rows, cols) ** 0.5, False),
                  'original': (max(1., rows / cols) ** 0.5, False), 'rms_to_rms': ((rows / cols) ** 0.5, False)}
    if fn not in scales:
        raise ValueError(f"adjust_lr_fn {fn!r} is not one of {', '.join(scales)} for algo "
                         f"{'adamuon' if adamuon else 'muon'}.")
    return scales[fn]


class Muon(ZooOptimizer):
    """Muon / AdaMuon for matrices with an AdamW (NAdamW) fallback.

    Args:
        params: Parameters or parameter groups (``use_fallback=True`` routes a group to AdamW).
        lr: Learning rate.
        weight_decay: Decoupled weight decay (scaled by the lr).
        momentum: Momentum of the Muon parameters.
        nesterov: Nesterov momentum (and NAdamW for the fallback).
        ns_steps: Newton-Schulz iterations.
        ns_coefficients: Preset name or (a, b, c) triples.
        eps: Norm floor in Newton-Schulz; also the Adam eps of the fallback and AdaMuon.
        safety_factor: Extra divisor of the norm in Newton-Schulz.
        adjust_lr_fn: Shape-dependent lr scale (see module docstring); None disables it.
        conv_mode: 'flatten' or 'batched' for conv kernels.
        normalize_spatial: In batched mode, divide the lr by sqrt(number of kernel positions).
        fallback_lr_scale: lr multiplier of the AdamW fallback.
        betas: AdamW fallback betas; beta2 is also AdaMuon's second moment decay.
        algo: 'muon' or 'adamuon'.
        scale_eps: muP-style eps damping in Newton-Schulz.
    """

    def __init__(
            self,
            params: Iterable,
            lr: float = 0.02,
            weight_decay: float = 0.,
            momentum: float = 0.95,
            nesterov: bool = False,
            ns_steps: int = 5,
            ns_coefficients: Union[str, Sequence[Any]] = 'quintic',
            eps: float = 1e-7,
            safety_factor: float = 1.0,
            adjust_lr_fn: Optional[str] = 'match_rms_adamw',
            conv_mode: str = 'flatten',
            normalize_spatial: bool = True,
            fallback_lr_scale: float = 1.0,
            betas: Tuple[float, float] = (0.9, 0.95),
            algo: str = 'muon',
            scale_eps: bool = False,
    ) -> None:
        if not 0. <= momentum < 1.:
            raise ValueError(f'Muon momentum must be in [0, 1), got {momentum}.')
        if conv_mode not in ('flatten', 'batched'):
            raise ValueError(f"conv_mode must be 'flatten' or 'batched', got {conv_mode!r}.")
        if algo not in ('muon', 'adamuon'):
            raise ValueError(f"algo must be 'muon' or 'adamuon', got {algo!r}.")
        validate_betas(betas)
        _coefficients(ns_coefficients)
        super().__init__(params, dict(
            lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov, ns_steps=ns_steps,
            ns_coefficients=ns_coefficients, eps=eps, safety_factor=safety_factor, adjust_lr_fn=adjust_lr_fn,
            conv_mode=conv_mode, normalize_spatial=normalize_spatial, fallback_lr_scale=fallback_lr_scale,
            betas=tuple(betas), algo=algo, scale_eps=scale_eps))

    def _init_state(self, param: Tensor, group: Dict[str, Any], state: Dict[str, Any]) -> None:
        if group.get('use_fallback', False):
            use_muon = False
        elif 'use_muon' in group:
            use_muon = bool(group['use_muon'])
        else:
            use_muon = suitable_for_muon(param)
        state['use_muon'] = use_muon
        if use_muon:
            state['momentum_buffer'] = torch.zeros_like(param)
        else:
            state['exp_avg'] = torch.zeros_like(param)
        if not use_muon or group['algo'] == 'adamuon':
            state['exp_avg_sq'] = torch.zeros_like(param)

    def _update(self, param: Tensor, grad: Tensor, state: Dict[str, Any], group: Dict[str, Any],
                step: int) -> None:
        if not state['use_muon']:
            lr = group['lr'] * group['fallback_lr_scale']
            param.mul_(1. - lr * group['weight_decay'])
            adam_step_(param, grad, state, step, lr, group['betas'], group['eps'], nesterov=group['nesterov'])
            return
        lr, momentum = group['lr'], group['momentum']
        param.mul_(1. - lr * group['weight_decay'])
        buf = state['momentum_buffer'].lerp_(grad, 1. - momentum)
        direction = grad.lerp(buf, momentum) if group['nesterov'] else buf
        matrix = _as_matrix(direction, group['conv_mode'])
        ortho = orthogonalize(matrix, group['ns_steps'], group['ns_coefficients'], eps=group['eps'],
                              safety_factor=group['safety_factor'], scale_eps=group['scale_eps'])
        adamuon = group['algo'] == 'adamuon'
        scale, rms_normalize = _shape_scale(ortho.shape, group['adjust_lr_fn'], adamuon)
        batched = group['conv_mode'] == 'batched' and param.ndim > 2
        if batched and group['normalize_spatial']:
            scale /= math.sqrt(math.prod(param.shape[2:]))
        update = _from_matrix(ortho, param.shape, group['conv_mode'])
        if adamuon:
            exp_avg_sq = state['exp_avg_sq']
            beta2 = group['betas'][1]
            exp_avg_sq.mul_(beta2).addcmul_(update, update, value=1. - beta2)
            # with RMS normalisation the scale of the second moment cancels: no bias correction needed
            second = exp_avg_sq if rms_normalize else exp_avg_sq / (1. - beta2 ** step)
            update = update / second.sqrt().add_(group['eps'])
            if rms_normalize:
                update = update / update.norm().add_(group['eps'])
        param.add_(update, alpha=-lr * scale)
