"""NaFlex ViT (timm's `naflexvit`) checked against timm (the reference oracle), for images and padded patch batches.

Default run: two blocks at width 64 of every config switch (learned / factorized / aspect-preserving embeddings,
avg / map / token pooling, registers, qkv bias, tanh-GELU, RADIO's 128-grid with aligned corners and no final norm),
each on an image batch of a non-square size and on a padded batch of two images of other sizes; padding invariance;
explicit vs fused attention; intermediates; head API; checkpoint conversion; the patch-batch data pipeline.
`-m slow`: every name at full size on 128x96 images and on a padded patch batch.
"""
import pytest
import torch
import torch.nn as nn

from _parity import assert_outputs_close, assert_same_layout, fill_random_, timm

import zoo
from zoo.layers.config import set_fused_attn

NAMES = zoo.list_models(module='naflexvit')
SMALL = dict(depth=2, embed_dim=64, num_heads=4)
SAMPLE = [
    'naflexvit_base_patch16_gap',  # learned grid, 4 registers, masked avg pool + fc_norm, LayerScale
    'naflexvit_base_patch16_map',  # attention pool with a key mask
    'naflexvit_base_patch16_par_gap',  # aspect-preserving resize + crop
    'naflexvit_base_patch16_parfac_gap',  # factorized row / column tables
    'naflexvit_so150m2_patch16_reg1_gap',  # no qkv bias, fractional mlp ratio
    'naflexvit_base_patch16_siglip',  # tanh-GELU, bilinear grid, no tokens
    'naflexvit_base_patch16_radio_v3',  # class token readout, 128 grid, align_corners, no final norm
]


def _pair(name: str, **kwargs):
    ref = timm.create_model(name, **kwargs).eval()
    ours = zoo.create_model(name, **kwargs).eval()
    assert_same_layout(ours, ref)
    fill_random_(ref)
    ours.load_state_dict(ref.state_dict(), strict=True)
    return ref, ours


def _patch_batch(sizes, pad_to: int = 0, seed: int = 0):
    """timm's patchify + its collator on random images of `sizes`: the reference patch batch."""
    from timm.data.naflex_dataset import NaFlexCollator
    from timm.data.naflex_transforms import Patchify
    gen = torch.Generator().manual_seed(seed)
    items = [(Patchify(16)(torch.randn(3, h, w, generator=gen)), 0) for h, w in sizes]
    seq_len = max(pad_to, max(item[0]['patches'].shape[0] for item in items))
    batch, _ = NaFlexCollator(max_seq_len=seq_len)(items)
    return batch


def _check_both_inputs(ref: nn.Module, ours: nn.Module, name: str = '') -> None:
    x = torch.randn(2, 3, 128, 96, generator=torch.Generator().manual_seed(0))
    batch = _patch_batch([(64, 96), (112, 48)], pad_to=40)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x), name=name)
        assert_outputs_close(ours(batch), ref(batch), name=name)
        feats, feats_ref = ours.forward_features(batch['patches'], batch['patch_coord'], batch['patch_valid']), \
            ref.forward_features(batch['patches'], batch['patch_coord'], batch['patch_valid'])
        assert_outputs_close(feats['patches'], feats_ref['patches'], name=name)  # padding tokens included
        assert torch.equal(feats['patch_valid'], feats_ref['patch_valid'])


def test_names_match_timm():
    assert set(NAMES) == set(timm.list_models(module='naflexvit'))
    assert len(NAMES) == 14


@pytest.mark.parametrize('name', SAMPLE)
def test_parity_sample(name: str):
    _check_both_inputs(*_pair(name, **SMALL), name=name)


@pytest.mark.parametrize('kwargs', [
    dict(rope_type='axial', class_token=True, global_pool='token'),
    dict(rope_type='mixed'),
    dict(rope_type='dinov3', rope_rotate_half=True, num_kv_heads=2, qkv_fused=False, swiglu_mlp=True),
], ids=['axial', 'mixed', 'dinov3_gqa_swiglu'])
def test_rope_and_eva_block_options_match_timm(kwargs):
    """Config options no registered name uses: rotary embeddings (per-sample grids in a patch batch) and EVA blocks."""
    ref, ours = _pair('naflexvit_base_patch16_gap', **SMALL, **kwargs)
    _check_both_inputs(ref, ours)
    batch = _patch_batch([(48, 64), (64, 32)])
    with torch.inference_mode():
        final, inter = ours.forward_intermediates(batch, output_fmt='NLC')
        final_ref, inter_ref = ref.forward_intermediates(batch, output_fmt='NLC')
        assert_outputs_close(final['patches'], final_ref)
        for o, r in zip(inter, inter_ref):
            assert_outputs_close(o, r)


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_parity_all_names(name: str):
    """Full-size models; timm's weights are shared with zoo's model (assign=True) so the giant fits twice over."""
    with torch.device('meta'):
        ref = timm.create_model(name)
        ours = zoo.create_model(name)
    assert_same_layout(ours, ref)
    ref = fill_random_(ref.to_empty(device='cpu')).eval()
    ours.load_state_dict(ref.state_dict(), strict=True, assign=True)
    _check_both_inputs(ref, ours.eval(), name=name)


@pytest.mark.parametrize('name', ['naflexvit_base_patch16_gap', 'naflexvit_base_patch16_map',
                                  'naflexvit_base_patch16_radio_v3'])
def test_padded_batch_equals_single_images(name: str):
    """Padding changes nothing: each image of a padded patch batch gets the logits it gets alone as an image."""
    _, ours = _pair(name, **SMALL)
    gen = torch.Generator().manual_seed(1)
    images = [torch.randn(3, 80, 48, generator=gen), torch.randn(3, 32, 128, generator=gen)]
    from zoo.data.naflex import NaFlexCollator, Patchify
    batch, _ = NaFlexCollator(max_seq_len=30)([(Patchify(16)(img), 0) for img in images])
    with torch.inference_mode():
        out = ours(batch)
        for i, img in enumerate(images):
            assert_outputs_close(out[i:i + 1], ours(img[None]))


def test_explicit_attention_matches_fused():
    ref, ours = _pair('naflexvit_base_patch16_map', **SMALL)
    set_fused_attn(ours, False)
    _check_both_inputs(ref, ours)


def test_intermediates_match_timm():
    ref, ours = _pair('naflexvit_base_patch16_gap', **SMALL)
    x = torch.randn(2, 3, 64, 80)
    batch = _patch_batch([(48, 64), (64, 32)])
    with torch.inference_mode():
        for kwargs in (dict(), dict(indices=[0], norm=True)):
            final, inter = ours.forward_intermediates(x, **kwargs)
            final_ref, inter_ref = ref.forward_intermediates(x, **kwargs)
            assert_outputs_close(final, final_ref)
            assert [t.shape for t in inter] == [t.shape for t in inter_ref] and inter[0].shape[-2:] == (4, 5)
            for o, r in zip(inter, inter_ref):
                assert_outputs_close(o, r)
            final, inter = ours.forward_intermediates(batch, output_fmt='NLC', **kwargs)
            final_ref, inter_ref = ref.forward_intermediates(batch, output_fmt='NLC', **kwargs)
            assert_outputs_close(final['patches'], final_ref)
            for o, r in zip(inter, inter_ref):
                assert_outputs_close(o, r)
        with pytest.raises(ValueError, match='NLC'):
            ours.forward_intermediates(batch)


def test_head_api_matches_timm():
    ref, ours = _pair('naflexvit_base_patch16_map', **SMALL)
    assert ours.group_matcher() == ref.group_matcher() and ours.group_matcher(coarse=True) == ref.group_matcher(True)
    assert ours.no_weight_decay() == ref.no_weight_decay()
    assert ours.get_patch_size() == ref.get_patch_size() == (16, 16)
    x = torch.randn(1, 3, 64, 64)
    for model in (ref, ours):
        model.reset_classifier(7, 'avg')
    assert ours.attn_pool is None and ours.head.out_features == 7
    ours.load_state_dict(ref.state_dict())
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x))
        assert_outputs_close(ours.forward_head(ours.forward_features(x), pre_logits=True),
                             ref.forward_head(ref.forward_features(x), pre_logits=True))
    assert ours.prune_intermediate_layers([0]) == ref.prune_intermediate_layers([0])
    assert len(ours.blocks) == 1 and ours.num_classes == 0
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x))
    with pytest.raises(ValueError, match='class'):
        zoo.create_model('naflexvit_base_patch16_gap', global_pool='token', **SMALL)
    with pytest.raises(TypeError, match='attn_gated'):
        zoo.create_model('naflexvit_base_patch16_gap', attn_gated=True, **SMALL)
    with pytest.raises(ValueError, match='rope_type'):
        zoo.create_model('naflexvit_base_patch16_gap', rope_type='mrope', **SMALL)


def test_conv_embedding_and_padding_match_timm():
    """The conv patch embedding (images only) and padding of sizes that are not patch multiples."""
    ref, ours = _pair('naflexvit_base_patch16_gap', embed_proj_type='conv', dynamic_img_pad=True, **SMALL)
    x = torch.randn(2, 3, 70, 50)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x))
    _, linear = _pair('naflexvit_base_patch16_gap', **SMALL)
    with pytest.raises(ValueError, match='dynamic_img_pad'):
        linear(x)


def test_classic_vit_checkpoint_converts_as_timm():
    """A plain ViT checkpoint (conv patch kernel, (1, N, C) table, registers) maps onto NaFlex keys as timm maps it."""
    from timm.models.naflexvit import checkpoint_filter_fn as timm_filter
    from zoo.models.naflexvit import checkpoint_filter_fn
    vit = fill_random_(timm.create_model('vit_base_patch16_reg4_gap_256', init_values=1e-5, **SMALL))
    state_dict = {k: v.clone() for k, v in vit.state_dict().items()}
    ref, ours = _pair('naflexvit_base_patch16_gap', **SMALL)
    expected = timm_filter({k: v.clone() for k, v in state_dict.items()}, ref)
    converted = checkpoint_filter_fn({k: v.clone() for k, v in state_dict.items()}, ours)
    assert sorted(converted) == sorted(expected)
    for key, value in expected.items():
        assert torch.equal(converted[key], value), key
    ours.load_state_dict(converted)
    ref.load_state_dict(expected)
    x = torch.randn(1, 3, 64, 48)
    with torch.inference_mode():
        assert_outputs_close(ours(x), ref(x))


def test_checkpoint_with_another_grid(tmp_path):
    """A checkpoint whose learned grid is 8x8 loads into the 16x16 model resized; at a 16x16 input the model then
    gives what timm's 8x8 model gives (it resizes the same table to the input's grid on the fly)."""
    from safetensors.torch import save_file
    source = fill_random_(timm.create_model('naflexvit_base_patch16_gap', pos_embed_grid_size=(8, 8), **SMALL)).eval()
    path = tmp_path / 'grid8.safetensors'
    save_file({k: v.contiguous() for k, v in source.state_dict().items()}, str(path))
    ours = zoo.create_model('naflexvit_base_patch16_gap', checkpoint_path=str(path), **SMALL).eval()
    assert ours.embeds.pos_embed.shape[1:3] == (16, 16)
    x = torch.randn(1, 3, 256, 256)
    with torch.inference_mode():
        assert_outputs_close(ours(x), source(x))


def test_grad_checkpointing_same_gradients():
    _, ours = _pair('naflexvit_base_patch16_map', **SMALL)
    batch = _patch_batch([(32, 48), (48, 16)])
    grads = []
    for enable in (False, True):
        ours.zero_grad()
        ours.set_grad_checkpointing(enable)
        ours(batch).sum().backward()
        grads.append(ours.embeds.proj.weight.grad.clone())
    torch.testing.assert_close(grads[0], grads[1])


# ---- the patch-batch data pipeline (zoo.data.naflex) ----

@pytest.mark.parametrize('hw, seq_len', [((375, 500), 256), ((500, 333), 576), ((32, 1200), 64), ((20, 20), 1024)])
def test_image_size_for_seq_matches_timm(hw, seq_len):
    from timm.data.naflex_transforms import get_image_size_for_seq as timm_size
    from zoo.data.naflex import get_image_size_for_seq
    assert get_image_size_for_seq(hw, 16, seq_len) == timm_size(hw, 16, seq_len)
    assert get_image_size_for_seq(hw, 14, seq_len, max_ratio=1.0) == timm_size(hw, 14, seq_len, max_ratio=1.0)


def test_eval_pipeline_matches_timm(imagenet_samples):
    """Photos through zoo's and timm's NaFlex eval transforms and collator: the same patch batch."""
    from PIL import Image
    from timm.data.naflex_dataset import NaFlexCollator as TimmCollator
    from timm.data.transforms_factory import create_transform
    from zoo.data.naflex import NaFlexCollator, transforms_naflex_eval
    files = sorted(imagenet_samples.glob('*.JPEG'))[:3]
    kwargs = dict(interpolation='bicubic', mean=(0.5,) * 3, std=(0.5,) * 3)
    ours_tf = transforms_naflex_eval(patch_size=16, max_seq_len=144, **kwargs)
    ref_tf = create_transform(is_training=False, naflex=True, patch_size=16, max_seq_len=144, patchify=True, **kwargs)
    images = [Image.open(f).convert('RGB') for f in files]
    batch, target = NaFlexCollator(144)([(ours_tf(img), i) for i, img in enumerate(images)])
    expected, target_ref = TimmCollator(144)([(ref_tf(img), i) for i, img in enumerate(images)])
    assert torch.equal(target, target_ref)
    for key in ('patches', 'patch_coord', 'patch_valid'):
        torch.testing.assert_close(batch[key], expected[key], atol=1e-6, rtol=0)
    assert batch['patch_valid'].sum(1).max() <= 144 and not batch['patch_valid'].all()
    moved = batch.to(torch.bfloat16)  # the runtime's dtype cast reaches the pixels only
    assert moved['patches'].dtype == torch.bfloat16 and moved['patch_coord'].dtype == torch.int64
    assert moved.shape[0] == 3


def test_patch_batch_layout_matches_model_patchify():
    """Patchify + collate of one image gives exactly the tokens the model makes of the same image tensor."""
    from zoo.data.naflex import NaFlexCollator, Patchify
    _, ours = _pair('naflexvit_base_patch16_siglip', **SMALL)
    img = torch.randn(3, 48, 80)
    batch, _ = NaFlexCollator(15)([(Patchify(16)(img), 0)])
    with torch.inference_mode():
        assert_outputs_close(ours(batch), ours(img[None]))


def test_validate_and_inference_scripts_with_naflex_loader(imagenet_samples, tmp_path):
    """validate.py / inference.py --naflex-loader score photos as timm's NaFlex eval pipeline + model do."""
    import inference
    import validate
    from PIL import Image
    from safetensors.torch import save_file
    from timm.data.naflex_dataset import NaFlexCollator as TimmCollator
    from timm.data.transforms_factory import create_transform
    name, seq_len = 'naflexvit_base_patch16_gap', 64
    ref = fill_random_(timm.create_model(name, **SMALL)).eval()
    weights = tmp_path / 'w.safetensors'
    save_file({k: v.contiguous() for k, v in ref.state_dict().items()}, str(weights))
    files = sorted(imagenet_samples.glob('*.JPEG'))[:4]
    root = tmp_path / 'val'
    for f in files:
        (root / f.name.split('_')[0]).mkdir(parents=True)
        (root / f.name.split('_')[0] / f.name).symlink_to(f)
    class_map = tmp_path / 'classes.txt'
    class_map.write_text('\n'.join(sorted(p.name.split('_')[0] for p in imagenet_samples.glob('*.JPEG'))))
    common = ['--model', name, '--model-kwargs', 'depth=2', 'embed_dim=64', 'num_heads=4', '--checkpoint',
              str(weights), '--naflex-loader', '--naflex-max-seq-len', str(seq_len), '--device', 'cpu', '-b', '3',
              '-j', '0']
    (row,) = validate.main([str(root), '--class-map', str(class_map)] + common)
    # the reference: timm's eval transform and collator, timm's model
    tf = create_transform(is_training=False, naflex=True, patch_size=16, max_seq_len=seq_len, patchify=True,
                          interpolation='bicubic', mean=(0.5,) * 3, std=(0.5,) * 3)
    classes = class_map.read_text().split()
    samples = [(tf(Image.open(f).convert('RGB')), classes.index(f.name.split('_')[0])) for f in files]
    batch, target = TimmCollator(seq_len)(samples)
    with torch.inference_mode():
        logits = ref(batch)
    assert row['num_samples'] == 4
    assert row['loss'] == pytest.approx(torch.nn.functional.cross_entropy(logits, target).item(), abs=1e-5)
    preds = inference.main([str(root)] + common + ['--topk', '2', '--output-type', 'logit', '--results-dir',
                                                   str(tmp_path), '--no-console-results', '--include-index'])
    by_file = {p['filename']: p for p in preds}
    for f, expected in zip(files, logits):
        top = expected.topk(2)
        assert by_file[f.name]['index'] == top.indices.tolist()
        assert by_file[f.name]['logit'] == pytest.approx(top.values.tolist(), abs=1e-4)
