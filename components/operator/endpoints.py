"""Where the stack answers: URLs from ``pulumi stack output``, else from the settings, flags override."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from components.secret_keys import WEB_AUTH_PASSWORD

if TYPE_CHECKING:
    from components.containers.urls import PublicUrls
    from components.webauth.settings import WebAuthSettings

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
    web_auth: tuple[str, str] | None = field(default=None, repr=False)
    """User and password Prometheus and Alertmanager require (``webAuth``); ``None``: send none."""


WEB_PASSWORD_ENV = "IIDMON_WEB_PASSWORD"
"""Overrides the password read from the stack (e.g. where the Pulumi CLI or the state is not at hand)."""
WEB_PASSWORD_OUTPUT = WEB_AUTH_PASSWORD.key
"""The secret stack output holding it, named after the secret (``program.web_auth_secrets``)."""


@dataclass(frozen=True)
class WebCredentials:
    """What the commands send to Prometheus and Alertmanager; ``note`` says why there is nothing to send."""

    auth: tuple[str, str] | None = field(repr=False)
    note: str = ""


def web_credentials(
    web_auth: WebAuthSettings,
    stack: str,
    project_dir: Path,
    environ: Mapping[str, str],
    *,
    timeout: float = PULUMI_TIMEOUT,
    which: Callable[[str], str | None] = shutil.which,
    run: Runner = subprocess.run,
) -> WebCredentials:
    """The stack's credential: ``$IIDMON_WEB_PASSWORD``, else the one secret output ``webAuthPassword`` (read
    with ``--show-secrets``, kept in memory, never printed); never raises."""
    if not web_auth.enabled:
        return WebCredentials(None)
    user = web_auth.user
    if environ.get(WEB_PASSWORD_ENV):
        return WebCredentials((user, environ[WEB_PASSWORD_ENV]))
    missing = (f"no credentials for Prometheus and Alertmanager (they will answer 401): set ${WEB_PASSWORD_ENV} "
               f"to `pulumi stack output {WEB_PASSWORD_OUTPUT} --show-secrets --stack {stack}`")
    pulumi = which("pulumi")
    if pulumi is None:
        return WebCredentials(None, f"Pulumi CLI not found; {missing}")
    try:
        done = run([pulumi, "stack", "output", WEB_PASSWORD_OUTPUT, "--show-secrets", "--stack", stack],
                   cwd=project_dir, capture_output=True, stdin=subprocess.DEVNULL, text=True, timeout=timeout,
                   check=False)
    except (subprocess.TimeoutExpired, OSError):
        return WebCredentials(None, f"pulumi stack output did not answer{PASSPHRASE_HINT}; {missing}")
    password = done.stdout.strip() if done.returncode == 0 else ""
    if not password:
        return WebCredentials(None, f"the stack has no output {WEB_PASSWORD_OUTPUT}{PASSPHRASE_HINT}; {missing}")
    return WebCredentials((user, password))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value and value != "[secret]" else None


def default_endpoints(urls: PublicUrls, grafana_user: str, outputs: Mapping[str, Any] | None = None) -> Endpoints:
    """The stack's URLs and Grafana login: its outputs where present, else what ``program.build`` would export
    (``urls``, ``grafana_user``: ``grafana.adminUser``)."""
    outputs = outputs or {}
    return Endpoints(
        prometheus=(_text(outputs.get("prometheusUrl")) or urls.prometheus).rstrip("/"),
        alertmanager=(_text(outputs.get("alertmanagerUrl")) or urls.alertmanager).rstrip("/"),
        grafana=(_text(outputs.get("grafanaUrl")) or urls.grafana).rstrip("/"),
        grafana_user=_text(outputs.get("grafanaAdminUser")) or grafana_user,
    )
