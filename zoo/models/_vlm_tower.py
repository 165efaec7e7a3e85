"""Vision towers of vision-language models, as encoders and as image classifiers.

A VLM's vision tower is a plain ViT over patch tokens without class token: rotary position embedding on the patch
grid (and, depending on the model, a learned absolute embedding), then a projector that folds k x k token blocks and
maps them to the language model's width. Two model kinds share that trunk:

- `VisionTowerEncoder`: the tower as released. `forward_features` gives the patch tokens as a (B, H, W, C) map;
  `forward` applies the output mode `global_pool`: the VLM projector (its name, e.g. 'merge'), the mean token
  ('avg') or nothing (''). It has no classifier.
- `VisionTowerClassifier`: the encoder under `encoder.`, then mean pooling, an affine-free norm and a linear `head`.
  `encoder_pool` keeps the projector in front of the pooling.

A family subclasses both: the encoder builds its blocks, final norm, projector (attribute `projector_name`, applied
by `global_pool=projector_pool`) and optionally a learned square position grid (`pos_embed`, side
`pos_embed_grid_size`, resampled to every input's grid); the classifier names its encoder class and pooled-feature
norm. Its names are `<arch>` (classifier), `<arch>_<projector_pool>` (classifier on
the projector) and `<arch>_enc` (encoder); `create_tower` builds them and `tower_cfgs` writes their cfg table.
"""
from typing import Any, Callable, ClassVar, ContextManager, Dict, List, Optional, Set, Tuple, Type, Union

import torch
import torch.nn as nn

from zoo.layers.patch_embed import PatchEmbed
from zoo.layers.pos_embed import resample_abs_pos_embed
from zoo.layers.rope import RotaryEmbedding
from zoo.models._base import IndicesT, Trunk, ZooModel
from zoo.models._builder import build_model_with_cfg, no_init, resolve_pretrained_cfg
from zoo.models._features_fx import register_notrace_function
from zoo.models._token_transformer import TokenTransformer

__all__ = ['VisionTowerEncoder', 'VisionTowerClassifier', 'add_grid_pos_embed', 'create_tower', 'deferred_linear_init',
           'init_linear_', 'tower_cfgs']

SourcesT = Dict[Tuple[str, str], Dict[str, Any]]

SizeT = Union[int, Tuple[int, int]]


@register_notrace_function  # the resampling depends on the input's grid; FX tracing records the call
def add_grid_pos_embed(x: torch.Tensor, pos_embed: torch.Tensor, grid_side: int) -> torch.Tensor:
    """Tokens (B, H, W, C) plus a square (1, side * side, C) learned embedding resampled to (H, W), bilinear with
    aligned corners (how the Qwen VLMs apply theirs at any resolution)."""
    h, w = x.shape[1], x.shape[2]
    pos_embed = resample_abs_pos_embed(pos_embed, (h, w), old_size=(grid_side, grid_side), num_prefix_tokens=0,
                                       interpolation='bilinear', antialias=False, align_corners=True)
    return x + pos_embed.reshape(1, h, w, -1).to(x.dtype)


def init_linear_(module: nn.Module) -> None:
    """Normal (std 0.02) weights and zero biases for every Linear in `module`.

    The usual truncated normal cuts at +-2, i.e. 100 standard deviations here, which never happens; sampling the
    plain normal gives the same distribution at a third of the cost (these towers have up to 0.5G weights).
    """
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def deferred_linear_init() -> ContextManager[None]:
    """Build Linear layers without torch's default (kaiming-uniform) init, for a model that calls `init_linear_`."""
    return no_init(('kaiming_uniform_', 'uniform_'))


class VisionTowerEncoder(TokenTransformer):
    """Patch-token trunk with axial rotary embedding, optional final norm and a VLM projector.

    Subclasses call `_build_embed` in `__init__`, then set `blocks`, `norm` and the projector attribute (inside
    `deferred_linear_init()`: `_finish` initialises every Linear), then call `_finish`. Level outputs are token
    sequences; `forward_features` returns (B, H, W, C).
    """
    output_fmt = 'NHWC'
    projector_name: ClassVar[str]  # the projector's attribute
    projector_pool: ClassVar[str]  # the `global_pool` value that applies it

    num_features: int
    head_hidden_size: int

    @property
    def global_pools(self) -> Tuple[str, ...]:
        return '', 'avg', self.projector_pool

    def _build_embed(self, img_size: SizeT, patch_size: int, in_chans: int, num_classes: int, global_pool: str,
                     embed_dim: int, num_heads: int, rope_temperature: float, dynamic_img_pad: bool = False) -> None:
        if num_classes:
            raise TypeError(f'{type(self).__name__} has no classifier (num_classes={num_classes}); build the '
                            f'classifier variant (the name without _enc) to classify.')
        self._check_pool(global_pool, False)
        if embed_dim % num_heads:
            raise ValueError(f'embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads}).')
        self.num_classes = 0
        self.global_pool = global_pool
        self.num_features = self.head_hidden_size = self.embed_dim = embed_dim
        self.num_prefix_tokens = 0
        self.grad_checkpointing = False
        self.pos_embed: Optional[nn.Parameter] = None  # a family with a learned grid embedding sets it
        # any input works: the grid (and so the rotary angles) follows the input
        self.patch_embed = PatchEmbed(img_size=img_size, patch_size=patch_size, in_chans=in_chans, embed_dim=embed_dim,
                                      output_fmt='NHWC', strict_img_size=False, dynamic_img_pad=dynamic_img_pad)
        self.rope = RotaryEmbedding(embed_dim // num_heads, temperature=rope_temperature, rotate_half=True)

    def _finish(self) -> None:
        reduction = self.patch_embed.feat_ratio()
        self.feature_info = [dict(module=f'blocks.{i}', num_chs=self.embed_dim, reduction=reduction)
                             for i in range(len(self.blocks))]
        projector = self.projector
        if projector is not None:
            self.head_hidden_size = projector.out_features
        init_linear_(self)

    @property
    def projector(self) -> Optional[nn.Module]:
        return getattr(self, self.projector_name)

    # ---- trunk ----

    def _embed(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        x = self.patch_embed(x)
        if self.pos_embed is not None:
            x = add_grid_pos_embed(x, self.pos_embed, self.pos_embed_grid_size)
        b, h, w, c = x.shape
        return x.reshape(b, h * w, c), self.rope.get_embed((h, w), device=x.device)

    def _block_kwargs(self, context: torch.Tensor, index: int) -> Dict[str, Any]:
        return dict(rope=context)

    def _to_grid(self, x: torch.Tensor, input_hw: Tuple[int, int]) -> torch.Tensor:
        h, w = self.patch_embed.dynamic_feat_size(input_hw)
        return x.reshape(x.shape[0], h, w, x.shape[-1])

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Patch tokens after the blocks (and final norm) as a (B, H, W, C) map."""
        return self._to_grid(super().forward_features(x), (x.shape[-2], x.shape[-1]))

    @torch.jit.ignore
    def forward_intermediates(
            self,
            x: torch.Tensor,
            indices: IndicesT = None,
            norm: bool = False,
            stop_early: bool = False,
            output_fmt: str = 'NCHW',
            intermediates_only: bool = False,
    ) -> Union[List[torch.Tensor], Tuple[torch.Tensor, List[torch.Tensor]]]:
        """As `ZooModel.forward_intermediates`; the final features are a (B, H, W, C) map like `forward_features`."""
        input_hw = (x.shape[-2], x.shape[-1])
        out = super().forward_intermediates(x, indices, norm, stop_early, output_fmt, intermediates_only)
        if intermediates_only:
            return out
        final, intermediates = out
        return self._to_grid(final, input_hw), intermediates

    # ---- output ----

    def pool(self, x: torch.Tensor, pool_type: Optional[str] = None) -> torch.Tensor:
        """The output mode applied to a (B, H, W, C) map: the projector's tokens, the mean token, or the map."""
        pool_type = self.global_pool if pool_type is None else pool_type
        projector = self.projector
        if pool_type == self.projector_pool and projector is not None:
            return projector(x)
        if pool_type == 'avg':
            return x.mean(dim=(1, 2))
        return x

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        raise NotImplementedError(f'{type(self).__name__} has no classifier; forward() gives its output, or build the '
                                  f'classifier variant (the name without _enc) to classify.')

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.forward_features(x))

    @torch.jit.ignore
    def get_classifier(self) -> nn.Module:
        return nn.Identity()

    def _reset_head(self, num_classes: int, global_pool: Optional[str]) -> None:
        if num_classes:
            raise ValueError(f'{type(self).__name__} has no classifier to reset (num_classes={num_classes}); build '
                             f'the classifier variant (the name without _enc) to classify.')
        if global_pool is None:
            return
        self._check_pool(global_pool, False)
        if global_pool == self.projector_pool and self.projector is None:
            raise ValueError(f"global_pool='{global_pool}' needs the projector, which cannot be added after "
                             f'construction.')
        if global_pool != self.projector_pool:
            self._replace_head(self.num_features)
        self.global_pool = global_pool

    def _replace_head(self, in_features: int) -> None:
        setattr(self, self.projector_name, None)
        self.global_pool = ''
        self.head_hidden_size = self.num_features


class VisionTowerClassifier(ZooModel):
    """A vision-tower encoder under `encoder.`, then mean pooling, an affine-free norm, dropout and a linear `head`.

    Args:
        num_classes: classifier outputs (0: pooled, normalised features).
        global_pool: 'avg' (mean token) or '' (one prediction per token).
        encoder_pool: '' (patch tokens) or the encoder's `projector_pool` (pool the projector's tokens instead).
        final_norm: normalise the pooled features (without affine parameters: the encoder's own norms have them).
        drop_rate: dropout before the classifier.
        norm_eps: eps of every norm.
        **kwargs: the encoder's arguments (see its class).
    """
    encoder_cls: ClassVar[Type[VisionTowerEncoder]]
    pooled_norm: ClassVar[Callable[..., nn.Module]]
    trunk = Trunk(levels='encoder.blocks', level_fmt='NLC')
    classifier_name = 'head'
    global_pools = ('', 'avg')

    def __init__(
            self,
            num_classes: int = 1000,
            global_pool: str = 'avg',
            encoder_pool: str = '',
            final_norm: bool = True,
            drop_rate: float = 0.,
            norm_eps: float = 1e-6,
            **kwargs: Any,
    ):
        super().__init__()
        self._check_pool(global_pool)
        projector = self.encoder_cls.projector_pool
        if encoder_pool not in ('', projector):
            raise ValueError(f"encoder_pool must be '' or '{projector}', got {encoder_pool!r}.")
        self.num_classes = num_classes
        self.global_pool = global_pool
        self.encoder_pool = encoder_pool
        self.encoder = self.encoder_cls(global_pool=encoder_pool, norm_eps=norm_eps, **kwargs)
        self.embed_dim = self.encoder.embed_dim
        self.num_prefix_tokens = 0
        self.num_features = self.head_hidden_size = self.encoder.head_hidden_size
        self.output_fmt = 'NLC' if encoder_pool else 'NHWC'
        self.norm = self.pooled_norm(self.num_features, eps=norm_eps, affine=False) if final_norm else nn.Identity()
        self.head_drop = nn.Dropout(drop_rate)
        self.head = self._new_head(num_classes)
        self.feature_info = [dict(info, module=f'encoder.{info["module"]}') for info in self.encoder.feature_info]

    def _check_pool(self, global_pool: str) -> None:
        if global_pool not in self.global_pools:
            raise ValueError(f'global_pool must be one of {self.global_pools}, got {global_pool!r}.')

    def _new_head(self, num_classes: int) -> nn.Module:
        head = nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity()
        init_linear_(head)
        return head

    @torch.jit.ignore
    def no_weight_decay(self) -> Set[str]:
        return {f'encoder.{name}' for name in self.encoder.no_weight_decay()}

    def _reset_head(self, num_classes: int, global_pool: Optional[str]) -> None:
        if global_pool is not None:
            self._check_pool(global_pool)
            self.global_pool = global_pool
        self.head = self._new_head(num_classes)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Patch tokens (B, H, W, C), or the projector's tokens (B, L, D) with `encoder_pool`."""
        return self.encoder(x)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        tokens = x.flatten(1, -2)  # (B, H, W, C) patch maps and (B, L, D) projector tokens alike
        feats = tokens.mean(dim=1) if self.global_pool == 'avg' else tokens
        feats = self.head_drop(self.norm(feats))
        if pre_logits:
            return feats
        return self.head(feats)

    @torch.jit.ignore
    def forward_intermediates(
            self,
            x: torch.Tensor,
            indices: IndicesT = None,
            norm: bool = False,
            stop_early: bool = False,
            output_fmt: str = 'NCHW',
            intermediates_only: bool = False,
    ) -> Union[List[torch.Tensor], Tuple[torch.Tensor, List[torch.Tensor]]]:
        """The encoder's intermediates; the final features are `forward_features`' (projected with `encoder_pool`)."""
        out = self.encoder.forward_intermediates(x, indices, norm, stop_early, output_fmt, intermediates_only)
        if intermediates_only:
            return out
        final, intermediates = out
        return self.encoder.pool(final, self.encoder_pool), intermediates

    @torch.jit.ignore
    def prune_intermediate_layers(
            self,
            indices: IndicesT = 1,
            prune_norm: bool = False,
            prune_head: bool = True,
    ) -> List[int]:
        """Prune the encoder's later blocks (and final norm); `prune_head` also drops the projector and classifier."""
        take = self.encoder.prune_intermediate_layers(indices, prune_norm=prune_norm, prune_head=prune_head)
        if prune_head:
            self.encoder_pool = ''
            self.output_fmt = 'NHWC'
            width = self.encoder.num_features
            if width != self.num_features and not isinstance(self.norm, nn.Identity):
                self.norm = self.pooled_norm(width, eps=self.norm.eps, affine=False)
            self.num_features = self.head_hidden_size = width
            self.reset_classifier(0)
        return take



def tower_cfgs(sources: SourcesT, projector_suffix: str) -> Dict[str, Dict[str, Any]]:
    """The cfg table of a tower family from its released sources {(arch, tag): cfg with `out_features`}: per source,
    the classifier, the classifier on the projector (`projector_suffix`) and the encoder, in that order."""
    cfgs = {}
    for (arch, tag), cfg in sources.items():
        cfg = {k: v for k, v in cfg.items() if k != 'out_features'}
        for suffix in ('', projector_suffix, '_enc'):
            encoder = suffix == '_enc'
            cfgs[f'{arch}{suffix}.{tag}'] = dict(
                cfg, first_conv='patch_embed.proj' if encoder else 'encoder.patch_embed.proj',
                classifier=None if encoder else 'head')
    return cfgs


def create_tower(
        variant: str,
        pretrained: bool,
        kwargs: Dict[str, Any],
        encoder_cls: Type[VisionTowerEncoder],
        classifier_cls: Type[VisionTowerClassifier],
        sources: SourcesT,
        filter_fn: Callable[..., Dict[str, torch.Tensor]],
) -> nn.Module:
    """Build `variant` (`<arch>`, `<arch>_<projector_pool>` or `<arch>_enc`). A projector's width (`out_features`)
    defaults to the language-model width of the weights the pretrained tag comes from."""
    pool = encoder_cls.projector_pool
    arch, _, kind = variant.rpartition('_')
    if kind not in ('enc', pool):
        arch, kind = variant, ''
    if kind == pool:
        kwargs.setdefault('encoder_pool', pool)
    model_cls = encoder_cls if kind == 'enc' else classifier_cls
    projected = kwargs.get('global_pool', pool) if kind == 'enc' else kwargs.get('encoder_pool', '')
    cfg = resolve_pretrained_cfg(variant, kwargs.pop('pretrained_cfg', None),
                                 kwargs.pop('pretrained_cfg_overlay', None))
    if projected == pool and 'out_features' not in kwargs:
        source = sources.get((arch, cfg.tag))
        if source is None:
            raise ValueError(f'{variant}: no released weights {arch}.{cfg.tag} to take the projector width from; pass '
                             f'out_features (the language model width).')
        kwargs['out_features'] = source['out_features']
    # timm's features_only default for these models is the last three blocks
    return build_model_with_cfg(model_cls, variant, pretrained, pretrained_cfg=cfg, pretrained_filter_fn=filter_fn,
                                feature_cfg=dict(out_indices=3, feature_cls='getter'), **kwargs)
