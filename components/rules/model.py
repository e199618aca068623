"""The shapes of the alert catalogue: an alert with its defaults, a warning/critical tier, an area (one rule file).

Expressions and texts are templates with one kind of placeholder, ``[[name]]``, filled in when a stack's rule
files are rendered (``render.py``) from one table: the stack's settings (``[[rate]]``, ``[[threshold]]`` …, see
``render.settings_values``) and the shared vocabulary of selectors, groupings and recorded series
(``vocabulary.TOKENS``: ``[[api]]`` is ``job="internet-id-api"``).  Nothing else is substituted: ``{…}`` is PromQL's
own, ``{{ … }}`` Prometheus' alert templating, evaluated when the alert fires.

``identity`` names the labels that tell one alerting thing from another (a container, a provider, a mountpoint …)
beyond ``cluster`` and ``environment``: Alertmanager's inhibitions of a warning tier by its critical tier
(``Tier``) and of a flapping alert by its outage alert are derived from it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Literal

Severity = Literal["critical", "warning", "info", "none"]
ThresholdKind = Literal["ratio", "positive", "nonnegative", "seconds", "days", "changes", "count"]
Direction = Literal["above", "below"]


@dataclass(frozen=True)
class Flapping:
    """How an outage alert's target shows that it flaps: the 0/1 series the outage alert judges.

    The flapping alert counts that series' state changes over ``rules.flapWindow``: a down and
    back up is two, so one blip or one deploy stays at two.  ``restarts`` is the start time of the
    target's process, where it has one: a process that crashes and is restarted between two scrapes
    never shows ``up == 0``, but its start time changes (each restart counts as two state changes).
    """

    state: str
    """The 0/1 series, e.g. ``up{[[api]]}`` (its labels are the alert's)."""
    subject: str
    """Who flaps, for the description (Prometheus templating allowed)."""
    restarts: str = ""
    """The process' start time in seconds (``process_start_time_seconds{…}``), with the labels of ``state``."""


@dataclass(frozen=True)
class Alert:
    """One alerting rule with its defaults; thresholds and ``for`` are overridable per stack."""

    name: str
    severity: Severity
    service: str
    """Value of the ``service`` label (a template such as ``{{ $labels.service }}`` where it varies)."""
    expr: str
    for_: str
    summary: str
    description: str
    threshold: float | None = None
    threshold_kind: ThresholdKind | None = None
    direction: Direction | None = None
    """Whether the alert fires above or below its threshold (``> [[threshold]]`` / ``< [[threshold]]``)."""
    below: float | None = None
    """The threshold must stay below this value (e.g. a histogram's top finite bucket)."""
    why_below: str = ""
    identity: tuple[str, ...] = ()
    """Labels that identify the alerting thing (besides ``cluster`` and ``environment``)."""
    flapping: Flapping | None = None
    """An outage alert's series, from which its flapping alert is derived (``flapping_alert``)."""
    service_from_name: bool = False
    """The expression yields cAdvisor's container ``name``; rendering sets ``service`` from it by the stack's
    ``rules.apiContainers`` and ``rules.appContainers`` (so a looping database container pages the DBA)."""
    area: str = ""
    """The area (rule file) it belongs to; set by ``area`` from where it is declared."""

    @property
    def lower_is_worse(self) -> bool:
        """The alert fires below its threshold (free space, days left), so a lower threshold is more severe."""
        return self.direction == "below"

    @property
    def anchor(self) -> str:
        """GitHub's anchor of the heading ``## <name>`` in docs/runbook.md."""
        return self.name.lower()


@dataclass(frozen=True)
class Tier:
    """The warning and the critical alert of one condition on one thing: while the critical fires, Alertmanager
    mutes the warning of the same thing (same ``identity`` labels), never the warning of another."""

    warning: Alert
    critical: Alert

    def __post_init__(self) -> None:
        names = f"{self.warning.name}/{self.critical.name}"
        if (self.warning.severity, self.critical.severity) != ("warning", "critical"):
            raise ValueError(f"{names}: a tier is a warning and a critical alert, in that order")
        if not self.warning.identity or self.warning.identity != self.critical.identity:
            raise ValueError(f"{names}: both tiers need the same non-empty identity")
        if self.warning.threshold is None or self.critical.threshold is None:
            raise ValueError(f"{names}: tiers differ by their thresholds; both need one")

    def __iter__(self) -> Iterator[Alert]:
        return iter((self.warning, self.critical))

    @property
    def names(self) -> tuple[str, str]:
        """(warning, critical)."""
        return self.warning.name, self.critical.name


@dataclass(frozen=True)
class Area:
    """The alerts of one rule file: ``rules/<name>.yml`` (group ``internet-id-<name>``), tested by
    ``tests/rules/promtool/<name>.test.yml``, declared in ``alerts/<name>.py``."""

    name: str
    alerts: tuple[Alert, ...]
    """In the rule file's order, each outage alert's flapping alert right after it."""
    tiers: tuple[Tier, ...]


def area(name: str, *members: Alert | Tier) -> Area:
    """The area ``name`` of ``members`` in order: alerts, and tiers declared where their two alerts stand.

    A warning may be the lower tier of two criticals (filling up: almost full, and filling up fast); it is
    listed once, where it first stands."""
    alerts: list[Alert] = []
    tiers: list[Tier] = []
    for member in members:
        if isinstance(member, Tier):
            tiers.append(member)
        for alert in member if isinstance(member, Tier) else (member,):
            if any(seen.name == alert.name for seen in alerts):
                if next(seen for seen in alerts if seen.name == alert.name) != replace(alert, area=name):
                    raise ValueError(f"{alert.name}: declared twice in area {name} with different fields")
                continue
            alerts.append(replace(alert, area=name))
            if alert.flapping:
                alerts.append(flapping_alert(replace(alert, area=name)))
    return Area(name, tuple(alerts), tuple(tiers))


FLAP_CHANGES = 4
"""Default threshold of every flapping alert: it fires above 4 state changes in ``rules.flapWindow``.

One blip or one deploy (down, back up) is 2 changes and two of them are 4: silent.  A third
interruption within the window fires; a crash loop of 30 s up, 30 s down makes 20 in 10 minutes.
"""


def flapping_name(outage: str) -> str:
    """``ServiceDown`` -> ``ServiceFlapping``, ``ProbeFailed`` -> ``ProbeFlapping``."""
    for ending in ("Down", "Failed"):
        if outage.endswith(ending):
            return outage.removesuffix(ending) + "Flapping"
    raise ValueError(f"{outage}: an outage alert with a flapping alert must be named …Down or …Failed")


def _flapping_summary(outage: Alert) -> str:
    for ending in (" down", " failing"):
        if outage.summary.endswith(ending):
            return outage.summary.removesuffix(ending) + " flapping"
    raise ValueError(f"{outage.name}: its summary must end in ' down' or ' failing' to derive the flapping one")


def flapping_alert(outage: Alert) -> Alert:
    """The flapping alert of an outage alert: its series changed state more than ``[[threshold]]`` times
    over ``[[flap_window]]`` (or its process restarted more than half as often), held for the outage's ``for``.

    Counting changes instead of averaging ``up`` keeps a clean outage out: a long outage is one change
    down and one back up, and after it the window is quiet at once, where ``avg_over_time(up[…])``
    would stay low for a whole window after the target is back (and page once the outage alert resolved).
    Same severity, service, area and identity as the outage alert, so routing and inhibition follow.
    """
    spec = outage.flapping
    if spec is None:
        raise ValueError(f"{outage.name} has no flapping series")
    series = spec.state.split("{", 1)[0]
    expr = "changes(" + spec.state + "[[[flap_window]]]) > [[threshold]]"
    restarts = ""
    if spec.restarts:
        expr += "\nor\nchanges(" + spec.restarts + "[[[flap_window]]]) * 2 > [[threshold]]"
        restarts = ", a restart of its process counting as two"
    return Alert(
        name=flapping_name(outage.name),
        area=outage.area,
        severity=outage.severity,
        service=outage.service,
        expr=expr,
        for_=outage.for_,
        summary=_flapping_summary(outage),
        description=(
            spec.subject + " ({{ $labels.environment }}) keeps going down and coming back: {{ $value }} changes "
            "of " + series + " over the last [[flap_window]] (threshold [[threshold]]" + restarts + "), each "
            "outage too short for " + outage.name + " to fire."
        ),
        threshold=FLAP_CHANGES,
        threshold_kind="changes",
        direction="above",
        identity=outage.identity,
    )
