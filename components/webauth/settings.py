"""Who may call Prometheus and Alertmanager (config key ``webAuth``)."""

from __future__ import annotations

from typing import Annotated

from components.model import ConfigModel, pattern

BasicAuthUser = Annotated[str, pattern(
    "basic-auth user", r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}",
    "a user name of letters, digits, '.', '_' or '-' (no ':', it separates the password)")]


class WebAuthSettings(ConfigModel):
    """Basic authentication in front of Prometheus' and Alertmanager's UIs and APIs (on by default everywhere)."""

    enabled: bool = True
    """Both answer only with the credentials (``webAuthUser`` and the secret ``webAuthPassword`` stack outputs); a
    ``docker.bindAddress`` other than loopback requires it.  ``false`` only for a loopback-only host where an older
    image without ``--web.config.file`` runs."""
    user: BasicAuthUser = "iidmon"
    """User name of the one credential Grafana, Prometheus itself, the healthchecks and the operator commands use;
    the password is generated and kept in the stack's state as a secret."""
