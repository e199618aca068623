"""Where the stack answers: URLs from ``pulumi stack output``, else from the settings, flags override."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from components.secret_keys import GRAFANA_ADMIN_PASSWORD, WEB_AUTH_PASSWORD

if TYPE_CHECKING:
    from components.containers.urls import PublicUrls
    from components.webauth.settings import WebAuthSettings

PULUMI_TIMEOUT = 30.0
"""Seconds ``pulumi stack output`` may take (it may reach a remote backend)."""

DEV_HINT = ("for the dev stack, run the command through scripts/dev, which sets what scripts/deploy-dev used: "
            "PULUMI_BACKEND_URL=file://$HOME and PULUMI_CONFIG_PASSPHRASE")
"""Where the dev stack's backend and passphrase come from (the scripts' defaults, see README 'Quick start')."""
PULUMI_PROBLEMS: tuple[tuple[str, str], ...] = (
    ("PULUMI_ACCESS_TOKEN", "no Pulumi backend is set here (pulumi asks for PULUMI_ACCESS_TOKEN to log in to "
                            "Pulumi Cloud): set PULUMI_BACKEND_URL to the backend stack {stack} lives in; " + DEV_HINT),
    ("passphrase must be set", "set PULUMI_CONFIG_PASSPHRASE to the passphrase stack {stack} was deployed with; "
                               + DEV_HINT),
    ("incorrect passphrase", "PULUMI_CONFIG_PASSPHRASE is not the passphrase stack {stack} was deployed with: set "
                             "that one; " + DEV_HINT),
    ("no stack named", "the backend {backend} has no stack {stack}: set PULUMI_BACKEND_URL to the backend it was "
                       "deployed to, or deploy it; " + DEV_HINT),
)
"""What ``pulumi stack output`` says when it cannot read the stack (the start of its message), and what to set:
without a backend pulumi names PULUMI_ACCESS_TOKEN, though the missing variable is PULUMI_BACKEND_URL."""

Runner = Callable[..., "subprocess.CompletedProcess[str]"]


def pulumi_problem(stderr: str, stack: str, environ: Mapping[str, str]) -> str:
    """One line saying what to set so that ``pulumi stack output`` can read ``stack``: the variable really missing
    where pulumi's message is one of ``PULUMI_PROBLEMS``, else pulumi's own first line."""
    backend = environ.get("PULUMI_BACKEND_URL") or "you are logged in to"
    for needle, advice in PULUMI_PROBLEMS:
        if needle in stderr:
            return advice.format(stack=stack, backend=backend)
    first = next((line.strip() for line in stderr.splitlines() if line.strip()), "no message")
    return f"pulumi stack output failed: {first[:200]}"


@dataclass(frozen=True)
class PulumiAnswer:
    """What one ``pulumi`` command printed, or the one-line ``problem`` that kept it from answering."""

    stdout: str = field(default="", repr=False)
    problem: str = ""


@dataclass(frozen=True)
class PulumiCli:
    """``pulumi`` asked about one stack of the project: the environment it runs in (backend, passphrase), how long
    it may take; ``which`` and ``run`` find and start it (tests pass their own)."""

    stack: str
    project_dir: Path
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    timeout: float = PULUMI_TIMEOUT
    which: Callable[[str], str | None] = shutil.which
    run: Runner = subprocess.run

    def answer(self, args: list[str]) -> PulumiAnswer:
        """``pulumi ARGS --stack STACK`` in the project with no terminal input (a prompt, e.g. for a passphrase,
        would wait invisibly: its output is captured); never raises."""
        pulumi = self.which("pulumi")
        if pulumi is None:
            return PulumiAnswer(problem="the Pulumi CLI is not on PATH")
        try:
            done = self.run([pulumi, *args, "--stack", self.stack], cwd=self.project_dir, capture_output=True,
                            stdin=subprocess.DEVNULL, text=True, timeout=self.timeout, check=False)
        except subprocess.TimeoutExpired:
            return PulumiAnswer(problem=f"pulumi stack output did not answer within {self.timeout:g}s")
        except OSError as error:
            return PulumiAnswer(problem=f"pulumi could not run ({error.strerror})")
        if done.returncode != 0:
            return PulumiAnswer(problem=pulumi_problem(done.stderr, self.stack, self.environ))
        return PulumiAnswer(done.stdout)


@dataclass(frozen=True)
class StackOutputs:
    """The stack's outputs (empty when unavailable), a one-line note on where they came from, and the problem
    that kept pulumi from reading them (the later reads of secret outputs would meet it again)."""

    values: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""
    problem: str = ""


def stack_outputs(cli: PulumiCli) -> StackOutputs:
    """``pulumi stack output --json`` of the stack; never raises.

    Secret outputs stay ``[secret]`` (no ``--show-secrets``): the URLs and names need no passphrase.
    """
    answer = cli.answer(["stack", "output", "--json"])
    if answer.problem:
        return StackOutputs(note=f"URLs computed from the settings: {answer.problem}", problem=answer.problem)
    try:
        values = json.loads(answer.stdout or "{}")
    except ValueError:
        return StackOutputs(note="pulumi stack output printed no JSON: URLs computed from the settings")
    if not isinstance(values, dict):
        return StackOutputs(note="pulumi stack output printed no JSON object: URLs computed from the settings")
    return StackOutputs(values, note=f"URLs from the outputs of stack {cli.stack}")


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
GRAFANA_PASSWORD_ENV = "GRAFANA_ADMIN_PASSWORD"
"""Overrides the Grafana admin password read from the stack (the only source where the stack does not generate
it: then it is the stack's config secret, which the commands do not decrypt)."""
GRAFANA_PASSWORD_OUTPUT = GRAFANA_ADMIN_PASSWORD.key
"""The secret stack output of a stack that generates the password (``grafana.generateAdminPassword``)."""


@dataclass(frozen=True)
class Credential:
    """A password the commands send, or ``None`` and a ``note`` saying why there is none and what to set."""

    password: str | None = field(repr=False)
    note: str = ""


def secret_output(output: str, env_var: str, cli: PulumiCli, *, outputs: StackOutputs | None = None) -> Credential:
    """``$ENV_VAR``, else the secret stack output ``output`` (read with ``--show-secrets``, kept in memory, never
    printed); never raises.  Where ``outputs`` already met a problem, pulumi is not asked again."""
    if cli.environ.get(env_var):
        return Credential(cli.environ[env_var])
    stack = cli.stack
    fix = f"set ${env_var} to `pulumi stack output {output} --show-secrets --stack {stack}`"
    problem = outputs.problem if outputs is not None else ""
    if outputs is not None and outputs.values and output not in outputs.values:
        problem = f"stack {stack} has no output {output}"
    if not problem:
        answer = cli.answer(["stack", "output", output, "--show-secrets"])
        problem = answer.problem
        if not problem and answer.stdout.strip():
            return Credential(answer.stdout.strip())
        if not problem:
            problem = f"stack {stack} has no output {output}"
    if "has no output" in problem or "does not have output" in problem:
        return Credential(None, f"stack {stack} has no output {output} (deployed before it existed? run pulumi up); "
                                f"or {fix}")
    return Credential(None, f"{problem}; or {fix}")


@dataclass(frozen=True)
class WebCredentials:
    """What the commands send to Prometheus and Alertmanager; ``note`` says why there is nothing to send."""

    auth: tuple[str, str] | None = field(repr=False)
    note: str = ""


def web_credentials(web_auth: WebAuthSettings, cli: PulumiCli, *,
                    outputs: StackOutputs | None = None) -> WebCredentials:
    """The stack's credential for Prometheus and Alertmanager: ``$IIDMON_WEB_PASSWORD``, else the one secret output
    ``webAuthPassword``; never raises."""
    if not web_auth.enabled:
        return WebCredentials(None)
    found = secret_output(WEB_PASSWORD_OUTPUT, WEB_PASSWORD_ENV, cli, outputs=outputs)
    if found.password is None:
        return WebCredentials(None, f"no credentials for Prometheus and Alertmanager (they will answer 401): "
                                    f"{found.note}")
    return WebCredentials((web_auth.user, found.password))


def grafana_password(generated: bool, cli: PulumiCli, *, outputs: StackOutputs | None = None) -> Credential:
    """Grafana's admin password: ``$GRAFANA_ADMIN_PASSWORD``, else, where the stack ``generated`` it, its secret
    output; never raises."""
    if cli.environ.get(GRAFANA_PASSWORD_ENV) or generated:
        return secret_output(GRAFANA_PASSWORD_OUTPUT, GRAFANA_PASSWORD_ENV, cli, outputs=outputs)
    return Credential(None, f"set ${GRAFANA_PASSWORD_ENV} to the stack's {GRAFANA_PASSWORD_OUTPUT} "
                            f"(`pulumi config get {GRAFANA_PASSWORD_OUTPUT} --stack {cli.stack}`)")


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
