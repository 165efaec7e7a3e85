"""Optimizers and the optimizer factory (``create_optimizer_v2``)."""
from zoo.optim._base import TensorList, ZooOptimizer
from zoo.optim._factory import (
    OPTIMIZERS, OptimSpec, create_optimizer, create_optimizer_v2, get_optimizer_class, list_optimizers,
    optimizer_kwargs,
)
from zoo.optim._param_groups import layer_ids_from_matcher, param_groups_layer_decay, param_groups_weight_decay
from zoo.optim.adabelief import AdaBelief
from zoo.optim.adafactor import Adafactor, AdafactorBigVision
from zoo.optim.adahessian import Adahessian
from zoo.optim.adam_legacy import NAdamLegacy, RAdamLegacy
from zoo.optim.adamp import AdamP
from zoo.optim.adamw import AdamWLegacy, NAdamW
from zoo.optim.adan import Adan
from zoo.optim.adopt import Adopt
from zoo.optim.kron import Kron
from zoo.optim.lamb import Lamb
from zoo.optim.laprop import LaProp
from zoo.optim.lars import Lars
from zoo.optim.lion import Lion
from zoo.optim.lookahead import Lookahead
from zoo.optim.madgrad import MADGRAD
from zoo.optim.mars import Mars
from zoo.optim.muon import Muon
from zoo.optim.novograd import NovoGrad, NvNovoGrad
from zoo.optim.rmsprop_tf import RMSpropTF
from zoo.optim.sgd import SGDP, SGDW

__all__ = [
    'AdaBelief', 'Adafactor', 'AdafactorBigVision', 'Adahessian', 'AdamP', 'AdamWLegacy', 'Adan', 'Adopt', 'Kron',
    'Lamb', 'LaProp', 'Lars', 'Lion', 'Lookahead', 'MADGRAD', 'Mars', 'Muon', 'NAdamLegacy', 'NAdamW', 'NovoGrad',
    'NvNovoGrad', 'OPTIMIZERS', 'OptimSpec', 'RAdamLegacy', 'RMSpropTF', 'SGDP', 'SGDW', 'TensorList',
    'ZooOptimizer', 'create_optimizer', 'create_optimizer_v2', 'get_optimizer_class', 'layer_ids_from_matcher',
    'list_optimizers', 'optimizer_kwargs', 'param_groups_layer_decay', 'param_groups_weight_decay',
]
