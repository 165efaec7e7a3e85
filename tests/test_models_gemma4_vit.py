"""Gemma 4 vision towers (encoder and classifier) checked against timm (the reference oracle).

Layout of every name: tests/test_layout_all.py; cfgs: tests/test_registry.py. Default run: output parity of the
clamped 167M classifier and the standardised 570M soft-token encoder with two blocks and a small position table,
NaFlex (patchified, padded) input, fused vs explicit attention, grouped-query attention, intermediates, the Hugging
Face key conversion, and the errors for bad input. `-m slow`: every name at full size on a 96 x 96 image.
"""
import pytest
import torch
from _parity import assert_outputs_close, assert_same_layout, fill_random_, timm

import zoo
import zoo.models.gemma4_vit  # noqa: F401  (the lazy registry imports family modules only when a model is built)

MODULE = 'gemma4_vit'
NAMES = zoo.list_models(module=MODULE)
# two narrow blocks and a small position table; the head width (64 / 72) and every switch stay as published
SMALL = dict(depth=2, position_embedding_size=64, embed_dim=192, num_heads=4, intermediate_size=384)


def _condition_(model: torch.nn.Module) -> torch.nn.Module:
    """Make a randomly filled tower well conditioned, as trained weights are, so parity measures the implementation.

    - Random fills put every clamp bound near 0, which would clamp all activations to constants; these bounds clamp
      the tails only, so the clamps still act.
    - The attention logits are unscaled dot products of RMS-normalised queries and keys: with gains near 1 they reach
      +-head_dim, the softmax is an argmax, and float32 rounding flips it somewhere in 16+ blocks (timm's own float32
      and float64 outputs then differ by 0.1 %). Gains near head_dim ** -0.25 give the usual 1 / sqrt(head_dim)
      logit scale.
    """
    bounds = dict(input_min=-2., input_max=2., output_min=-1.5, output_max=1.5)
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, buf in model.named_buffers():
            key = name.rsplit('.', 1)[-1]
            if key in bounds:
                buf.fill_(bounds[key])
        for name, param in model.named_parameters():
            if name.endswith(('q_norm.weight', 'k_norm.weight')):
                param.copy_(param.shape[0] ** -0.25 * (1 + 0.1 * torch.randn(param.shape, generator=gen)))
    return model


def _pair(name: str, **kwargs):
    ref = _condition_(fill_random_(timm.create_model(name, **kwargs))).eval()
    with zoo.models.no_init():
        ours = zoo.create_model(name, **kwargs).eval()
    assert_same_layout(ours, ref)
    ours.load_state_dict(ref.state_dict(), strict=True, assign=True)
    return ref, ours


def _images(h: int = 96, w: int = 144, batch_size: int = 2) -> torch.Tensor:
    return torch.rand(batch_size, 3, h, w, generator=torch.Generator().manual_seed(0))


def _naflex_batch(images: torch.Tensor, patch: int = 16, pad_to: int = 64):
    """Patchify (B, C, H, W) into NaFlex (B, N, P*P*C) patches in (ph, pw, C) order, padded to `pad_to` tokens with
    (-1, -1) coordinates, as NaFlex loaders produce them."""
    b, c, h, w = images.shape
    gh, gw = h // patch, w // patch
    patches = images.reshape(b, c, gh, patch, gw, patch).permute(0, 2, 4, 3, 5, 1).reshape(b, gh * gw, -1)
    rows, cols = torch.meshgrid(torch.arange(gh), torch.arange(gw), indexing='ij')
    coord = torch.stack([rows.flatten(), cols.flatten()], -1).expand(b, -1, -1)
    extra = pad_to - gh * gw
    patches = torch.cat([patches, torch.zeros(b, extra, patches.shape[-1])], 1)
    coord = torch.cat([coord, torch.full((b, extra, 2), -1)], 1)
    valid = torch.cat([torch.ones(b, gh * gw, dtype=torch.bool), torch.zeros(b, extra, dtype=torch.bool)], 1)
    return patches, coord, valid


def test_registered_names():
    assert set(NAMES) == set(timm.list_models(module=MODULE))


@pytest.mark.parametrize('name', ['gemma4_vit_167m', 'gemma4_vit_570m_enc'])
def test_parity_sample(name: str):
    ref, ours = _pair(name, **SMALL)
    x = _images()
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name=name)
        assert_outputs_close(ours.forward_features(x), ref.forward_features(x), name=name)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_slow(name: str):
    ref, ours = _pair(name)
    x = _images(96, 96, batch_size=1)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name=name)


def test_naflex_patches_with_padding_match_timm():
    """Patchified input with padding tokens: masked attention, masked position embedding, soft pool and mean pool
    without the padding; as a dict, as (B, N, P*P*C) and as (B, N, P, P, C)."""
    x = _images(96, 96)
    patches, coord, valid = _naflex_batch(x, pad_to=45)
    for name, pool in (('gemma4_vit_167m_enc', 'soft'), ('gemma4_vit_167m_enc', 'avg'), ('gemma4_vit_167m', 'avg')):
        ref, ours = _pair(name, **SMALL, global_pool=pool)
        with torch.inference_mode():
            expected = ref(patches, patch_coord=coord, patch_valid=valid)
            assert_outputs_close(ours(patches, patch_coord=coord, patch_valid=valid), expected, name=name)
            # padding recognised from the (-1, -1) coordinates alone
            assert_outputs_close(ours(dict(patches=patches, patch_coord=coord)), expected, name=name)
            unflat = patches.view(*patches.shape[:2], 16, 16, 3)
            assert_outputs_close(ours(unflat, patch_coord=coord, patch_valid=valid), expected, name=name)
            # the padded batch gives what the image itself gives (the soft pool has one more, empty, cell: 45 / 9)
            padded, image = ours(patches, patch_coord=coord, patch_valid=valid), ours(x)
            if pool == 'soft':
                assert not padded[:, 4:].any()
                padded = padded[:, :4]
            assert_outputs_close(padded, image, name=name)


def test_fused_and_explicit_attention_agree_and_gqa_matches_timm():
    ref, ours = _pair('gemma4_vit_570m_enc', **SMALL, num_kv_heads=2)
    assert ours.blocks[0].attn.k_proj.linear.weight.shape[0] == 2 * 72
    x = _images()
    patches, coord, valid = _naflex_batch(x[:, :, :, :96], pad_to=45)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x))
        fused = ours(patches, patch_coord=coord, patch_valid=valid)
        for block in ours.blocks:
            block.attn.fused_attn = False
        explicit = ours(patches, patch_coord=coord, patch_valid=valid)
    assert_outputs_close(explicit, fused)


def test_intermediates_match_timm():
    ref, ours = _pair('gemma4_vit_167m', **SMALL)
    x = _images()
    with torch.inference_mode():
        final, inter = ours.forward_intermediates(x)
        ref_final, ref_inter = ref.forward_intermediates(x)
        assert [tuple(t.shape) for t in inter] == [(2, 192, 6, 9)] * 2
        for a, b in zip(inter + [final], ref_inter + [ref_final]):
            assert_outputs_close(a, b)
        patches, coord, valid = _naflex_batch(x, pad_to=60)
        out = ours.forward_intermediates(patches, patch_coord=coord, patch_valid=valid, indices=1,
                                         output_fmt='NLC', output_dict=True)
        expected = ref.encoder.forward_intermediates(patches, patch_coord=coord, patch_valid=valid, indices=1,
                                             output_fmt='NLC', output_dict=True)
    assert set(out) == set(expected) == {'image_intermediates', 'image_features', 'patch_valid'}
    assert torch.equal(out['patch_valid'], valid)
    assert_outputs_close(out['image_intermediates'][0], expected['image_intermediates'][0])
    assert_outputs_close(out['image_features'], expected['image_features'])
    with pytest.raises(ValueError, match='NCHW'):
        ours.forward_intermediates(patches, patch_coord=coord, output_fmt='NCHW')
    with torch.device('meta'):
        features = zoo.create_model('gemma4_vit_570m_enc', features_only=True, **dict(SMALL, depth=4))
        ref_features = timm.create_model('gemma4_vit_570m_enc', features_only=True, **dict(SMALL, depth=4))
    assert features.feature_info.channels() == ref_features.feature_info.channels()
    assert features.feature_info.reduction() == ref_features.feature_info.reduction()


def test_hugging_face_keys_convert_like_timm():
    from timm.models import gemma4_vit as timm_gemma4
    with torch.device('meta'):
        ref = timm.create_model('gemma4_vit_167m_enc', depth=1)
    inverse = (('patch_embed.', 'patch_embedder.'), ('blocks.', 'encoder.layers.'), ('.norm1.', '.input_layernorm.'),
               ('.norm2.', '.post_attention_layernorm.'), ('.norm3.', '.pre_feedforward_layernorm.'),
               ('.norm4.', '.post_feedforward_layernorm.'), ('.attn.', '.self_attn.'))
    hf = {}
    for key, value in ref.state_dict().items():
        for new, old in inverse:
            key = key.replace(new, old)
        hf['model.vision_tower.' + key] = value
    hf['model.vision_tower.rotary_emb.inv_freq'] = torch.zeros(16)
    hf['model.language_model.embed_tokens.weight'] = torch.zeros(4, 4)
    for ours_fn, ref_fn, model in (
            (zoo.models.gemma4_vit.checkpoint_filter_fn_encoder, timm_gemma4.checkpoint_filter_fn_encoder, ref),
            (zoo.models.gemma4_vit.checkpoint_filter_fn_classifier, timm_gemma4.checkpoint_filter_fn_classifier,
             None)):
        ours_sd = ours_fn(dict(hf), model)
        ref_sd = ref_fn(dict(hf), model if model is not None else timm.create_model(
            'gemma4_vit_167m', depth=1, device='meta'))
        assert list(ours_sd) == list(ref_sd)
    assert set(zoo.models.gemma4_vit.checkpoint_filter_fn_encoder(hf, ref)) == set(ref.state_dict())


def test_bad_input_is_refused():
    ours = zoo.create_model('gemma4_vit_167m_enc', **SMALL)
    with pytest.raises(ValueError, match='multiple of patch_size x pooling_kernel_size'):
        ours(_images(64, 64, batch_size=1))
    with pytest.raises(ValueError, match='patch_coord'):
        ours(torch.rand(1, 9, 768))
    with pytest.raises(ValueError, match='no classifier'):
        zoo.create_model('gemma4_vit_167m_enc', num_classes=10, **SMALL)
    with pytest.raises(ValueError, match='no classifier'):
        ours.reset_classifier(10)
    with pytest.raises(ValueError, match="encoder_pool='soft'"):
        zoo.create_model('gemma4_vit_167m', global_pool='soft', **SMALL)
    avg = zoo.create_model('gemma4_vit_167m_enc', global_pool='avg', **SMALL)
    assert avg(_images(64, 64, batch_size=1)).shape == (1, 192)


def test_classifier_api():
    ours = zoo.create_model('gemma4_vit_167m', num_classes=5, **SMALL).eval()
    x = _images(batch_size=1)
    with torch.inference_mode():
        logits = ours(x)
        features = ours.forward_features(x)
        torch.testing.assert_close(ours.forward_head(features), logits)
        pre = ours.forward_head(features, pre_logits=True)
    assert logits.shape == (1, 5) and pre.shape == (1, 192)
    assert ours.no_weight_decay() == {'encoder.patch_embed.position_embedding_table'}
    assert ours.group_matcher() == timm.create_model('gemma4_vit_167m', device='meta', **SMALL).group_matcher()
    ours.reset_classifier(3)
    assert ours.get_classifier().out_features == 3
    ours.set_clamp_enabled(False)
    assert not ours.encoder.blocks[0].attn.q_proj.use_clipped
    ours.set_grad_checkpointing(True)
    assert ours.encoder.grad_checkpointing
    ours.train()
    out = ours(x)
    out.sum().backward()
    assert ours.encoder.blocks[0].mlp.up_proj.linear.weight.grad is not None
    kept = ours.prune_intermediate_layers([0])
    assert kept == [0] and len(ours.encoder.blocks) == 1 and ours.num_classes == 0
