"""Name -> class registries for the four parts of a composed classifier, and the config-dict builder.

A part is described by ``dict(type='Name', **args)``. The builder checks the arguments against the class
signature before calling it, so a typo such as ``dpeth=50`` fails with the accepted names (closest first)
instead of a bare ``TypeError`` from deep inside ``__init__``.
"""
import difflib
import inspect
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from torch import nn

__all__ = [
    'Registry', 'BACKBONES', 'NECKS', 'HEADS', 'LOSSES', 'PartCfg',
    'register_backbone', 'register_neck', 'register_head', 'register_loss',
    'build_backbone', 'build_neck', 'build_head', 'build_loss', 'closest_names',
]

T = TypeVar('T', bound=type)

# A part given either as a config dict with a 'type' key or as an already built module.
PartCfg = Mapping[str, Any] | nn.Module


def closest_names(name: str, candidates: list[str], limit: int | None = None) -> list[str]:
    """Order ``candidates`` by similarity to ``name``, closest first (ties keep alphabetical order).

    Args:
        name: The misspelt or unknown name.
        candidates: Names to choose from.
        limit: Keep at most this many.

    Returns:
        The candidates, most similar first.
    """
    key = name.lower()

    def score(candidate: str) -> float:
        ratio = difflib.SequenceMatcher(None, key, candidate.lower()).ratio()
        # A shared prefix or substring is a stronger hint than the edit ratio alone ('resnet' -> 'ResNet_CIFAR').
        if candidate.lower().startswith(key) or key.startswith(candidate.lower()):
            ratio += 0.5
        return ratio

    ordered = sorted(sorted(candidates), key=score, reverse=True)
    return ordered if limit is None else ordered[:limit]


class Registry:
    """A dict of named classes plus a decorator that refuses duplicate names.

    Args:
        kind: What the registry holds ('backbone', 'neck', ...); used in error messages.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, type] = {}

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f'Registry({self.kind!r}, {sorted(self._entries)})'

    def names(self) -> list[str]:
        """The registered names, sorted."""
        return sorted(self._entries)

    def register(self, name: str | None = None) -> Callable[[T], T]:
        """Decorator registering a class under ``name`` (default: the class name).

        Args:
            name: Registered name; defaults to ``cls.__name__``.

        Returns:
            A decorator that returns the class unchanged.
        """

        def decorator(cls: T) -> T:
            if not isinstance(cls, type):
                raise TypeError(f'only classes can be registered as a {self.kind}, got {cls!r}')
            key = name or cls.__name__
            if key in self._entries and self._entries[key] is not cls:
                raise KeyError(
                    f'{self.kind} {key!r} is already registered (by {self._entries[key].__module__}); '
                    f'pick another name, e.g. @register_{self.kind}(name="My{key}")')
            self._entries[key] = cls
            return cls

        return decorator

    def unregister(self, name: str) -> type:
        """Remove and return a registered class (used to clean up parts defined in tests or notebooks)."""
        if name not in self._entries:
            raise KeyError(self._unknown_message(name))
        return self._entries.pop(name)

    def get(self, name: str) -> type:
        """The class registered under ``name``.

        Raises:
            KeyError: Unknown name; the message lists the registered names, closest match first.
        """
        try:
            return self._entries[name]
        except KeyError:
            raise KeyError(self._unknown_message(name)) from None

    def _unknown_message(self, name: str) -> str:
        names = closest_names(str(name), self.names())
        hint = f'; did you mean {names[0]!r}?' if names else ''
        return f'unknown {self.kind} type {name!r}{hint} Registered {self.kind}s: {names}'

    def build(self, cfg: PartCfg, **default_args: Any) -> nn.Module:
        """Build a part from ``dict(type='Name', **args)``, or pass an already built module through.

        ``type`` may also be a class, which is then used without being registered.

        Args:
            cfg: The config dict (not modified) or an ``nn.Module`` instance.
            **default_args: Arguments used when ``cfg`` does not set them (e.g. ``in_channels`` from the backbone).

        Returns:
            The built module.

        Raises:
            TypeError: ``cfg`` is neither a mapping nor a module, or the arguments do not fit the class signature.
            KeyError: ``cfg`` has no 'type' or names an unknown type.
        """
        if isinstance(cfg, nn.Module):
            return cfg
        if not isinstance(cfg, Mapping):
            raise TypeError(f'a {self.kind} must be a dict(type=..., **args) or an nn.Module, got {type(cfg).__name__}')
        if 'type' not in cfg:
            raise KeyError(f"{self.kind} config {dict(cfg)!r} has no 'type' key; add one of {self.names()}")
        args = dict(cfg)
        type_name = args.pop('type')
        if isinstance(type_name, type):
            cls = type_name
        else:
            cls = self.get(type_name)
        for key, value in default_args.items():
            args.setdefault(key, value)
        _check_args(cls, args, self.kind)
        return cls(**args)


def _check_args(cls: type, args: dict[str, Any], kind: str) -> None:
    """Bind ``args`` to the signature of ``cls`` and explain a mismatch in terms of the config dict."""
    signature = inspect.signature(cls)
    params = signature.parameters
    takes_var_kwargs = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    accepted = [n for n, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if not takes_var_kwargs:
        unexpected = [k for k in args if k not in accepted]
        if unexpected:
            hints = ', '.join(f'{k!r} (did you mean {closest_names(k, accepted, 1)[0]!r}?)' if accepted else repr(k)
                              for k in unexpected)
            raise TypeError(f'{kind} {cls.__name__!r} got unexpected argument(s) {hints}; it accepts {accepted}')
    missing = [n for n in accepted if params[n].default is inspect.Parameter.empty and n not in args]
    if missing:
        raise TypeError(f'{kind} {cls.__name__!r} is missing required argument(s) {missing}; '
                        f'add them to its config dict')


BACKBONES = Registry('backbone')
NECKS = Registry('neck')
HEADS = Registry('head')
LOSSES = Registry('loss')

register_backbone = BACKBONES.register
register_neck = NECKS.register
register_head = HEADS.register
register_loss = LOSSES.register


def build_backbone(cfg: PartCfg, **default_args: Any) -> nn.Module:
    """Build a backbone from its config dict (see :meth:`Registry.build`)."""
    return BACKBONES.build(cfg, **default_args)


def build_neck(cfg: PartCfg, **default_args: Any) -> nn.Module:
    """Build a neck from its config dict (see :meth:`Registry.build`)."""
    return NECKS.build(cfg, **default_args)


def build_head(cfg: PartCfg, **default_args: Any) -> nn.Module:
    """Build a head from its config dict (see :meth:`Registry.build`)."""
    return HEADS.build(cfg, **default_args)


def build_loss(cfg: PartCfg, **default_args: Any) -> nn.Module:
    """Build a loss from its config dict (see :meth:`Registry.build`)."""
    return LOSSES.build(cfg, **default_args)
