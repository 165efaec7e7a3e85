"""Classification losses: cross entropy variants, binary cross entropy, asymmetric, poly, ranking, distribution-
balanced and AugMix JSD losses, knowledge distillation, per-class weights, and the ``create_classification_loss``
factory."""
from zoo.loss._factory import LOSS_TYPES, MULTI_LABEL_LOSS_TYPES, create_classification_loss
from zoo.loss.asymmetric import AsymmetricLossMultiLabel, AsymmetricLossSingleLabel
from zoo.loss.binary_cross_entropy import BinaryCrossEntropy
from zoo.loss.class_weights import (
    CLASS_WEIGHT_METHOD_KINDS,
    CLASS_WEIGHT_METHODS,
    compute_class_weights,
    load_class_stats,
    load_class_weights,
    resolve_class_weights,
)
from zoo.loss.cross_entropy import LabelSmoothingCrossEntropy, SoftTargetCrossEntropy
from zoo.loss.distillation import (
    DISTILL_TYPES,
    TOKEN_TARGETS,
    DistillationLoss,
    DistillationTeacher,
    distill_loss_weights,
)
from zoo.loss.distribution_balanced import DistributionBalancedLoss
from zoo.loss.jsd import JsdCrossEntropy
from zoo.loss.poly import PolyBinaryCrossEntropy, PolyCrossEntropy
from zoo.loss.ranking import TwoWayLoss, ZlprLoss

__all__ = [
    'AsymmetricLossMultiLabel', 'AsymmetricLossSingleLabel', 'BinaryCrossEntropy', 'CLASS_WEIGHT_METHODS',
    'CLASS_WEIGHT_METHOD_KINDS', 'DistributionBalancedLoss', 'JsdCrossEntropy', 'LOSS_TYPES',
    'LabelSmoothingCrossEntropy', 'MULTI_LABEL_LOSS_TYPES', 'PolyBinaryCrossEntropy', 'PolyCrossEntropy',
    'SoftTargetCrossEntropy', 'TwoWayLoss', 'ZlprLoss', 'compute_class_weights', 'create_classification_loss',
    'load_class_stats', 'load_class_weights', 'resolve_class_weights', 'DISTILL_TYPES', 'TOKEN_TARGETS',
    'DistillationLoss',
    'DistillationTeacher', 'distill_loss_weights',
]
