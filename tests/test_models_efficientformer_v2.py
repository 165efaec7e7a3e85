"""EfficientFormerV2: parity with timm 1.0.31, the reference oracle, plus the distilled heads, attention-bias
resampling on load and the model API.

The attention grids follow `img_size`, so the default run builds efficientformerv2_s0 for 64 px (stride attention,
attention downsampling, talking heads all run on 2 x 2 .. 4 x 4 grids) and for 96 px; intermediates, heads, reset /
pruning; a 224 px checkpoint loads into a 256 px model with its bias tables resampled. `-m slow`: every name at
224 px, distillation in training.
"""
import pytest
import torch
import torch.nn.functional as F

from _api_checks import assert_intermediates_match, assert_reset_and_prune_match, image
from _mobile_checks import assert_distilled_heads_match, assert_head_and_norm_api_match
from _parity import assert_outputs_close, assert_same_layout, fill_random_, timm

import zoo  # noqa: E402

MODULE = 'efficientformer_v2'
NAMES = zoo.list_models(module=MODULE)


def _pair(name: str, size: int, **kwargs):
    ref = fill_random_(timm.create_model(name, img_size=size, **kwargs)).eval()
    ours = zoo.create_model(name, img_size=size, **kwargs).eval()
    assert_same_layout(ours, ref)
    ours.load_state_dict(ref.state_dict())
    return ref, ours


def _parity(name: str, size: int, batch: int = 2) -> None:
    ref, ours = _pair(name, size)
    x = image(batch=batch, size=size)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name=name)


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE)) and len(NAMES) == 4


@pytest.mark.parametrize('size', [64, 96])
def test_parity_reduced(size):
    _parity('efficientformerv2_s0', size)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity(name):
    _parity(name, 224, batch=1)


def test_intermediates_and_head():
    ref, ours = _pair('efficientformerv2_s0', 64)
    x = image()
    assert_intermediates_match(ours, ref, x, [0, 3])
    assert_head_and_norm_api_match(ours, ref, x)
    assert_reset_and_prune_match('efficientformerv2_s0')
    assert_reset_and_prune_match('efficientformerv2_s0', distillation=False)


@pytest.mark.slow
def test_distillation_heads_in_training():
    ref, ours = _pair('efficientformerv2_s0', 64)
    assert_distilled_heads_match(ours, ref, image())


def test_checkpoint_at_other_size_resamples_attention_biases():
    small = fill_random_(zoo.create_model('efficientformerv2_s0', num_classes=0)).eval()
    big = zoo.create_model('efficientformerv2_s0', num_classes=0, img_size=256).eval()
    from zoo.models.efficientformer_v2 import checkpoint_filter_fn
    state = checkpoint_filter_fn(small.state_dict(), big)
    big.load_state_dict(state, strict=True)
    # the stride-2 stage-3 attention grid goes 7 x 7 -> 8 x 8: each head's table is resampled like an image
    key = 'stages.2.blocks.5.token_mixer.attention_biases'
    table = small.state_dict()[key]
    want = F.interpolate(table.reshape(1, -1, 7, 7), size=(8, 8), mode='bicubic', antialias=True).reshape(-1, 64)
    torch.testing.assert_close(big.state_dict()[key], want)
    with torch.inference_mode():
        assert big(image(batch=1, size=256)).shape == (1, 176)
