"""Alert thresholds, ``for`` durations and windows, overridable per stack (config key ``rules``).

Defaults live in the catalogue (``alerts/<area>.py``), next to each alert; a stack changes them here::

    internet-id-monitoring:rules:
      overrides:
        HighErrorRate: {threshold: 0.02, for: 10m}
      rateInterval: 5m        # window of every rate()/increase()/*_over_time()
      flapWindow: 10m         # window in which the flapping alerts count state changes
      restartWindow: 1h       # window in which ContainerRestarting counts restarts in place, HostOomKills OOM kills
      forScale: 1             # multiplies every default `for` (0.02 turns 5m into 6s)
      disabled: [LowCacheHitRate]
      minRequestRate: 0.1     # HighErrorRate/CriticalErrorRate stay silent below 0.1 requests/s
      minOperations: 5        # IPFS/blockchain failure ratios stay silent below 5 in the window

A time-compressed profile (the live test) sets ``rateInterval`` and ``forScale`` instead of
editing rules; an explicit ``overrides.<Alert>.for`` is used as given and is not scaled.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator, model_validator

from components.durations import duration, format_duration, seconds
from components.model import ConfigModel, Count, HttpUrl, Re2Regex, pattern
from components.rules.catalogue import BY_NAME, CATALOGUE, PAIRS
from components.rules.model import Alert

DEFAULT_RUNBOOK_BASE_URL = "https://github.com/subculture-collective/internet-id-monitoring/blob/main/docs/runbook.md"
DEFAULT_API_CONTAINERS = "(.+[-_])?api([-_][0-9]+)?"
DEFAULT_APP_CONTAINERS = {
    "web": "(.+[-_])?(web|nginx)([-_][0-9]+)?",
    "database": "(.+[-_])?(db|postgres)([-_][0-9]+)?",
    "cache": "(.+[-_])?redis([-_][0-9]+)?",
}
"""The app's compose services by the ``service`` their container alerts carry (``internet-id-db-1`` -> database)."""

AlertName = Annotated[str, pattern("alert name", r"[A-Za-z][A-Za-z0-9]{0,99}", "an alert name such as ServiceDown")]
Window = Annotated[str, duration("1s", "1d")]
"""A window of ``rate()`` or of counting changes: a day at most (a range longer than that reads the whole TSDB)."""
ServiceLabel = Annotated[str, pattern("service", r"[a-z][a-z0-9_]{0,62}", "a lower-case service name such as database")]
"""Value of the ``service`` label an app container's alerts carry (routes match it)."""


class AlertOverride(ConfigModel):
    """Per-alert override; unset fields keep the catalogue's default."""

    threshold: float | None = None
    for_: Annotated[str, duration("0s", "1w")] | None = Field(None, alias="for")


def _known(names: list[str] | set[str], key: str) -> None:
    unknown = sorted(set(names) - set(BY_NAME))
    if unknown:
        raise ValueError(f"unknown alert(s) {unknown} in {key}; known alerts: {sorted(BY_NAME)}")


def _check_threshold(alert: Alert, value: float) -> str | None:
    """Why ``value`` is no valid threshold of ``alert`` (None if it is)."""
    kind = alert.threshold_kind
    if kind is None:
        return f"{alert.name} has no threshold (it fires on a condition, not a value); set only 'for'"
    if kind == "ratio" and not 0 < value <= 1:
        return f"{value:g} is not a ratio in (0, 1]; write 5% as 0.05"
    if kind in ("positive", "seconds", "days") and value <= 0:
        return f"{value:g} must be greater than 0"
    if kind == "nonnegative" and value < 0:
        return f"{value:g} must be 0 or more"
    if kind == "count" and (value < 1 or value != int(value)):
        return f"{value:g} must be a whole number, 1 or more (the alert fires above it)"
    if kind == "changes" and (value < 2 or value != int(value)):
        return (f"{value:g} must be a whole number of state changes, 2 or more: one blip or one deploy "
                "(down, back up) is 2 and must not fire")
    if alert.below is not None and value >= alert.below:
        return f"{value:g} can never fire: it must be below {alert.below:g} ({alert.why_below})"
    return None


class RuleSettings(ConfigModel):
    """Per-stack settings of the alert catalogue."""

    runbook_base_url: HttpUrl = DEFAULT_RUNBOOK_BASE_URL
    """Every alert's ``runbook_url`` is ``<runbookBaseUrl>#<alert name lower-cased>``."""
    rate_interval: Window = "5m"
    """Window of every ``rate``/``increase``/``max_over_time`` (keep it at least 4 scrape intervals)."""
    flap_window: Window = "10m"
    """Window in which the flapping alerts (``ServiceFlapping`` …) count state changes and restarts of a target
    (their thresholds: ``overrides.<Alert>.threshold``, changes above which they fire); many scrape intervals long."""
    restart_window: Window = "1h"
    """Window in which ``ContainerRestarting`` counts a container's restarts in place and ``HostOomKills`` the
    kernel's OOM kills; many scrape intervals long (a restart shows between two scrapes)."""
    for_scale: float = Field(1.0, gt=0, le=10)
    """Factor applied to every default ``for`` (rounded to whole seconds); explicit overrides are not scaled."""
    overrides: dict[str, AlertOverride] = Field(default_factory=dict)
    """Threshold and/or ``for`` per alert name."""
    disabled: list[AlertName] = Field(default_factory=list)
    """Alert names left out of the rendered rules (Watchdog cannot be disabled)."""
    api_containers: Re2Regex = DEFAULT_API_CONTAINERS
    """Regex (fully anchored, RE2) matching cAdvisor's ``name`` of the API containers; quoted into PromQL as is
    (``\\d`` works)."""
    app_containers: dict[ServiceLabel, Re2Regex] = Field(default_factory=lambda: dict(DEFAULT_APP_CONTAINERS))
    """The app's other containers: ``service`` label -> regex (fully anchored, RE2) of cAdvisor's ``name``.
    ``ContainerRestarting`` watches these and the API containers, and routes by the ``service`` (``database``
    pages the database rotation)."""
    min_request_rate: float = Field(0.1, ge=0)
    """Requests/s (``/health`` excluded, over ``rateInterval``) below which the API error-ratio alerts stay silent."""
    min_operations: Count = 5
    """IPFS uploads or blockchain transactions within ``rateInterval`` below which their failure ratios stay silent."""

    @field_validator("runbook_base_url")
    @classmethod
    def _no_anchor(cls, value: str) -> str:
        if "#" in value:
            raise ValueError(f"{value!r} must be a URL without '#' (the anchor is appended)")
        return value

    @field_validator("app_containers")
    @classmethod
    def _services(cls, value: dict[str, str]) -> dict[str, str]:
        if "api" in value:
            raise ValueError("'api' is set by apiContainers, not here")
        return value

    @field_validator("disabled")
    @classmethod
    def _disabled(cls, value: list[str]) -> list[str]:
        _known(value, "disabled")
        if "Watchdog" in value:
            raise ValueError("Watchdog proves the alerting pipeline works and cannot be disabled")
        return value

    @field_validator("overrides")
    @classmethod
    def _overrides(cls, value: dict[str, AlertOverride]) -> dict[str, AlertOverride]:
        _known(set(value), "overrides")
        for name, override in value.items():
            if override.threshold is not None:
                problem = _check_threshold(BY_NAME[name], override.threshold)
                if problem:
                    raise ValueError(f"{name}.threshold: {problem}")
        return value

    @model_validator(mode="after")
    def _tiers_ordered(self) -> RuleSettings:
        for warning, critical in PAIRS:
            low, high = self.threshold(warning), self.threshold(critical)
            if BY_NAME[warning].lower_is_worse:  # less free space, fewer days left: worse
                low, high = high, low
            if low >= high:
                raise ValueError(
                    f"overrides: {warning} (warning) threshold {self.threshold(warning):g} must be less severe "
                    f"than {critical} (critical) threshold {self.threshold(critical):g}"
                )
        return self

    def most_changes_to_flap(self) -> int:
        """The highest threshold of the enabled flapping alerts: the changes a target must exceed in ``flapWindow``."""
        return int(max((self.threshold(alert.name) for alert in CATALOGUE
                        if alert.threshold_kind == "changes" and alert.name not in self.disabled), default=0))

    def threshold(self, name: str) -> float:
        """Effective threshold of an alert that has one."""
        override = self.overrides.get(name)
        if override is not None and override.threshold is not None:
            return override.threshold
        default = BY_NAME[name].threshold
        if default is None:
            raise KeyError(f"{name} has no threshold")
        return default

    def for_duration(self, name: str) -> str:
        """Effective ``for`` of an alert: the override as given, else the default times ``forScale``."""
        override = self.overrides.get(name)
        if override is not None and override.for_ is not None:
            return override.for_
        return format_duration(round(seconds(BY_NAME[name].for_) * self.for_scale))

    def container_services(self) -> dict[str, str]:
        """``service`` -> regex of cAdvisor's ``name``: the API's containers and the app's others."""
        return {"api": self.api_containers, **self.app_containers}

    def enabled(self, name: str) -> bool:
        return name not in self.disabled

    def runbook_url(self, name: str) -> str:
        return f"{self.runbook_base_url}#{BY_NAME[name].anchor}"

