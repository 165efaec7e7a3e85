"""Vision Transformer and DeiT families checked against timm (the reference oracle).

Layout (keys, shapes, parameter count) of every name is checked on the meta device by tests/test_layout_all.py and
pretrained cfgs by tests/test_registry.py. Output parity runs at 64 px (70 for patch-14 models) with the depth cut to
two blocks (blocks are identical, so depth adds cost, not coverage): in the default run for one DeiT per kind
(`DEIT_SAMPLE`) and one ViT per block type and configuration switch (`VIT_SAMPLE`), and for every other name under
`slow`; one full-size model per sub-family is under `slow` as well.
"""
import re
from typing import Any, Dict

import pytest
import torch
import torch.nn as nn

from _parity import assert_feature_info_parity, fill_random_, timm
from _parity import assert_outputs_close as _assert_close
from _parity import assert_parity_meta_built as _parity
from _parity import build_pair_meta as _build_pair

import zoo
from zoo.layers.config import set_default_fused_attn, set_fused_attn, use_fused_attn

VIT_NAMES = zoo.list_models(module='vision_transformer')
DEIT_NAMES = zoo.list_models(module='deit')
ALL_NAMES = VIT_NAMES + DEIT_NAMES
BIG = ('large', 'huge', 'giant', 'gigantic', 'so400m', '1b', '3b')
# one name per block type / configuration switch of the family, run in the default suite
VIT_SAMPLE = (
    'vit_tiny_patch16_224',  # class token, position embedding over prefix + patches
    'vit_base_patch32_clip_quickgelu_224',  # CLIP: pre-norm, no patch bias, QuickGELU, LayerNorm eps 1e-5
    'vit_small_patch14_reg4_dinov2',  # registers, patch-only position embedding, LayerScale
    'vit_base_patch16_rpn_224',  # residual post-norm blocks, no class token, avg pool
    'vit_small_patch16_18x2_224',  # parallel block pairs
    'vit_base_patch16_xp_224',  # fused parallel block, RMSNorm, qk-norm, no qkv bias
    'vit_pwee_patch16_reg1_gap_256',  # fused parallel block with qkv bias
    'vit_dwee_patch16_reg1_gap_256',  # differential attention (depth-dependent lambda)
    'vit_dpwee_patch16_reg1_gap_256',  # fused parallel block with differential attention
    'vit_wee_patch16_reg1_gap_256',  # register-token gap pooled through fc_norm
    'vit_medium_patch16_gap_240',  # gap with the norm before pooling, LayerScale 1e-6
    'test_vit3',  # attention pool reading the prefix tokens too
    'test_vit4',  # RMSNorm by name, dynamic input size
    'beit3_base_patch16_224',  # sub-LayerNorms inside attention and MLP, avg pool beside a class token
    'aimv2_large_patch14_224',  # SwiGLU, RMSNorm in the patch embedding, no projection biases
)
DEIT_SAMPLE = (
    'deit_tiny_patch16_224',  # plain DeiT
    'deit_tiny_distilled_patch16_224',  # class + distillation token, two heads averaged
    'deit3_small_patch16_224',  # DeiT-III: LayerScale, patch-only position embedding
)
DEFAULT_NAMES = list(DEIT_SAMPLE) + list(VIT_SAMPLE)
SLOW_NAMES = [n for n in ALL_NAMES if n not in DEFAULT_NAMES]


def _reduced(name: str) -> Dict[str, Any]:
    # the widest towers (2048-3072 wide) keep one block so -m slow stays within a few GiB; patch-14 models get a
    # whole number of patches (the dynamic-size ones refuse partial patches, as timm's do)
    return dict(img_size=70 if 'patch14' in name else 64,
                depth=1 if any(w in name for w in ('aimv2_1b', 'aimv2_3b', 'gigantic')) else 2)


def _parity_reduced(name: str) -> None:
    kwargs = _reduced(name)
    _parity(name, kwargs['img_size'], **kwargs)


def test_registered_names():
    # every name timm's modules register, under the same name
    for module in ('vision_transformer', 'deit'):
        assert set(zoo.list_models(module=module)) == set(timm.list_models(module=module)), module
    assert set(VIT_SAMPLE) <= set(VIT_NAMES) and set(DEIT_SAMPLE) <= set(DEIT_NAMES)


@pytest.mark.parametrize('name', DEFAULT_NAMES)
def test_parity_reduced(name: str):
    _parity_reduced(name)


@pytest.mark.slow
@pytest.mark.parametrize('name', SLOW_NAMES)
def test_parity_reduced_slow(name: str):
    _parity_reduced(name)


def test_parity_full_size_tiny():
    # full depth and resolution, class-token ViT and distilled DeiT (both ~6M params)
    _parity('vit_tiny_patch16_224', 224, batch_size=1)
    _parity('deit_tiny_distilled_patch16_224', 224, batch_size=1)


@pytest.mark.slow
@pytest.mark.parametrize('name', [
    'vit_small_patch16_384',  # plain, 384
    'vit_base_patch32_clip_224',  # CLIP pre-norm
    'vit_base_patch16_clip_quickgelu_224',  # QuickGELU
    'vit_small_patch14_reg4_dinov2',  # registers, LayerScale, 518 px, no_embed_class
    'vit_base_patch16_siglip_224',  # attention-pool head
    'vit_base_patch16_siglip_gap_224',  # gap without fc_norm
    'vit_base_patch16_rpn_224',  # residual post-norm blocks
    'vit_base_patch16_reg4_gap_256',  # registers + gap
    'vit_base_patch16_224_miil',  # no qkv bias
    'deit_small_patch16_224',
    'deit3_small_patch16_384',  # DeiT-III: LayerScale + no_embed_class at 384
    'flexivit_small',  # patch-only position embedding at 240
    'vit_wee_patch16_reg1_gap_256',
    'vit_dwee_patch16_reg1_gap_256',
    'vit_dpwee_patch16_reg1_gap_256',
    'vit_xsmall_patch16_clip_224',
    'test_vit3',
    'beit3_base_patch16_224',
])
def test_parity_full_size(name: str):
    _parity(name, timm.get_pretrained_cfg(name).input_size[-1], batch_size=1)


def test_features_only_matches_timm():
    assert_feature_info_parity('vit_tiny_patch16_224', depth=4)
    assert_feature_info_parity('vit_small_patch14_reg4_dinov2', depth=4, img_size=70)
    assert_feature_info_parity('deit_tiny_distilled_patch16_224', depth=4, out_indices=(0, 2))
    ref = timm.create_model('vit_small_patch14_reg4_dinov2', features_only=True, depth=4, img_size=70).eval()
    ours = zoo.create_model('vit_small_patch14_reg4_dinov2', features_only=True, depth=4, img_size=70).eval()
    fill_random_(ref)
    ours.load_state_dict(ref.state_dict(), strict=True)
    x = torch.randn(2, 3, 70, 70)
    with torch.inference_mode():
        out_ref, out = ref(x), ours(x)
    assert len(out) == len(out_ref) == 3
    for o, r in zip(out, out_ref):
        assert o.shape == (2, 384, 5, 5)
        _assert_close(o, r)
    # pruning removed the head and what the default (last three) levels do not need
    assert isinstance(ours.model.head, nn.Identity) and isinstance(ours.model.norm, nn.Identity)


@pytest.mark.parametrize('name', ['vit_small_patch14_reg4_dinov2', 'deit_tiny_distilled_patch16_224',
                                  pytest.param('vit_base_patch16_siglip_gap_224', marks=pytest.mark.slow)])
def test_forward_intermediates_match_timm(name: str):
    ref, ours = _build_pair(name, img_size=56, depth=3)
    x = torch.randn(2, 3, 56, 56)
    with torch.inference_mode():
        for kwargs in (dict(), dict(indices=[0, 2], norm=True), dict(indices=1, output_fmt='NLC')):
            final_ref, inter_ref = ref.forward_intermediates(x, **kwargs)
            final, inter = ours.forward_intermediates(x, **kwargs)
            _assert_close(final, final_ref)
            assert len(inter) == len(inter_ref)
            for o, r in zip(inter, inter_ref):
                _assert_close(o, r)
        grid = 56 // ours.patch_embed.patch_size[0]
        only = ours.forward_intermediates(x, indices=[1], intermediates_only=True)
        assert [tuple(t.shape) for t in only] == [(2, ours.embed_dim, grid, grid)]
        _assert_close(only[0], ref.forward_intermediates(x, indices=[1], intermediates_only=True)[0])
        # prefix tokens are dropped, so final features re-enter the head unchanged
        _assert_close(ours.forward_head(final), ref.forward_head(final_ref))


def test_prune_keeps_requested_outputs():
    _, ours = _build_pair('vit_tiny_patch16_224', img_size=32, depth=4)
    x = torch.randn(1, 3, 32, 32)
    with torch.inference_mode():
        before = ours.forward_intermediates(x, indices=[0, 1], intermediates_only=True)
        kept = ours.prune_intermediate_layers([0, 1], prune_norm=True)
        after = ours.forward_intermediates(x, indices=[0, 1], intermediates_only=True)
    assert kept == [0, 1] and len(ours.blocks) == 2 and ours.num_classes == 0
    for b, a in zip(before, after):
        torch.testing.assert_close(a, b)


def _save_random(name: str, path, **kwargs: Any) -> Dict[str, torch.Tensor]:
    from safetensors.torch import save_file
    model = fill_random_(timm.create_model(name, **kwargs))
    state_dict = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(state_dict, str(path))
    return state_dict


@pytest.mark.parametrize('src, dst, kwargs, size', [
    ('vit_tiny_patch16_224', 'vit_tiny_patch16_384', dict(depth=2), 384),  # class token in the embedding
    ('deit3_small_patch16_224', 'deit3_small_patch16_384', dict(depth=1), 384),  # patch-only embedding
    ('vit_small_patch14_reg4_dinov2', 'vit_small_patch14_reg4_dinov2', dict(depth=1, img_size=98), 518),
])
def test_pos_embed_resampled_like_timm(tmp_path, src: str, dst: str, kwargs: Dict[str, Any], size: int):
    """A checkpoint trained at one size loaded into a model of another size resamples pos_embed as timm does."""
    path = tmp_path / 'weights.safetensors'
    saved = _save_random(src, path, **kwargs)
    dst_kwargs = {k: v for k, v in kwargs.items() if k != 'img_size'}
    overlay = dict(file=str(path))
    ref = timm.create_model(dst, pretrained=True, pretrained_cfg_overlay=overlay, **dst_kwargs).eval()
    ours = zoo.create_model(dst, pretrained=True, pretrained_cfg_overlay=overlay, **dst_kwargs).eval()
    assert saved['pos_embed'].shape != ours.pos_embed.shape
    torch.testing.assert_close(ours.pos_embed, ref.pos_embed, rtol=0, atol=1e-6)
    # the same through checkpoint_path (random init first, then the file through the family's filter)
    via_path = zoo.create_model(dst, checkpoint_path=str(path), **dst_kwargs).eval()
    torch.testing.assert_close(via_path.pos_embed, ref.pos_embed, rtol=0, atol=1e-6)
    x = torch.randn(1, 3, size, size)
    with torch.inference_mode():
        _assert_close(ours(x), ref(x))


def test_dynamic_img_size_matches_timm():
    ref, ours = _build_pair('vit_small_patch14_reg4_dinov2', img_size=56, depth=2, dynamic_img_size=True)
    for h, w in ((56, 56), (42, 84), (70, 28)):
        x = torch.randn(1, 3, h, w)
        with torch.inference_mode():
            _assert_close(ours(x), ref(x))
            inter = ours.forward_intermediates(x, indices=1, intermediates_only=True)
        assert inter[0].shape == (1, 384, h // 14, w // 14)
    fixed = zoo.create_model('vit_tiny_patch16_224', img_size=32, depth=1)
    with pytest.raises(ValueError, match='does not match'):
        fixed(torch.randn(1, 3, 48, 48))


def test_set_input_size_matches_timm():
    ref, ours = _build_pair('vit_tiny_patch16_224', img_size=64, depth=2)
    ref.set_input_size(img_size=(96, 96))
    ours.set_input_size(96)
    torch.testing.assert_close(ours.pos_embed, ref.pos_embed, rtol=0, atol=1e-6)
    assert ours.patch_embed.grid_size == (6, 6)
    x = torch.randn(1, 3, 96, 96)
    with torch.inference_mode():
        _assert_close(ours(x), ref(x))


def test_distilled_heads_are_averaged():
    _, ours = _build_pair('deit_tiny_distilled_patch16_224', img_size=32, depth=1)
    x = torch.randn(2, 3, 32, 32)
    ours.train()  # the average is returned in training too (no flag-dependent tuple)
    with torch.no_grad():
        feats = ours.forward_features(x)
        cls_logits, dist_logits = ours.forward_head_distilled(feats)
        out = ours(x)
    assert not torch.allclose(cls_logits, dist_logits)
    torch.testing.assert_close(out, (cls_logits + dist_logits) / 2)
    ours.reset_classifier(7)
    assert ours(x).shape == (2, 7) and ours.head_dist.out_features == 7
    assert 'dist_token' in ours.no_weight_decay()


def test_api_and_training_paths():
    model = zoo.create_model('vit_small_patch14_reg4_dinov2', img_size=28, depth=2, drop_path_rate=0.1)
    assert {'pos_embed', 'cls_token', 'reg_token'} <= model.no_weight_decay()
    assert model.num_prefix_tokens == 5 and model.reg_token.shape == (1, 4, 384)
    names = [n for n, _ in model.named_parameters()]
    matcher = model.group_matcher()
    stem = [n for n in names if re.match(matcher['stem'], n)]
    assert {'cls_token', 'reg_token', 'pos_embed', 'patch_embed.proj.weight'} <= set(stem)
    assert all(re.match(matcher['stem'], n) or re.match(r'^blocks\.|^norm|^head', n) for n in names)
    # gradient checkpointing changes memory, not results
    model.eval()
    x = torch.randn(2, 3, 28, 28)
    ref = model(x)
    model.set_grad_checkpointing(True)
    out = model(x)
    torch.testing.assert_close(out, ref)
    out.sum().backward()
    assert model.blocks[0].attn.qkv.weight.grad is not None
    model.reset_classifier(5, 'avg')
    assert model(x).shape == (2, 5) and model.get_classifier().out_features == 5
    assert model.forward_head(model.forward_features(x), pre_logits=True).shape == (2, 384)
    with pytest.raises(ValueError):
        zoo.create_model('vit_base_patch16_gap_224', img_size=32, depth=1, global_pool='token')
    headless = zoo.create_model('vit_tiny_patch16_224', img_size=32, depth=1, num_classes=0)
    assert headless(torch.randn(1, 3, 32, 32)).shape == (1, 192)


def _copy_weights(ours: nn.Module, ref: nn.Module) -> None:
    fill_random_(ref)
    ours.load_state_dict(ref.state_dict(), strict=True)


def test_layers_match_timm():
    """The shared layers (zoo.layers.mlp / attention / patch_embed / layer_scale / pos_embed) in modes the
    registered models do not all exercise."""
    from zoo.layers.attention import Attention
    from zoo.layers.layer_scale import LayerScale2d
    from zoo.layers.diff_attention import DiffAttention
    from zoo.layers.mlp import GatedMlp, GluMlp, Mlp, SwiGLUPacked
    from zoo.layers.swiglu import SwiGLU
    from zoo.layers.patch_embed import PatchEmbed
    from zoo.layers.pos_embed import resample_abs_pos_embed, resample_abs_pos_embed_nhwc
    tl = timm.layers
    cases = [
        (Mlp(8, 16, use_conv=True, bias=(True, False)), tl.Mlp(8, 16, use_conv=True, bias=(True, False)),
         torch.randn(2, 8, 3, 3)),
        (Mlp(8, 16, out_features=4, norm_layer=nn.LayerNorm), tl.Mlp(8, 16, out_features=4, norm_layer=nn.LayerNorm),
         torch.randn(2, 5, 8)),
        (GluMlp(8, 16, act_layer=nn.SiLU, gate_last=False), tl.GluMlp(8, 16, act_layer=nn.SiLU, gate_last=False),
         torch.randn(2, 5, 8)),
        (GluMlp(8, 16, use_conv=True), tl.GluMlp(8, 16, use_conv=True), torch.randn(2, 8, 3, 3)),
        (GatedMlp(8, 16), tl.GatedMlp(8, 16), torch.randn(2, 5, 8)),
        (Attention(16, 4, qkv_bias=True, qk_norm=True, norm_layer=nn.LayerNorm),
         tl.Attention(16, 4, qkv_bias=True, qk_norm=True, norm_layer=nn.LayerNorm), torch.randn(2, 7, 16)),
        (LayerScale2d(8, 0.1), tl.LayerScale2d(8, 0.1), torch.randn(2, 8, 3, 3)),
        (SwiGLU(8, 12, norm_layer=nn.LayerNorm, align_to=8), tl.SwiGLU(8, 12, norm_layer=nn.LayerNorm, align_to=8),
         torch.randn(2, 5, 8)),
        (SwiGLUPacked(8, 16, act_layer=nn.SiLU), tl.SwiGLUPacked(8, 16, act_layer=nn.SiLU), torch.randn(2, 5, 8)),
        (DiffAttention(16, 2, qkv_bias=True, depth=3), tl.DiffAttention(16, 2, qkv_bias=True, depth=3),
         torch.randn(2, 7, 16)),
        (Attention(16, 4, scale_norm=True, norm_layer=nn.LayerNorm),
         tl.Attention(16, 4, scale_norm=True, norm_layer=nn.LayerNorm), torch.randn(2, 7, 16)),
        (PatchEmbed(None, 4, 3, 8, dynamic_img_pad=True, output_fmt='NHWC'),
         tl.PatchEmbed(None, 4, 3, 8, dynamic_img_pad=True, output_fmt='NHWC'), torch.randn(1, 3, 10, 13)),
    ]
    for ours, ref, x in cases:
        _copy_weights(ours.eval(), ref.eval())
        with torch.no_grad():
            _assert_close(ours(x), ref(x))
    posemb = torch.randn(1, 2 + 3 * 5, 8)
    for new_size in ((4, 7), (2, 2)):
        torch.testing.assert_close(
            resample_abs_pos_embed(posemb, new_size, old_size=(3, 5), num_prefix_tokens=2),
            tl.resample_abs_pos_embed(posemb, new_size, old_size=(3, 5), num_prefix_tokens=2))
    grid = torch.randn(1, 3, 5, 8)
    torch.testing.assert_close(resample_abs_pos_embed_nhwc(grid, (6, 4)), tl.resample_abs_pos_embed_nhwc(grid, (6, 4)))
    assert resample_abs_pos_embed(posemb, (3, 5), old_size=(3, 5), num_prefix_tokens=2) is posemb


@pytest.mark.parametrize('name', ['vit_dwee_patch16_reg1_gap_256', 'vit_dpwee_patch16_reg1_gap_256',
                                  'vit_pwee_patch16_reg1_gap_256', 'test_vit3'])
def test_fused_and_explicit_attention_agree(name: str):
    """The explicit (matmul / softmax) path equals the fused SDPA path, and timm's explicit path."""
    ref, ours = _build_pair(name, img_size=32, depth=2)
    assert all(m.fused_attn for m in ours.modules() if hasattr(m, 'fused_attn'))
    x = torch.randn(2, 3, 32, 32)
    with torch.inference_mode():
        fused = ours(x)
        switched = set_fused_attn(ours, False)
        explicit = ours(x)
        for m in ref.modules():
            if hasattr(m, 'fused_attn'):
                m.fused_attn = False
        ref_explicit = ref(x)
    assert switched >= 2  # every block (and the attention pool) has its own switch
    _assert_close(explicit, fused, atol=1e-5)
    _assert_close(explicit, ref_explicit)


def _sdpa_kernels(fn) -> list:
    from torch.profiler import profile
    with torch.inference_mode(), profile() as prof:
        fn()
    return [e.name for e in prof.events() if e.name.startswith('aten::_scaled_dot_product')]


def test_attend_avoids_the_slow_cpu_fallback_of_sdpa():
    """On CPU, SDPA runs its unfused math path for unequal q/v head widths or strided heads (about 2x slower than an
    explicit product, measured in benchmarks/profile_vs_timm.py); `attend` computes those itself, or gives SDPA
    unit-stride heads, with the same result."""
    from zoo.layers.attention import attend
    gen = torch.Generator().manual_seed(0)
    q, k = torch.randn(2, 4, 49, 16, generator=gen), torch.randn(2, 4, 49, 16, generator=gen)
    v = torch.randn(2, 4, 49, 64, generator=gen)  # LeViT-style: value heads wider than key heads
    bias = torch.randn(4, 49, 49, generator=gen)
    assert _sdpa_kernels(lambda: torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=bias)) == [
        'aten::_scaled_dot_product_attention_math']  # what calling SDPA directly runs
    assert _sdpa_kernels(lambda: attend(q, k, v, attn_mask=bias)) == []
    torch.testing.assert_close(attend(q, k, v, attn_mask=bias),
                               torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=bias))
    # heads strided along their width (q/k/v sliced from a (B, heads, D, N) projection, as conv attention does)
    qkv = torch.randn(2, 3, 4, 32, 49, generator=gen).transpose(-2, -1)
    qs, ks, vs = qkv.unbind(1)
    assert qs.stride(-1) != 1
    assert _sdpa_kernels(lambda: attend(qs, ks, vs)) == ['aten::_scaled_dot_product_flash_attention_for_cpu']
    torch.testing.assert_close(attend(qs, ks, vs), attend(qs, ks, vs, fused=False))


def test_attend_paths_agree_with_masks_and_default_switch():
    from zoo.layers.attention import attend
    gen = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 3, 5, 8, generator=gen) for _ in range(3))
    keep = torch.rand(2, 1, 5, 5, generator=gen) > 0.3
    keep[..., 0] = True  # every query keeps at least one key
    additive = torch.randn(2, 3, 5, 5, generator=gen)
    for mask in (None, keep, additive):
        torch.testing.assert_close(attend(q, k, v, fused=False, attn_mask=mask, scale=0.3),
                                   attend(q, k, v, fused=True, attn_mask=mask, scale=0.3))
    # a hand-written reference for the boolean mask: masked keys get no weight
    probs = (q @ k.transpose(-2, -1) * 8 ** -0.5).masked_fill(~keep, float('-inf')).softmax(-1)
    torch.testing.assert_close(attend(q, k, v, fused=False, attn_mask=keep), probs @ v)
    # grouped-query attention: each of 2 key/value heads serves 2 query heads, as if repeated
    q4 = torch.randn(2, 4, 5, 8, generator=gen)
    k2, v2 = k[:, :2], v[:, :2]
    grouped = attend(q4, k2, v2, fused=False)
    torch.testing.assert_close(grouped, attend(q4, k2.repeat_interleave(2, 1), v2.repeat_interleave(2, 1)))
    torch.testing.assert_close(grouped, attend(q4, k2, v2, fused=True))
    # the process default decides what new modules use
    assert use_fused_attn()
    set_default_fused_attn(False)
    try:
        model = zoo.create_model('test_vit3', img_size=32, depth=1)
    finally:
        set_default_fused_attn(True)
    flags = [m.fused_attn for m in model.modules() if hasattr(m, 'fused_attn')]
    assert flags and not any(flags)


def test_patch_size_change_like_timm(tmp_path):
    """FlexiViT: set_input_size(patch_size=...) and a checkpoint of another patch size resample the patch
    projection (pseudo-inverse resize) and the position embedding as timm does."""
    ref, ours = _build_pair('flexivit_small', img_size=64, depth=1)
    ref.set_input_size(img_size=(96, 96), patch_size=(8, 8))
    ours.set_input_size(96, patch_size=8)
    assert ours.patch_embed.proj.weight.shape[-2:] == (8, 8) and ours.patch_embed.grid_size == (12, 12)
    assert ours.feature_info[-1]['reduction'] == 8
    x = torch.randn(1, 3, 96, 96)
    with torch.inference_mode():
        _assert_close(ours(x), ref(x))
    path = tmp_path / 'weights.safetensors'
    saved = _save_random('flexivit_small', path, depth=1, img_size=64, patch_size=32)
    overlay = dict(file=str(path))
    ref = timm.create_model('flexivit_small', pretrained=True, pretrained_cfg_overlay=overlay, depth=1,
                            img_size=64).eval()
    ours = zoo.create_model('flexivit_small', pretrained=True, pretrained_cfg_overlay=overlay, depth=1,
                            img_size=64).eval()
    assert saved['patch_embed.proj.weight'].shape[-1] == 32 and ours.patch_embed.proj.weight.shape[-1] == 16
    torch.testing.assert_close(ours.patch_embed.proj.weight, ref.patch_embed.proj.weight, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(ours.pos_embed, ref.pos_embed, rtol=0, atol=1e-6)
    x = torch.randn(1, 3, 64, 64)
    with torch.inference_mode():
        _assert_close(ours(x), ref(x))


def test_no_pos_embed_and_dynamic_pad_match_timm():
    ref, ours = _build_pair('vit_tiny_patch16_224', img_size=32, depth=1, pos_embed='none')
    assert ours.pos_embed is None and 'pos_embed' not in ours.state_dict()
    x = torch.randn(2, 3, 32, 32)
    with torch.inference_mode():
        _assert_close(ours(x), ref(x))
    # any input size, padded up to whole patches: 50 x 37 gives a 4 x 3 grid
    ref, ours = _build_pair('test_vit2', img_size=32, depth=2, dynamic_img_pad=True)
    x = torch.randn(1, 3, 50, 37)
    with torch.inference_mode():
        _assert_close(ours(x), ref(x))
        inter = ours.forward_intermediates(x, indices=1, intermediates_only=True)
    assert inter[0].shape == (1, 64, 4, 3)



@pytest.mark.parametrize('name, src_kwargs, dst_kwargs', [
    # RADIO v3 base: bilinear, no antialias, aligned corners; v4: bilinear without aligned corners
    ('vit_base_patch16_radio_v3', dict(img_size=64), dict(img_size=96)),
    ('vit_huge_patch16_radio_v4', dict(img_size=64, embed_dim=64, num_heads=2), dict(img_size=80, embed_dim=64,
                                                                                     num_heads=2)),
    # a SigLIP checkpoint loaded into a tower without its attention pool (timm loads it non-strictly)
    ('vit_base_patch16_siglip_224', dict(img_size=32), dict(img_size=32, global_pool='avg', fc_norm=False)),
])
def test_checkpoint_resampling_modes_like_timm(tmp_path, name: str, src_kwargs: Dict[str, Any],
                                               dst_kwargs: Dict[str, Any]):
    path = tmp_path / 'weights.safetensors'
    _save_random(name, path, depth=1, **src_kwargs)
    overlay = dict(file=str(path))
    ref = timm.create_model(name, pretrained=True, pretrained_cfg_overlay=overlay, depth=1, **dst_kwargs).eval()
    ours = zoo.create_model(name, pretrained=True, pretrained_cfg_overlay=overlay, depth=1, **dst_kwargs).eval()
    torch.testing.assert_close(ours.pos_embed, ref.pos_embed, rtol=0, atol=1e-6)
    size = dst_kwargs['img_size']
    x = torch.randn(1, 3, size, size)
    with torch.inference_mode():
        _assert_close(ours(x), ref(x))
