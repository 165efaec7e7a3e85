"""Global pooling selectable by name: avg, max, avgmax, catavgmax, or '' for none."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers.format import Format, get_spatial_dim

POOL_TYPES = ('', 'avg', 'max', 'avgmax', 'catavgmax')


def adaptive_pool_feat_mult(pool_type: str = 'avg') -> int:
    """Channel multiplier of a pooling type (catavgmax concatenates two poolings)."""
    return 2 if pool_type.endswith('catavgmax') else 1


class SelectAdaptivePool2d(nn.Module):
    """Global pooling over H, W with a type chosen at construction (and changed by `reset_classifier`)."""

    def __init__(self, pool_type: str = 'avg', flatten: bool = False, input_fmt: str = 'NCHW'):
        super().__init__()
        pool_type = pool_type or ''
        if pool_type not in POOL_TYPES:
            raise ValueError(f'Unknown global_pool {pool_type!r}; choose one of {POOL_TYPES}.')
        self.pool_type = pool_type
        self.flatten = flatten
        self.dims = get_spatial_dim(Format(input_fmt))

    def is_identity(self) -> bool:
        return not self.pool_type

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.pool_type:
            return x
        keep = not self.flatten
        if self.pool_type == 'avg':
            x = x.mean(self.dims, keepdim=keep)
        elif self.pool_type == 'max':
            x = x.amax(self.dims, keepdim=keep)
        else:
            x_avg, x_max = x.mean(self.dims, keepdim=keep), x.amax(self.dims, keepdim=keep)
            channel_dim = 1 if self.dims == (2, 3) else -1
            x = 0.5 * (x_avg + x_max) if self.pool_type == 'avgmax' else torch.cat((x_avg, x_max), dim=channel_dim)
        return x

    def feat_mult(self) -> int:
        return adaptive_pool_feat_mult(self.pool_type)

    def extra_repr(self) -> str:
        return f'pool_type={self.pool_type!r}, flatten={self.flatten}'


def avg_pool_nchw(x: torch.Tensor) -> torch.Tensor:
    return F.adaptive_avg_pool2d(x, 1).flatten(1)
