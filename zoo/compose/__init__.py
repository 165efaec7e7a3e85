"""Compose classifiers from backbone / neck / head / loss configs.

Besides named factories (``zoo.create_model('resnet50')``), a classifier can be described by four parts, each a
``dict(type='Name', **args)`` looked up in a registry::

    from zoo.compose import build_classifier
    model = build_classifier(dict(
        backbone=dict(type='ResNet', depth=50, out_indices=(3,)),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=1000, in_channels=2048,
                  loss=dict(type='CrossEntropyLoss', loss_weight=1.0), topk=(1, 5)),
    ))
    logits = model(images)                       # same API as named models
    losses = model.forward_train(images, labels)  # {'loss': ..., 'accuracy_top-1': ..., ...}

Add a part with ``@register_backbone()`` / ``@register_neck()`` / ``@register_head()`` / ``@register_loss()``.
Config files (``load_config``) bundle a ``model_cfg`` with data / optimizer / schedule settings; the shipped ones are
registered as zoo models named ``composed_<config>`` (see ``zoo.models.composed``).
"""
from zoo.compose.backbones import RESNET_ARCH_SETTINGS, BasicBlock, Bottleneck, ResNet, ResNet_CIFAR, ZooBackbone
from zoo.compose.classifier import ComposedClassifier, build_classifier, parse_losses
from zoo.compose.config import (
    Config,
    build_model_from_config,
    config_pretrained_cfg,
    config_to_train_args,
    list_configs,
    load_config,
)
from zoo.compose.heads import ClsHead, LinearClsHead, topk_accuracy
from zoo.compose.losses import (
    CrossEntropyLoss,
    L1Loss,
    MSELoss,
    cross_entropy,
    l1_loss,
    mse_loss,
    reduce_loss,
    soft_cross_entropy,
    weight_reduce_loss,
    weighted_loss,
)
from zoo.compose.necks import GlobalAveragePooling
from zoo.compose.registry import (
    BACKBONES,
    HEADS,
    LOSSES,
    NECKS,
    Registry,
    build_backbone,
    build_head,
    build_loss,
    build_neck,
    register_backbone,
    register_head,
    register_loss,
    register_neck,
)
from zoo.compose.weights import composed_to_named_resnet, load_resnet_weights, named_resnet_to_composed

__all__ = [
    'Registry', 'BACKBONES', 'NECKS', 'HEADS', 'LOSSES',
    'register_backbone', 'register_neck', 'register_head', 'register_loss',
    'build_backbone', 'build_neck', 'build_head', 'build_loss',
    'ComposedClassifier', 'build_classifier', 'parse_losses',
    'ResNet', 'ResNet_CIFAR', 'BasicBlock', 'Bottleneck', 'RESNET_ARCH_SETTINGS', 'ZooBackbone',
    'GlobalAveragePooling',
    'ClsHead', 'LinearClsHead', 'topk_accuracy',
    'CrossEntropyLoss', 'L1Loss', 'MSELoss', 'weighted_loss', 'weight_reduce_loss', 'reduce_loss',
    'cross_entropy', 'soft_cross_entropy', 'l1_loss', 'mse_loss',
    'Config', 'load_config', 'list_configs', 'build_model_from_config', 'config_to_train_args',
    'config_pretrained_cfg',
    'named_resnet_to_composed', 'composed_to_named_resnet', 'load_resnet_weights',
]
