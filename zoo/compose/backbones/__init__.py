"""Backbones for composed classifiers (registered in ``BACKBONES`` on import)."""
from zoo.compose.backbones.resnet import RESNET_ARCH_SETTINGS, BasicBlock, Bottleneck, ResNet, ResNet_CIFAR
from zoo.compose.backbones.zoo_model import ZooBackbone

__all__ = ['RESNET_ARCH_SETTINGS', 'BasicBlock', 'Bottleneck', 'ResNet', 'ResNet_CIFAR', 'ZooBackbone']
