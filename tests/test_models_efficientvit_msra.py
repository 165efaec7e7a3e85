"""EfficientViT (MSRA, M series): parity with timm 1.0.31, the reference oracle, plus bias resampling and the API.

The attention-bias tables depend on `img_size` (timm's `fixed_input_size`), so every comparison builds both models
with the same `img_size`. Default run: efficientvit_m0 at 64 px (every stage attends on its whole map) and at 160 px
(stage 0 attends in 7x7 windows over a zero-padded 10x10 map); loading a 224 px checkpoint into a 160 px model
resamples the bias tables as timm's filter does; intermediates, head reset / pruning. `-m slow`: every name at
224 px (windowed stage 0), grad checkpointing. `set_input_size` re-sizes windows and tables in place as timm does, and a
non-square `img_size` sizes them by its short side.
"""
import pytest
import torch

from _api_checks import assert_checkpointing_keeps_gradients, image
from _mobile_checks import assert_pooled_bn_linear_head_matches
from _parity import assert_outputs_close, assert_same_layout, fill_random_, timm

import zoo  # noqa: E402
from zoo.models import efficientvit_msra as msra  # noqa: E402

MODULE = 'efficientvit_msra'
NAMES = zoo.list_models(module=MODULE)


def _pair(name: str, img_size: int):
    ref = fill_random_(timm.create_model(name, img_size=img_size)).eval()
    ours = zoo.create_model(name, img_size=img_size).eval()
    assert_same_layout(ours, ref)
    ours.load_state_dict(ref.state_dict(), strict=True)
    return ref, ours


def _assert_parity(name: str, img_size: int) -> None:
    ref, ours = _pair(name, img_size)
    x = image(size=img_size)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name=name)


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE)) and len(NAMES) == 6


@pytest.mark.parametrize('img_size', [64, 160])
def test_parity_default(img_size):
    _assert_parity('efficientvit_m0', img_size)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity(name):
    _assert_parity(name, 224)


def test_checkpoint_filter_resamples_bias_tables_like_timm():
    ref224 = fill_random_(timm.create_model('efficientvit_m0')).eval()
    sd = ref224.state_dict()
    ref = timm.create_model('efficientvit_m0', img_size=160).eval()
    ours = zoo.create_model('efficientvit_m0', img_size=160).eval()
    want = timm.models.efficientvit_msra.checkpoint_filter_fn(dict(sd), ref)
    got = msra.checkpoint_filter_fn(dict(sd), ours)
    assert sorted(got) == sorted(want)
    resized = [k for k in want if k.endswith('attention_biases') and want[k].shape != sd[k].shape]
    assert resized  # stage 2 is 3x3 at 160 px instead of 4x4
    for k in want:
        torch.testing.assert_close(got[k], want[k], rtol=1e-5, atol=1e-5)
    ours.load_state_dict(got, strict=True)
    ref.load_state_dict(want, strict=True)
    x = image(size=160)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name='resampled')


@pytest.mark.parametrize('new_size', [96, (160, 200), 320])
def test_set_input_size_resamples_in_place_like_timm(new_size):
    """Built at 224 px, re-sized in place: windows and bias tables follow the new short side as in timm (at 96 px
    stages 1-2 shrink below the 7x7 window and their tables are resampled; at 320 px the windows stay 7x7)."""
    ref, ours = _pair('efficientvit_m0', 224)
    ref.set_input_size(new_size)
    ours.set_input_size(new_size)
    want = ref.state_dict()
    got = ours.state_dict()
    assert sorted(got) == sorted(want)
    for k in want:
        torch.testing.assert_close(got[k], want[k], rtol=1e-5, atol=1e-5, msg=k)
    size = new_size if isinstance(new_size, tuple) else (new_size, new_size)
    x = torch.randn(2, 3, *size, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name=f'set_input_size({new_size})')
    assert ours.pretrained_cfg['input_size'] == (3, *size)


def test_non_square_img_size_uses_the_short_side_like_timm():
    ref, ours = _pair('efficientvit_m0', (160, 224))
    x = torch.randn(1, 3, 160, 224, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name='160x224')


def test_intermediates_and_head():
    ref, ours = _pair('efficientvit_m0', 64)
    x = image()
    assert_pooled_bn_linear_head_matches('efficientvit_m0', ours, ref, x)


@pytest.mark.slow
def test_grad_checkpointing_same_gradients():
    torch.manual_seed(0)
    model = zoo.create_model('efficientvit_m0', num_classes=3, img_size=64)
    assert_checkpointing_keeps_gradients(model, image(size=64))
