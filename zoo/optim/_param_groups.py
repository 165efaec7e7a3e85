"""Parameter groups: weight decay exclusion and layer-wise learning rate decay."""
import fnmatch
import logging
import re
from collections import defaultdict
from itertools import chain
from typing import Any, Callable, Collection, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from torch import nn

__all__ = ['param_groups_weight_decay', 'param_groups_layer_decay', 'layer_ids_from_matcher']

_logger = logging.getLogger(__name__)

# a suffix of this value in a group_matcher spec means "same group as the previous match" (timm's contract)
MERGE_WITH_PREVIOUS = 99999

GroupMatcher = Union[Mapping[str, Any], Callable[[str], Any]]


def _matches(name: str, patterns: Collection[str]) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in patterns)


def _excluded_from_decay(name: str, param: nn.Parameter, exclude_1d: bool, no_decay: Collection[str]) -> bool:
    # biases and norm scales/shifts are 1-d; decaying them only fights the normalisation
    return (exclude_1d and (param.ndim <= 1 or name.endswith('.bias'))) or _matches(name, no_decay)


def _fallback_patterns(
        fallback_list: Collection[str], no_weight_decay_list: Collection[str], fallback_no_weight_decay: bool,
) -> Collection[str]:
    return set(fallback_list) | set(no_weight_decay_list) if fallback_no_weight_decay else fallback_list


def param_groups_weight_decay(
        model: nn.Module,
        weight_decay: float = 1e-5,
        no_weight_decay_list: Collection[str] = (),
        exclude_1d: bool = True,
        fallback_list: Collection[str] = (),
        fallback_no_weight_decay: bool = False,
) -> List[Dict[str, Any]]:
    """Split trainable parameters into a decayed and a non-decayed group (each again split by fallback routing).

    Args:
        model: The model.
        weight_decay: Decay for the decayed group.
        no_weight_decay_list: Parameter names (fnmatch patterns allowed) never decayed, e.g.
            ``model.no_weight_decay()``.
        exclude_1d: Exclude biases and every 1-d parameter (norm layers) from decay.
        fallback_list: Name patterns whose groups get ``use_fallback=True`` (hybrid optimizers such as Muon update
            them with their AdamW fallback; other optimizers ignore the flag).
        fallback_no_weight_decay: Also route ``no_weight_decay_list`` names to the fallback.

    Returns:
        Param group dicts (empty groups are dropped): no-decay, decay, then their fallback counterparts.
    """
    fallback = _fallback_patterns(fallback_list, no_weight_decay_list, fallback_no_weight_decay)
    # keyed by (decayed, use_fallback), in output order
    buckets: Dict[Tuple[bool, bool], List[nn.Parameter]] = {
        (False, False): [], (True, False): [], (False, True): [], (True, True): []}
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        decayed = bool(weight_decay) and not _excluded_from_decay(name, param, exclude_1d, no_weight_decay_list)
        buckets[(decayed, _matches(name, fallback))].append(param)
    groups = []
    for (decayed, use_fallback), params in buckets.items():
        if params:
            group: Dict[str, Any] = {'params': params, 'weight_decay': weight_decay if decayed else 0.}
            if use_fallback:
                group['use_fallback'] = True
            groups.append(group)
    return groups


def _compile_matcher(matcher: Mapping[str, Any]) -> List[Tuple[re.Pattern, Tuple[float, ...], Any]]:
    compiled = []
    for ordinal, spec in enumerate(matcher.values()):
        if spec is None:
            continue
        if isinstance(spec, (list, tuple)):
            for pattern, suffix in spec:
                compiled.append((re.compile(pattern), (ordinal,), suffix))
        else:
            compiled.append((re.compile(spec), (ordinal,), None))
    return compiled


def layer_ids_from_matcher(names: Sequence[str], matcher: GroupMatcher) -> Dict[str, int]:
    """Map parameter names to consecutive layer ids following a model's ``group_matcher()``.

    A matcher maps group names (in model order, e.g. stem, blocks) to a regex or to a list of ``(regex, suffix)``
    pairs; regex capture groups (block indices) and the suffix order names within a group. Names matching nothing
    (the head) get the last id. A callable matcher returns the ordering key directly.

    Args:
        names: Parameter names.
        matcher: The dict (or callable) returned by ``model.group_matcher(coarse=False)``.

    Returns:
        Name -> layer id, ids starting at 0.
    """
    compiled = _compile_matcher(matcher) if isinstance(matcher, Mapping) else None

    def key(name: str) -> Tuple[float, ...]:
        if compiled is None:
            order = matcher(name)
            return tuple(order) if isinstance(order, (list, tuple)) else (order,)
        for regex, prefix, suffix in compiled:
            match = regex.match(name)
            if match:
                parts = (prefix, match.groups(), suffix)
                return tuple(float(x) for x in chain.from_iterable(p for p in parts if p))
        return (float('inf'),)

    by_key: Dict[Tuple[float, ...], List[str]] = defaultdict(list)
    for name in names:
        by_key[key(name)].append(name)
    layer_of: Dict[str, int] = {}
    layer = -1
    for k in sorted(by_key):
        if layer < 0 or k[-1] != MERGE_WITH_PREVIOUS:
            layer += 1
        for name in by_key[k]:
            layer_of[name] = layer
    return layer_of


def _auto_layer_ids(model: nn.Module, layers_per_group: int = 12) -> Dict[str, int]:
    """Fallback grouping for models without ``group_matcher``: chunks of trunk params, then the classifier."""
    head = getattr(model, 'pretrained_cfg', {}).get('classifier', None) if hasattr(model, 'pretrained_cfg') else None
    heads = (head,) if isinstance(head, str) else tuple(head or ())
    names = [n for n, _ in model.named_parameters()]
    trunk = [n for n in names if not (heads and n.startswith(heads))]
    ids = {n: i // layers_per_group for i, n in enumerate(trunk)}
    last = (len(trunk) + layers_per_group - 1) // layers_per_group
    ids.update({n: last for n in names if n not in ids})
    return ids


def param_groups_layer_decay(
        model: nn.Module,
        weight_decay: float = 0.05,
        no_weight_decay_list: Collection[str] = (),
        exclude_1d: bool = True,
        layer_decay: float = 0.75,
        min_scale: float = 0.,
        no_opt_scale: Optional[float] = None,
        fallback_list: Collection[str] = (),
        fallback_no_weight_decay: bool = False,
) -> List[Dict[str, Any]]:
    """Param groups with per-layer ``lr_scale = layer_decay ** (num_layers - 1 - layer_id)`` and weight decay split.

    Layer-wise lr decay (BEiT, Bao et al. 2021) trains layers near the input with smaller learning rates; the
    schedulers multiply each group's lr by its ``lr_scale``.

    Args:
        model: The model; its ``group_matcher(coarse=False)`` defines the layers.
        weight_decay: Decay for decayed params.
        no_weight_decay_list: Names (fnmatch patterns) never decayed.
        exclude_1d: Exclude biases and 1-d params from decay.
        layer_decay: Per-layer lr multiplier.
        min_scale: Floor of the lr scale.
        no_opt_scale: Freeze (``requires_grad=False``) and leave out the layers whose scale is below this.
        fallback_list: Name patterns whose groups get ``use_fallback=True`` (see :func:`param_groups_weight_decay`).
        fallback_no_weight_decay: Also route ``no_weight_decay_list`` names to the fallback.

    Returns:
        One param group per (layer, decay/no-decay, fallback) combination.
    """
    names = [n for n, _ in model.named_parameters()]
    if hasattr(model, 'group_matcher'):
        layer_of = layer_ids_from_matcher(names, model.group_matcher(coarse=False))
    else:
        layer_of = _auto_layer_ids(model)
    num_layers = max(layer_of.values()) + 1
    if num_layers == 1:
        _logger.warning('Layer-wise lr decay has no effect: every parameter fell into one layer group.')
    scales = [max(min_scale, layer_decay ** (num_layers - 1 - i)) for i in range(num_layers)]
    fallback = _fallback_patterns(fallback_list, no_weight_decay_list, fallback_no_weight_decay)
    groups: Dict[Tuple[int, bool, bool], Dict[str, Any]] = {}
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        no_decay = not weight_decay or _excluded_from_decay(name, param, exclude_1d, no_weight_decay_list)
        layer = layer_of.get(name, num_layers - 1)
        if no_opt_scale and scales[layer] < no_opt_scale:
            param.requires_grad_(False)  # too small an lr to be worth updating: freeze the layer
            continue
        use_fallback = _matches(name, fallback)
        group = groups.get((layer, no_decay, use_fallback))
        if group is None:
            group = {'params': [], 'lr_scale': scales[layer], 'weight_decay': 0. if no_decay else weight_decay}
            if use_fallback:
                group['use_fallback'] = True
            groups[(layer, no_decay, use_fallback)] = group
        group['params'].append(param)
    return list(groups.values())
