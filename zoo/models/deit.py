"""DeiT and DeiT-III: data-efficient ViTs, with a distillation token in the distilled variants.

Papers:
- DeiT: "Training data-efficient image transformers & distillation through attention", Touvron et al., 2020
  (arXiv:2012.12877).
- DeiT-III: "DeiT III: Revenge of the ViT", Touvron et al., 2022 (arXiv:2204.07118).

The undistilled DeiT and all DeiT-III models are plain `VisionTransformer`s (DeiT-III adds LayerScale and a position
embedding over patch tokens only). The distilled models add a distillation token after the class token and a second
head reading it (section 5 of the DeiT paper); `forward` returns the average of the two heads' logits, which is how
the paper evaluates them. `forward_head_distilled` returns both for training with a teacher. Deviation from timm:
`forward` never returns a tuple (timm returns both heads in training when `distilled_training` is set), so the
return type never depends on a flag.
"""
from typing import Any, Dict, List, Optional, Tuple

import torch
import torch.nn as nn

from zoo.constants import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from zoo.models._builder import build_model_with_cfg
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model
from zoo.models.vision_transformer import VisionTransformer, checkpoint_filter_fn

__all__ = ['VisionTransformerDistilled']


class VisionTransformerDistilled(VisionTransformer):
    """ViT with a distillation token (prefix position 1) and a distillation head `head_dist`.

    Takes the `VisionTransformer` arguments; only class-token pooling is meaningful (the heads read tokens 0 and 1).
    """

    def __init__(self, *args, weight_init: str = '', **kwargs):
        super().__init__(*args, weight_init='skip', **kwargs)
        if self.global_pool != 'token':
            raise ValueError("Distilled DeiT reads the class and distillation tokens; use global_pool='token'.")
        self.head_dist = nn.Linear(self.embed_dim, self.num_classes) if self.num_classes > 0 else nn.Identity()
        if weight_init != 'skip':
            self.init_weights()

    def _extra_prefix_tokens(self) -> int:
        return 1

    def _init_extra_tokens(self, embed_dim: int) -> None:
        self.dist_token = nn.Parameter(torch.zeros(1, 1, embed_dim))

    def _prefix_tokens(self, batch_size: int) -> List[torch.Tensor]:
        return super()._prefix_tokens(batch_size) + [self.dist_token.expand(batch_size, -1, -1)]

    def init_weights(self) -> None:
        super().init_weights()
        # the DeiT reference initialises the distillation token like the position embedding
        nn.init.trunc_normal_(self.dist_token, std=.02)

    def _reset_head(self, num_classes: int, global_pool: Optional[str]) -> None:
        if global_pool not in (None, '', 'token'):
            raise ValueError("Distilled DeiT supports only class/distillation-token pooling.")
        self.head = nn.Linear(self.embed_dim, num_classes) if num_classes > 0 else nn.Identity()
        self.head_dist = nn.Linear(self.embed_dim, num_classes) if num_classes > 0 else nn.Identity()

    def forward_head_distilled(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Logits of the class head and of the distillation head, for training against a teacher."""
        return self.head(self.head_drop(x[:, 0])), self.head_dist(self.head_drop(x[:, 1]))

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        if pre_logits:
            return (self.head_drop(x[:, 0]) + self.head_drop(x[:, 1])) / 2
        x_cls, x_dist = self.forward_head_distilled(x)
        return (x_cls + x_dist) / 2


def _create_deit(variant: str, pretrained: bool = False, distilled: bool = False, **kwargs) -> VisionTransformer:
    model_cls = VisionTransformerDistilled if distilled else VisionTransformer
    # timm's features_only default for these isotropic models is the last three blocks
    return build_model_with_cfg(model_cls, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
                                feature_cfg=dict(out_indices=3, feature_cls='getter'), **kwargs)


def _deit(variant: str, pretrained: bool, model_args: Dict[str, Any], kwargs: Dict[str, Any],
          distilled: bool = False) -> VisionTransformer:
    return _create_deit(variant, pretrained, distilled=distilled, **dict(model_args, **kwargs))


def _dcfg(**kwargs) -> Dict[str, Any]:
    cfg = dict(hf_hub_id='timm/', input_size=(3, 224, 224), fixed_input_size=True, interpolation='bicubic',
               crop_pct=0.9, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD, first_conv='patch_embed.proj',
               classifier='head', license='apache-2.0', paper_ids='arXiv:2012.12877')
    cfg.update(kwargs)
    return cfg


# Tags and preprocessing of the weights timm publishes on the Hub under timm/<arch>.<tag>.
default_cfgs = generate_default_cfgs({
    'deit_tiny_patch16_224.fb_in1k': _dcfg(),
    'deit_small_patch16_224.fb_in1k': _dcfg(),
    'deit_base_patch16_224.fb_in1k': _dcfg(),
    'deit_base_patch16_384.fb_in1k': _dcfg(input_size=(3, 384, 384), crop_pct=1.0),
    'deit_tiny_distilled_patch16_224.fb_in1k': _dcfg(classifier=('head', 'head_dist')),
    'deit_small_distilled_patch16_224.fb_in1k': _dcfg(classifier=('head', 'head_dist')),
    'deit_base_distilled_patch16_224.fb_in1k': _dcfg(classifier=('head', 'head_dist')),
    'deit_base_distilled_patch16_384.fb_in1k': _dcfg(input_size=(3, 384, 384), crop_pct=1.0, classifier=('head', 'head_dist')),
    'deit3_small_patch16_224.fb_in1k': _dcfg(paper_ids='arXiv:2204.07118'),
    'deit3_small_patch16_224.fb_in22k_ft_in1k': _dcfg(paper_ids='arXiv:2204.07118', crop_pct=1.0),
    'deit3_small_patch16_384.fb_in1k': _dcfg(paper_ids='arXiv:2204.07118', input_size=(3, 384, 384), crop_pct=1.0),
    'deit3_small_patch16_384.fb_in22k_ft_in1k': _dcfg(paper_ids='arXiv:2204.07118', input_size=(3, 384, 384), crop_pct=1.0),
    'deit3_medium_patch16_224.fb_in1k': _dcfg(paper_ids='arXiv:2204.07118'),
    'deit3_medium_patch16_224.fb_in22k_ft_in1k': _dcfg(paper_ids='arXiv:2204.07118', crop_pct=1.0),
    'deit3_base_patch16_224.fb_in1k': _dcfg(paper_ids='arXiv:2204.07118'),
    'deit3_base_patch16_224.fb_in22k_ft_in1k': _dcfg(paper_ids='arXiv:2204.07118', crop_pct=1.0),
    'deit3_base_patch16_384.fb_in1k': _dcfg(paper_ids='arXiv:2204.07118', input_size=(3, 384, 384), crop_pct=1.0),
    'deit3_base_patch16_384.fb_in22k_ft_in1k': _dcfg(paper_ids='arXiv:2204.07118', input_size=(3, 384, 384), crop_pct=1.0),
    'deit3_large_patch16_224.fb_in1k': _dcfg(paper_ids='arXiv:2204.07118'),
    'deit3_large_patch16_224.fb_in22k_ft_in1k': _dcfg(paper_ids='arXiv:2204.07118', crop_pct=1.0),
    'deit3_large_patch16_384.fb_in1k': _dcfg(paper_ids='arXiv:2204.07118', input_size=(3, 384, 384), crop_pct=1.0),
    'deit3_large_patch16_384.fb_in22k_ft_in1k': _dcfg(paper_ids='arXiv:2204.07118', input_size=(3, 384, 384), crop_pct=1.0),
    'deit3_huge_patch14_224.fb_in1k': _dcfg(paper_ids='arXiv:2204.07118'),
    'deit3_huge_patch14_224.fb_in22k_ft_in1k': _dcfg(paper_ids='arXiv:2204.07118', crop_pct=1.0),
})

_TI = dict(patch_size=16, embed_dim=192, depth=12, num_heads=3)
_S = dict(patch_size=16, embed_dim=384, depth=12, num_heads=6)
_B = dict(patch_size=16, embed_dim=768, depth=12, num_heads=12)
# DeiT-III: LayerScale (init 1e-6) and a position embedding over patch tokens only
_D3 = dict(no_embed_class=True, init_values=1e-6)

@register_model
def deit_tiny_patch16_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _deit('deit_tiny_patch16_224', pretrained, _TI, kwargs)


@register_model
def deit_small_patch16_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _deit('deit_small_patch16_224', pretrained, _S, kwargs)


@register_model
def deit_base_patch16_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _deit('deit_base_patch16_224', pretrained, _B, kwargs)


@register_model
def deit_base_patch16_384(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _deit('deit_base_patch16_384', pretrained, _B, kwargs)


@register_model
def deit_tiny_distilled_patch16_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _deit('deit_tiny_distilled_patch16_224', pretrained, _TI, kwargs, distilled=True)


@register_model
def deit_small_distilled_patch16_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _deit('deit_small_distilled_patch16_224', pretrained, _S, kwargs, distilled=True)


@register_model
def deit_base_distilled_patch16_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _deit('deit_base_distilled_patch16_224', pretrained, _B, kwargs, distilled=True)


@register_model
def deit_base_distilled_patch16_384(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _deit('deit_base_distilled_patch16_384', pretrained, _B, kwargs, distilled=True)


@register_model
def deit3_small_patch16_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _deit('deit3_small_patch16_224', pretrained, dict(**_S, **_D3), kwargs)


@register_model
def deit3_small_patch16_384(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _deit('deit3_small_patch16_384', pretrained, dict(**_S, **_D3), kwargs)


@register_model
def deit3_medium_patch16_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _deit('deit3_medium_patch16_224', pretrained,
                 dict(patch_size=16, embed_dim=512, depth=12, num_heads=8, **_D3), kwargs)


@register_model
def deit3_base_patch16_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _deit('deit3_base_patch16_224', pretrained, dict(**_B, **_D3), kwargs)


@register_model
def deit3_base_patch16_384(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _deit('deit3_base_patch16_384', pretrained, dict(**_B, **_D3), kwargs)


@register_model
def deit3_large_patch16_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _deit('deit3_large_patch16_224', pretrained,
                 dict(patch_size=16, embed_dim=1024, depth=24, num_heads=16, **_D3), kwargs)


@register_model
def deit3_large_patch16_384(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _deit('deit3_large_patch16_384', pretrained,
                 dict(patch_size=16, embed_dim=1024, depth=24, num_heads=16, **_D3), kwargs)


@register_model
def deit3_huge_patch14_224(pretrained: bool = False, **kwargs) -> VisionTransformer:
    return _deit('deit3_huge_patch14_224', pretrained,
                 dict(patch_size=14, embed_dim=1280, depth=32, num_heads=16, **_D3), kwargs)

