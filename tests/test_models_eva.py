"""EVA / EVA-02 and the rotary-embedding ViTs of timm's `eva` module, checked against timm (the reference oracle).

Default run: one model per block / embedding / head switch of the family at 64 px with two blocks (the widest ones
also narrowed; blocks repeat, so depth and width add cost, not coverage), plus the family behaviour timm has:
`set_input_size`, dynamic input size, position-embedding resampling on load, patch dropout in training, the explicit
attention path, intermediates and the checkpoint filter's key conversion. `-m slow`: every name at 64 px, two blocks.
"""
from typing import Any, Dict

import pytest
import torch

from _pairs import build_pair, check_pair, load_both, save_random
from _parity import assert_feature_info_parity, assert_outputs_close, timm

import zoo
from zoo.layers.attention_rope import set_fused_attn

NAMES = zoo.list_models(module='eva')
NARROW = dict(embed_dim=64, num_heads=4)


_SAPIENS2_HEADS = dict(vit_base_patch16_sapiens2=12, vit_large_patch16_sapiens2=16, vit_huge_patch16_sapiens2=16,
                       vit_giant_patch16_sapiens2=24, vit_5b_patch16_sapiens2=32)


def _reduced(name: str) -> Dict[str, Any]:
    kwargs: Dict[str, Any] = dict(img_size=64, depth=2)
    if name in _SAPIENS2_HEADS:
        heads = _SAPIENS2_HEADS[name]
        kwargs['num_kv_heads'] = (heads, heads // 2)  # one full and one grouped-query block
    return kwargs


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module='eva'))
    assert len(NAMES) == 65


# one model per switch: block layout, MLP kind, attention kind, rotary type, tokens, pooling / head
SAMPLE = [
    ('eva02_tiny_patch14_224', {}),  # packed SwiGLU, 'cat' rotary with ref grid, abs embedding, avg + fc_norm
    ('eva02_base_patch14_224', NARROW),  # separate q/k/v without key bias, SwiGLU with hidden norm
    ('eva02_base_patch16_clip_224', NARROW),  # attention output norm, class-token pooling
    ('eva02_enormous_patch14_clip_224', NARROW),  # residual post-norm blocks, no rotary
    ('vit_small_patch16_rope_224', {}),  # 'rope' attention with key bias, xy grid, LayerScale
    ('vit_small_patch16_rope_mixed_ape_224', {}),  # learned mixed rotary + patch-only abs embedding
    ('vit_small_plus_patch16_dinov3_qkvb', {}),  # DINOv3 rotary (centred, rotate-half), registers, padded SwiGLU
    ('vit_pe_core_tiny_patch16_384', {}),  # pre-norm, grid offset, attention-pool head
    ('vit_pe_lang_large_patch14_448', NARROW),  # no final norm, no fc_norm
    ('vit_medium_patch16_rope_reg1_gap_256', NARROW),  # register without class token
    ('vit_base_patch16_sapiens2', dict(NARROW, num_kv_heads=(4, 2))),  # grouped query, RMSNorm qk-norm, attn-only LS
]


@pytest.mark.parametrize('name, kwargs', SAMPLE, ids=[s[0] for s in SAMPLE])
def test_parity_sample(name: str, kwargs: Dict[str, Any]):
    check_pair(name, (64, 64), img_size=64, depth=2, **kwargs)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_all_names(name: str):
    check_pair(name, (64, 64), **_reduced(name))


def test_full_size_tiny():
    # native depth and resolution (12 blocks at 224 px, ~6M parameters)
    check_pair('eva02_tiny_patch14_224', (224, 224), batch_size=1)


def test_set_input_size_matches_timm():
    for name in ('eva02_tiny_patch14_224', 'vit_small_patch16_rope_mixed_ape_224'):
        ref, ours = build_pair(name, img_size=64, depth=2)
        ref.set_input_size(img_size=(96, 80))
        ours.set_input_size((96, 80))
        torch.testing.assert_close(ours.pos_embed, ref.pos_embed, rtol=0, atol=1e-6)
        x = torch.randn(1, 3, 96, 80)
        with torch.inference_mode():
            assert_outputs_close(ours(x), ref(x), name=name)
        with pytest.raises(ValueError, match='does not match'):
            ours(torch.randn(1, 3, 64, 64))


def test_dynamic_img_size_matches_timm():
    # DINOv3 is dynamic by default (rotary only); EVA-02 made dynamic resamples its abs embedding per input too
    for name, kwargs in (('vit_small_patch16_dinov3', {}), ('eva02_tiny_patch14_224', dict(dynamic_img_size=True))):
        ref, ours = build_pair(name, img_size=64, depth=2, **kwargs)
        patch = ours.patch_embed.patch_size[0]
        for h, w in ((patch * 4, patch * 4), (patch * 3, patch * 6), (patch * 5, patch * 3)):
            x = torch.randn(1, 3, h, w)
            with torch.inference_mode():
                assert_outputs_close(ours(x), ref(x), name=f'{name} {h}x{w}')
                maps = ours.forward_intermediates(x, indices=1, intermediates_only=True)
            assert maps[0].shape == (1, ours.embed_dim, h // patch, w // patch)
    # sizes that are not a multiple of the patch are zero-padded with dynamic_img_pad
    ref, ours = build_pair('eva02_tiny_patch14_224', img_size=56, depth=2, dynamic_img_size=True, dynamic_img_pad=True)
    x = torch.randn(1, 3, 60, 45)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x))
        assert ours.forward_intermediates(x, indices=1, intermediates_only=True)[0].shape[-2:] == (5, 4)


def test_rotary_coordinate_augmentation_matches_timm():
    """DINOv3-style train-time shift / jitter / rescale of the rotary coordinates draws like timm for a seed;
    eval uses the plain grid."""
    ref, ours = build_pair('vit_base_patch16_sapiens2', img_size=64, depth=2, num_kv_heads=(4, 2), **NARROW,
                           rope_shift_coords=0.5, rope_jitter_coords=1.5)
    ref.train(), ours.train()
    x = torch.randn(2, 3, 64, 64)
    torch.manual_seed(3)
    expected = ref(x)
    torch.manual_seed(3)
    out = ours(x)
    assert_outputs_close(out, expected)
    with torch.no_grad():
        assert not torch.allclose(ours.eval()(x), out, atol=1e-3)


@pytest.mark.parametrize('name, src_size, dst_size', [
    ('eva02_tiny_patch14_224', 70, 98),  # class token in the embedding, rotary rescaled to its ref grid
    ('vit_small_patch16_rope_ape_224', 64, 96),  # patch-only embedding
])
def test_pos_embed_resampled_on_load(tmp_path, name: str, src_size: int, dst_size: int):
    path = tmp_path / 'weights.safetensors'
    saved = save_random(name, path, img_size=src_size, depth=2)
    ref, ours = load_both(name, path, img_size=dst_size, depth=2)
    assert saved['pos_embed'].shape != ours.pos_embed.shape
    torch.testing.assert_close(ours.pos_embed, ref.pos_embed, rtol=0, atol=1e-6)
    via_path = zoo.create_model(name, img_size=dst_size, depth=2, checkpoint_path=str(path)).eval()
    torch.testing.assert_close(via_path.pos_embed, ref.pos_embed, rtol=0, atol=1e-6)
    x = torch.randn(1, 3, dst_size, dst_size)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name=name)


def test_patch_dropout_in_training_matches_timm():
    """Training keeps a random half of the patches (the same draw as timm for a seed) and gathers the rotary
    embedding rows of the kept tokens; eval keeps every token."""
    for name in ('eva02_tiny_patch14_224', 'vit_small_patch16_rope_mixed_224'):
        ref, ours = build_pair(name, img_size=64, depth=2, patch_drop_rate=0.5)
        ref.train(), ours.train()
        x = torch.randn(2, 3, 64, 64)
        torch.manual_seed(1)
        expected = ref.forward_features(x)
        torch.manual_seed(1)
        out = ours.forward_features(x)
        num_patches = ours.patch_embed.num_patches
        assert out.shape[1] == ours.num_prefix_tokens + num_patches // 2
        assert_outputs_close(out, expected, name=name)
        ours.eval()
        with torch.no_grad():
            assert ours.forward_features(x).shape[1] == ours.num_prefix_tokens + num_patches


def test_explicit_attention_equals_fused():
    # grouped-query heads and prefix tokens skipped by the rotary embedding go through both paths
    _, ours = build_pair('vit_base_patch16_sapiens2', img_size=64, depth=2, num_kv_heads=(4, 2), **NARROW)
    x = torch.randn(2, 3, 64, 64)
    with torch.inference_mode():
        fused = ours(x)
        assert set_fused_attn(ours, False) == 2
        explicit = ours(x)
    assert_outputs_close(explicit, fused, atol=1e-5)


@pytest.mark.parametrize('name', ['vit_pe_core_tiny_patch16_384', 'vit_small_patch16_rope_mixed_224'])
def test_forward_intermediates_match_timm(name: str):
    ref, ours = build_pair(name, img_size=64, depth=3)
    x = torch.randn(2, 3, 64, 64)
    with torch.inference_mode():
        for kwargs in (dict(), dict(indices=[0, 2], norm=True), dict(indices=1, output_fmt='NLC')):
            final_ref, inter_ref = ref.forward_intermediates(x, **kwargs)
            final, inter = ours.forward_intermediates(x, **kwargs)
            assert_outputs_close(final, final_ref)
            assert len(inter) == len(inter_ref)
            for o, r in zip(inter, inter_ref):
                assert_outputs_close(o, r)
        assert_outputs_close(ours.forward_head(final), ref.forward_head(final_ref))
    assert_feature_info_parity(name, img_size=64, depth=3)


def test_api_against_timm():
    ref, ours = build_pair('vit_small_patch16_rope_mixed_224', img_size=64, depth=2)
    # timm also lists absent parameters (pos_embed, reg_token); the learned rotary frequencies are included
    params = dict(ours.named_parameters())
    assert ours.no_weight_decay() == {n for n in ref.no_weight_decay() if n in params} == {'cls_token', 'rope.freqs'}
    assert ours.group_matcher() == ref.group_matcher()
    x = torch.randn(2, 3, 64, 64)
    ours.reset_classifier(7, global_pool='avg')
    ref.reset_classifier(7, global_pool='avg')
    ours.head.load_state_dict(ref.head.state_dict())
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x))
    with pytest.raises(ValueError, match='map'):
        ours.reset_classifier(3, global_pool='map')
    # gradient checkpointing recomputes blocks with their rotary argument; same output and gradients flow
    ours.train()
    expected = ours(x)
    ours.set_grad_checkpointing(True)
    out = ours(x)
    out.sum().backward()
    torch.testing.assert_close(out, expected)
    assert ours.rope.freqs.grad is not None


def test_original_eva_checkpoint_keys_are_converted():
    """EVA-02's original (BAAI MIM) checkpoints name the sub-LN norms and SwiGLU projections differently and carry
    masked-image-modelling parts; the filter converts them (the final norm becomes the fine-tuning fc_norm)."""
    kwargs: Dict[str, Any] = dict(img_size=56, depth=1, **NARROW)
    model = zoo.create_model('eva02_base_patch14_224', **kwargs)
    renames = [('mlp.norm', 'mlp.ffn_ln'), ('attn.norm', 'attn.inner_attn_ln'), ('mlp.fc1_g', 'mlp.w1'),
               ('mlp.fc1_x', 'mlp.w2'), ('mlp.fc2', 'mlp.w3'), ('attn.q_proj.bias', 'attn.q_bias'),
               ('attn.v_proj.bias', 'attn.v_bias'), ('fc_norm', 'norm')]
    original = _to_original(model.state_dict(), renames)
    original.update({'mask_token': torch.zeros(1, 1, 64), 'lm_head.weight': torch.zeros(8, 64)})
    _assert_converts_back(model, {'module': original}, 'eva02_base_patch14_224', **kwargs)


def _to_original(state_dict: Dict[str, torch.Tensor], renames) -> Dict[str, torch.Tensor]:
    out = {}
    for key, value in state_dict.items():
        for ours, theirs in renames:
            key = key.replace(ours, theirs)
        out[key] = value
    return out


def _assert_converts_back(model, original: Dict[str, torch.Tensor], name: str, **kwargs: Any) -> None:
    """zoo's filter maps `original` back to the model's own state_dict, as timm's filter does."""
    from timm.models.eva import checkpoint_filter_fn as timm_filter
    from zoo.models.eva import checkpoint_filter_fn
    expected = model.state_dict()
    converted = checkpoint_filter_fn(dict(original), model)
    by_timm = timm_filter(dict(original), timm.create_model(name, **kwargs))
    assert set(converted) == set(expected) == set(by_timm)
    for key, value in converted.items():
        torch.testing.assert_close(value, expected[key], rtol=0, atol=0, msg=key)
        torch.testing.assert_close(value, by_timm[key], rtol=0, atol=0, msg=key)


def test_meta_release_layouts_are_converted():
    """Checkpoints in the layouts Meta released (DINOv3, Sapiens2, Perception Encoder) load after conversion."""
    # DINOv3: storage tokens, ls1/ls2, packed qkv bias with a zero key part, pre-training extras
    kwargs: Dict[str, Any] = dict(img_size=64, depth=2, **NARROW)
    model = zoo.create_model('vit_small_patch16_dinov3_qkvb', **kwargs)
    sd = model.state_dict()
    original = _to_original({k: v for k, v in sd.items() if not k.endswith(('q_bias', 'v_bias'))},
                            [('reg_token', 'storage_tokens'), ('gamma_1', 'ls1.gamma'), ('gamma_2', 'ls2.gamma')])
    for i in range(2):
        q, v = sd[f'blocks.{i}.attn.q_bias'], sd[f'blocks.{i}.attn.v_bias']
        original[f'blocks.{i}.attn.qkv.bias'] = torch.cat([q, torch.zeros_like(q), v])
        original[f'blocks.{i}.attn.qkv.bias_mask'] = torch.ones(3 * q.numel())
    original.update({'mask_token': torch.zeros(1, 64), 'rope_embed.periods': torch.ones(4),
                     'local_cls_norm.weight': torch.ones(64)})
    _assert_converts_back(model, original, 'vit_small_patch16_dinov3_qkvb', **kwargs)

    # Sapiens2: wq/wk/wv, attention-held LayerScale, ffn.w12/w3, ln1/ln2 and a final ln1
    kwargs = dict(img_size=64, depth=2, num_kv_heads=(4, 2), **NARROW)
    model = zoo.create_model('vit_base_patch16_sapiens2', **kwargs)
    renames = [('reg_token', 'storage_tokens'), ('patch_embed.proj.', 'patch_embed.projection.'),
               ('attn.q_proj.', 'attn.wq.'), ('attn.k_proj.', 'attn.wk.'), ('attn.v_proj.', 'attn.wv.'),
               ('gamma_1', 'attn.gamma.weight'), ('mlp.fc1', 'ffn.w12'), ('mlp.fc2', 'ffn.w3'), ('norm1.', 'ln1.'),
               ('norm2.', 'ln2.')]
    original = _to_original(model.state_dict(), renames)
    original = {('ln1.' + k[len('norm.'):] if k.startswith('norm.') else k): v for k, v in original.items()}
    original['mask_token'] = torch.zeros(1, 64)
    _assert_converts_back(model, original, 'vit_base_patch16_sapiens2', **kwargs)

    # Perception Encoder (OpenCLIP layout under `visual.`): fused attention-pool projection, `proj` as the head
    model = zoo.create_model('vit_pe_core_tiny_patch16_384', img_size=64, depth=2)
    with torch.no_grad():
        model.head.bias.zero_()  # the released projection has no bias
    sd = model.state_dict()
    renames = [('patch_embed.proj', 'conv1'), ('blocks.', 'transformer.resblocks.'), ('norm_pre', 'ln_pre'),
               ('norm1', 'ln_1'), ('norm2', 'ln_2'), ('attn.qkv.', 'attn.in_proj_'), ('attn.proj', 'attn.out_proj'),
               ('mlp.fc1', 'mlp.c_fc'), ('mlp.fc2', 'mlp.c_proj'), ('attn_pool.proj', 'attn_pool.attn.out_proj'),
               ('attn_pool.norm', 'attn_pool.layernorm'), ('attn_pool.latent', 'attn_pool.probe')]
    skip = ('attn_pool.q.', 'attn_pool.kv.', 'head.', 'cls_token', 'pos_embed', 'norm.')
    original = _to_original({k: v for k, v in sd.items() if not k.startswith(skip)}, renames)
    original.update({'ln_post.weight': sd['norm.weight'], 'ln_post.bias': sd['norm.bias'],
                     'proj': sd['head.weight'].t(), 'class_embedding': sd['cls_token'].flatten(),
                     'positional_embedding': sd['pos_embed'][0]})
    for kind in ('weight', 'bias'):
        original[f'attn_pool.attn.in_proj_{kind}'] = torch.cat([sd[f'attn_pool.q.{kind}'], sd[f'attn_pool.kv.{kind}']])
    _assert_converts_back(model, {f'visual.{k}': v for k, v in original.items()}, 'vit_pe_core_tiny_patch16_384',
                          img_size=64, depth=2)
