"""The model API every zoo family speaks, implemented once.

A family model subclasses `ZooModel` and *declares* where its parts are instead of re-implementing the API:

- `trunk` (a `Trunk`): the modules run before the first feature level (`stem`), the modules that produce each
  feature level (`levels`), and the modules run after the last level inside `forward_features` (`final`, e.g. a final
  norm or a head conv). Entry i of `levels` produces `feature_info[i]`.
- `classifier_name`: dotted path of the classifier layer (`get_classifier`).
- `groups`: the parameter-group regexes for `group_matcher` (layer-wise lr decay, freezing).
- `no_weight_decay_names`: parameters that should not be decayed (position embeddings, tokens).

From that declaration the base provides `forward_intermediates`, `prune_intermediate_layers`,
`set_grad_checkpointing`, `group_matcher`, `no_weight_decay`, `get_classifier`, `reset_classifier` and `forward`.
The family writes what is really its own: `__init__`, `forward_features` (the architecture, kept explicit so it
stays readable and exportable) and, when the head is not a `head` module with `reset()`, `forward_head`.
"""
import dataclasses
from typing import Any, ClassVar, Dict, List, Optional, Sequence, Set, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo.layers.classifier import ClassifierHead, create_classifier
from zoo.models._features import feature_take_indices
from zoo.models._manipulate import checkpoint_seq

__all__ = ['Trunk', 'ZooModel', 'check_num_classes', 'split_levels', 'OUTPUT_FMTS']

IndicesT = Optional[Union[int, Sequence[int]]]
OUTPUT_FMTS = ('NCHW', 'NHWC', 'NLC')


@dataclasses.dataclass(frozen=True)
class Trunk:
    """Where a model's feature trunk lives, as dotted attribute paths.

    Args:
        levels: the feature levels. Either the path of a container (Sequential / ModuleList) whose children are the
            levels in order, or one tuple of paths per level (modules run in order, e.g. `('maxpool', 'layer1')`).
        stem: modules run before level 0 that are not a level themselves.
        final: modules run after the last level in `forward_features` (final norm, head conv).
        final_is_norm: `final` is a normalisation, so `forward_intermediates(norm=True)` applies it to the last
            level (and `prune_norm` removes it); otherwise `norm` never touches it and it goes with the head.
        level_fmt: layout of the level outputs: 'NCHW', 'NHWC' (channels-last maps) or 'NLC' (token sequences; the
            family implements `_tokens_to_map`).
    """
    levels: Union[str, Tuple[Tuple[str, ...], ...]]
    stem: Tuple[str, ...] = ()
    final: Tuple[str, ...] = ()
    final_is_norm: bool = True
    level_fmt: str = 'NCHW'


def split_levels(positions: Sequence[Union[str, Tuple[str, ...]]], ends: Sequence[int]) -> Tuple[Tuple[str, ...], ...]:
    """Feature levels of a model run as one sequence: level i runs the positions after level i-1's end up to
    `ends[i]` (inclusive). A position is a module path or a tuple of paths."""
    flat = [(pos,) if isinstance(pos, str) else tuple(pos) for pos in positions]
    levels, start = [], 0
    for end in ends:
        levels.append(tuple(path for pos in flat[start:end + 1] for path in pos))
        start = end + 1
    return tuple(levels)


def check_num_classes(num_classes: Any) -> int:
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 0:
        raise ValueError(f'num_classes must be an int >= 0 (0 removes the classifier), got {num_classes!r}.')
    return num_classes


def check_pooled_head(global_pool: str, num_classes: int) -> None:
    """Refuse global_pool='' where a conv/linear head needs pooled features and a classifier is requested."""
    if not global_pool and num_classes > 0:
        raise ValueError(f"global_pool='' leaves unpooled maps, which the classifier cannot take; pass "
                         f"num_classes=0 with it (got num_classes={num_classes}) or keep a pooling such as 'avg'.")


class ZooModel(nn.Module):
    """Base of every zoo classification model; see the module docstring for what a family declares."""
    # the trunk declaration is Python-side metadata for the API methods, not something a scripted forward reads
    __jit_ignored_attributes__ = ['trunk']

    trunk: ClassVar[Trunk]
    classifier_name: ClassVar[str] = 'head.fc'
    groups: ClassVar[Dict[str, Any]] = {}
    no_weight_decay_names: ClassVar[Tuple[str, ...]] = ()
    # which levels `forward_intermediates(norm=True)` normalises: 'last' (a final norm sized for the last level)
    # or 'all' (isotropic transformers, where the final norm fits every block)
    norm_levels: ClassVar[str] = 'last'

    num_classes: int
    num_features: int
    feature_info: List[Dict[str, Any]]
    grad_checkpointing: bool = False

    # ---- where things are -------------------------------------------------------------------------------------

    def _module(self, path: str) -> nn.Module:
        return self.get_submodule(path)

    def _set_module(self, path: str, module: nn.Module) -> None:
        parent, _, name = path.rpartition('.')
        setattr(self._module(parent) if parent else self, name, module)

    def _level_paths(self) -> List[Tuple[str, ...]]:
        levels = self.trunk.levels
        if isinstance(levels, str):
            return [(f'{levels}.{name}',) for name, _ in self._module(levels).named_children()]
        return [tuple(level) for level in levels]

    def _run(self, paths: Sequence[str], x: torch.Tensor) -> torch.Tensor:
        modules = [self._module(p) for p in paths]
        if (self.grad_checkpointing and not torch.jit.is_scripting()
                and not any(getattr(m, 'grad_checkpointing', False) for m in modules)):
            # one segment per level: a segment never starts inside a level (e.g. at an in-place activation)
            return checkpoint_seq(modules, x, every=max(len(modules), 1))
        for m in modules:
            x = m(x)
        return x

    # ---- API ------------------------------------------------------------------------------------------------

    @torch.jit.ignore
    def group_matcher(self, coarse: bool = False) -> Dict[str, Any]:
        """Regexes grouping parameters into stem and blocks (coarse: one group per stage)."""
        matcher = {name: rule for name, rule in self.groups.items() if name != 'coarse'}
        if coarse and 'coarse' in self.groups:
            matcher['blocks'] = self.groups['coarse']
        return matcher

    def _record_input_size(self, img_size: Optional[Sequence[int]]) -> None:
        """After `set_input_size`: the model's pretrained cfg names the new (h, w), so data configs resolved from
        the model (`resolve_model_data_config`) size inputs for it."""
        cfg = getattr(self, 'pretrained_cfg', None)
        if isinstance(cfg, dict) and img_size is not None:
            cfg['input_size'] = (cfg.get('input_size', (getattr(self, 'in_chans', 3),))[0], *img_size)

    @torch.jit.ignore
    def set_grad_checkpointing(self, enable: bool = True) -> None:
        """Recompute activations in backward; stages with their own `grad_checkpointing` flag follow it."""
        for m in self.modules():
            if hasattr(m, 'grad_checkpointing'):
                m.grad_checkpointing = enable

    @torch.jit.ignore
    def no_weight_decay(self) -> Set[str]:
        return {name for name in self.no_weight_decay_names if getattr(self, name, None) is not None}

    @torch.jit.ignore
    def get_classifier(self) -> nn.Module:
        return self._module(self.classifier_name)

    def reset_classifier(self, num_classes: int, global_pool: Optional[str] = None) -> None:
        """A new classifier for `num_classes` outputs (0 removes it), optionally with another global pooling."""
        self.num_classes = check_num_classes(num_classes)
        self._reset_head(num_classes, global_pool)

    def _reset_head(self, num_classes: int, global_pool: Optional[str]) -> None:
        head = getattr(self, 'head', None)
        if head is not None and hasattr(head, 'reset'):
            head.reset(num_classes, global_pool)
            if hasattr(head, 'num_features'):  # heads with a hidden layer define the pre-logits width
                self.head_hidden_size = head.num_features
            return
        # a top-level pool + classifier pair (the layout of torchvision-era weights: `fc`, `classifier`, ...)
        pool_type = self.global_pool.pool_type if global_pool is None else global_pool
        self.global_pool, fc = create_classifier(self.num_features, num_classes, pool_type=pool_type)
        self._set_module(self.classifier_name, fc)
        self.head_hidden_size = self.num_features * self.global_pool.feat_mult()

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        return self.head(x, pre_logits=pre_logits)

    def _pooled(self, x: torch.Tensor) -> torch.Tensor:
        """Pre-logits of the top-level layout: `global_pool`, then (training only) dropout at `drop_rate`.

        Families with that layout write `forward_head` as `x = self._pooled(x)` plus their classifier call.
        """
        rate = float(self.drop_rate)
        pooled = self.global_pool(x)
        return F.dropout(pooled, p=rate, training=True) if self.training and rate > 0. else pooled

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))

    # ---- intermediate features ------------------------------------------------------------------------------

    def _run_stem(self, x: torch.Tensor) -> torch.Tensor:
        """What runs before level 0 (the declared stem modules; token models embed here)."""
        return self._run(self.trunk.stem, x)

    def _run_final(self, x: torch.Tensor) -> torch.Tensor:
        return self._run(self.trunk.final, x)

    def _level_tokens(self, x: torch.Tensor) -> torch.Tensor:
        """The tokens of a level that belong to image patches (token models drop class/register tokens here)."""
        return x

    def _tokens_to_map(self, x: torch.Tensor, input_hw: Tuple[int, int]) -> torch.Tensor:
        raise NotImplementedError(f'{type(self).__name__} declares token levels but no _tokens_to_map.')

    def _format_level(self, x: torch.Tensor, index: int, norm: bool, output_fmt: str,
                      input_hw: Tuple[int, int]) -> torch.Tensor:
        last = index == len(self.feature_info) - 1
        if norm and self.trunk.final_is_norm and (self.norm_levels == 'all' or last):
            x = self._run_final(x)
        fmt = self.trunk.level_fmt
        if fmt == 'NLC':
            x = self._level_tokens(x)
            if output_fmt == 'NLC':
                return x
            x, fmt = self._tokens_to_map(x, input_hw), 'NCHW'
        if fmt == output_fmt:
            return x
        if output_fmt == 'NCHW':
            return x.permute(0, 3, 1, 2).contiguous()
        return x.permute(0, 2, 3, 1).contiguous()

    def _check_output_fmt(self, output_fmt: str) -> None:
        allowed = ('NCHW', 'NHWC', 'NLC') if self.trunk.level_fmt == 'NLC' else ('NCHW', 'NHWC')
        if output_fmt not in allowed:
            raise ValueError(f'{type(self).__name__} intermediates can be {allowed}, not output_fmt={output_fmt!r}.')

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
        """The outputs of the feature levels in `indices`, and the final features unless only intermediates are asked.

        Args:
            x: input images (N, C, H, W).
            indices: None for every level, n for the last n, or a sequence of levels (negative counts from the end).
            norm: apply the final norm to the levels it fits (the last one, or all for isotropic transformers).
            stop_early: stop after the last requested level; the returned final features are then that level's.
            output_fmt: 'NCHW', 'NHWC', or 'NLC' (token models).
            intermediates_only: return only the list of intermediates.
        """
        self._check_output_fmt(output_fmt)
        levels = self._level_paths()
        take, max_index = feature_take_indices(len(levels), indices)
        input_hw = (x.shape[-2], x.shape[-1])
        last = len(levels) - 1
        stop = max_index if (stop_early or intermediates_only) else last
        intermediates = []
        x = self._run_stem(x)
        for i in range(stop + 1):
            x = self._run(levels[i], x)
            if i in take:
                intermediates.append(self._format_level(x, i, norm, output_fmt, input_hw))
        if intermediates_only:
            return intermediates
        if stop == last:
            x = self._run_final(x)
        return x, intermediates

    @torch.jit.ignore
    def prune_intermediate_layers(
            self,
            indices: IndicesT = 1,
            prune_norm: bool = False,
            prune_head: bool = True,
    ) -> List[int]:
        """Remove what the levels in `indices` do not need: later levels, the final norm / head conv, the head.

        Returns the kept level indices (normalised as `feature_take_indices` does).
        """
        levels = self._level_paths()
        take, max_index = feature_take_indices(len(levels), indices)
        truncated = max_index < len(levels) - 1
        if truncated:
            container = self.trunk.levels
            if isinstance(container, str):
                self._set_module(container, self._module(container)[:max_index + 1])
            else:
                self._drop_paths([path for paths in levels[max_index + 1:] for path in paths])
        # the final modules are sized for the last level: a shorter trunk (of another width) or an explicit request
        # removes them, and the head then takes the narrower output of the last kept level
        width = self.feature_info[max_index]['num_chs']
        drop_final = prune_norm if self.trunk.final_is_norm else (prune_norm or prune_head)
        drop_final = bool(self.trunk.final) and (drop_final or (truncated and width != self.feature_info[-1]['num_chs']))
        if drop_final:
            self._drop_paths(self.trunk.final)
        if (truncated or drop_final) and width != self.num_features:
            self.num_features = width
            prune_head = True
        if prune_head:
            self.num_classes = 0
            self.head_hidden_size = self.num_features
            self._replace_head(self.num_features)
        return take

    def _drop_paths(self, paths: Sequence[str]) -> None:
        """Remove modules: trailing children of a Sequential / ModuleList are sliced off, others become Identity."""
        by_parent: Dict[str, List[str]] = {}
        for path in paths:
            parent, _, name = path.rpartition('.')
            by_parent.setdefault(parent, []).append(name)
        for parent, names in by_parent.items():
            container = self._module(parent) if parent else self
            children = [n for n, _ in container.named_children()]
            if isinstance(container, (nn.Sequential, nn.ModuleList)) and parent and \
                    sorted(names, key=children.index) == children[len(children) - len(names):]:
                self._set_module(parent, container[:len(children) - len(names)])
            else:
                for name in names:
                    setattr(container, name, nn.Identity())

    def _replace_head(self, in_features: int) -> None:
        """An empty head (no pooling, no classifier) for a trunk pruned to `in_features` channels."""
        if isinstance(getattr(self, 'head', None), nn.Module) and self.classifier_name.startswith('head.'):
            self.head = ClassifierHead(in_features, 0, pool_type='')
        else:
            self.global_pool, fc = create_classifier(in_features, 0, pool_type='')
            self._set_module(self.classifier_name, fc)
