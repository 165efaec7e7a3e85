"""Fresh (pretrained=False) weights follow timm's initialisation recipe, tensor by tensor.

Random draws cannot be compared value for value (construction order and the builder's skipped default init differ),
so every tensor is compared by what the recipe fixes: constants (zero-init residual branches, unit norms, zero biases)
exactly, random tensors by mean and standard deviation.
"""
import pytest
import torch

import zoo

timm = pytest.importorskip('timm')

# one model per initialisation recipe written with zoo.layers.weight_init.init_by_type_ (plus PVT's conv recipe)
RECIPE_MODELS = [
    'resnet10t',  # He fan-out convs, torch-default linear / ECA conv1d, zero-init last BN
    'legacy_seresnet18',  # He fan-out convs with their biases kept, unit BN
    'densenet121',  # He fan-in convs, unit BN, zero linear bias
    # He fan-out convs with zero bias, unit BN, N(0, 0.01) linears; 130M parameters, so slow
    pytest.param('vgg11_bn', marks=pytest.mark.slow),
    'ese_vovnet19b_dw',
    'hgnetv2_b0',
    'selecsls42b',
    'regnetx_002',  # group fan-out convs, N(0, 0.01) linear, no zero-init
    'resnetv2_18',  # BiT: unit GroupNorm, N(0, 0.01) 1x1-conv classifier, zero-init last conv
    'pvt_v2_b0',  # truncated-normal linears, group fan-out convs
]


def _same_recipe(name: str, ours: torch.Tensor, theirs: torch.Tensor) -> None:
    assert ours.shape == theirs.shape, name
    if not theirs.is_floating_point():
        return
    if theirs.numel() == 1 or bool((theirs == theirs.flatten()[0]).all()):
        torch.testing.assert_close(ours, theirs, msg=lambda m: f'{name}: constant init differs\n{m}')
        return
    if theirs.numel() < 512:
        return  # too few draws for a stable spread
    theirs, ours = theirs.flatten()[:100_000].double(), ours.flatten()[:100_000].double()  # plenty of draws
    std_t, std_o = theirs.std().item(), ours.std().item()
    assert 0.85 < std_o / std_t < 1.18, f'{name}: std {std_o:.4g} vs timm {std_t:.4g}'
    assert abs(ours.mean().item() - theirs.mean().item()) < 0.1 * std_t, f'{name}: mean differs'


@pytest.mark.parametrize('model_name', RECIPE_MODELS)
def test_fresh_weights_follow_timm_recipe(model_name: str) -> None:
    torch.manual_seed(0)
    ours = zoo.create_model(model_name).state_dict()
    torch.manual_seed(1)
    theirs = timm.create_model(model_name).state_dict()
    assert ours.keys() == theirs.keys()
    for key in theirs:
        _same_recipe(f'{model_name}:{key}', ours[key], theirs[key])
