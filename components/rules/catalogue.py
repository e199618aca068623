"""The alert catalogue: every alert of the stack, area by area (``alerts/<area>.py``), with its defaults.

An outage alert (``ServiceDown``, ``DatabaseDown`` …) restarts its ``for`` at every successful scrape, so a target
that is down half the time never fires it.  Each outage alert that names its 0/1 series (``Flapping``) therefore
gets a flapping alert derived from it (``ServiceFlapping``, ``DatabaseFlapping`` …, ``model.flapping_alert``), and
Alertmanager mutes that one while the outage alert of the same thing fires (``FLAPPING``).
"""

from __future__ import annotations

from components.rules.alerts import api, cache, containers, database, host, hosts, meta, probes
from components.rules.model import Alert, Area, flapping_name

AREAS: tuple[Area, ...] = (api.AREA, database.AREA, cache.AREA, host.AREA, containers.AREA, probes.AREA, meta.AREA,
                          hosts.AREA)
"""Rule files in this order: ``<area>.yml``, one group ``internet-id-<area>`` each."""
MULTI_HOST_AREAS = frozenset({hosts.AREA.name})
"""Areas only a stack with ``hosts`` renders."""

CATALOGUE: tuple[Alert, ...] = tuple(alert for area in AREAS for alert in area.alerts)

BY_NAME: dict[str, Alert] = {alert.name: alert for alert in CATALOGUE}

FLAPPING: tuple[tuple[str, str], ...] = tuple(
    (alert.name, flapping_name(alert.name)) for alert in CATALOGUE if alert.flapping
)
"""(outage, flapping) alerts of one target, with the same ``identity``: while the outage alert fires, the
flapping alert of the same thing is muted in Alertmanager (one incident, one page)."""

TIERS_FIRST = ("api", "database", "probes", "host")
"""The areas whose tiers alertmanager.yml lists first, in this order (the order their inhibitions were written in);
the other areas' tiers follow in area order."""

PAIRS: tuple[tuple[str, str], ...] = tuple(
    tier.names
    for area in sorted(AREAS, key=lambda a: TIERS_FIRST.index(a.name) if a.name in TIERS_FIRST else len(TIERS_FIRST))
    for tier in area.tiers
)
"""Warning/critical tiers of one condition, (warning, critical), declared with their alerts (``model.Tier``)."""
