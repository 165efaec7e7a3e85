"""DaViT family: parity with timm, the reference oracle, plus the model API and the checkpoint converters.

Default run: davit_tiny at 64 px and at 100 px (the stem and windows pad), a shallow davit_base_fl (Florence-2 tower:
12x12 windows, 3x3 downsamples, v2 channel attention, named blocks), head_norm_first + cpe_act, intermediates, head
API, checkpointing, the official DaViT and Florence-2 layouts. `-m slow`: every name at 64 px.
"""
import re
from typing import Dict

import pytest
import torch

from _api_checks import (
    assert_checkpointing_keeps_gradients, assert_filter_matches_timm, assert_head_api_matches,
    assert_intermediates_match, assert_reset_and_prune_match, image,
)
from _parity import assert_outputs_close, fill_random_

import timm  # noqa: E402
import zoo  # noqa: E402
from zoo.models import davit as davit_module  # noqa: E402

MODULE = 'davit'
NAMES = zoo.list_models(module=MODULE)


def _pair(name: str, **kwargs):
    ref = fill_random_(timm.create_model(name, **kwargs)).eval()
    ours = zoo.create_model(name, **kwargs).eval()
    ours.load_state_dict(ref.state_dict())
    return ref, ours


def _parity(name: str, size: int = 64, **kwargs) -> None:
    ref, ours = _pair(name, **kwargs)
    x = image(batch=1, size=size)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name=name)


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module=MODULE))
    assert len(NAMES) == 8


@pytest.mark.parametrize('name,size,kwargs', [
    ('davit_tiny', 64, {}),
    ('davit_tiny', 100, {}),
    ('davit_base_fl', 100, dict(depths=(1, 1, 1, 1))),
    ('davit_tiny', 64, dict(head_norm_first=True, cpe_act=True)),
])
def test_parity_small(name, size, kwargs):
    _parity(name, size, **kwargs)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_every_name(name):
    _parity(name)


def test_intermediates_and_head():
    ref, ours = _pair('davit_tiny')
    x = image(size=64)
    assert_intermediates_match(ours, ref, x)
    assert_intermediates_match(ours, ref, x, [0, 2])
    assert_head_api_matches(ours, ref, x)
    assert ours.feature_info == ref.feature_info
    assert ours.group_matcher() == ref.group_matcher()
    assert ours.group_matcher(coarse=True) == ref.group_matcher(coarse=True)
    assert_reset_and_prune_match('davit_tiny')


def test_grad_checkpointing_same_gradients():
    torch.manual_seed(0)
    model = zoo.create_model('davit_tiny', num_classes=3)
    assert_checkpointing_keeps_gradients(model, image(size=32))


def _to_official(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    out = {}
    for key, value in state_dict.items():
        key = key.replace('stem.', 'patch_embeds.0.').replace('downsample.conv', 'downsample.proj')
        key = re.sub(r'stages\.(\d+)\.downsample', r'patch_embeds.\1', key)
        key = re.sub(r'stages\.(\d+)\.blocks', r'main_blocks.\1', key)
        key = key.replace('cpe1', 'cpe.0').replace('cpe2', 'cpe.1')
        key = key.replace('head.norm.', 'norms.').replace('head.fc.', 'head.')
        out[key] = value
    return out


def test_official_checkpoint_filter_matches_timm():
    assert_filter_matches_timm('davit_tiny', davit_module.checkpoint_filter_fn,
                               timm.models.davit.checkpoint_filter_fn, _to_official)


def _to_florence(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """timm layout -> the `vision_tower.*` keys of a Florence-2 checkpoint (which has no head)."""
    out = {}
    for key, value in state_dict.items():
        if key.startswith('head.'):
            continue
        key = key.replace('stem.conv', 'convs.0.proj').replace('stem.', 'convs.0.')
        key = key.replace('downsample.conv', 'downsample.proj')
        key = re.sub(r'stages\.(\d+)\.downsample\.', r'convs.\1.', key)
        key = re.sub(r'stages\.(\d+)\.blocks', r'blocks.\1', key)
        key = key.replace('spatial_block.norm1.', 'spatial_block.window_attn.norm.')
        key = key.replace('spatial_block.attn.', 'spatial_block.window_attn.fn.')
        key = key.replace('channel_block.norm1.', 'channel_block.channel_attn.norm.')
        key = key.replace('channel_block.attn.', 'channel_block.channel_attn.fn.')
        key = key.replace('norm2.', 'ffn.norm.').replace('mlp.', 'ffn.fn.net.')
        key = key.replace('cpe1.proj', 'conv1.fn.dw').replace('cpe2.proj', 'conv2.fn.dw')
        out['vision_tower.' + key] = value
    out['language_model.lm_head.weight'] = torch.zeros(2, 2)  # other towers' weights are ignored
    return out


def test_florence2_checkpoint_filter_matches_timm():
    with torch.device('meta'):
        ref = timm.create_model('davit_base_fl', depths=(1, 1, 1, 1))
        ours = zoo.create_model('davit_base_fl', depths=(1, 1, 1, 1))
    florence = _to_florence(ref.state_dict())
    got = davit_module.checkpoint_filter_fn(dict(florence), ours)
    want = timm.models.davit.checkpoint_filter_fn(dict(florence), ref)
    assert sorted(got) == sorted(want)
    assert sorted(set(ref.state_dict()) - set(got)) == ['head.norm.bias', 'head.norm.weight']
    missing, unexpected = ours.load_state_dict(got, strict=False, assign=True)
    assert sorted(missing) == ['head.norm.bias', 'head.norm.weight'] and not unexpected
