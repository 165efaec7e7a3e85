"""ViTamin (MBConv front end + GeGLU ViT) checked against timm (the reference oracle).

Layout of every name: tests/test_layout_all.py; cfgs: tests/test_registry.py. Default run: output parity at 64 px
for the small model (4 blocks; learned position embedding) and the xlarge model (one block; no position
embedding), dynamic input size, set_input_size, position-embedding resampling on load, grad checkpointing, features.
`-m slow`: every name at 64 px, full depth.
"""
import pytest
import torch

from _parity import assert_feature_info_parity, assert_outputs_close, build_pair_meta, fill_random_, timm

import zoo

MODULE = 'vitamin'
NAMES = zoo.list_models(module=MODULE)
SAMPLE = (
    ('vitamin_small_224', dict(depth=4)),
    ('vitamin_xlarge_256', dict(depth=1)),
)


def _input(h: int = 64, w: int = 64, batch_size: int = 2) -> torch.Tensor:
    return torch.randn(batch_size, 3, h, w, generator=torch.Generator().manual_seed(0))


def _check_parity(name: str, **kwargs) -> None:
    ref, ours = build_pair_meta(name, img_size=64, **kwargs)
    x = _input()
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name=name)


def test_registered_names():
    assert set(NAMES) == set(timm.list_models(module=MODULE))


@pytest.mark.parametrize('name,kwargs', SAMPLE, ids=[n for n, _ in SAMPLE])
def test_parity_sample(name: str, kwargs: dict):
    _check_parity(name, **kwargs)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_slow(name: str):
    _check_parity(name)


def test_dynamic_img_size_matches_timm():
    ref, ours = build_pair_meta('vitamin_small_224', img_size=64, depth=2, dynamic_img_size=True)
    for h, w in ((96, 64), (48, 80)):
        x = _input(h, w, batch_size=1)
        with torch.inference_mode():
            assert_outputs_close(ours(x), ref(x))
            inter = ours.forward_intermediates(x, indices=1, intermediates_only=True)[0]
            expected = ref.forward_intermediates(x, indices=1, intermediates_only=True)[0]
        assert inter.shape == (1, 384, h // 16, w // 16)
        assert_outputs_close(inter, expected)
    fixed = zoo.create_model('vitamin_small_224', img_size=64, depth=1)
    with pytest.raises(ValueError, match='does not match'):
        fixed(_input(96, 96, batch_size=1))


def test_set_input_size_matches_timm():
    ref, ours = build_pair_meta('vitamin_small_224', img_size=64, depth=2)
    ref.set_input_size(img_size=(96, 96))
    ours.set_input_size(96)
    assert ours.patch_embed.grid_size == (6, 6)
    torch.testing.assert_close(ours.pos_embed, ref.pos_embed, rtol=0, atol=1e-6)
    x = _input(96, 96, batch_size=1)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x))


def test_checkpoint_at_another_size_resamples_like_timm(tmp_path):
    """A 224 checkpoint loaded into a 96 px model: the 14 x 14 position embedding is resampled to 6 x 6."""
    from safetensors.torch import save_file
    src = fill_random_(timm.create_model('vitamin_small_224', depth=1, num_classes=768))
    path = tmp_path / 'weights.safetensors'
    save_file({k: v.contiguous() for k, v in src.state_dict().items()}, str(path))
    args = dict(pretrained=True, pretrained_cfg_overlay=dict(file=str(path)), depth=1, img_size=96)
    ref = timm.create_model('vitamin_small_224', **args).eval()
    ours = zoo.create_model('vitamin_small_224', **args).eval()
    assert src.pos_embed.shape[1] == 14 * 14 and ours.pos_embed.shape[1] == 6 * 6
    torch.testing.assert_close(ours.pos_embed, ref.pos_embed, rtol=0, atol=1e-6)
    x = _input(96, 96, batch_size=1)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x))


def test_grad_checkpointing_reaches_the_conv_stages():
    _, ours = build_pair_meta('vitamin_small_224', img_size=64, depth=2)
    x = _input(batch_size=1)
    with torch.no_grad():
        expected = ours(x)
    ours.set_grad_checkpointing(True)
    assert ours.patch_embed.backbone.grad_checkpointing
    x.requires_grad_(True)
    out = ours(x)
    out.sum().backward()
    torch.testing.assert_close(out.detach(), expected, rtol=1e-5, atol=1e-5)
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_features_match_timm():
    assert_feature_info_parity('vitamin_small_224', img_size=64, depth=4)
    assert_feature_info_parity('vitamin_small_224', img_size=64, depth=4, out_indices=(0, 2))
    ours = zoo.create_model('vitamin_small_224', img_size=64, depth=3, features_only=True)
    with torch.inference_mode():
        maps = ours(_input(batch_size=1))
    assert [tuple(m.shape) for m in maps] == [(1, 384, 4, 4)] * 3
