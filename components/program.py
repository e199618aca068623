"""The Pulumi program: load the settings, build the components, export the outputs.

It only composes; every decision lives in the settings and the components.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi.runtime
import pulumi_docker as docker
import pulumi_random as random

from components.config_source import decode_engine_value
from components.docker_stack.component import MonitoringContainers
from components.docker_stack.containers import ui_url
from components.render import render_documents
from components.secrets import Secret
from components.settings import PROJECT, SECRET_KEYS, SettingsError, StackSettings, load_settings


def settings_from_pulumi() -> StackSettings:
    """Settings of the running stack, read through the Pulumi engine; secrets stay Outputs."""
    stack = pulumi.get_stack()
    present = set(pulumi.runtime.config.CONFIG.get()) | set(pulumi.runtime.get_config_env())
    env_secret_keys = set(pulumi.runtime.get_config_secret_keys_env())
    values: dict[str, Any] = {}
    secrets: dict[str, Secret] = {}
    for full_key in sorted(present):
        namespace, _, key = full_key.partition(":")
        short = key if namespace == PROJECT else full_key
        config = pulumi.Config(namespace)
        is_secret = pulumi.runtime.is_config_secret(full_key) or full_key in env_secret_keys
        if short in SECRET_KEYS and is_secret:
            secrets[short] = Secret(short, config.require_secret(key))
        elif short in SECRET_KEYS:
            values[short] = "<plain text>"  # reported by load_settings as "is a secret"
        elif namespace == PROJECT:
            values[key] = decode_engine_value(config.get(key))
    return load_settings(stack, values, secrets)


def load() -> StackSettings:
    """Settings of the running stack, or a clean stop naming every bad key."""
    try:
        return settings_from_pulumi()
    except SettingsError as error:
        raise pulumi.RunError(error.message()) from None


def build(settings: StackSettings) -> dict[str, Any]:
    """Declare every resource of the stack described by ``settings``; return the stack outputs."""
    outputs: dict[str, Any] = {}
    if settings.grafana.generate_admin_password and settings.secret("grafanaAdminPassword") is None:
        password = random.RandomPassword("grafana-admin-password", length=24, special=False)
        settings = settings.with_secrets({"grafanaAdminPassword": Secret("grafanaAdminPassword", password.result)})
        outputs["grafanaAdminPassword"] = pulumi.Output.secret(password.result)

    provider = docker.Provider("docker", host=settings.docker.host)
    documents = render_documents(settings)
    MonitoringContainers("monitoring", settings, documents, opts=pulumi.ResourceOptions(providers=[provider]))

    outputs["prometheusUrl"] = settings.prometheus.external_url or ui_url(settings, settings.ports.prometheus)
    outputs["alertmanagerUrl"] = ui_url(settings, settings.ports.alertmanager)
    outputs["grafanaUrl"] = settings.grafana.root_url or ui_url(settings, settings.ports.grafana)
    outputs["grafanaAdminUser"] = settings.grafana.admin_user
    return outputs
