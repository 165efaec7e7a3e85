"""Knowledge distillation (Hinton et al., 2015, "Distilling the Knowledge in a Neural Network"): a frozen teacher's
outputs as extra targets for the student.

Three modes:

* ``logit``: KL divergence between the temperature-softened class distributions of teacher and student, scaled by
  ``T**2`` so its gradients keep their size as the temperature changes (as in the paper).
* ``feature``: mean squared error between the student's pre-logits features, mapped to the teacher's width by a
  trained linear projection, and the teacher's pre-logits features (FitNets, Romero et al., 2015, on pooled features).
* ``token``: DeiT's distillation through a second head (Touvron et al., 2021, "Training data-efficient image
  transformers & distillation through attention"). A student with a distillation head (``head_dist``: DeiT distilled,
  LeViT, EfficientFormer, ...) trains its class head on the labels and its distillation head on the teacher: ``soft``
  as in ``logit`` mode, ``hard`` as cross-entropy with the teacher's top class. The model's own output (the mean of the
  two heads) is what evaluation scores.

The teacher sees the student's batch re-normalised with its own mean / std (and resized to its input size when that
differs), runs in eval mode under ``torch.inference_mode`` and in the dtype it was cast to (the student's).
"""
import functools
import logging
from typing import Any, Dict, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ['DISTILL_TYPES', 'TOKEN_TARGETS', 'DistillationTeacher', 'DistillationLoss', 'distill_loss_weights']

_logger = logging.getLogger(__name__)

DISTILL_TYPES = ('logit', 'feature', 'token')
TOKEN_TARGETS = ('soft', 'hard')


def _softened_kl(student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """KL(teacher || student) of the temperature-softened distributions, per sample, times T^2."""
    log_p_student = F.log_softmax(student_logits.float() / temperature, dim=-1)
    log_p_teacher = F.log_softmax(teacher_logits.float() / temperature, dim=-1)
    kl = F.kl_div(log_p_student, log_p_teacher, reduction='batchmean', log_target=True)
    return kl * temperature ** 2


def distill_loss_weights(task_weight: Optional[float], distill_weight: Optional[float]) -> Tuple[float, float]:
    """(task, distillation) loss weights from the two optional flags.

    Both given: used as they are. Only the task weight: the distillation weight is its complement ``1 - task``.
    Only the distillation weight: the task weight is 1. Neither: both 1.
    """
    if distill_weight is not None:
        return (1.0 if task_weight is None else task_weight), distill_weight
    if task_weight is not None:
        return task_weight, 1.0 - task_weight
    return 1.0, 1.0


class DistillationTeacher(nn.Module):
    """A frozen teacher that takes the student's normalised batches.

    Args:
        model: The teacher network (any zoo classifier).
        student_mean: Mean the student's inputs were normalised with (0..1 scale).
        student_std: Std the student's inputs were normalised with.
        teacher_mean: Mean the teacher expects.
        teacher_std: Std the teacher expects.
        teacher_size: (H, W) the teacher expects, or None to feed the student's size.
    """

    def __init__(
            self,
            model: nn.Module,
            student_mean: Sequence[float],
            student_std: Sequence[float],
            teacher_mean: Sequence[float],
            teacher_std: Sequence[float],
            teacher_size: Optional[Tuple[int, int]] = None,
    ) -> None:
        super().__init__()
        self.model = model.eval()
        self.model.requires_grad_(False)
        s_mean, s_std = torch.tensor(student_mean), torch.tensor(student_std)
        t_mean, t_std = torch.tensor(teacher_mean), torch.tensor(teacher_std)
        # x_teacher = (x_student * s_std + s_mean - t_mean) / t_std, folded into one multiply-add
        self.same_norm = bool(torch.equal(s_mean, t_mean) and torch.equal(s_std, t_std))
        self.register_buffer('scale', (s_std / t_std).view(1, -1, 1, 1), persistent=False)
        self.register_buffer('shift', ((s_mean - t_mean) / t_std).view(1, -1, 1, 1), persistent=False)
        self.teacher_size = None if teacher_size is None else tuple(int(v) for v in teacher_size)

    def train(self, mode: bool = True) -> 'DistillationTeacher':
        # the teacher stays in eval mode (BatchNorm running statistics, no dropout) whatever the student does
        super().train(mode)
        self.model.eval()
        return self

    def prepare(self, x: torch.Tensor) -> torch.Tensor:
        """The student's batch as the teacher expects it."""
        if not self.same_norm:
            x = x * self.scale.to(x.dtype) + self.shift.to(x.dtype)
        if self.teacher_size is not None and tuple(x.shape[-2:]) != self.teacher_size:
            x = F.interpolate(x, size=self.teacher_size, mode='bilinear', align_corners=False)
        return x

    def forward(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        """Teacher logits (or pooled pre-logits features) for the student's batch ``x``; no gradient flows."""
        with torch.inference_mode():
            x = self.prepare(x)
            if pre_logits:
                out = self.model.forward_head(self.model.forward_features(x), pre_logits=True)
            else:
                out = self.model(x)
        # inference tensors cannot enter autograd: a plain copy can serve as a loss target
        return out.clone()


class DistillationLoss(nn.Module):
    """Adds a distillation term to the task loss; called by the train loop as ``loss(x, student_output, task_loss)``.

    Args:
        teacher: The frozen teacher.
        student: The (unwrapped) student; in feature mode a hook on its classifier captures its pre-logits features.
        distill_type: 'logit' or 'feature'.
        temperature: Softmax temperature of logit distillation.
        task_weight: Weight of the task loss (see :func:`distill_loss_weights`).
        distill_weight: Weight of the distillation loss.
        student_feature_dim: Student pre-logits width (default ``student.num_features``).
        teacher_feature_dim: Teacher pre-logits width (default ``teacher.model.num_features``).
        token_target: Token mode: 'soft' (softened KL at ``temperature``) or 'hard' (the teacher's top class).
    """

    def __init__(
            self,
            teacher: DistillationTeacher,
            student: nn.Module,
            distill_type: str = 'logit',
            temperature: float = 4.0,
            task_weight: Optional[float] = None,
            distill_weight: Optional[float] = None,
            student_feature_dim: Optional[int] = None,
            teacher_feature_dim: Optional[int] = None,
            token_target: str = 'soft',
    ) -> None:
        super().__init__()
        if distill_type not in DISTILL_TYPES:
            raise ValueError(f'distill_type must be one of {", ".join(DISTILL_TYPES)}, got {distill_type!r}.')
        if temperature <= 0:
            raise ValueError(f'the distillation temperature must be > 0, got {temperature}.')
        self.teacher = teacher
        self.distill_type = distill_type
        self.temperature = float(temperature)
        self.task_weight, self.distill_weight = distill_loss_weights(task_weight, distill_weight)
        self.projection: Optional[nn.Module] = None
        self._features: Optional[torch.Tensor] = None
        self.token_target = token_target
        self._head_logits: Dict[str, torch.Tensor] = {}
        if distill_type == 'feature':
            s_dim = student_feature_dim or _feature_dim(student)
            t_dim = teacher_feature_dim or _feature_dim(teacher.model)
            self.projection = nn.Identity() if s_dim == t_dim else nn.Linear(s_dim, t_dim)
            student.get_classifier().register_forward_pre_hook(self._keep_features)
        elif distill_type == 'token':
            if token_target not in TOKEN_TARGETS:
                raise ValueError(f"token_target must be 'soft' or 'hard', got {token_target!r}.")
            if not isinstance(getattr(student, 'head_dist', None), nn.Module):
                raise ValueError(f'token distillation needs a student with a distillation head (head_dist); '
                                 f'{type(student).__name__} has none. Use a distilled model (e.g. '
                                 'deit_tiny_distilled_patch16_224, levit_128s, efficientformer_l1) or '
                                 '--kd-distill-type logit.')
            # both heads run inside the model's forward (which returns their mean); keep each head's logits
            for name in ('head', 'head_dist'):
                getattr(student, name).register_forward_hook(functools.partial(self._keep_logits, name))
        _logger.info('Distillation: %s, task weight %g, distillation weight %g%s', distill_type, self.task_weight,
                     self.distill_weight, f', temperature {self.temperature:g}' if distill_type != 'feature' else '')

    def _keep_features(self, module: nn.Module, args: Tuple[Any, ...]) -> None:
        self._features = args[0]

    def _keep_logits(self, name: str, module: nn.Module, args: Tuple[Any, ...], output: torch.Tensor) -> None:
        self._head_logits[name] = output

    def _head_output(self, name: str) -> torch.Tensor:
        if name not in self._head_logits:
            raise RuntimeError(f'token distillation saw no output of the student\'s {name}: was the student called?')
        return self._head_logits[name]

    def task_output(self, output: Any) -> Any:
        """What the task loss is computed on: the class head's logits in token mode, else the model output."""
        return self._head_output('head') if self.distill_type == 'token' else output

    def trainable_parameters(self) -> list:
        """Parameters the optimizer must update besides the student's (the feature projection)."""
        return [] if self.projection is None else list(self.projection.parameters())

    def distill_term(self, x: torch.Tensor, output: Any) -> torch.Tensor:
        """The distillation loss alone, before weighting."""
        if isinstance(output, (tuple, list)):
            output = output[0]
        if self.distill_type == 'logit':
            return _softened_kl(output, self.teacher(x), self.temperature)
        if self.distill_type == 'token':
            dist_logits, teacher_logits = self._head_output('head_dist'), self.teacher(x)
            self._head_logits.clear()
            if self.token_target == 'hard':
                return F.cross_entropy(dist_logits.float(), teacher_logits.argmax(dim=-1))
            return _softened_kl(dist_logits, teacher_logits, self.temperature)
        if self._features is None:
            raise RuntimeError('feature distillation saw no student features: the student classifier was not called.')
        features, self._features = self._features, None
        target = self.teacher(x, pre_logits=True)
        return F.mse_loss(self.projection(features.flatten(1)).float(), target.flatten(1).float())

    def forward(self, x: torch.Tensor, output: Any, task_loss: torch.Tensor) -> torch.Tensor:
        return self.task_weight * task_loss + self.distill_weight * self.distill_term(x, output)


def _feature_dim(model: nn.Module) -> int:
    dim = getattr(model, 'head_hidden_size', None) or getattr(model, 'num_features', None)
    if not dim:
        raise ValueError(f'{type(model).__name__} has no num_features; give the feature width explicitly '
                         '(--kd-student-feature-dim / --kd-teacher-feature-dim).')
    return int(dim)
