"""Filter Response Normalisation with a Thresholded Linear Unit, a batch-independent norm + activation.

"Filter Response Normalization Layer: Eliminating Batch Dependence in the Training of Deep Neural Networks",
Singh & Krishnan, 2019 (arXiv:1911.09737), section 3: x / sqrt(mean_hw(x^2) + eps), an affine transform, then
TLU max(y, tau) with a learned per-channel threshold tau.
"""
import torch
import torch.nn as nn

from zoo.layers.weight_init import reset_affine_

__all__ = ['FilterResponseNormTlu2d']


class FilterResponseNormTlu2d(nn.Module):
    """FRN + TLU over NCHW maps (parameters `weight`, `bias` and, with the activation, `tau`).

    Args:
        num_features: channels.
        apply_act: apply the TLU threshold.
        eps: added to the mean square.
    """

    def __init__(self, num_features: int, apply_act: bool = True, eps: float = 1e-5, **_):
        super().__init__()
        self.apply_act = apply_act
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.tau = nn.Parameter(torch.zeros(num_features)) if apply_act else None

    def reset_parameters(self) -> None:
        reset_affine_(self, ones=('weight',))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4:
            raise ValueError(f'FilterResponseNormTlu2d expects NCHW input, got {x.ndim} dims.')
        shape = (1, -1, 1, 1)
        # the mean square is accumulated in float32 so half-precision maps keep its accuracy
        inv_rms = x.float().square().mean(dim=(2, 3), keepdim=True).add(self.eps).rsqrt().to(x.dtype)
        x = x * inv_rms * self.weight.view(shape).to(x.dtype) + self.bias.view(shape).to(x.dtype)
        return torch.maximum(x, self.tau.view(shape).to(x.dtype)) if self.tau is not None else x
