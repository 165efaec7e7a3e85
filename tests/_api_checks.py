"""Model-API checks against timm shared by the family test files (intermediates, heads, checkpointing, filters)."""
from typing import Callable, Dict, Optional, Sequence

import torch
import torch.nn as nn

from _parity import timm

import zoo  # noqa: E402


def image(batch: int = 2, size: int = 64, seed: int = 1) -> torch.Tensor:
    return torch.randn(batch, 3, size, size, generator=torch.Generator().manual_seed(seed))


def assert_intermediates_match(ours: nn.Module, ref: nn.Module, x: torch.Tensor,
                               indices: Optional[Sequence[int]] = None) -> None:
    """forward_intermediates (levels and final features) equal timm's; the final features continue into the head."""
    with torch.inference_mode():
        final, feats = ours.forward_intermediates(x, indices=indices)
        final_ref, feats_ref = ref.forward_intermediates(x, indices=indices)
        logits, logits_ref = ours.forward_head(final), ref(x)
    assert len(feats) == len(feats_ref)
    for a, b in zip(feats, feats_ref):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(final, final_ref, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(logits, logits_ref, rtol=1e-4, atol=1e-4)


def assert_head_api_matches(ours: nn.Module, ref: nn.Module, x: torch.Tensor) -> None:
    """pre-logits, num_features / head_hidden_size, and the classifier after a reset equal timm's."""
    with torch.inference_mode():
        torch.testing.assert_close(ours.forward_head(ours.forward_features(x), pre_logits=True),
                                   ref.forward_head(ref.forward_features(x), pre_logits=True), rtol=1e-4, atol=1e-4)
    assert (ours.num_features, ours.head_hidden_size) == (ref.num_features, ref.head_hidden_size)


def assert_reset_and_prune_match(name: str, num_classes: int = 5, prune_to: int = 2, **kwargs) -> None:
    """reset_classifier and prune_intermediate_layers leave the same keys / shapes / widths as timm's (meta device)."""
    with torch.device('meta'):
        models = [zoo.create_model(name, **kwargs), timm.create_model(name, **kwargs)]
    for m in models:
        m.reset_classifier(num_classes)
    layouts = [{k: v.shape for k, v in m.state_dict().items()} for m in models]
    assert layouts[0] == layouts[1]
    assert models[0].head_hidden_size == models[1].head_hidden_size
    taken = [m.prune_intermediate_layers(prune_to) for m in models]
    assert taken[0] == taken[1]
    assert sorted(models[0].state_dict()) == sorted(models[1].state_dict())
    assert models[0].num_features == models[1].num_features


def assert_checkpointing_keeps_gradients(model: nn.Module, x: torch.Tensor) -> None:
    """Gradient checkpointing recomputes activations without changing any gradient."""
    model.train()

    def grads() -> Dict[str, torch.Tensor]:
        model.zero_grad()
        model(x).square().sum().backward()
        return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}

    plain = grads()
    model.set_grad_checkpointing(True)
    ckpt = grads()
    assert plain.keys() == ckpt.keys() and plain
    for n in plain:
        torch.testing.assert_close(ckpt[n], plain[n], rtol=1e-5, atol=1e-6)


def assert_filter_matches_timm(name: str, zoo_filter: Callable, timm_filter: Callable,
                               to_official: Callable[[Dict[str, torch.Tensor]], Dict[str, torch.Tensor]],
                               **kwargs) -> None:
    """An official-layout checkpoint (made from timm's keys by `to_official`) maps to the same keys as timm's filter.

    Built on the meta device, so only keys and shapes are compared; the result loads into zoo's model.
    """
    with torch.device('meta'):
        ref, ours = timm.create_model(name, **kwargs), zoo.create_model(name, **kwargs)
    official = to_official(ref.state_dict())
    assert set(official) != set(ref.state_dict()), 'the official layout should differ from timm layout'
    got, want = zoo_filter(dict(official), ours), timm_filter(dict(official), ref)
    assert sorted(got) == sorted(want) == sorted(ref.state_dict())
    for k in want:
        assert got[k].shape == want[k].shape, k
    ours.load_state_dict(got, assign=True)
