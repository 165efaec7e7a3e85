"""Building blocks shared by the model families."""
from zoo.layers.activations import LayerType, create_act_layer, get_act_layer
from zoo.layers.attention import Attention
from zoo.layers.attention_pool import AttentionPoolLatent
from zoo.layers.blur_pool import BlurPool2d
from zoo.layers.classifier import ClassifierHead, create_classifier
from zoo.layers.cond_conv2d import CondConv2d
from zoo.layers.conv2d_same import Conv2dSame, create_conv2d_pad
from zoo.layers.conv_bn_act import ConvNormAct, SeparableConvNormAct, get_norm_act_layer
from zoo.layers.create_conv2d import create_conv2d
from zoo.layers.drop import DropBlock2d, DropPath, drop_path
from zoo.layers.drop_schedule import stagewise_drop_path_rates
from zoo.layers.effective_se import EffectiveSEModule
from zoo.layers.format import Format, get_channel_dim, get_spatial_dim, nchw_to, nhwc_to
from zoo.layers.helpers import make_divisible, to_1tuple, to_2tuple, to_3tuple, to_4tuple, to_ntuple
from zoo.layers.layer_scale import LayerScale, LayerScale2d
from zoo.layers.mixed_conv2d import MixedConv2d
from zoo.layers.mlp import GatedMlp, GluMlp, Mlp
from zoo.layers.norm import GroupNorm, GroupNorm1, LayerNorm, LayerNorm2d, get_norm_layer
from zoo.layers.norm_act import BatchNormAct2d, GroupNormAct
from zoo.layers.norm_mlp_head import NormMlpClassifierHead
from zoo.layers.padding import (
    get_padding, get_padding_value, get_same_padding, is_static_pad, pad_same, pad_same_traceable, use_traceable_pad,
)
from zoo.layers.patch_embed import PatchEmbed
from zoo.layers.pool import SelectAdaptivePool2d, adaptive_pool_feat_mult
from zoo.layers.pos_embed import resample_abs_pos_embed, resample_abs_pos_embed_nhwc
from zoo.layers.pos_embed_rel import relative_position_index, resize_rel_pos_bias_table, resize_rel_pos_tables
from zoo.layers.rms_norm import RmsNorm, RmsNorm2d, SimpleNorm, SimpleNorm2d
from zoo.layers.selective_kernel import SelectiveKernel, SelectiveKernelAttn
from zoo.layers.split_attn import SplitAttn
from zoo.layers.squeeze_excite import EcaModule, SEModule, create_attn, get_attn, register_attn
from zoo.layers.weight_init import init_linear_trunc_normal_, init_trunc_normal_fan_out_, lecun_normal_, trunc_normal_
from zoo.layers.attention_rope import AttentionRope, attend, packed_qkv, set_fused_attn
from zoo.layers.patch_dropout import PatchDropout
from zoo.layers.rel_pos_bias import (
    RelPosBias,
    RelPosBiasTf,
    RelPosMlp,
    rel_pos_index_with_cls,
    relative_log_coords,
    gather_rel_pos_bias,
)
from zoo.layers.rope import (
    RotaryEmbedding,
    MixedRotaryEmbedding,
    apply_rope,
    create_rope_embed,
    gather_rope,
    rope_coords,
)
from zoo.layers.swiglu import SwiGLU
from zoo.layers.anti_alias import AaLayerType, create_aa, resolve_aa_layer
from zoo.layers.attention2d import MultiQueryAttention2d, Attention2d
from zoo.layers.evo_norm import EvoNorm2dS0, EvoNorm2dS0a, group_std
from zoo.layers.global_context import GlobalContext
from zoo.layers.norm_act_channel import LayerNormAct2d, RmsNormAct2d
from zoo.layers.attention_pool2d import AttentionPool2d
from zoo.layers.attn_head_dims import attn_head_dims
from zoo.layers.bottleneck_attn import BottleneckAttn
from zoo.layers.halo_attn import HaloAttn
from zoo.layers.lambda_layer import LambdaLayer
from zoo.layers.non_local_attn import BilinearAttnTransform, BatNonLocalAttn
from zoo.layers.pos_embed_rel_axial import AxialRelPosEmbed
from zoo.layers.grn import GlobalResponseNorm, GlobalResponseNormMlp
from zoo.layers.output_stride import StageStride, stage_strides
from zoo.layers.space_to_depth import SpaceToDepth
from zoo.layers.std_conv import ScaledStdConv2d, ScaledStdConv2dSame, StdConv2d, StdConv2dSame, standardize_weight
from zoo.layers.attention_bias import abs_offset_bias_index, gather_offset_bias, resize_attention_bias
from zoo.layers.class_attn import ClassAttn, prepend_class_token
from zoo.layers.conv_pos_enc import ConvPosEnc
from zoo.layers.overlap_patch_embed import OverlapPatchEmbed
from zoo.layers.pos_embed_fourier import FourierPosEmbed
from zoo.layers.sr_attention import SpatialReductionAttention
from zoo.layers.config import (
    is_exportable, is_scriptable, set_default_fused_attn, set_layer_config, use_fused_attn,
)
from zoo.layers.diff_attention import DiffAttention, DiffLambdaMixin, differential_attend
from zoo.layers.filter_response_norm import FilterResponseNormTlu2d
from zoo.layers.hybrid_embed import HybridEmbed
from zoo.layers.pool2d_same import MaxPool2dSame
from zoo.layers.patch_merging import PatchMerging
from zoo.layers.window import (
    window_partition,
    window_reverse,
    grid_partition,
    grid_reverse,
    window_partition_nchw,
    window_reverse_nchw,
    grid_partition_nchw,
    grid_reverse_nchw,
    shifted_window_mask,
    fit_window_to_grid,
    resolve_stage_window_sizes,
    stage_window_sizes_for_grid,
    ShiftedWindowGeometry,
    windowed_sdpa,
    SHIFT_MASK_VALUE,
)
from zoo.layers.learnable_affine import LearnableAffineBlock
from zoo.layers.rep_branches import fold_conv_bn_branches
from zoo.layers.cl_norm_mlp_head import ClNormMlpClassifierHead
from zoo.layers.branches import ConcatBranches, conv_chain, tf_conv_bn
from zoo.layers.residual_branch import prenorm_branch
from zoo.layers.patchify import batch_patchify
from zoo.layers.token_merge import fold_token_grid

__all__ = [
    'pad_same_traceable', 'use_traceable_pad', 'is_exportable', 'is_scriptable', 'set_layer_config', 'LayerType',
    'create_act_layer', 'get_act_layer', 'CondConv2d', 'MixedConv2d', 'Attention', 'AttentionPoolLatent', 'BlurPool2d',
    'ConvNormAct', 'SeparableConvNormAct', 'get_norm_act_layer', 'stagewise_drop_path_rates', 'EffectiveSEModule',
    'LayerScale', 'LayerScale2d', 'GatedMlp', 'GluMlp', 'Mlp', 'NormMlpClassifierHead', 'PatchEmbed',
    'resample_abs_pos_embed', 'resample_abs_pos_embed_nhwc', 'relative_position_index', 'resize_rel_pos_bias_table',
    'RmsNorm', 'RmsNorm2d', 'SimpleNorm', 'SimpleNorm2d', 'SelectiveKernel', 'SelectiveKernelAttn', 'SplitAttn',
    'ClassifierHead', 'create_classifier', 'Conv2dSame', 'create_conv2d_pad', 'create_conv2d', 'DropBlock2d',
    'DropPath', 'drop_path', 'Format', 'get_channel_dim', 'get_spatial_dim', 'nchw_to', 'nhwc_to', 'make_divisible',
    'to_1tuple', 'to_2tuple', 'to_3tuple', 'to_4tuple', 'to_ntuple', 'GroupNorm', 'GroupNorm1', 'LayerNorm',
    'LayerNorm2d', 'get_norm_layer', 'BatchNormAct2d', 'GroupNormAct', 'get_padding', 'get_padding_value',
    'get_same_padding', 'is_static_pad', 'pad_same', 'SelectAdaptivePool2d', 'adaptive_pool_feat_mult', 'EcaModule',
    'SEModule', 'create_attn', 'get_attn', 'register_attn', 'lecun_normal_', 'trunc_normal_',
    'init_linear_trunc_normal_', 'init_trunc_normal_fan_out_', 'AttentionRope', 'attend', 'packed_qkv',
    'set_fused_attn', 'PatchDropout', 'RelPosBias', 'RelPosBiasTf', 'resize_rel_pos_tables', 'RelPosMlp',
    'rel_pos_index_with_cls', 'relative_log_coords', 'gather_rel_pos_bias', 'RotaryEmbedding', 'MixedRotaryEmbedding',
    'apply_rope', 'create_rope_embed', 'gather_rope', 'rope_coords', 'SwiGLU', 'AaLayerType', 'create_aa',
    'resolve_aa_layer', 'MultiQueryAttention2d', 'Attention2d', 'EvoNorm2dS0', 'EvoNorm2dS0a', 'group_std',
    'GlobalContext', 'LayerNormAct2d', 'RmsNormAct2d', 'AttentionPool2d', 'attn_head_dims', 'BottleneckAttn',
    'HaloAttn', 'LambdaLayer', 'BilinearAttnTransform', 'BatNonLocalAttn', 'AxialRelPosEmbed', 'GlobalResponseNorm',
    'GlobalResponseNormMlp', 'StageStride', 'stage_strides', 'SpaceToDepth', 'ScaledStdConv2d', 'ScaledStdConv2dSame',
    'abs_offset_bias_index', 'gather_offset_bias', 'resize_attention_bias', 'ClassAttn', 'prepend_class_token',
    'ConvPosEnc',
    'OverlapPatchEmbed', 'FourierPosEmbed', 'SpatialReductionAttention', 'use_fused_attn', 'set_default_fused_attn',
    'DiffAttention', 'DiffLambdaMixin', 'differential_attend', 'FilterResponseNormTlu2d', 'HybridEmbed',
    'MaxPool2dSame', 'StdConv2d', 'StdConv2dSame', 'standardize_weight', 'PatchMerging', 'window_partition',
    'window_reverse', 'grid_partition', 'grid_reverse', 'window_partition_nchw', 'window_reverse_nchw',
    'grid_partition_nchw', 'grid_reverse_nchw', 'shifted_window_mask', 'fit_window_to_grid',
    'resolve_stage_window_sizes', 'stage_window_sizes_for_grid', 'ShiftedWindowGeometry', 'windowed_sdpa',
    'SHIFT_MASK_VALUE', 'LearnableAffineBlock', 'fold_conv_bn_branches', 'ClNormMlpClassifierHead', 'ConcatBranches',
    'conv_chain', 'tf_conv_bn', 'prenorm_branch', 'batch_patchify', 'fold_token_grid',
]
