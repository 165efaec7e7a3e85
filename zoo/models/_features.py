"""Multi-scale feature extraction (`features_only=True`): the wrappers timm offers, on zoo's own machinery.

Every family describes its feature levels in `model.feature_info` (a list of dicts with `num_chs`, `reduction`,
`module`): level i is the output of the module named `module`, and index i of that list is index i of
`forward_intermediates(indices=...)`. Four wrappers read that description (a fifth, the FX-graph one, lives in
`_features_fx.py`):

- `FeatureGetterNet` ('getter'): calls `forward_intermediates` on the pruned model; works for every family and is
  the only one that turns token sequences into maps.
- `FeatureListNet` / `FeatureDictNet` ('list' / 'dict'): rebuild the model as the run of its top-level children
  (optionally opening top-level Sequentials one level) up to the last requested module, and return what those modules
  output. Only possible where the forward really is that run of children (most CNNs).
- `FeatureHookNet` ('hook'): forward hooks on the named modules, either on the untouched model or on the same
  children run as above.

Outputs are what the named modules produce in the model's native layout (NCHW, NHWC for channels-last families,
tokens for transformers); an `output_fmt` other than the native one permutes 4-d maps.
"""
import functools
import inspect
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Tuple, Type, Union

import torch
import torch.nn as nn

from zoo.models._manipulate import maybe_checkpoint

__all__ = [
    'FeatureInfo', 'FeatureGetterNet', 'FeatureDictNet', 'FeatureListNet', 'FeatureHookNet', 'feature_take_indices',
    'create_feature_net', 'FEATURE_CLS_NAMES',
]

IndicesT = Union[int, Sequence[int], None]
OutMapT = Optional[Sequence[Union[int, str]]]
MAP_FMTS = ('NCHW', 'NHWC')


def feature_take_indices(num_features: int, indices: IndicesT = None) -> Tuple[List[int], int]:
    """Normalise `indices` against `num_features` levels.

    None takes every level, an int n the last n levels, a sequence the listed levels (negative ones count from the
    end). Returns the sorted non-negative indices and the largest of them.
    """
    if indices is None:
        indices = num_features
    if isinstance(indices, int):
        if not 0 < indices <= num_features:
            raise ValueError(f'Cannot take the last {indices} of {num_features} feature levels.')
        take = list(range(num_features - indices, num_features))
    else:
        take = []
        for i in indices:
            j = num_features + i if i < 0 else i
            if not 0 <= j < num_features:
                raise ValueError(f'Feature index {i} is out of range for a model with {num_features} levels '
                                 f'(valid: {-num_features}..{num_features - 1}).')
            take.append(j)
        if len(set(take)) != len(take):
            raise ValueError(f'Feature indices {list(indices)} name the same level twice.')
        take = sorted(take)
    return take, max(take)


class FeatureInfo:
    """A model's feature levels (channels, reduction, module name of each) and the ones a wrapper outputs.

    As in timm: `out_indices` are kept as given (an int n means the last n levels, stored as -n..-1); accessors
    without `idx` answer for the output levels, with an int or a list `idx` for those level indices of the model.
    `len()` and `[i]` address the model's levels.
    """

    def __init__(self, feature_info: Sequence[Dict[str, Any]], out_indices: Union[int, Sequence[int]]):
        reduction = 1
        for i, fi in enumerate(feature_info):
            if fi.get('num_chs', 0) <= 0 or 'reduction' not in fi:
                raise ValueError(f'feature_info[{i}] needs num_chs > 0 and a reduction, got {fi}.')
            if fi['reduction'] < reduction:
                raise ValueError(f'feature_info[{i}] reduction {fi["reduction"]} is below that of the level before.')
            reduction = fi['reduction']
        self.info = [dict(fi, index=fi.get('index', i)) for i, fi in enumerate(feature_info)]
        if isinstance(out_indices, int):
            out_indices = range(-out_indices, 0)
        self.out_indices = tuple(out_indices)
        try:  # refuse out-of-range levels now, naming the argument
            feature_take_indices(len(self.info), self.out_indices)
        except ValueError as e:
            raise ValueError(f'out_indices={self.out_indices}: {e}') from None

    def from_other(self, out_indices: Union[int, Sequence[int]]) -> 'FeatureInfo':
        """The same levels with other output indices."""
        return FeatureInfo(self.info, out_indices)

    def _select(self, idx: Optional[Union[int, Sequence[int]]]) -> List[int]:
        if idx is None:
            return list(self.out_indices)
        return list(idx) if isinstance(idx, (tuple, list)) else [idx]

    def get(self, key: str, idx: Optional[Union[int, Sequence[int]]] = None) -> Any:
        values = [self.info[i][key] for i in self._select(idx)]
        return values[0] if isinstance(idx, int) else values

    def get_dicts(self, keys: Optional[Sequence[str]] = None, idx: Optional[Union[int, Sequence[int]]] = None) -> Any:
        dicts = [self.info[i] if keys is None else {k: self.info[i][k] for k in keys} for i in self._select(idx)]
        return dicts[0] if isinstance(idx, int) else dicts

    def channels(self, idx: Optional[Union[int, Sequence[int]]] = None) -> Any:
        return self.get('num_chs', idx)

    def reduction(self, idx: Optional[Union[int, Sequence[int]]] = None) -> Any:
        return self.get('reduction', idx)

    def module_name(self, idx: Optional[Union[int, Sequence[int]]] = None) -> Any:
        return self.get('module', idx)

    def __getitem__(self, item: int) -> Dict[str, Any]:
        return self.info[item]

    def __len__(self) -> int:
        return len(self.info)

    def __repr__(self) -> str:
        return f'FeatureInfo(out_indices={self.out_indices}, channels={self.channels()}, reduction={self.reduction()})'


def _feature_info_of(model: nn.Module, out_indices: Union[int, Sequence[int]]) -> FeatureInfo:
    info = getattr(model, 'feature_info', None)
    if isinstance(info, FeatureInfo):
        return info.from_other(out_indices)
    if not isinstance(info, (list, tuple)) or not info:
        raise RuntimeError(f'{type(model).__name__} has no feature_info list; it cannot be wrapped for features.')
    return FeatureInfo(info, out_indices)


def level_modules(info: FeatureInfo, feature_cls: str) -> List[str]:
    """The module names of the output levels; refuses levels that one module produces together (e.g. CoaT's
    parallel blocks emit three scales), which a module-output wrapper cannot tell apart."""
    names = info.module_name()
    shared = sorted({n for n in names if names.count(n) > 1})
    if shared:
        raise ValueError(f"feature_cls='{feature_cls}' reads one output per module, but levels "
                         f"{list(info.out_indices)} share the module(s) {shared}; use feature_cls='getter', or "
                         f"out_indices naming each module once.")
    return names


def _output_keys(info: FeatureInfo, out_map: OutMapT) -> List[str]:
    """The dict key of each output: the `out_map` entry, else the output index as given."""
    if out_map is not None and len(out_map) != len(info.out_indices):
        raise ValueError(f'out_map has {len(out_map)} entries for {len(info.out_indices)} out_indices.')
    return [str(k) for k in (out_map if out_map is not None else info.out_indices)]


def native_output_fmt(model: nn.Module) -> str:
    """The layout the model's feature modules produce: 'NCHW', 'NHWC' (channels-last families) or 'NLC' (tokens)."""
    fmt = getattr(model, 'output_fmt', None)
    if isinstance(fmt, str):
        return fmt
    trunk = getattr(model, 'trunk', None)
    return getattr(trunk, 'level_fmt', 'NCHW')


def _resolve_output_fmt(model: nn.Module, output_fmt: Optional[str], feature_cls: str) -> Tuple[str, str]:
    """(native, requested) layouts; refuses a conversion the wrapper cannot do."""
    native = native_output_fmt(model)
    output_fmt = native if output_fmt is None else output_fmt
    if output_fmt != native and not (native in MAP_FMTS and output_fmt in MAP_FMTS):
        raise ValueError(
            f"feature_cls='{feature_cls}' returns what {type(model).__name__}'s modules output ({native}) and cannot "
            f"give output_fmt={output_fmt!r}; use feature_cls='getter' for NCHW / NHWC maps.")
    return native, output_fmt


def _convert_fmt(x: torch.Tensor, native: str, output_fmt: str) -> torch.Tensor:
    if native == output_fmt or x.ndim != 4:
        return x
    return x.permute(0, 3, 1, 2) if native == 'NHWC' else x.permute(0, 2, 3, 1)


def _top_level_run(model: nn.Module, flatten_sequential: bool) -> List[Tuple[str, str, nn.Module]]:
    """The model as a run of its top-level children: (name in the wrapper, dotted path in the model, module).

    With `flatten_sequential` a top-level Sequential contributes its children instead of itself (so `stages.1`
    becomes an entry named `stages_1`), which lets a level inside a Sequential be an output.
    """
    run = []
    for name, child in model.named_children():
        if flatten_sequential and isinstance(child, nn.Sequential):
            run.extend((f'{name}_{sub}', f'{name}.{sub}', grandchild) for sub, grandchild in child.named_children())
        else:
            run.append((name, name, child))
    return run


def _prefix_covering(
        model: nn.Module,
        targets: Sequence[str],
        flatten_sequential: bool,
        inside: bool,
        feature_cls: str,
) -> Tuple[List[Tuple[str, str, nn.Module]], Dict[str, str]]:
    """The shortest prefix of the top-level run that holds every target module.

    `inside=False`: a target must be an entry of the run itself (its output is what the run passes on);
    `inside=True`: a target may also sit anywhere inside an entry (hooks read it there). Returns the prefix and, for
    each target, the wrapper name of the entry holding it.
    """
    if native_output_fmt(model) == 'NLC':
        # token models reshape between their modules (patch grid -> tokens, class tokens added), which a run of
        # modules cannot reproduce
        raise ValueError(
            f"feature_cls='{feature_cls}' rebuilds the model from its top-level modules, which cannot reproduce "
            f"{type(model).__name__} (a token model). Use feature_cls='getter' for feature maps, or 'hook' / 'fx' "
            f"(without flatten_sequential) for the raw block outputs.")
    remaining = set(targets)
    owner: Dict[str, str] = {}
    prefix = []
    for entry in _top_level_run(model, flatten_sequential):
        if not remaining:
            break
        new_name, path, module = entry
        prefix.append(entry)
        found = {path} & remaining
        if inside:
            found = {f'{path}.{sub}' if sub else path for sub, _ in module.named_modules()} & remaining
        for target in found:
            owner[target] = new_name
        remaining -= found
    if remaining:
        hint = '' if flatten_sequential else ' (flatten_sequential=True opens top-level Sequentials)'
        raise ValueError(
            f"feature_cls='{feature_cls}' cannot extract {sorted(remaining)} from {type(model).__name__}: the "
            f"wrapper rebuilds the model from its top-level modules{hint}, and those levels are not among them. "
            f"Use feature_cls='getter' (forward_intermediates) instead.")
    return prefix, owner


class _ChildrenRun(nn.ModuleDict):
    """A model re-expressed as a sequence of its top-level modules, run in order (shared by dict/list/hook nets)."""

    def __init__(self, modules: Sequence[Tuple[str, str, nn.Module]]):
        super().__init__(OrderedDict((name, module) for name, _, module in modules))
        self.grad_checkpointing = False

    def set_grad_checkpointing(self, enable: bool = True) -> None:
        self.grad_checkpointing = enable

    def _step(self, i: int, module: nn.Module, x: torch.Tensor) -> torch.Tensor:
        # the first module needs the input's gradient, the last and in-place ones cannot be recomputed safely
        skip = i == 0 or i == len(self) - 1 or getattr(module, 'inplace', False)
        return maybe_checkpoint(module, x, enabled=self.grad_checkpointing and not skip)


class FeatureDictNet(_ChildrenRun):
    """Features as an OrderedDict, from the model rebuilt as the run of its top-level modules.

    The model's forward must be exactly its top-level modules applied in registration order up to the last
    requested level (true of most CNNs); a level's module must be one of them (or, with `flatten_sequential`, a
    child of a top-level Sequential). Parameters are named as in that run (`stages_1.0.conv.weight` when
    flattened).

    Args:
        model: the model to wrap (its modules are reused, not copied).
        out_indices: the feature levels to output (an int n: the last n).
        out_map: dict keys for the outputs; default the output index as a string.
        output_fmt: layout of 4-d outputs; default the model's native one.
        feature_concat: a level whose module returns a tuple/list gives their channel concatenation instead of the
            first element.
        flatten_sequential: open top-level Sequentials one level so their children can be levels.
    """

    def __init__(
            self,
            model: nn.Module,
            out_indices: Union[int, Sequence[int]] = (0, 1, 2, 3, 4),
            out_map: OutMapT = None,
            output_fmt: Optional[str] = None,
            feature_concat: bool = False,
            flatten_sequential: bool = False,
    ):
        info = _feature_info_of(model, out_indices)
        kind = 'list' if type(self) is FeatureListNet else 'dict'
        native, fmt = _resolve_output_fmt(model, output_fmt, kind)
        targets = level_modules(info, kind)
        prefix, _ = _prefix_covering(model, targets, flatten_sequential, inside=False, feature_cls=kind)
        super().__init__(prefix)
        self.feature_info = info
        self.output_fmt = fmt
        self.native_fmt = native
        self.concat = feature_concat
        # wrapper entry name -> output key; a flattened entry is named with '_' where the feature_info uses '.'
        key_of_target = dict(zip(targets, _output_keys(info, out_map)))
        self.return_layers = {new: key_of_target[path] for new, path, _ in prefix if path in key_of_target}

    def _pick(self, x: Any) -> torch.Tensor:
        if isinstance(x, (tuple, list)):
            x = torch.cat(x, 1) if self.concat else x[0]
        return _convert_fmt(x, self.native_fmt, self.output_fmt)

    def _collect(self, x: torch.Tensor) -> 'OrderedDict[str, torch.Tensor]':
        out: 'OrderedDict[str, torch.Tensor]' = OrderedDict()
        for i, (name, module) in enumerate(self.items()):
            x = self._step(i, module, x)
            if name in self.return_layers:
                out[self.return_layers[name]] = self._pick(x)
        return out

    def forward(self, x: torch.Tensor) -> 'OrderedDict[str, torch.Tensor]':
        return self._collect(x)


class FeatureListNet(FeatureDictNet):
    """`FeatureDictNet` returning the features as a list (in level order)."""

    def __init__(
            self,
            model: nn.Module,
            out_indices: Union[int, Sequence[int]] = (0, 1, 2, 3, 4),
            output_fmt: Optional[str] = None,
            feature_concat: bool = False,
            flatten_sequential: bool = False,
    ):
        super().__init__(model, out_indices=out_indices, output_fmt=output_fmt, feature_concat=feature_concat,
                         flatten_sequential=flatten_sequential)

    def forward(self, x: torch.Tensor) -> List[torch.Tensor]:
        return list(self._collect(x).values())


class _HookRecorder:
    """Receives hook calls and keeps the latest tensor per key and device (replicas of DataParallel run
    concurrently on different devices)."""

    def __init__(self, keys: Sequence[str]):
        self.keys = list(keys)
        self.store: Dict[torch.device, Dict[str, torch.Tensor]] = {}

    def record(self, key: str, pre: bool, module: nn.Module, args: Any, output: Any = None) -> None:
        x = args if pre else output
        while isinstance(x, (tuple, list)):  # a forward-pre hook sees the positional args; take the first
            x = x[0]
        self.store.setdefault(x.device, {})[key] = x

    def take(self, device: torch.device) -> 'OrderedDict[str, torch.Tensor]':
        got = self.store.pop(device, {})
        missing = [k for k in self.keys if k not in got]
        if missing:
            raise RuntimeError(f'Feature hooks {missing} did not fire in this forward.')
        return OrderedDict((k, got[k]) for k in self.keys)


class FeatureHookNet(_ChildrenRun):
    """Features read by forward (or forward-pre) hooks on the modules the feature_info names.

    With `no_rewrite` (the default unless `flatten_sequential`) the model runs untouched as `body` (its classifier
    removed) and the hooks read the named modules wherever they are, so any family works; the outputs are then what
    those modules return (tokens for transformers). Otherwise the model is rebuilt as the run of its top-level
    modules up to the last one that holds a requested level, as in `FeatureDictNet`.

    Args:
        model: the model to wrap.
        out_indices: the feature levels to output.
        out_map: output keys; default the module names.
        return_dict: return an OrderedDict instead of a list.
        output_fmt: layout of 4-d outputs; default the model's native one.
        no_rewrite: keep the model whole (see above).
        flatten_sequential: open top-level Sequentials one level (rewrite mode).
        default_hook_type: 'forward' or 'forward_pre' for levels whose feature_info has no `hook_type`.
    """

    def __init__(
            self,
            model: nn.Module,
            out_indices: Union[int, Sequence[int]] = (0, 1, 2, 3, 4),
            out_map: OutMapT = None,
            return_dict: bool = False,
            output_fmt: Optional[str] = None,
            no_rewrite: Optional[bool] = None,
            flatten_sequential: bool = False,
            default_hook_type: str = 'forward',
    ):
        info = _feature_info_of(model, out_indices)
        native, fmt = _resolve_output_fmt(model, output_fmt, 'hook')
        no_rewrite = not flatten_sequential if no_rewrite is None else no_rewrite
        if no_rewrite and flatten_sequential:
            raise ValueError('no_rewrite=True keeps the model as it is; it cannot be combined with flatten_sequential.')
        targets = level_modules(info, 'hook')
        if no_rewrite:
            if hasattr(model, 'reset_classifier'):
                model.reset_classifier(0)
            entries = [('body', '', model)]
        else:
            entries, _ = _prefix_covering(model, targets, flatten_sequential, inside=True, feature_cls='hook')
        super().__init__(entries)
        self.feature_info = info
        self.return_dict = return_dict
        self.output_fmt = fmt
        self.native_fmt = native
        keys = [str(k) for k in out_map] if out_map is not None else list(targets)
        if len(keys) != len(targets):
            raise ValueError(f'out_map has {len(keys)} entries for {len(targets)} out_indices.')
        self._recorder = _HookRecorder(keys)
        modules = dict(model.named_modules())
        self._handles = []
        for key, fi in zip(keys, info.get_dicts()):
            hook_type = fi.get('hook_type', default_hook_type)
            if hook_type not in ('forward', 'forward_pre'):
                raise ValueError(f"hook_type must be 'forward' or 'forward_pre', got {hook_type!r}.")
            hook = functools.partial(self._recorder.record, key, hook_type == 'forward_pre')
            if fi['module'] not in modules:
                raise ValueError(f"feature_cls='hook' hooks {fi['module']!r}, which {type(model).__name__} does not "
                                 "have (its feature_info keeps timm's module names); use feature_cls='getter'.")
            module = modules[fi['module']]
            register = module.register_forward_pre_hook if hook_type == 'forward_pre' else module.register_forward_hook
            self._handles.append(register(hook))

    def forward(self, x: torch.Tensor) -> Union[List[torch.Tensor], 'OrderedDict[str, torch.Tensor]']:
        device = x.device
        self._recorder.store.pop(device, None)  # drop what an interrupted forward may have left
        for i, module in enumerate(self.values()):
            x = self._step(i, module, x)
        out = OrderedDict((k, _convert_fmt(v, self.native_fmt, self.output_fmt))
                          for k, v in self._recorder.take(device).items())
        return out if self.return_dict else list(out.values())


class FeatureGetterNet(nn.Module):
    """Features from the model's `forward_intermediates`, with what the requested levels do not need pruned.

    The wrapped model keeps its parameter names under `model.`; levels past the last requested one, the final norm
    (unless `norm=True`) and the head are removed so they cost nothing.

    Args:
        model: a model with `forward_intermediates` (every zoo family).
        out_indices: the feature levels to output (None: all; an int n: the last n).
        out_map: output keys when `return_dict`; default the level index.
        return_dict: return an OrderedDict instead of a list.
        output_fmt: 'NCHW' or 'NHWC' maps ('NLC' token sequences for token models).
        norm: apply the final norm where it fits (see `forward_intermediates`).
        prune: remove the unused trailing levels, final norm and head.
    """

    def __init__(
            self,
            model: nn.Module,
            out_indices: IndicesT = None,
            out_map: OutMapT = None,
            return_dict: bool = False,
            output_fmt: str = 'NCHW',
            norm: bool = False,
            prune: bool = True,
    ):
        super().__init__()
        if not hasattr(model, 'forward_intermediates'):
            raise RuntimeError(f'{type(model).__name__} has no forward_intermediates(); features_only needs it.')
        num_levels = len(model.feature_info)
        try:
            take, _ = feature_take_indices(num_levels, out_indices)
        except ValueError as e:
            raise ValueError(f'out_indices={out_indices!r} does not fit {type(model).__name__}: {e}') from None
        if prune and hasattr(model, 'prune_intermediate_layers'):
            model.prune_intermediate_layers(take, prune_norm=not norm, prune_head=True)
        self.model = model
        self.out_indices = take
        self.output_fmt = output_fmt
        self.norm = norm
        self.return_dict = return_dict
        self.feature_info = _feature_info_of(model, take)
        self.out_keys = _output_keys(self.feature_info, out_map)

    def set_grad_checkpointing(self, enable: bool = True) -> None:
        self.model.set_grad_checkpointing(enable)

    def forward(self, x: torch.Tensor) -> Union[List[torch.Tensor], 'OrderedDict[str, torch.Tensor]']:
        features = self.model.forward_intermediates(
            x, indices=self.out_indices, norm=self.norm, output_fmt=self.output_fmt, intermediates_only=True)
        return OrderedDict(zip(self.out_keys, features)) if self.return_dict else features


FEATURE_CLS_NAMES = ('getter', 'list', 'dict', 'hook', 'fx')


def _feature_class(feature_cls: Union[str, Type[nn.Module]]) -> Type[nn.Module]:
    if not isinstance(feature_cls, str):
        return feature_cls
    name = feature_cls.lower()
    if name == 'fx':
        from zoo.models._features_fx import FeatureGraphNet  # torch.fx is only imported when asked for
        return FeatureGraphNet
    classes = dict(getter=FeatureGetterNet, list=FeatureListNet, dict=FeatureDictNet, hook=FeatureHookNet)
    if name not in classes:
        raise ValueError(f'Unknown feature_cls {feature_cls!r}; use one of {FEATURE_CLS_NAMES} or a wrapper class.')
    return classes[name]


def create_feature_net(
        model: nn.Module,
        out_indices: IndicesT,
        family_cfg: Dict[str, Any],
        user_cfg: Dict[str, Any],
) -> nn.Module:
    """Wrap `model` for `features_only`.

    Args:
        model: the built (and loaded) model.
        out_indices: the levels to output (None: the family default, else every level).
        family_cfg: the family's defaults (`feature_cls`, `flatten_sequential`, ...); options the chosen wrapper does
            not take are dropped (e.g. `flatten_sequential` when the user picks 'getter').
        user_cfg: the caller's options; one the chosen wrapper does not take is an error.
    """
    cfg = {**family_cfg, **user_cfg}
    feature_cls = cfg.pop('feature_cls', 'list')
    cls = _feature_class(feature_cls)
    params = inspect.signature(cls.__init__).parameters
    wrong = [k for k in user_cfg if k != 'feature_cls' and k not in params]
    if wrong:
        raise TypeError(f'{cls.__name__} (feature_cls={feature_cls!r}) takes no {wrong}; its options are '
                        f'{[p for p in params if p not in ("self", "model")]}.')
    cfg = {k: v for k, v in cfg.items() if k in params}
    if out_indices is None and cls is not FeatureGetterNet:
        out_indices = tuple(range(len(model.feature_info)))
    return cls(model, out_indices, **cfg)
