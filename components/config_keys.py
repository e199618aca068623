"""Which config keys a stack reads, and what is wrong with the others: one policy for the Pulumi program and the
commands that read ``Pulumi.<stack>.yaml``.

Nothing may be dropped silently: a key under a misspelt namespace (``internet-id-monitorng:webAuth``) would leave
its setting at the default, a provider key the stack does not read (``docker:host``: every provider here is
configured from the project's own settings) would look as if it worked, and a project key set as a secret that is
no secret setting would be decrypted into labels, Slack topics and plain state.  ``plan_keys`` sorts every key
and says, one line each, what to do about the ones it refuses; refused keys are never read, so a secret-marked one
is never decrypted.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field

from components.context import PROJECT
from components.secret_keys import CONFIG_SECRETS, per_host_base

PROVIDER_NAMESPACES = ("docker", "random", "grafana", "pagerduty", "slack", "sentry")
"""The namespaces of the providers in requirements.txt (the engine's own is ``pulumi``)."""
KNOWN_NAMESPACES = (PROJECT, "pulumi", *PROVIDER_NAMESPACES)

WHERE_IT_BELONGS: dict[str, str] = {
    "docker:host": f"{PROJECT}:docker.host",
    "docker:certPath": f"{PROJECT}:docker.tlsCertPath",
    "grafana:url": f"{PROJECT}:grafana.rootUrl",
    "grafana:auth": f"{PROJECT}:grafanaAdminPassword (as a secret)",
    "pagerduty:serviceRegion": f"{PROJECT}:incident.pagerduty.serviceRegion",
    "sentry:baseUrl": f"{PROJECT}:incident.sentry.baseUrl",
}
"""Provider keys users write, and the setting that does what they expect (providers here are configured by the
program, not from their own namespaces)."""


@dataclass(frozen=True)
class KeyPlan:
    """What to read of a stack's config: ``plain`` keys (their values go to the settings), ``secret`` keys
    (``CONFIG_SECRETS``, read as secrets), and one line per refused key."""

    plain: list[str] = field(default_factory=list)
    secret: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def set_command(key: str) -> str:
    """How to set ``key`` (``ns:top`` or ``ns:top.nested``) in plain text."""
    path = "--path " if "." in key.partition(":")[2] else ""
    return f"pulumi config set {path}'{key}' <value>"


def plan_keys(keys: Mapping[str, bool], *, secret_paths: Mapping[str, list[str]] | None = None) -> KeyPlan:
    """Sort ``keys`` (full key -> set as a secret).  ``secret_paths``: for a key whose value is an object (the stack
    file's form), the nested paths holding a ``{secure: …}`` value, which count as secret-marking too."""
    plan = KeyPlan()
    secret_paths = secret_paths or {}
    for full_key in sorted(keys):
        namespace, colon, name = full_key.partition(":")
        secret = keys[full_key]
        nested = secret_paths.get(full_key, [])
        if not colon or not name:
            plan.problems.append(f"{full_key}: not a config key (namespace:key); write it as {PROJECT}:{full_key}")
        elif namespace == "pulumi":
            continue  # the engine's own settings (pulumi:tags, …)
        elif namespace == PROJECT:
            _project_key(plan, full_key, name, secret, nested)
        elif namespace in PROVIDER_NAMESPACES:
            _provider_key(plan, full_key, secret)
        else:
            plan.problems.append(_unknown_namespace(full_key, namespace, name))
    return plan


def plain_secret_problem(full_key: str) -> str:
    """The line for a secret key set in plain text."""
    return f"{full_key}: is a secret; set it with `pulumi config set --secret {full_key} <value>`"


def secret_plain_problem(where: str) -> str:
    """The line for an ordinary setting (``where``: its full key, or its nested path) set as a secret."""
    nested = "." in where.partition(":")[2]
    return (f"{where}: holds an encrypted value, but it is not a secret setting (it ends up in labels, Slack and "
            f"rendered files in plain text); set it in plain text: `pulumi config rm {'--path ' if nested else ''}"
            f"'{where}'`, then `{set_command(where)}`")


def _project_key(plan: KeyPlan, full_key: str, name: str, secret: bool, nested: list[str]) -> None:
    if name in CONFIG_SECRETS:
        (plan.secret if secret else plan.problems).append(full_key if secret else plain_secret_problem(full_key))
    elif (base := per_host_base(name)) is not None:
        plan.problems.append(f"{full_key}: {base} is a secret of one host: name the host (a name of `hosts`) after "
                             f"it: `pulumi config set --secret '{full_key.partition(':')[0]}:{base}-<host>' <value>`")
    elif secret or nested:
        plan.problems.append(secret_plain_problem(f"{full_key}.{nested[0]}" if nested and not secret else full_key))
    else:
        plan.plain.append(full_key)


def _provider_key(plan: KeyPlan, full_key: str, secret: bool) -> None:
    if full_key in CONFIG_SECRETS:
        (plan.secret if secret else plan.problems).append(full_key if secret else plain_secret_problem(full_key))
    elif full_key in WHERE_IT_BELONGS:
        plan.problems.append(f"{full_key}: not read (this stack configures its providers from its own settings); "
                             f"set {WHERE_IT_BELONGS[full_key]} instead and remove this key")
    else:
        plan.problems.append(f"{full_key}: not read (this stack configures its providers from its own settings); "
                             "remove the key")


def _unknown_namespace(full_key: str, namespace: str, name: str) -> str:
    if namespace.lower() in (known.lower() for known in KNOWN_NAMESPACES):
        exact = next(known for known in KNOWN_NAMESPACES if known.lower() == namespace.lower())
        return (f"{full_key}: unknown namespace {namespace!r} (namespaces are case-sensitive: did you mean "
                f"{exact!r}?); nothing reads this key, so {name} keeps its default")
    close = difflib.get_close_matches(namespace.lower(), KNOWN_NAMESPACES, n=1, cutoff=0.6)
    if close:
        return (f"{full_key}: unknown namespace {namespace!r} (did you mean {close[0]!r}?); nothing reads this key, "
                f"so {name} keeps its default")
    return f"{full_key}: nothing in this stack reads namespace {namespace!r}; remove the key"


def secure_paths(value: object, prefix: str = "") -> list[str]:
    """Paths below ``value`` (a stack file's config value) that hold an encrypted ``{secure: …}`` value."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return [prefix] if prefix else []
        return [path for key, item in value.items() for path in secure_paths(item, f"{prefix}.{key}".lstrip("."))]
    if isinstance(value, list):
        return [path for index, item in enumerate(value) for path in secure_paths(item, f"{prefix}[{index}]")]
    return []


def is_secure(value: object) -> bool:
    """Whether a stack file's config value is itself encrypted (``{secure: …}``)."""
    return isinstance(value, dict) and set(value) == {"secure"}
