"""Logits and every forward_intermediates level of a zoo model against timm's (shared by the CNN family tests)."""
from typing import Optional

import torch
import torch.nn as nn

from _parity import assert_outputs_close


def assert_levels_parity(ref: nn.Module, ours: nn.Module, x: torch.Tensor, name: str,
                         num_levels: Optional[int] = None, varied_level: int = 1) -> None:
    """Equal logits and levels (count, values, channels = feature_info); with a batch > 1 the `varied_level` map
    must differ between samples, so equal outputs mean the input was used."""
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name=name)
        feats = ours.forward_intermediates(x, intermediates_only=True)
        feats_ref = ref.forward_intermediates(x, intermediates_only=True)
    assert len(feats) == len(feats_ref) == len(ours.feature_info)
    if num_levels is not None:
        assert len(feats) == num_levels
    for i, (a, b) in enumerate(zip(feats, feats_ref)):
        assert_outputs_close(a, b, name=f'{name} level {i}')
        assert a.shape[1] == ours.feature_info[i]['num_chs']
    if x.shape[0] > 1:
        assert (feats[varied_level][0] - feats[varied_level][1]).abs().max() > 1e-3
