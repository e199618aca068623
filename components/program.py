"""The Pulumi program: load the settings, build the components, export the outputs.

It only composes; every decision lives in the settings and the components.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from types import FrameType
from typing import Any

import pulumi
import pulumi.runtime
import pulumi_docker as docker
import pulumi_random as random

from components.config_keys import plan_keys
from components.config_source import decode_engine_value
from components.containers import alertmanager, prometheus, vmauth
from components.containers.component import MonitoringContainers, MonitoringContainersArgs
from components.containers.settings import DockerSettings
from components.containers.specs import host_path_problems, mount_is_shared
from components.grafana.community import DEFAULT_CACHE_DIR, GRAFANA_COM
from components.grafana.component import GrafanaResources, GrafanaResourcesArgs
from components.grafana.dashboards import DashboardSpec
from components.grafana.settings import checked_admin_password
from components.hosts.reach import Connect, connects, unreachable
from components.hosts.reader import render_reader_config
from components.hosts.settings import HostSettings
from components.incident.response import IncidentResponse, IncidentResponseArgs
from components.model import docker_endpoint_problem
from components.render import (
    container_specs,
    deploy_dashboards,
    host_container_specs,
    host_documents,
    render_documents,
    stack_datasources,
    stack_urls,
)
from components.secret_keys import (
    DOCKER_TLS_CA,
    DOCKER_TLS_CERT,
    DOCKER_TLS_KEY,
    GRAFANA_ADMIN_PASSWORD,
    VMAUTH_CONFIG,
    WEB_AUTH_AUTHORIZATION,
    WEB_AUTH_CONFIG,
    WEB_AUTH_PASSWORD,
)
from components.secrets import Secret
from components.settings import PROJECT, SettingsError, StackSettings, load_settings
from components.webauth.config import authorization, render_web_config
from components.webauth.settings import WebAuthSettings


def settings_from_pulumi() -> StackSettings:
    """Settings of the running stack, read through the Pulumi engine; secrets stay Outputs.

    Only the keys the key policy accepts are read: a refused one (a misspelt namespace, an ordinary setting set
    as a secret) is reported and its value never fetched, so never decrypted into plain inputs.
    """
    stack = pulumi.get_stack()
    present = set(pulumi.runtime.config.CONFIG.get()) | set(pulumi.runtime.get_config_env())
    env_secret_keys = set(pulumi.runtime.get_config_secret_keys_env())
    plan = plan_keys({key: pulumi.runtime.is_config_secret(key) or key in env_secret_keys for key in present})
    values: dict[str, Any] = {}
    secrets: dict[str, Secret] = {}
    for full_key in plan.plain:
        namespace, _, key = full_key.partition(":")
        values[key] = decode_engine_value(pulumi.Config(namespace).get(key))
    for full_key in plan.secret:
        namespace, _, key = full_key.partition(":")
        short = key if namespace == PROJECT else full_key
        config = pulumi.Config(namespace)
        secrets[short] = Secret(short, config.require_secret(key), known=config.get(key))
    return load_settings(stack, values, secrets, key_problems=plan.problems)


DASHBOARD_CACHE = DEFAULT_CACHE_DIR
"""Where downloaded community dashboards are kept (tests point it at fixtures)."""
DASHBOARD_SOURCE = GRAFANA_COM
"""Where missing community dashboards are downloaded from (tests point it at a local port)."""


EXIT_ALREADY_REPORTED = 32
"""The exit status by which a Python program tells Pulumi's language host that the error has been shown (the
host then adds no message of its own; ``pulumi-language-python-exec`` uses it the same way)."""


def _interrupted(signum: int, frame: FrameType | None) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(EXIT_ALREADY_REPORTED)


def stop_quietly_when_interrupted() -> None:
    """Let an interrupt end the program at once, without a traceback.

    When the engine fails a resource (a container that never turns healthy), it shuts down the resource monitor
    and the program is interrupted (SIGINT, as a language host cancels it, or a user's Ctrl-C): Python would print
    a ``KeyboardInterrupt`` traceback from wherever it stood, under the one error that matters, which the engine
    has already shown.
    """
    signal.signal(signal.SIGINT, _interrupted)


def main() -> dict[str, Any]:
    """Load the running stack's settings and build it; a user error stops cleanly, naming the fix."""
    try:
        return build(settings_from_pulumi())
    except SettingsError as error:
        raise pulumi.RunError(error.message()) from None


def docker_host_is_local(docker_settings: DockerSettings) -> bool:
    """Whether the Docker daemon is on this machine (its host paths can be checked here)."""
    host = docker_settings.host or os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    return host.startswith("unix://")


def docker_environment_problems(docker_settings: DockerSettings, environ: Mapping[str, str]) -> list[str]:
    """The Docker daemon ``DOCKER_HOST`` names when ``docker.host`` is unset, checked like ``docker.host``: the
    provider honours ``DOCKER_CERT_PATH`` for TLS, and nothing else makes a ``tcp://`` connection safe."""
    endpoint = environ.get("DOCKER_HOST")
    if docker_settings.host is not None or not endpoint:
        return []
    problem = docker_endpoint_problem(endpoint, tls=bool(environ.get("DOCKER_CERT_PATH")))
    return [f"DOCKER_HOST (environment): {problem}; or set {PROJECT}:docker.host"] if problem else []


def config_secrets(secrets: Mapping[str, Secret]) -> dict[str, pulumi.Input[str]]:
    """The stack's secret config values by key (Outputs, secret from config on)."""
    return {key: secret.value for key, secret in secrets.items() if secret.value is not None}


def incident_response_args(settings: StackSettings) -> IncidentResponseArgs:
    return IncidentResponseArgs(
        context=settings.context,
        incident=settings.incident,
        slack_channels=settings.notifications.slack.channels,
        tokens=config_secrets(settings.secrets),
    )


def web_auth_secrets(web_auth: WebAuthSettings, secrets: dict[str, pulumi.Input[str]], *,
                     tls: bool = False) -> dict[str, Any]:
    """Generate the credential of Prometheus and Alertmanager into ``secrets`` (the password, their web config
    from its bcrypt hash, the pre-encoded header); return the stack outputs operators read it from.

    ``RandomPassword`` keeps password and hash in state, so the web config renders the same every run (a
    bcrypt hash computed here would get a new salt, hence a new file and a reload, on every ``pulumi up``).
    Rotate with ``pulumi up --replace`` on the resource.  ``tls``: a multi-host stack's servers serve HTTPS too.
    """
    user = web_auth.user
    password = random.RandomPassword("web-auth-password", length=32, special=False)
    secrets[WEB_AUTH_PASSWORD.key] = pulumi.Output.secret(password.result)
    secrets[WEB_AUTH_CONFIG.key] = pulumi.Output.secret(password.bcrypt_hash.apply(
        lambda hashed: render_web_config(user, hashed, tls=tls)))
    secrets[WEB_AUTH_AUTHORIZATION.key] = pulumi.Output.secret(password.result.apply(
        lambda value: authorization(user, value)))
    return {"webAuthUser": user, WEB_AUTH_PASSWORD.key: pulumi.Output.secret(password.result)}


REACHABLE: Connect = connects
"""How the deploy asks whether a host's Docker engine answers (tests answer for hosts that do not exist)."""


def check_reach(settings: StackSettings) -> None:
    """Before any resource of a multi-host stack: every host not drained must answer, or ``pulumi up`` stops with
    one line per host (a preview only warns: it reads state, not the hosts)."""
    lines = unreachable(settings.hosts, REACHABLE)
    if lines and not pulumi.runtime.is_dry_run():
        raise SettingsError(settings.stack, [f"{PROJECT}:{line}" for line in lines])
    for line in lines:
        pulumi.log.warn(line)


def host_provider(host: HostSettings, secrets: Mapping[str, pulumi.Input[str]]) -> docker.Provider:
    """The Docker provider of one host: its endpoint, mutual TLS material as secrets for ``tcp://``."""
    tls: dict[str, Any] = {}
    if host.uses_tcp:
        tls = {name: pulumi.Output.secret(secrets[key.key]) for name, key in
               (("ca_material", DOCKER_TLS_CA), ("cert_material", DOCKER_TLS_CERT), ("key_material", DOCKER_TLS_KEY))}
    return docker.Provider(f"docker-{host.name}", host=host.docker, ssh_opts=host.ssh_opts or None, **tls)


def build_hosts(settings: StackSettings, dashboards: list[DashboardSpec], secrets: dict[str, pulumi.Input[str]],
                outputs: dict[str, Any]) -> docker.Container:
    """One explicit provider and one ``MonitoringContainers`` per host of a multi-host stack (a drained host's left
    as they are); returns Grafana's container."""
    context = settings.context
    (grafana_host,) = context.with_role("grafana")
    secrets[VMAUTH_CONFIG.key] = pulumi.Output.secret(pulumi.Output.from_input(secrets[WEB_AUTH_PASSWORD.key]).apply(
        lambda password: render_reader_config(context, grafana_host, user=settings.web_auth.user, password=password)))
    components = {}
    for host in settings.hosts:
        documents = host_documents(settings, host, dashboards)
        components[host.name] = MonitoringContainers(
            f"monitoring-{host.name}",
            MonitoringContainersArgs(context=context, docker=settings.docker,
                                     specs=host_container_specs(settings, host, documents), documents=documents,
                                     secrets=secrets, frozen=host.drain),
            opts=pulumi.ResourceOptions(providers=[host_provider(host, secrets)]),
        )
    outputs["prometheusUrls"] = {host.name: f"https://{host.address}:{prometheus.RECORD.port}"
                                 for host in context.with_role("monitoring")}
    outputs["alertmanagerUrls"] = {host.name: f"https://{host.address}:{alertmanager.RECORD.port}"
                                   for host in context.with_role("alertmanager")}
    outputs["longTermViewUrl"] = f"https://{grafana_host.address}:{vmauth.READ_PORT}"
    return components[grafana_host.name].containers["grafana"]


def check_docker(settings: StackSettings) -> None:
    """Before any resource: the Docker engines are safe to use and at hand (a multi-host stack: every host answers;
    one host: ``DOCKER_HOST`` is safe, and the host paths the containers mount exist when the engine is local)."""
    if settings.hosts:  # every host has its own provider and endpoint: DOCKER_HOST is not read
        check_reach(settings)
        return
    unsafe_docker = docker_environment_problems(settings.docker, os.environ)
    if unsafe_docker:
        raise SettingsError(settings.stack, unsafe_docker)
    if docker_host_is_local(settings.docker):
        mountinfo = Path("/proc/self/mountinfo")
        text = mountinfo.read_text() if mountinfo.exists() else ""
        missing = host_path_problems(container_specs(settings, {}), os.path.exists,
                                     lambda path: not text or mount_is_shared(path, text))
        if missing:
            raise SettingsError(settings.stack, [f"{PROJECT}:{line}" for line in missing])


def build(settings: StackSettings) -> dict[str, Any]:
    """Declare every resource of the stack described by ``settings``; return the stack outputs."""
    outputs: dict[str, Any] = {}
    check_docker(settings)
    # Before any resource: a required community dashboard that cannot be had stops the deploy here.
    dashboards = deploy_dashboards(settings, cache_dir=DASHBOARD_CACHE, base_url=DASHBOARD_SOURCE, warn=pulumi.log.warn)
    secrets = config_secrets(settings.secrets)
    if settings.grafana.generate_admin_password and GRAFANA_ADMIN_PASSWORD.key not in secrets:
        password = random.RandomPassword("grafana-admin-password", length=24, special=False)
        secrets[GRAFANA_ADMIN_PASSWORD.key] = password.result
        outputs[GRAFANA_ADMIN_PASSWORD.key] = pulumi.Output.secret(password.result)  # exported under its key
    if GRAFANA_ADMIN_PASSWORD.key not in secrets:
        raise SettingsError(settings.stack, [f"{GRAFANA_ADMIN_PASSWORD.key}: not set (validated by load_settings)"])
    # The weak-password check, wherever the password goes (the container's secret file, the provider).
    user = settings.grafana.admin_user
    checked = pulumi.Output.secret(secrets[GRAFANA_ADMIN_PASSWORD.key]).apply(
        lambda value: checked_admin_password(user, value))
    secrets[GRAFANA_ADMIN_PASSWORD.key] = checked

    if settings.web_auth.enabled:
        outputs.update(web_auth_secrets(settings.web_auth, secrets, tls=bool(settings.hosts)))

    # PagerDuty services created here hand their Events v2 keys to Alertmanager in the same run.
    incident = IncidentResponse("incident", incident_response_args(settings))
    secrets.update(incident.routing_keys)

    if settings.hosts:
        grafana_container = build_hosts(settings, dashboards, secrets, outputs)
    else:
        provider = docker.Provider("docker", host=settings.docker.host, cert_path=settings.docker.tls_cert_path)
        documents = render_documents(settings, dashboards)
        monitoring = MonitoringContainers(
            "monitoring",
            MonitoringContainersArgs(
                context=settings.context,
                docker=settings.docker,
                specs=container_specs(settings, documents),
                documents=documents,
                secrets=secrets,
            ),
            opts=pulumi.ResourceOptions(providers=[provider]),
        )
        grafana_container = monitoring.containers["grafana"]

    urls = stack_urls(settings)
    if settings.grafana.provisioning == "api":  # "files": the Grafana container loads what it was given
        grafana = settings.grafana
        GrafanaResources("grafana", GrafanaResourcesArgs(
            url=urls.grafana,
            auth=pulumi.Output.secret(pulumi.Output.concat(user, ":", checked)),
            container=grafana_container,
            datasources=stack_datasources(settings),
            folders=grafana.folders,
            dashboards=dashboards,
            retries=grafana.provider_retries,
            retry_wait=grafana.provider_retry_wait,
            web_password=secrets.get(WEB_AUTH_PASSWORD.key),
        ))

    if not settings.hosts:
        outputs["prometheusUrl"] = urls.prometheus
        outputs["alertmanagerUrl"] = urls.alertmanager
    outputs["grafanaUrl"] = urls.grafana
    outputs["grafanaAdminUser"] = settings.grafana.admin_user
    outputs["pagerdutyServiceIds"] = incident.pagerduty_service_ids
    outputs["slackChannelIds"] = incident.slack_channel_ids
    if incident.sentry_dsn is not None:
        outputs["sentryDsn"] = incident.sentry_dsn
        outputs["sentryEnv"] = incident.sentry_env
    return outputs
