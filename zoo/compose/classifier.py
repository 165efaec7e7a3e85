"""The composed classifier: backbone -> neck -> head, with the same API as the named zoo models.

``build_classifier(dict(backbone=..., neck=..., head=...))`` builds each part from its registry. The result answers
``forward`` / ``forward_features`` / ``forward_head`` / ``reset_classifier`` / ``feature_info`` ... like any zoo model
and adds ``forward_train(x, target) -> dict of losses`` and ``predict(x) -> softmax scores``.

``forward_features`` always returns one NCHW tensor (the deepest backbone output). Necks that fuse several stages
see every output through ``forward`` / ``forward_train``; ``extract_feat`` returns the whole tuple.
"""
import re
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from zoo.compose.necks import GlobalAveragePooling
from zoo.compose.registry import PartCfg, build_backbone, build_head, build_neck, closest_names

__all__ = ['ComposedClassifier', 'build_classifier', 'parse_losses', 'MODEL_CFG_KEYS']

Features = torch.Tensor | tuple[torch.Tensor, ...]

# Keys a model_cfg may hold. 'type' names the classifier kind for mmpretrain-style configs; only one kind exists.
MODEL_CFG_KEYS = ('type', 'backbone', 'neck', 'head', 'pretrained')
_CLASSIFIER_TYPES = ('ComposedClassifier', 'ImageClassifier')


def parse_losses(losses: Mapping[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
    """Sum the entries whose key contains 'loss' into the value to optimise; everything else is for logging.

    Args:
        losses: Output of ``forward_train``.

    Returns:
        (total loss, {key: float} of every entry plus 'loss' = the total).
    """
    terms = [value.mean() for key, value in losses.items() if 'loss' in key]
    if not terms:
        raise KeyError(f"no entry with 'loss' in its key among {list(losses)}; a head must return one")
    total = sum(terms)
    log_vars = {key: float(value.detach().mean()) for key, value in losses.items()}
    log_vars['loss'] = float(total.detach())
    return total, log_vars


def _prefix_pattern(pattern: Any, prefix: str) -> Any:
    """Re-anchor a group_matcher regex, or a list of regexes / (regex, order) pairs, under a submodule prefix."""
    if isinstance(pattern, str):
        body = pattern[1:] if pattern.startswith('^') else f'.*{pattern}'
        # Non-capturing group: keeps the pattern's own group numbers and scopes an unbracketed 'a|b' alternation.
        return f'^{re.escape(prefix)}(?:{body})'
    if isinstance(pattern, (list, tuple)):
        return [(_prefix_pattern(item[0], prefix), *item[1:]) if isinstance(item, (list, tuple))
                else _prefix_pattern(item, prefix) for item in pattern]
    return pattern


class ComposedClassifier(nn.Module):
    """An image classifier made of a backbone, an optional neck and a head.

    Args:
        backbone: Returns a tuple of feature maps.
        neck: Turns the backbone output into what the head expects (e.g. global pooling); None passes it through.
        head: Gives scores (``forward``), losses (``loss``) and probabilities (``predict``).
        pretrained_cfg: Metadata (input size, mean/std, ...) in the form named models expose.
    """

    def __init__(
            self,
            backbone: nn.Module,
            neck: nn.Module | None,
            head: nn.Module,
            pretrained_cfg: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.neck = neck
        self.head = head
        self.grad_checkpointing = False
        self.pretrained_cfg: dict[str, Any] = dict(first_conv=self._first_conv(), classifier='head.fc')
        self.pretrained_cfg.update(pretrained_cfg or {})
        self.pretrained_cfg['num_classes'] = self.num_classes
        self.default_cfg = self.pretrained_cfg  # the older name, kept by timm and zoo for existing callers

    def _first_conv(self) -> str | None:
        for name, module in self.named_modules():
            if isinstance(module, nn.Conv2d):
                return name
        return None

    # ------------------------------------------------------------------------------------------------ properties
    @property
    def num_classes(self) -> int:
        """Number of classes the head predicts (0 once the classifier is removed)."""
        return int(getattr(self.head, 'num_classes', 0))

    @property
    def num_features(self) -> int:
        """Width of the pre-logits features."""
        if hasattr(self.head, 'in_channels'):
            return int(self.head.in_channels)
        return int(self.feature_info[-1]['num_chs'])

    @property
    def feature_info(self) -> list[dict[str, Any]]:
        """num_chs / reduction / module (a path from this model) of each backbone feature level."""
        infos = getattr(self.backbone, 'feature_info', None)
        if infos is None:
            raise AttributeError(f'backbone {type(self.backbone).__name__} does not describe its features; give it '
                                 f'a feature_info list of dict(num_chs=..., reduction=..., module=...)')
        return [dict(info, module=f"backbone.{info['module']}") for info in infos]

    # ------------------------------------------------------------------------------------------------ forward
    def extract_feat(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Backbone outputs, always as a tuple (one entry per requested stage)."""
        feats = self.backbone(x)
        return tuple(feats) if isinstance(feats, (tuple, list)) else (feats,)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Deepest backbone feature map (N, C, H, W), before any neck."""
        return self.extract_feat(x)[-1]

    def forward_intermediates(
            self,
            x: torch.Tensor,
            indices: int | Sequence[int] | None = None,
            norm: bool = False,
            stop_early: bool = False,
            output_fmt: str = 'NCHW',
            intermediates_only: bool = False,
    ) -> list[torch.Tensor] | tuple[torch.Tensor, list[torch.Tensor]]:
        """Feature maps of the levels in ``feature_info`` (what ``create_model(..., features_only=True)`` uses).

        Args:
            x: Images.
            indices: Levels to return: None for all, n for the last n, or a sequence of level indices.
            norm: Unused (a ResNet has no final norm); kept for the shared signature.
            stop_early: Stop the backbone after the last requested level.
            output_fmt: Only 'NCHW'.
            intermediates_only: Return only the list; otherwise ``(forward_features(x), list)``.
        """
        if output_fmt != 'NCHW':
            raise ValueError(f"composed classifiers output NCHW feature maps only, got output_fmt={output_fmt!r}")
        if not hasattr(self.backbone, 'forward_levels'):
            raise NotImplementedError(f'backbone {type(self.backbone).__name__} has no forward_levels(x, stop); '
                                      f'it cannot serve features_only / forward_intermediates')
        # Imported here: zoo.models must finish importing before a family (zoo.models.composed) imports zoo.compose.
        from zoo.models._features import feature_take_indices
        take, max_index = feature_take_indices(len(self.feature_info), indices)
        stop = max_index if (stop_early or intermediates_only) else None
        levels = self.backbone.forward_levels(x, stop=stop)
        intermediates = [levels[i] for i in take]
        if intermediates_only:
            return intermediates
        return self.forward_features(x), intermediates

    def prune_intermediate_layers(
            self,
            indices: int | Sequence[int] = 1,
            prune_norm: bool = False,
            prune_head: bool = True,
    ) -> list[int]:
        """Drop what the feature levels in ``indices`` do not need: later backbone stages and, with ``prune_head``,
        the neck and classifier. Returns the kept level indices.

        Args:
            indices: Levels to keep (as for ``forward_intermediates``).
            prune_norm: Unused (no final norm); kept for the shared signature.
            prune_head: Also remove the neck and the classifier.
        """
        from zoo.models._features import feature_take_indices
        take, max_index = feature_take_indices(len(self.feature_info), indices)
        if hasattr(self.backbone, 'prune_levels'):
            self.backbone.prune_levels(max_index)
        if prune_head:
            self.reset_classifier(0, global_pool='')
        return take

    def forward_head(self, x: Features, pre_logits: bool = False) -> torch.Tensor:
        """Neck and head on backbone features (a tensor or the tuple from ``extract_feat``).

        Args:
            x: Backbone features.
            pre_logits: Return the features the classifier layer acts on instead of scores.
        """
        feats = self.neck(x) if self.neck is not None else x
        if pre_logits:
            return self.head.pre_logits(feats) if hasattr(self.head, 'pre_logits') else feats
        return self.head(feats)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class scores (N, num_classes); pooled features when the classifier was removed."""
        return self.forward_head(self.extract_feat(x))

    def forward_train(self, x: torch.Tensor, target: torch.Tensor, **loss_kwargs) -> dict[str, torch.Tensor]:
        """Losses of a batch: keys containing 'loss' are optimised (see :func:`parse_losses`), others are logged.

        Args:
            x: Images (N, C, H, W).
            target: (N,) class indices or (N, num_classes) soft targets (mixup/cutmix).
            **loss_kwargs: Passed to the head's loss (``weight``, ``avg_factor``, ``reduction_override``).
        """
        feats = self.extract_feat(x)
        if self.neck is not None:
            feats = self.neck(feats)
        return self.head.loss(feats, target, **loss_kwargs)

    @torch.no_grad()
    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """Softmax class probabilities (N, num_classes), without gradients."""
        feats = self.extract_feat(x)
        if self.neck is not None:
            feats = self.neck(feats)
        if hasattr(self.head, 'predict'):
            return self.head.predict(feats)
        return torch.softmax(self.head(feats), dim=1)

    # ------------------------------------------------------------------------------------------------ classifier
    def get_classifier(self) -> nn.Module:
        """The final classification layer."""
        return self.head.get_classifier()

    def reset_classifier(self, num_classes: int, global_pool: str | None = None) -> None:
        """Replace the classifier by a fresh one for ``num_classes`` classes (0 removes it).

        Args:
            num_classes: New class count; 0 makes ``forward`` return pooled features.
            global_pool: None keeps the neck, 'avg' sets global average pooling, '' removes the neck (only with
                ``num_classes=0``, giving unpooled feature maps).
        """
        if global_pool is not None:
            if global_pool == 'avg':
                self.neck = GlobalAveragePooling()
            elif global_pool == '':
                if num_classes:
                    raise ValueError("global_pool='' leaves feature maps unpooled, which a linear classifier cannot "
                                     "take; use num_classes=0 with it, or global_pool='avg'")
                self.neck = None
            else:
                raise ValueError(f"composed classifiers support global_pool 'avg' or '' (none), got {global_pool!r}")
        self.head.reset_classifier(num_classes)
        self.pretrained_cfg['num_classes'] = self.num_classes

    # ------------------------------------------------------------------------------------------------ training aids
    def set_grad_checkpointing(self, enable: bool = True) -> None:
        """Recompute backbone activations in the backward pass to save memory."""
        if not hasattr(self.backbone, 'set_grad_checkpointing'):
            raise NotImplementedError(f'backbone {type(self.backbone).__name__} does not support gradient '
                                      f'checkpointing (it has no set_grad_checkpointing method)')
        self.backbone.set_grad_checkpointing(enable)
        self.grad_checkpointing = enable

    def group_matcher(self, coarse: bool = False) -> dict[str, Any]:
        """Parameter groups for layer-wise lr decay: the backbone's, re-anchored under 'backbone.'.

        Parameters matched by no group (neck, head) land in the last group, as for named models.
        """
        if hasattr(self.backbone, 'group_matcher'):
            matcher = self.backbone.group_matcher(coarse=coarse)
            return {key: _prefix_pattern(value, 'backbone.') for key, value in matcher.items()}
        return dict(stem=r'^backbone\.', blocks=[])

    def no_weight_decay(self) -> set[str]:
        """Parameter names to exclude from weight decay (the backbone's, if it names any)."""
        if hasattr(self.backbone, 'no_weight_decay'):
            return {f'backbone.{name}' for name in self.backbone.no_weight_decay()}
        return set()


def _build_part(kind: str, builder, cfg: PartCfg) -> nn.Module:
    try:
        return builder(cfg)
    except (KeyError, TypeError, ValueError) as err:
        # Name the part so an error deep in a config says where it came from.
        message = err.args[0] if err.args else str(err)
        raise type(err)(f'model_cfg[{kind!r}]: {message}') from err


def build_classifier(
        model_cfg: Mapping[str, Any],
        pretrained_cfg: Mapping[str, Any] | None = None,
        load_pretrained: bool = True,
) -> ComposedClassifier:
    """Build a :class:`ComposedClassifier` from ``dict(backbone=..., neck=..., head=...)``.

    Each part is a ``dict(type='Name', **args)`` or a module instance; the neck may be left out or None.
    ``pretrained='resnet50'`` (a zoo model name) loads that model's pretrained weights into a ResNet backbone.

    Args:
        model_cfg: The model config (not modified).
        pretrained_cfg: Metadata to expose as ``model.pretrained_cfg`` (input size, mean, std, ...).
        load_pretrained: Honour ``model_cfg['pretrained']`` (False builds with random init, e.g. in tests).

    Returns:
        The classifier.
    """
    if not isinstance(model_cfg, Mapping):
        raise TypeError(f'model_cfg must be a dict(backbone=..., neck=..., head=...), got {type(model_cfg).__name__}')
    unknown = [key for key in model_cfg if key not in MODEL_CFG_KEYS]
    if unknown:
        hints = ', '.join(f'{k!r} (did you mean {closest_names(k, list(MODEL_CFG_KEYS), 1)[0]!r}?)' for k in unknown)
        raise KeyError(f'model_cfg has unknown key(s) {hints}; accepted keys: {list(MODEL_CFG_KEYS)}')
    kind = model_cfg.get('type', 'ComposedClassifier')
    if kind not in _CLASSIFIER_TYPES:
        raise KeyError(f'model_cfg type {kind!r} is not a classifier kind; use one of {list(_CLASSIFIER_TYPES)}')
    for part in ('backbone', 'head'):
        if model_cfg.get(part) is None:
            raise KeyError(f"model_cfg needs a {part!r} entry, e.g. {part}=dict(type=...); got keys {list(model_cfg)}")
    backbone = _build_part('backbone', build_backbone, model_cfg['backbone'])
    neck_cfg = model_cfg.get('neck')
    neck = _build_part('neck', build_neck, neck_cfg) if neck_cfg is not None else None
    head = _build_part('head', build_head, model_cfg['head'])
    model = ComposedClassifier(backbone, neck, head, pretrained_cfg=pretrained_cfg)
    source = model_cfg.get('pretrained')
    if source and load_pretrained:
        # Imported here: loading named weights pulls in zoo.models, which need not load to build a model.
        from zoo.compose.weights import load_resnet_weights
        load_resnet_weights(model, source, backbone_only=True)
    return model
