# SPDX-License-Identifier: MIT
"""Typed results of the analytics engine, shared by the computing modules, the API and the insights feed.

Every model is frozen pydantic, so the API returns `model_dump(mode="json")` and OpenAPI reads the schema.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from chat2chart.core.errors import AiserError


class AnalyticsError(AiserError):
    """A series or table the engine cannot analyse, with the reason a user can act on."""

    status = 422
    code = "cannot_analyse"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class ChangePoint(_Frozen):
    index: int
    at: str
    mean_before: float
    mean_after: float


class Seasonality(_Frozen):
    name: str  # weekly, monthly, yearly, daily
    period: int  # in observations
    strength: float  # 0..1, Wang-Smith-Hyndman: max(0, 1 - Var(R) / Var(S + R))


class TrendFinding(_Frozen):
    measure: str
    n: int
    direction: Literal["up", "down", "flat"]
    mann_kendall_tau: float
    p_value: float
    slope_per_step: float
    slope_per_day: float | None
    slope_unit: str  # "per day", "per week", "per month"
    slope: float  # in `slope_unit`
    slope_low: float
    slope_high: float
    change_points: list[ChangePoint]
    seasonalities: list[Seasonality]
    trend_strength: float | None
    growth_last: float | None  # relative change of the last period vs the one before
    growth_total: float | None  # relative change from first to last fitted trend value
    latest_unusual: bool
    latest_z: float | None
    components: dict[str, list[float]] | None = None
    trend_line: list[float] | None = None  # the Theil-Sen line at each point, in the measure's unit


class AnomalyFlag(_Frozen):
    index: int
    at: str
    value: float
    expected: float
    low: float
    high: float
    deviation: float
    sigma: float
    direction: Literal["above", "below"]
    compared_with: str
    segment: str | None = None


class AnomalyFinding(_Frozen):
    measure: str
    sensitivity: str
    threshold_sigma: float
    n: int
    flags: list[AnomalyFlag]
    scores: list[float]
    segment: str | None = None


class ModelScore(_Frozen):
    model: str
    mase: float
    smape: float


class ForecastPoint(_Frozen):
    at: str
    mean: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float


class ForecastFinding(_Frozen):
    measure: str
    horizon: int
    season_length: int
    model: str
    reason: str
    backtest: list[ModelScore]
    points: list[ForecastPoint]


class Contribution(_Frozen):
    dimension: str
    value: str
    before: float
    after: float
    change: float
    share: float  # of the total change, signed; shares of one dimension sum to 1
    mix: float | None = None
    rate: float | None = None


class DimensionExplanation(_Frozen):
    dimension: str
    explained: float  # 0..1: 0 = values moved in proportion to their size, ~1 = all of it in one value
    contributions: list[Contribution]


class RootCause(_Frozen):
    segment: dict[str, str]
    change: float
    share: float


class DriversFinding(_Frozen):
    measure: str
    before_label: str
    after_label: str
    before: float
    after: float
    change: float
    dimensions: list[DimensionExplanation]
    drill: DimensionExplanation | None
    drill_parent: Contribution | None
    root_causes: list[RootCause]
    sentence: str


class Association(_Frozen):
    factor: str
    kind: Literal["dimension", "numeric"]
    effect: float
    effect_name: str  # eta_squared, spearman_rho
    ci_low: float
    ci_high: float
    p_value: float
    test: str


class Finding(_Frozen):
    kind: str
    sentence: str
    score: float
    significance: float
    impact: float
    chart: dict[str, Any]
    detail: dict[str, Any]


class Correlation(_Frozen):
    left: str
    right: str
    pearson: float
    spearman: float
    p_value: float
    n: int
    caveat: str


class Concentration(_Frozen):
    dimension: str
    measure: str
    top_share_of_values: float  # e.g. 0.2: the top 20 % of values ...
    share_of_measure: float  # ... carry this share of the measure
    values: int
    gini: float


class CyclePattern(_Frozen):
    cycle: Literal["day_of_week", "hour_of_day"]
    measure: str
    means: dict[str, float]
    highest: str
    lowest: str
    p_value: float  # Kruskal-Wallis across the cycle's positions


class OutlierSegment(_Frozen):
    dimension: str
    value: str
    measure_value: float
    median: float
    robust_z: float


class DistributionShape(_Frozen):
    measure: str
    n: int
    mean: float
    median: float
    skewness: float
    excess_kurtosis: float
    bimodality_coefficient: float
    multimodal: bool
    heavy_tailed: bool
    skew_label: Literal["symmetric", "right-skewed", "left-skewed"]


class DistributionProfile(_Frozen):
    """A measure's distribution over rows (`analytics.distribution.distribution_profile`), in its unit."""

    measure: str
    segment: str | None = None
    n: int
    mean: float
    median: float
    std: float
    skewness: float
    excess_kurtosis: float
    bimodality_coefficient: float
    multimodal: bool
    heavy_tailed: bool
    skew_label: Literal["symmetric", "right-skewed", "left-skewed"]
    q1: float
    q3: float
    iqr_low: float  # Tukey's fences, Q1 - 1.5·IQR and Q3 + 1.5·IQR
    iqr_high: float
    iqr_outliers: int
    iqr_outlier_share: float
    mad: float
    mad_outliers: int  # rows with robust z = 0.6745·(x - median) / MAD beyond 3.5
    mad_outlier_share: float
    zero_share: float
    expected_zero_share: float  # e^-mean for non-negative whole numbers (Poisson), else 0
    zero_inflated: bool


class SegmentShape(_Frozen):
    """A segment whose share of zeros or of outliers stands apart from the other rows'."""

    measure: str
    dimension: str
    segment: str
    what: Literal["zeros", "outliers"]
    share: float
    others_share: float
    rows: int


class AnomaliesResult(_Frozen):
    """One finding for the whole measure, or one per segment value when a segment was asked for."""

    findings: list[AnomalyFinding]


class DriversResult(_Frozen):
    """`change` answers 'why did it change?'; `associations` answers 'what drives high values?'."""

    change: DriversFinding | None = None
    associations: list[Association] | None = None


class PatternsResult(_Frozen):
    measure: str
    correlations: list[Correlation]
    concentrations: list[Concentration]
    cycles: list[CyclePattern]
    outliers: list[OutlierSegment]
    shape: DistributionShape | None


class InsightsResult(_Frozen):
    findings: list[Finding]
