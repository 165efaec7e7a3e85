"""Images to flat patch sequences, the input format of patch-sequence transformers (NaViT / NaFlex).

"Patch n' Pack: NaViT, a Vision Transformer for any Aspect Ratio and Resolution", Dehghani et al., 2023
(arXiv:2307.06304): an image becomes the row-major sequence of its patches, each flattened, so that sequences of
different images (and sizes) can be packed or padded into one batch.
"""
from typing import Tuple, Union

import torch
import torch.nn.functional as F

__all__ = ['batch_patchify']


def batch_patchify(
        x: torch.Tensor,
        patch_size: Union[int, Tuple[int, int]],
        pad: bool = True,
        channels_last: bool = True,
) -> Tuple[torch.Tensor, Tuple[int, int]]:
    """Images (B, C, H, W) -> row-major patch sequences (B, gh * gw, ph * pw * C) and the grid (gh, gw).

    Args:
        x: images.
        patch_size: patch (h, w) or side.
        pad: zero-pad the bottom / right to a multiple of the patch size (else the size must be a multiple).
        channels_last: flatten each patch as (ph, pw, C) (True) or (C, ph, pw).
    """
    ph, pw = (patch_size, patch_size) if isinstance(patch_size, int) else patch_size
    b, c, h, w = x.shape
    if h % ph or w % pw:
        if not pad:
            raise ValueError(f'Image size {h}x{w} is not a multiple of the patch size {ph}x{pw}; resize it or build '
                             f'the model with dynamic_img_pad=True.')
        x = F.pad(x, (0, -w % pw, 0, -h % ph))
        h, w = x.shape[-2:]
    gh, gw = h // ph, w // pw
    x = x.reshape(b, c, gh, ph, gw, pw)
    x = x.permute(0, 2, 4, 3, 5, 1) if channels_last else x.permute(0, 2, 4, 1, 3, 5)
    return x.reshape(b, gh * gw, ph * pw * c), (gh, gw)
