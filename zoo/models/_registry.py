"""Model registry: names -> factories, per-architecture pretrained cfgs, and name queries.

Registration is lazy. `import zoo` reads a small generated index (`_index.json`: every model name, its family
module and its pretrained tags) instead of importing the family modules, so listing models costs no model code and
`create_model` imports only the one family it needs. When the index is missing or stale (its recorded hash of the
family sources differs), everything falls back to importing all families, which is always correct.
"""
import fnmatch
import hashlib
import importlib
import json
import logging
import pkgutil
import re
import sys
import warnings
from collections import defaultdict
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple, Union

from zoo.models._pretrained import DefaultCfg, PretrainedCfg, split_model_name_tag

__all__ = [
    'register_model', 'register_model_deprecations', 'list_models', 'list_pretrained', 'list_modules', 'is_model',
    'model_entrypoint', 'get_pretrained_cfg', 'get_pretrained_cfg_value', 'get_arch_name', 'get_arch_pretrained_cfgs',
    'is_model_pretrained', 'get_deprecated_models', 'UnknownModelError', 'split_model_name_tag',
]

_logger = logging.getLogger(__name__)

_MODELS_DIR = Path(__file__).resolve().parent
_INDEX_PATH = _MODELS_DIR / '_index.json'

_model_entrypoints: Dict[str, Callable[..., Any]] = {}
_model_to_module: Dict[str, str] = {}
_module_to_models: Dict[str, Set[str]] = defaultdict(set)
_model_default_cfgs: Dict[str, DefaultCfg] = {}
_model_pretrained_cfgs: Dict[str, PretrainedCfg] = {}
_model_has_pretrained: Set[str] = set()
_model_with_tags: Dict[str, List[str]] = defaultdict(list)
_deprecated_models: Dict[str, Dict[str, Optional[str]]] = defaultdict(dict)
_all_families_imported = False


class UnknownModelError(RuntimeError):
    """Raised for a model name no family registers; the message suggests the closest registered names."""


def _natural_key(name: str) -> Tuple[Tuple[int, Union[int, str]], ...]:
    """Sort key that orders digit runs by value ('resnet18' before 'resnet101'), case-insensitively."""
    # each run is tagged (0 for a number, 1 for text) so a number never gets compared with a string
    return tuple((0, int(run)) if run.isdigit() else (1, run) for run in re.findall(r'\d+|\D+', name.lower()))


def register_model(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Register a model factory under its function name; its module is the model's family.

    The family module's `default_cfgs` (built with `generate_default_cfgs`) supplies the pretrained cfgs of the
    architecture, keyed `arch.tag`. Registering a name twice is an error.
    """
    mod = sys.modules[fn.__module__]
    module_name = fn.__module__.split('.')[-1]
    model_name = fn.__name__
    if model_name in _model_entrypoints:
        raise ValueError(
            f'Model {model_name!r} is already registered by family {_model_to_module[model_name]!r}; '
            f'pick another name in {fn.__module__}.')
    if hasattr(mod, '__all__') and model_name not in mod.__all__:
        mod.__all__.append(model_name)
    _model_entrypoints[model_name] = fn
    _model_to_module[model_name] = module_name
    _module_to_models[module_name].add(model_name)

    default_cfgs = getattr(mod, 'default_cfgs', {})
    default_cfg = default_cfgs.get(model_name)
    if default_cfg is None:
        # an architecture without a cfg table still gets a (weightless) default cfg
        default_cfg = DefaultCfg(tags=[''], cfgs={'': PretrainedCfg(architecture=model_name)})
    _model_default_cfgs[model_name] = default_cfg
    for tag in default_cfg.tags:
        name_tag = f'{model_name}.{tag}' if tag else model_name
        cfg = default_cfg.cfgs[tag]
        _model_with_tags[model_name].append(name_tag)
        _model_pretrained_cfgs[name_tag] = cfg
        if cfg.has_weights:
            _model_has_pretrained.add(model_name)
            _model_has_pretrained.add(name_tag)
    return fn


def _deprecated_factory(module_name: str, old: str, new: Optional[str]) -> Callable[..., Any]:
    def factory(pretrained: bool = False, **kwargs):
        if new is None:
            raise RuntimeError(f'Model {old!r} has been removed from zoo with no replacement.')
        new_arch, new_tag = split_model_name_tag(new)
        warnings.warn(f'Model name {old!r} is deprecated; use {new!r} instead.', DeprecationWarning, stacklevel=3)
        if new_tag and not kwargs.get('pretrained_cfg'):
            kwargs['pretrained_cfg'] = new_tag
        return model_entrypoint(new_arch)(pretrained=pretrained, **kwargs)
    factory.__name__ = old
    factory.__module__ = module_name
    return factory


def register_model_deprecations(module_name: str, deprecation_map: Dict[str, Optional[str]]) -> None:
    """Keep old names working: each `old -> new[.tag]` entry warns and builds the new model."""
    module_name = module_name.split('.')[-1]
    for old, new in deprecation_map.items():
        if old in _model_entrypoints:
            raise ValueError(f'Deprecated name {old!r} clashes with a registered model.')
        _deprecated_models[module_name][old] = new
        _model_entrypoints[old] = _deprecated_factory(module_name, old, new)


def get_deprecated_models(module: str = '') -> Dict[str, Optional[str]]:
    _ensure_registered()
    if module:
        return dict(_deprecated_models.get(module, {}))
    return {k: v for mod_map in _deprecated_models.values() for k, v in mod_map.items()}


# ----------------------------------------------------------------------------------------------------------------
# lazy registration


def family_modules() -> List[str]:
    """Every public (no leading underscore) module of `zoo.models` is a model family."""
    return sorted(m.name for m in pkgutil.iter_modules([str(_MODELS_DIR)]) if not m.name.startswith('_'))


def _source_hash() -> str:
    digest = hashlib.sha1()
    for name in family_modules():
        digest.update(name.encode())
        digest.update((_MODELS_DIR / f'{name}.py').read_bytes())
    return digest.hexdigest()


@dataclass
class _Index:
    models: Dict[str, Dict[str, Any]]  # name -> {module, tags, pretrained_tags}
    deprecated: Dict[str, Dict[str, Optional[str]]]


_index: Optional[_Index] = None
_index_checked = False


def _load_index() -> Optional[_Index]:
    global _index, _index_checked
    if _index_checked:
        return _index
    _index_checked = True
    try:
        data = json.loads(_INDEX_PATH.read_text())
        if data.get('source_hash') != _source_hash():
            _logger.debug('zoo model index is stale; importing every family instead')
            return None
        _index = _Index(models=data['models'], deprecated=data.get('deprecated', {}))
    except (OSError, ValueError, KeyError):
        _index = None
    return _index


def _import_family(module_name: str) -> None:
    importlib.import_module(f'zoo.models.{module_name}')


def _ensure_registered(model_name: Optional[str] = None) -> None:
    """Import the family that defines `model_name` (or every family when no name, or no index entry)."""
    global _all_families_imported
    if _all_families_imported:
        return
    if model_name is not None and model_name in _model_entrypoints:
        return
    if model_name is not None:
        index = _load_index()
        if index is not None:
            module = index.models.get(model_name, {}).get('module')
            if module is None:
                module = next((m for m, names in index.deprecated.items() if model_name in names), None)
            if module is not None:
                _import_family(module)
                if model_name in _model_entrypoints:
                    return
    for module in family_modules():
        _import_family(module)
    _all_families_imported = True


def build_index() -> Dict[str, Any]:
    """The index as it should be for the current sources (imports every family)."""
    _ensure_registered()
    families = set(family_modules())
    models = {}
    # models registered at run time from elsewhere (user code, tests) are not part of the shipped index
    for name in sorted((n for n, m in _model_to_module.items() if m in families), key=_natural_key):
        models[name] = dict(
            module=_model_to_module[name],
            tags=list(_model_with_tags[name]),
            pretrained=[t for t in _model_with_tags[name] if t in _model_has_pretrained],
        )
    deprecated = {m: dict(d) for m, d in sorted(_deprecated_models.items()) if m in families}
    return dict(source_hash=_source_hash(), models=models, deprecated=deprecated)


def write_index(path: Path = _INDEX_PATH) -> Path:
    """Regenerate `_index.json`; run `python -m zoo.models._registry` after adding or renaming models."""
    path.write_text(json.dumps(build_index(), indent=0, sort_keys=False) + '\n')
    return path


# ----------------------------------------------------------------------------------------------------------------
# queries


def _listing() -> Tuple[Dict[str, str], Dict[str, List[str]], Set[str]]:
    """(name -> module, name -> name.tag list, pretrained name(.tag) set) from the index or the live registry."""
    index = None if _all_families_imported else _load_index()
    if index is None:
        _ensure_registered()
        return _model_to_module, _model_with_tags, _model_has_pretrained
    to_module = {n: v['module'] for n, v in index.models.items()}
    with_tags = {n: v['tags'] for n, v in index.models.items()}
    pretrained = {t for v in index.models.values() for t in v['pretrained']}
    pretrained |= {t.split('.')[0] for t in pretrained}
    return to_module, with_tags, pretrained


def _as_list(x: Union[str, Sequence[str], None]) -> List[str]:
    if not x:
        return []
    return [x] if isinstance(x, str) else list(x)


def list_models(
        filter: Union[str, Sequence[str]] = '',
        module: Union[str, Sequence[str]] = '',
        pretrained: bool = False,
        exclude_filters: Union[str, Sequence[str]] = (),
        name_matches_cfg: bool = False,
        include_tags: Optional[bool] = None,
) -> List[str]:
    """Registered model names, naturally sorted.

    Args:
        filter: shell-style wildcard(s), e.g. `'*resne*t*'`; a name matching any of them is kept.
        module: family module name(s) to restrict to, e.g. `'resnet'`.
        pretrained: only names with pretrained weights.
        exclude_filters: wildcard(s) of names to drop.
        name_matches_cfg: accepted for timm compatibility; zoo keys every cfg by its own architecture, so no
            name is ever an alias borrowing another's cfg and this filter removes nothing.
        include_tags: list `arch.tag` entries; defaults to True when `pretrained` is set.
    """
    to_module, with_tags, has_pretrained = _listing()
    if include_tags is None:
        include_tags = pretrained
    modules = _as_list(module)
    names: Iterable[str] = (n for n, m in to_module.items() if not modules or m in modules)
    if include_tags:
        names = [t for n in names for t in with_tags[n]]
    names = set(names)
    filters = _as_list(filter)
    if filters:
        names = {n for n in names if any(fnmatch.fnmatchcase(n, f) for f in filters)}
    for f in _as_list(exclude_filters):
        names -= set(fnmatch.filter(names, f))
    if pretrained:
        names &= has_pretrained
    return sorted(names, key=_natural_key)


def list_pretrained(filter: Union[str, Sequence[str]] = '', exclude_filters: Union[str, Sequence[str]] = ()) -> List[str]:
    """`arch.tag` names that have pretrained weights."""
    return list_models(filter=filter, pretrained=True, exclude_filters=exclude_filters, include_tags=True)


def list_modules() -> List[str]:
    """Family module names that register at least one model."""
    to_module, _, _ = _listing()
    return sorted(set(to_module.values()))


def get_arch_name(model_name: str) -> str:
    return split_model_name_tag(model_name)[0]


def is_model(model_name: str) -> bool:
    arch = get_arch_name(model_name)
    _ensure_registered(arch)
    return arch in _model_entrypoints


# characters people type for one another (a letter for the digit it looks like, '-' for '_'); swapping them is
# half a typo, so 'efficientnet_bo' is closer to 'efficientnet_b0' than to 'efficientnet_b8'
_CONFUSABLE = {frozenset(pair) for pair in ('o0', 'l1', 'i1', 's5', 'z2', '-_')}


def _edit_distance(a: str, b: str) -> float:
    """Levenshtein distance; substituting a confusable character (o/0, l/1, -/_ ...) costs 0.5."""
    row = [float(j) for j in range(len(b) + 1)]
    for i, ca in enumerate(a, start=1):
        diag, row[0] = row[0], float(i)
        for j, cb in enumerate(b, start=1):
            sub = 0. if ca == cb else 0.5 if frozenset((ca, cb)) in _CONFUSABLE else 1.
            diag, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diag + sub)
    return row[-1]


def suggest_names(name: str, limit: int = 5) -> List[str]:
    """Registered names closest to `name`: the closest by edit distance first (difflib's ratio breaks ties)."""
    _ensure_registered()
    arch = get_arch_name(name)
    candidates = get_close_matches(arch.lower(), list(_model_entrypoints), n=max(4 * limit, 20), cutoff=0.6)
    # difflib ranks by a similarity ratio that favours long shared runs, so 'efficientnet_bo' would rank b8..b4
    # above b0; one typo away must come first
    return sorted(candidates, key=lambda c: (_edit_distance(arch.lower(), c), candidates.index(c)))[:limit]


def _unknown(model_name: str) -> UnknownModelError:
    suggestions = suggest_names(model_name)
    hint = f' Did you mean: {", ".join(suggestions)}?' if suggestions else ''
    return UnknownModelError(
        f'Unknown model {model_name!r}.{hint} Use zoo.list_models("*pattern*") to search the registry.')


def model_entrypoint(model_name: str, module_filter: Optional[str] = None) -> Callable[..., Any]:
    """The factory registered for `model_name` (the tag, if any, is ignored)."""
    arch = get_arch_name(model_name)
    _ensure_registered(arch)
    if arch not in _model_entrypoints:
        raise _unknown(model_name)
    if module_filter and arch not in _module_to_models.get(module_filter, set()):
        raise UnknownModelError(f'Model {arch!r} is not in family {module_filter!r}.')
    return _model_entrypoints[arch]


def is_model_pretrained(model_name: str) -> bool:
    _ensure_registered(get_arch_name(model_name))
    return model_name in _model_has_pretrained


def get_pretrained_cfg(model_name: str, allow_unregistered: bool = True) -> Optional[PretrainedCfg]:
    """The cfg for `arch` (its default tag) or `arch.tag`; None for unknown names when allowed."""
    arch, tag = split_model_name_tag(model_name)
    _ensure_registered(arch)
    if arch in _model_default_cfgs:
        default_cfg = _model_default_cfgs[arch]
        tag = tag or default_cfg.tags[0]
        if tag not in default_cfg.cfgs:
            raise RuntimeError(
                f'Model {arch!r} has no pretrained tag {tag!r}; available: {list(_model_with_tags[arch])}.')
        return default_cfg.cfgs[tag]
    if allow_unregistered:
        return None
    raise _unknown(model_name)


def get_pretrained_cfg_value(model_name: str, cfg_key: str) -> Any:
    cfg = get_pretrained_cfg(model_name, allow_unregistered=False)
    return getattr(cfg, cfg_key, None)


def get_arch_pretrained_cfgs(model_name: str) -> Dict[str, PretrainedCfg]:
    arch = get_arch_name(model_name)
    _ensure_registered(arch)
    return {f'{arch}.{t}' if t else arch: c for t, c in _model_default_cfgs[arch].cfgs.items()}


if __name__ == '__main__':
    # run as a script this file is a second copy of the module; write through the real one
    from zoo.models import _registry
    print(f'wrote {_registry.write_index()}')
