"""LowFormer: parity with timm 1.0.31, the reference oracle, plus the head API and the official checkpoint filter.

Default run: narrow one-block-per-stage models at 64 x 80 px (odd attention maps, so the upsampling crop runs):
the fused layout of the released models with both local block kinds (fused below 256 channels, MBConv at 256) and
multi-head attention, the E-model switches (no MLP / no attention) and the unfused layout (separate output
projection, depthwise upsampling); intermediates, the per-pixel head of global_pool='', reset / pruning.
`-m slow`: every name at 128 px, grad checkpointing.
"""
import re

import pytest
import torch

from _api_checks import assert_checkpointing_keeps_gradients, assert_filter_matches_timm, image
from _efficient_checks import assert_api_matches, small_pair
from _parity import assert_outputs_close, assert_parity, timm

import zoo  # noqa: E402

MODULE = 'lowformer'
NAMES = zoo.list_models(module=MODULE)
SMALL = dict(width_list=(8, 16, 24, 64, 256), depth_list=(1, 1, 1, 1, 1), head_widths=(64, 80))


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE)) and len(NAMES) == 8


@pytest.mark.parametrize('kwargs', [{}, dict(attn_mlp=False), dict(attn=False, attn_mlp=False),
                                    dict(fused_conv=False, depth_list=(0, 2, 1, 1, 1))],
                         ids=['fused', 'no_mlp', 'no_attn', 'unfused'])
def test_parity_default(kwargs):
    assert_parity('lowformer_b0', img_size=(64, 80), **{**SMALL, **kwargs})


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity(name):
    assert_parity(name, img_size=(128, 128), batch_size=2)


def test_intermediates_head_and_pruning():
    ours, ref = small_pair('lowformer_b0', SMALL)
    x = image()
    assert_api_matches('lowformer_b0', ours, ref, x, [1, 3], **SMALL)
    # without pooling the head runs on every pixel and returns maps
    for m in (ours, ref):
        m.reset_classifier(5, global_pool='')
    ours.classifier.load_state_dict(ref.classifier.state_dict())
    with torch.inference_mode():
        out = ours(x)
        assert out.shape[:2] == (2, 5) and out.ndim == 4
        assert_outputs_close(out, ref(x), name='per-pixel head')
    with pytest.raises(ValueError, match='global_pool'):
        zoo.create_model('lowformer_b0', global_pool='catavgmax')
    with pytest.raises(ValueError, match='downsample_expand_ratios'):
        zoo.create_model('lowformer_b0', downsample_expand_ratios=(6, 6))
    # pruning the last stage removes the head MLP, which was sized for it
    for m in (ours, ref):
        assert m.prune_intermediate_layers([0, 2], prune_head=False) == [0, 2]
    assert ours.num_features == ref.num_features == 64
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name='pruned head')


def _to_official(sd):
    """timm's layout -> the official (EfficientViT-style OpSequential) names, wrapped under 'state_dict'."""
    renames = (
        (r'^stem\.(\d+)\.', r'backbone.input_stem.op_list.\1.'),
        (r'^stages\.(\d+)\.(\d+)\.', r'backbone.stages.\1.op_list.\2.'),
        (r'\.attn\.', '.total.0.0.'), (r'\.mlp\.', '.total.0.1.'), (r'\.local\.', '.total.1.'),
        (r'\.conv_proj\.conv\.', '.conv_proj.0.'), (r'\.conv_proj\.norm\.', '.conv_proj.1.'),
        (r'\.pwise\.', '.pwise.0.'),
        (r'^in_conv\.', 'head.op_list.0.'), (r'^pre_classifier\.0\.', 'head.op_list.2.linear.'),
        (r'^pre_classifier\.1\.', 'head.op_list.2.norm.'), (r'^classifier\.', 'head.op_list.3.linear.'),
    )
    out = {}
    for k, v in sd.items():
        for pattern, repl in renames:
            k = re.sub(pattern, repl, k)
        out[k] = v
    return {'state_dict': out}


def test_official_checkpoint_filter():
    from timm.models.lowformer import checkpoint_filter_fn as timm_filter
    from zoo.models.lowformer import checkpoint_filter_fn
    assert_filter_matches_timm('lowformer_b0', checkpoint_filter_fn, timm_filter, _to_official, **SMALL)
    with torch.device('meta'):
        model = zoo.create_model('lowformer_b0', **SMALL)
    native = model.state_dict()
    assert checkpoint_filter_fn(native, model) is native


@pytest.mark.slow
def test_grad_checkpointing_same_gradients():
    torch.manual_seed(0)
    model = zoo.create_model('lowformer_b0', num_classes=3, **SMALL)
    assert_checkpointing_keeps_gradients(model, image(size=64))
