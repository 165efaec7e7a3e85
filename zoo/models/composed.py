"""Composed classifiers registered as named models: each shipped config file of ``zoo.compose`` becomes a zoo model.

``create_model('composed_resnet18_cifar')`` builds the backbone / neck / head described by
``zoo/compose/configs/resnet18_cifar.py`` (see :mod:`zoo.compose`), with the usual ``create_model`` arguments
(``num_classes``, ``in_chans``, ``features_only``, ``out_indices``, ``checkpoint_path``). Users register their own
config files with :func:`register_config_model`. The names carry a ``composed_`` prefix so that they never clash with
the hand-written families (``resnet18_cifar`` lives in ``zoo.models.resnet``).
"""
import functools
from pathlib import Path
from typing import Any, Callable

from torch import nn

from zoo.compose.config import Config, build_model_from_config, config_pretrained_cfg, config_to_train_args, load_config
from zoo.models._builder import build_model_with_cfg
from zoo.models._pretrained import generate_default_cfgs
from zoo.models._registry import register_model

__all__ = ['register_config_model', 'ensure_config_model', 'train_defaults_from_config', 'SHIPPED_CONFIGS']

# Registered name -> shipped config name; one table for every composed model.
SHIPPED_CONFIGS: dict[str, str] = {
    'composed_resnet18_cifar': 'resnet18_cifar',
    'composed_resnet34_cifar': 'resnet34_cifar',
    'composed_resnet50_cifar': 'resnet50_cifar',
    'composed_digits_resnet': 'digits_resnet',
}


def _default_cfg(config: Config) -> dict[str, Any]:
    """The (weightless) pretrained cfg of a config: input size, normalisation and class count for the data pipeline."""
    cfg = config_pretrained_cfg(config)
    cfg.pop('architecture', None)
    cfg.update(num_classes=config.num_classes or 0, first_conv='backbone.conv1', classifier='head.fc')
    return cfg


def _create_composed(config: Config | str | Path, variant: str, pretrained: bool = False, **kwargs: Any) -> nn.Module:
    """Build a composed model through the shared builder (pretrained cfg, features_only, checkpoint_path).

    Weights named by the config (``model_cfg['pretrained']``, a zoo model name) are loaded by the composed builder,
    which maps the named layout; the shared builder is never asked to load weights the cfg does not have.
    """
    build = functools.partial(build_model_from_config, config, pretrained)
    # a composed model's levels sit inside its backbone, so features come from forward_intermediates by default
    return build_model_with_cfg(build, variant, pretrained=False, feature_cfg=dict(feature_cls='getter'), **kwargs)


_shipped = {name: load_config(cfg) for name, cfg in SHIPPED_CONFIGS.items()}
default_cfgs = generate_default_cfgs({name: _default_cfg(config) for name, config in _shipped.items()})
# Registered name -> the config file it builds, to tell re-registering the same file from a name clash.
_config_paths: dict[str, Path | None] = {name: config.path for name, config in _shipped.items()}


def register_config_model(config: Config | str | Path, name: str | None = None) -> Callable[..., nn.Module]:
    """Register a config file as a zoo model, so ``create_model(name)`` and ``train.py --model name`` build it.

    Args:
        config: A :class:`~zoo.compose.Config`, a config file path or a shipped config name.
        name: Registered name; defaults to ``composed_<file stem>``.

    Returns:
        The registered factory ``fn(pretrained=False, **kwargs)``.

    Raises:
        ValueError: The name is already registered.
    """
    config = config if isinstance(config, Config) else load_config(config)
    name = name or f'composed_{config.name}'

    def factory(pretrained: bool = False, **kwargs: Any) -> nn.Module:
        return _create_composed(config, name, pretrained, **kwargs)

    factory.__name__ = factory.__qualname__ = name
    factory.__module__ = __name__
    factory.__doc__ = f'Composed classifier from config {config.path}.'
    if name in default_cfgs:
        raise ValueError(f'a composed model named {name!r} is already registered (from {_config_paths.get(name)}); '
                         f'pass another name')
    default_cfgs.update(generate_default_cfgs({name: _default_cfg(config)}))
    registered = register_model(factory)
    _config_paths[name] = config.path
    return registered


def ensure_config_model(config: Config | str | Path) -> str:
    """The registered model name of a config file, registering it as ``composed_<stem>`` on first use.

    Used by ``train.py --config FILE`` so that the rest of the script creates the model by name as usual.

    Raises:
        ValueError: ``composed_<stem>`` is already taken by another file; rename the file.
    """
    config = config if isinstance(config, Config) else load_config(config)
    name = f'composed_{config.name}'
    if name in _config_paths:
        if _config_paths[name] != config.path:
            raise ValueError(f'{name!r} is already registered from {_config_paths[name]}; rename {config.path} '
                             f'so that its stem differs')
        return name
    register_config_model(config, name)
    return name


def train_defaults_from_config(path_or_name: str | Path) -> dict[str, Any]:
    """What ``train.py --config FILE`` needs: the config's train arguments, with ``model`` set to a registered name.

    The config is registered as the zoo model ``composed_<name>`` (once), so ``create_model(args.model, ...)`` builds
    it with every usual argument (num_classes, in_chans, checkpoint_path, features_only...).

    Args:
        path_or_name: A config file or a shipped config name.

    Returns:
        ``config_to_train_args(cfg)`` plus ``model``; meant for ``parser.set_defaults(**defaults)``, so explicit
        command-line flags still win.
    """
    cfg = load_config(path_or_name)
    return dict(config_to_train_args(cfg), model=ensure_config_model(cfg))


@register_model
def composed_resnet18_cifar(pretrained: bool = False, **kwargs: Any) -> nn.Module:
    """ResNet-18 backbone (CIFAR stem) + global average pooling + linear head, for 32x32 inputs."""
    return _create_composed(SHIPPED_CONFIGS['composed_resnet18_cifar'], 'composed_resnet18_cifar', pretrained, **kwargs)


@register_model
def composed_resnet34_cifar(pretrained: bool = False, **kwargs: Any) -> nn.Module:
    """ResNet-34 backbone (CIFAR stem) + global average pooling + linear head, for 32x32 inputs."""
    return _create_composed(SHIPPED_CONFIGS['composed_resnet34_cifar'], 'composed_resnet34_cifar', pretrained, **kwargs)


@register_model
def composed_resnet50_cifar(pretrained: bool = False, **kwargs: Any) -> nn.Module:
    """ResNet-50 backbone (CIFAR stem) + global average pooling + linear head, for 32x32 inputs."""
    return _create_composed(SHIPPED_CONFIGS['composed_resnet50_cifar'], 'composed_resnet50_cifar', pretrained, **kwargs)


@register_model
def composed_digits_resnet(pretrained: bool = False, **kwargs: Any) -> nn.Module:
    """Narrow three-stage ResNet-18 for the built-in 8x8 digits upsampled to 16x16 grayscale."""
    return _create_composed(SHIPPED_CONFIGS['composed_digits_resnet'], 'composed_digits_resnet', pretrained, **kwargs)
