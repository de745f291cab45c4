"""All checks. One module per rule, named by its code; add new ones to ALL_CHECKS (kept in code order)."""

from __future__ import annotations

from regcheck.checks.base import Check
from regcheck.checks.keras_coverage import KerasRegularizedBias, KerasUnregularizedKernel
from regcheck.checks.rc101_unregularized_weight import UnregularizedWeight
from regcheck.checks.rc102_regularized_bias import RegularizedBias
from regcheck.checks.rc103_regularized_normalization_or_embedding import RegularizedNormalizationOrEmbedding
from regcheck.checks.rc104_regularizer_set_after_build import RegularizerSetAfterBuild
from regcheck.checks.rc105_late_bound_add_loss import LateBoundAddLoss
from regcheck.checks.rc201_regularization_collection_unused import RegularizationCollectionUnused
from regcheck.checks.rc202_model_losses_unused import ModelLossesUnused
from regcheck.checks.rc203_penalty_outside_tape import PenaltyOutsideTape
from regcheck.checks.rc204_loss_list_added import LossListAdded
from regcheck.checks.rc205_scope_regularizer_on_plain_variable import ScopeRegularizerOnPlainVariable
from regcheck.checks.rc206_unscaled_replica_regularization import UnscaledReplicaRegularization
from regcheck.checks.rc207_update_ops_not_run import UpdateOpsNotRun
from regcheck.checks.rc301_gradient_clip_as_max_norm import GradientClipAsMaxNorm
from regcheck.checks.rc302_clip_axes_mixed_rank import ClipAxesMixedRank
from regcheck.checks.rc303_max_norm_axis_mismatch import MaxNormAxisMismatch
from regcheck.checks.rc304_dropout_without_max_norm import DropoutWithoutMaxNorm
from regcheck.checks.rc401_numpy_in_regularizer import NumpyInRegularizer
from regcheck.checks.rc402_eye_from_shape import EyeFromShape
from regcheck.checks.rc403_weight_penalty_as_activity_regularizer import WeightPenaltyAsActivityRegularizer
from regcheck.checks.rc404_handwritten_orthogonal_regularizer import HandwrittenOrthogonalRegularizer
from regcheck.checks.rc405_softmax_single_unit import SoftmaxSingleUnit
from regcheck.checks.rc406_positional_logits_labels import PositionalLogitsLabels
from regcheck.checks.rc407_regularizer_result_discarded import RegularizerResultDiscarded
from regcheck.checks.rc501_double_weight_decay import DoubleWeightDecay
from regcheck.checks.rc502_l2_with_adaptive_optimizer import L2WithAdaptiveOptimizer
from regcheck.checks.rc503_weight_decay_on_bias_and_norm import WeightDecayOnBiasAndNorm
from regcheck.checks.rc601_legacy_l2_regularizer import LegacyL2Regularizer

ALL_CHECKS: list[type[Check]] = [
    KerasUnregularizedKernel,
    UnregularizedWeight,
    KerasRegularizedBias,
    RegularizedBias,
    RegularizedNormalizationOrEmbedding,
    RegularizerSetAfterBuild,
    LateBoundAddLoss,
    RegularizationCollectionUnused,
    ModelLossesUnused,
    PenaltyOutsideTape,
    LossListAdded,
    ScopeRegularizerOnPlainVariable,
    UnscaledReplicaRegularization,
    UpdateOpsNotRun,
    GradientClipAsMaxNorm,
    ClipAxesMixedRank,
    MaxNormAxisMismatch,
    DropoutWithoutMaxNorm,
    NumpyInRegularizer,
    EyeFromShape,
    WeightPenaltyAsActivityRegularizer,
    HandwrittenOrthogonalRegularizer,
    SoftmaxSingleUnit,
    PositionalLogitsLabels,
    RegularizerResultDiscarded,
    DoubleWeightDecay,
    L2WithAdaptiveOptimizer,
    WeightDecayOnBiasAndNorm,
    LegacyL2Regularizer,
]


def checks_for(codes: frozenset[str]) -> list[type[Check]]:
    return [check for check in ALL_CHECKS if check.code in codes]
