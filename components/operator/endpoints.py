"""Where the stack answers: URLs from ``pulumi stack output``, else from the settings, flags override."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from components.containers.urls import alertmanager_url, grafana_url, prometheus_url

if TYPE_CHECKING:
    from components.settings import StackSettings

PULUMI_TIMEOUT = 30.0
"""Seconds ``pulumi stack output`` may take (it may reach a remote backend)."""

PASSPHRASE_HINT = "; a stack with a passphrase may need PULUMI_CONFIG_PASSPHRASE set (pulumi gets no terminal input)"
"""Added to the fallback notes: ``pulumi`` runs with stdin closed, so it can never prompt for the passphrase."""

Runner = Callable[..., "subprocess.CompletedProcess[str]"]


@dataclass(frozen=True)
class StackOutputs:
    """The stack's outputs (empty when unavailable) and a one-line note on where they came from."""

    values: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""


def stack_outputs(
    stack: str,
    project_dir: Path,
    *,
    timeout: float = PULUMI_TIMEOUT,
    which: Callable[[str], str | None] = shutil.which,
    run: Runner = subprocess.run,
) -> StackOutputs:
    """``pulumi stack output --json --stack STACK`` in ``project_dir``; never raises.

    Secret outputs stay ``[secret]`` (no ``--show-secrets``): the commands need only URLs and names.
    """
    pulumi = which("pulumi")
    if pulumi is None:
        return StackOutputs(note="Pulumi CLI not found: URLs computed from the stack settings")
    try:
        # No terminal input: a prompt (e.g. for the passphrase) would be invisible, its output being captured.
        done = run([pulumi, "stack", "output", "--json", "--stack", stack], cwd=project_dir, capture_output=True,
                   stdin=subprocess.DEVNULL, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return StackOutputs(note=f"pulumi stack output timed out after {timeout:g}s{PASSPHRASE_HINT}: URLs computed "
                                 "from the settings")
    except OSError as error:
        return StackOutputs(note=f"pulumi could not run ({error.strerror}): URLs computed from the settings")
    if done.returncode != 0:
        first = next((line.strip() for line in done.stderr.splitlines() if line.strip()), f"exit {done.returncode}")
        return StackOutputs(note=f"pulumi stack output failed ({first[:160]}){PASSPHRASE_HINT}: URLs computed "
                                 "from the settings")
    try:
        values = json.loads(done.stdout or "{}")
    except ValueError:
        return StackOutputs(note="pulumi stack output printed no JSON: URLs computed from the settings")
    if not isinstance(values, dict):
        return StackOutputs(note="pulumi stack output printed no JSON object: URLs computed from the settings")
    return StackOutputs(values, note=f"URLs from the outputs of stack {stack}")


@dataclass(frozen=True)
class Endpoints:
    prometheus: str
    alertmanager: str
    grafana: str
    grafana_user: str
    api_health: str | None = None
    """A URL of the API's health endpoint; ``None``: judge the API by the blackbox probe in Prometheus."""


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value and value != "[secret]" else None


def default_endpoints(settings: StackSettings, outputs: Mapping[str, Any] | None = None) -> Endpoints:
    """The stack's URLs: its outputs where present, else what ``program.build`` would export."""
    outputs = outputs or {}
    return Endpoints(
        prometheus=(_text(outputs.get("prometheusUrl")) or prometheus_url(settings)).rstrip("/"),
        alertmanager=(_text(outputs.get("alertmanagerUrl")) or alertmanager_url(settings)).rstrip("/"),
        grafana=(_text(outputs.get("grafanaUrl")) or grafana_url(settings)).rstrip("/"),
        grafana_user=_text(outputs.get("grafanaAdminUser")) or settings.grafana.admin_user,
    )
