"""Optimizers and the optimizer factory (``create_optimizer_v2``)."""
from zoo.optim._factory import OptimSpec, create_optimizer, create_optimizer_v2, list_optimizers, optimizer_kwargs
from zoo.optim._param_groups import layer_ids_from_matcher, param_groups_layer_decay, param_groups_weight_decay
from zoo.optim.adabelief import AdaBelief
from zoo.optim.adafactor import Adafactor
from zoo.optim.adamp import AdamP
from zoo.optim.adan import Adan
from zoo.optim.lamb import Lamb
from zoo.optim.lars import Lars
from zoo.optim.lion import Lion
from zoo.optim.lookahead import Lookahead
from zoo.optim.madgrad import MADGRAD
from zoo.optim.novograd import NovoGrad
from zoo.optim.rmsprop_tf import RMSpropTF
from zoo.optim.sgd import SGDP, SGDW

__all__ = [
    'AdaBelief', 'Adafactor', 'AdamP', 'Adan', 'Lamb', 'Lars', 'Lion', 'Lookahead', 'MADGRAD', 'NovoGrad',
    'OptimSpec', 'RMSpropTF', 'SGDP', 'SGDW', 'create_optimizer', 'create_optimizer_v2', 'layer_ids_from_matcher',
    'list_optimizers', 'optimizer_kwargs', 'param_groups_layer_decay', 'param_groups_weight_decay',
]
