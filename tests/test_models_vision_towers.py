"""The VLM vision towers of timm's `qwen3_vit` and `deepseek_vit` modules, checked against timm (the reference oracle).

Default run: every model kind (classifier, classifier on the projector, encoder with each output mode) of both
families on a narrow two-block trunk, one name at its native width and depth on a small input, and the family
behaviour timm has: intermediates and pruning, the checkpoint filters on the released (VLM) key layouts, the
explicit attention path, the API metadata. `-m slow`: every name at its native size on a reduced input.
"""
from typing import Any, Dict, Tuple

import pytest
import torch

from _pairs import build_pair, check_pair, load_both
from _parity import (assert_feature_info_parity, assert_outputs_close, assert_parity_shared_weights, fill_random_,
                     timm)

import zoo
from zoo.layers.attention_rope import set_fused_attn
from zoo.layers.token_merge import fold_token_grid

MODULES = ('qwen3_vit', 'deepseek_vit')
NAMES = [name for module in MODULES for name in zoo.list_models(module=module)]
# narrow trunks (head width 32) with a small projector; the Qwen grid embedding is resampled from 6 x 6
QWEN = dict(embed_dim=128, num_heads=4, depth=2, pos_embed_grid_size=6)
DEEPSEEK = dict(embed_dim=128, num_heads=4, depth=2)


@pytest.mark.parametrize('module', MODULES)
def test_names_match_timm(module: str):
    assert set(zoo.list_models(module=module)) == set(timm.list_models(module=module))


# (name, kwargs, input (H, W)): every model kind and output mode; grids that do not divide into the DeepSeek fold
SAMPLE = [
    ('qwen3_vit_88m', dict(QWEN, num_classes=5), (64, 96)),
    ('qwen3_vit_88m', dict(QWEN, num_classes=0, global_pool=''), (64, 64)),  # per-token features
    ('qwen3_vit_306m_merge', dict(QWEN, num_classes=5, out_features=48), (64, 96)),
    ('qwen3_vit_416m_enc', dict(QWEN, out_features=48), (96, 64)),
    ('qwen3_vit_88m_enc', dict(QWEN, out_features=0), (64, 64)),  # projector without its last projection
    ('qwen3_vit_88m_enc', dict(QWEN, global_pool='avg'), (64, 64)),
    ('qwen3_vit_88m_enc', dict(QWEN, global_pool=''), (64, 64)),
    ('deepseek_vit_412m', dict(DEEPSEEK, num_classes=5), (70, 112)),
    ('deepseek_vit_412m_align', dict(DEEPSEEK, num_classes=5, out_features=48), (70, 112)),  # 5 x 8 grid, padded
    ('deepseek_vit_412m_enc', dict(DEEPSEEK, out_features=48), (126, 126)),
    ('deepseek_vit_412m_enc', dict(DEEPSEEK, global_pool='avg', dynamic_img_pad=True), (70, 100)),  # padded image
]


@pytest.mark.parametrize('name, kwargs, input_hw', SAMPLE,
                         ids=[f'{s[0]}-{s[1].get("global_pool", s[1].get("out_features", ""))}' for s in SAMPLE])
def test_parity_sample(name: str, kwargs: Dict[str, Any], input_hw: Tuple[int, int]):
    check_pair(name, input_hw, **kwargs)


@pytest.mark.parametrize('name, input_size, kwargs', [('qwen3_vit_88m_enc', 64, {}),
                                                      ('deepseek_vit_412m_enc', 126, dict(out_features=48))])
def test_native_width_parity(name: str, input_size: int, kwargs: Dict[str, Any]):
    # native width, heads, MLP and position grid (blocks repeat, so one is enough here; -m slow runs every block)
    check_pair(name, (input_size, input_size), batch_size=1, depth=1, **kwargs)


def _reduced_input(name: str) -> int:
    # the smallest square input of each family: a 4 x 4 Qwen grid (2 x 2 merged), a 9 x 9 DeepSeek grid (3 x 3 aligned)
    return 126 if name.startswith('deepseek') else 64


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_all_names(name: str):
    assert_parity_shared_weights(name, _reduced_input(name))


@pytest.mark.parametrize('name, kwargs', [('qwen3_vit_88m_merge', dict(QWEN, out_features=48)),
                                          ('deepseek_vit_412m_align', dict(DEEPSEEK, out_features=48))])
def test_intermediates_and_prune_match_timm(name: str, kwargs: Dict[str, Any]):
    ref, ours = build_pair(name, **kwargs)
    x = torch.randn(2, 3, 64, 96) if name.startswith('qwen') else torch.randn(2, 3, 70, 112)
    with torch.inference_mode():
        for norm in (False, True):
            final, inter = ours.forward_intermediates(x, indices=[0, 1], norm=norm)
            final_ref, inter_ref = ref.forward_intermediates(x, indices=[0, 1], norm=norm)
            assert_outputs_close(final, final_ref, name=name)  # the projector's tokens
            for a, b in zip(inter, inter_ref):
                assert_outputs_close(a, b, name=name)
        nlc = ours.forward_intermediates(x, indices=1, output_fmt='NLC', intermediates_only=True)
        nlc_ref = ref.forward_intermediates(x, indices=1, output_fmt='NLC', intermediates_only=True)
        assert_outputs_close(nlc[0], nlc_ref[0], name=name)
    assert ours.prune_intermediate_layers([0]) == ref.prune_intermediate_layers([0])
    assert ours.num_features == ref.num_features and ours.encoder.projector is None
    assert set(ours.state_dict()) == set(ref.state_dict())
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name=f'{name} pruned')


@pytest.mark.parametrize('name', ['qwen3_vit_88m_enc', 'deepseek_vit_412m'])
def test_encoder_prune_and_feature_info(name: str):
    kwargs = dict(QWEN if name.startswith('qwen') else DEEPSEEK, depth=3)
    assert_feature_info_parity(name, **kwargs)
    ref, ours = build_pair(name, **kwargs)
    x = torch.randn(1, 3, *((126, 126) if name.startswith('deepseek') else (64, 64)))
    ours.prune_intermediate_layers(1, prune_norm=True, prune_head=False)
    ref.prune_intermediate_layers(1, prune_norm=True, prune_head=False)
    with torch.inference_mode():
        assert_outputs_close(ours.forward_features(x), ref.forward_features(x), name=name)


def _qwen_release(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """timm's encoder state dict in the layout of a released Qwen3.5 checkpoint shard (with language-model keys)."""
    out = {'model.language_model.embed_tokens.weight': torch.randn(8, 4),
           'model.visual.rotary_pos_emb.inv_freq': torch.randn(8),
           'model.visual.deepstack_merger_list.0.linear_fc1.weight': torch.randn(4, 4)}
    for key, value in state_dict.items():
        key = key.replace('.mlp.fc', '.mlp.linear_fc').replace('merger.fc', 'merger.linear_fc')
        if key == 'patch_embed.proj.weight':
            value = torch.stack([value * 0.25, value * 0.75], dim=2)  # Conv3d over two frames
        elif key == 'pos_embed':
            key, value = 'pos_embed.weight', value[0]
        out[f'model.visual.{key}'] = value
    return out


def _deepseek_release(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """timm's encoder state dict in the layout of a released DeepSeek checkpoint shard (with language-model keys, whose
    top-level `norm` / `head` collide with the tower's names)."""
    out = {'norm.weight': torch.randn(8), 'head.weight': torch.randn(8, 4),
           'layers.0.attn.wq.weight': torch.randn(4, 4)}
    renames = (('.attn.qkv.', '.attn.wqkv.'), ('.attn.proj.', '.attn.wo.'), ('.mlp.fc1.', '.mlp.w1.'),
               ('.mlp.fc2.', '.mlp.w2.'), ('aligner.fc1.', 'aligner.w1.'), ('aligner.fc2.', 'aligner.w2.'))
    for key, value in state_dict.items():
        for new, old in renames:
            key = key.replace(new, old)
        if key == 'patch_embed.proj.weight':
            value = value.flatten(1)  # a Linear over flattened patches
        out[key if key.startswith('aligner.') else f'vision.{key}'] = value
    return out


@pytest.mark.parametrize('name, kwargs, convert', [
    ('qwen3_vit_88m_enc', dict(QWEN, out_features=48), _qwen_release),
    ('deepseek_vit_412m_enc', dict(DEEPSEEK, out_features=48), _deepseek_release),
])
def test_checkpoint_filter_loads_releases(name: str, kwargs: Dict[str, Any], convert, tmp_path):
    from safetensors.torch import save_file
    encoder = fill_random_(timm.create_model(name, **kwargs))
    release = {k: v.contiguous() for k, v in convert(encoder.state_dict()).items()}
    save_file(release, str(tmp_path / 'release.safetensors'))
    x = torch.randn(1, 3, 126, 126) if name.startswith('deepseek') else torch.randn(1, 3, 64, 64)
    # the release into the encoder, and into the classifier on the projector (under `encoder.`)
    classifier = name.replace('_enc', '_merge' if name.startswith('qwen') else '_align')
    for target in (name, classifier):
        ref, ours = load_both(target, tmp_path / 'release.safetensors', **kwargs)
        for key, value in ref.state_dict().items():
            torch.testing.assert_close(ours.state_dict()[key], value, rtol=0, atol=0, msg=key)
        with torch.inference_mode():
            assert_outputs_close(ours(x), ref(x), name=target)
    # a fine-tuned classifier checkpoint round-trips
    save_file({k: v.contiguous() for k, v in ours.state_dict().items()}, str(tmp_path / 'classifier.safetensors'))
    ref, again = load_both(classifier, tmp_path / 'classifier.safetensors', **kwargs)
    with torch.inference_mode():
        assert_outputs_close(again(x), ours(x), name=classifier)


def test_explicit_attention_matches_fused():
    ref, ours = build_pair('deepseek_vit_412m_enc', **DEEPSEEK, out_features=48)
    x = torch.randn(1, 3, 126, 126)
    with torch.inference_mode():
        fused = ours(x)
        assert set_fused_attn(ours, False) == DEEPSEEK['depth']
        explicit = ours(x)
        assert_outputs_close(explicit, fused)
        assert_outputs_close(explicit, ref(x))


def test_grad_checkpointing_matches():
    _, ours = build_pair('qwen3_vit_88m_merge', **QWEN, out_features=48, num_classes=3)
    x = torch.randn(2, 3, 64, 64)
    grads = []
    for enable in (False, True):
        ours.set_grad_checkpointing(enable)
        ours.zero_grad()
        ours(x).square().sum().backward()
        grads.append(ours.encoder.blocks[0].attn.qkv.weight.grad.clone())
    assert ours.encoder.grad_checkpointing
    torch.testing.assert_close(grads[1], grads[0])


@pytest.mark.parametrize('name', ['qwen3_vit_88m', 'qwen3_vit_88m_enc', 'deepseek_vit_412m_align',
                                  'deepseek_vit_412m_enc'])
def test_api_metadata_matches_timm(name: str):
    kwargs = QWEN if name.startswith('qwen') else DEEPSEEK
    with torch.device('meta'):
        ref = timm.create_model(name, **kwargs)
        ours = zoo.create_model(name, **kwargs)
    assert ours.group_matcher() == ref.group_matcher()
    assert ours.no_weight_decay() == ref.no_weight_decay()
    assert ours.num_features == ref.num_features and ours.head_hidden_size == ref.head_hidden_size
    assert [dict(fi) for fi in ours.feature_info] == [dict(fi) for fi in ref.feature_info]


def test_classifier_head_reset():
    ref, ours = build_pair('deepseek_vit_412m_align', **DEEPSEEK, out_features=48, num_classes=4)
    x = torch.randn(1, 3, 126, 126)
    with torch.inference_mode():
        assert_outputs_close(ours.forward_head(ours.forward_features(x), pre_logits=True),
                             ref.forward_head(ref.forward_features(x), pre_logits=True))
    ours.reset_classifier(7, global_pool='')
    assert ours.get_classifier().out_features == 7
    assert ours(x).shape == (1, 9, 7)  # one prediction per projector token
    with pytest.raises(ValueError, match='global_pool'):
        ours.reset_classifier(3, global_pool='max')


def test_encoder_refuses_classifier_arguments():
    with pytest.raises(TypeError, match='num_classes'):
        zoo.create_model('qwen3_vit_88m_enc', num_classes=10)
    with pytest.raises(ValueError, match='global_pool'):
        zoo.create_model('deepseek_vit_412m_enc', global_pool='max', **DEEPSEEK)
    with pytest.raises(ValueError, match='encoder_pool'):
        zoo.create_model('qwen3_vit_88m', encoder_pool='align', **QWEN)
    encoder = zoo.create_model('qwen3_vit_88m_enc', **QWEN)
    with pytest.raises(ValueError, match='num_classes'):
        encoder.reset_classifier(5)
    encoder.reset_classifier(0, global_pool='avg')  # drops the projector, as pruning does
    assert encoder.merger is None and encoder(torch.randn(1, 3, 64, 64)).shape == (1, 128)
    with pytest.raises(ValueError, match='merge'):
        encoder.reset_classifier(0, global_pool='merge')
    # a Qwen grid must fold into 2 x 2 blocks
    with pytest.raises(ValueError, match='2 x 2'):
        zoo.create_model('qwen3_vit_88m_enc', **QWEN)(torch.randn(1, 3, 48, 64))


def test_fold_token_grid_orders():
    # both value orders equal the pixel-unshuffle of the grid, up to the documented permutation
    x = torch.randn(2, 6, 4, 5)
    nchw = torch.nn.functional.pixel_unshuffle(x.permute(0, 3, 1, 2), 2)  # (B, C*4, 3, 2), channel-major
    expected = nchw.flatten(2).transpose(1, 2)
    torch.testing.assert_close(fold_token_grid(x, 2, channel_major=True), expected)
    patch_major = expected.unflatten(-1, (5, 4)).transpose(-1, -2).flatten(-2)
    torch.testing.assert_close(fold_token_grid(x, 2), patch_major)
    padded = fold_token_grid(x[:, :5], 2, channel_major=True, pad=True)
    torch.testing.assert_close(padded, fold_token_grid(torch.cat([x[:, :5], x[:, :1] * 0], 1), 2, channel_major=True))
