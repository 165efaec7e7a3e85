"""Classification losses: label smoothing, soft-target (mixup) and binary cross entropy, AugMix JSD."""
from zoo.loss.binary_cross_entropy import BinaryCrossEntropy
from zoo.loss.cross_entropy import LabelSmoothingCrossEntropy, SoftTargetCrossEntropy
from zoo.loss.jsd import JsdCrossEntropy

__all__ = ['BinaryCrossEntropy', 'JsdCrossEntropy', 'LabelSmoothingCrossEntropy', 'SoftTargetCrossEntropy']
