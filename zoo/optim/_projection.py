"""Scale-invariance projection shared by SGDP and AdamP.

Heo et al., "AdamP: Slowing Down the Slowdown for Momentum Optimizers on Scale-invariant Weights" (ICLR 2021):
when a weight is scale invariant (e.g. followed by BatchNorm) its gradient is orthogonal to it, and the radial part
of the momentum update only inflates the weight norm, shrinking the effective step size. Removing that radial
component keeps the effective learning rate from decaying.

With ``caution`` the cautious mask (Liang et al., "Cautious Optimizers", 2024) is applied on the sphere: a projected
update is compared with the tangential part of the gradient, and projected again afterwards so that masking does not
reintroduce a radial component.
"""
import math
from typing import Callable, Tuple

import torch
import torch.nn.functional as F

from zoo.optim._base import cautious

__all__ = ['project_scale_invariant']


def _per_channel(x: torch.Tensor) -> torch.Tensor:
    return x.reshape(x.size(0), -1)


def _per_layer(x: torch.Tensor) -> torch.Tensor:
    return x.reshape(1, -1)


_VIEWS: Tuple[Tuple[Callable[[torch.Tensor], torch.Tensor], bool], ...] = ((_per_channel, True), (_per_layer, False))


def project_scale_invariant(
        param: torch.Tensor,
        grad: torch.Tensor,
        update: torch.Tensor,
        delta: float,
        wd_ratio: float,
        eps: float,
        caution: bool = False,
) -> Tuple[torch.Tensor, float]:
    """Remove the radial component of ``update`` when ``param`` looks scale invariant.

    The check is done for weights with at least 2 dims, per output channel first and then for the whole tensor; the
    first view in which every row's gradient is nearly orthogonal to the weight (cosine below ``delta / sqrt(dim)``)
    is used.

    Args:
        param: The weight tensor.
        grad: Its gradient.
        update: The step direction to project (modified in place).
        delta: Orthogonality threshold.
        wd_ratio: Weight decay multiplier returned when the projection applies.
        eps: Numerical floor for norms.
        caution: Apply the cautious mask (spherical when projected).

    Returns:
        The (possibly projected) update and the weight decay multiplier to use (1.0 when not projected).
    """
    if param.dim() > 1:
        for view, per_channel in _VIEWS:
            p_view = view(param)
            cosine = F.cosine_similarity(view(grad), p_view, dim=1, eps=eps).abs()
            if cosine.max() < delta / math.sqrt(p_view.size(1)):
                shape = (-1,) + (1,) * (param.dim() - 1) if per_channel else (1,) * param.dim()
                unit = param / p_view.norm(p=2, dim=1).add(eps).reshape(shape)

                def radial(x: torch.Tensor) -> torch.Tensor:
                    return unit * view(unit * x).sum(dim=1).reshape(shape)

                update = update - radial(update)
                if caution:
                    update = cautious(update, grad - radial(grad))
                    update = update - radial(update)  # masking can reintroduce a small radial part
                return update, wd_ratio
    if caution:
        update = cautious(update, grad)
    return update, 1.0
