"""The generated cases under Pulumi's mocks: the program refuses each before any resource is registered, with the
same one line naming the key as the render command."""

from __future__ import annotations

import hashlib

import pulumi
import pytest

from components import program
from components.config_source import settings_from_mapping
from components.context import PROJECT
from components.grafana.community import cache_path
from tests.hostile.cases import STACK, Case, config_for, generated_cases, maximal, secrets_of, with_value
from tests.pulumi_harness import declared_types, run_program

CASES = [case for cases in generated_cases().values() for case in cases]


SECRETS = secrets_of(maximal())


def test_the_maximal_stack_deploys_under_mocks() -> None:
    """The base of every case is valid for the program too (its community dashboard pinned to the test cache)."""
    config = maximal()
    dashboard = config[f"{PROJECT}:grafana"]["communityDashboards"][0]
    digest = hashlib.sha256(cache_path(program.DASHBOARD_CACHE, settings_from_mapping(
        STACK, config, require_secrets=False).grafana.community_dashboards[0]).read_bytes()).hexdigest()
    config = with_value(config, ("grafana", "communityDashboards", "0"), {**dashboard, "sha256": digest})
    deployment = run_program(STACK, config, SECRETS)
    types = deployment.type_counts()
    assert types["docker:index/container:Container"] >= 8 and types["pagerduty:index/service:Service"] == 2


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_the_program_refuses_every_generated_case_before_any_resource(
    case: Case, monkeypatch: pytest.MonkeyPatch,
) -> None:
    registered = declared_types(monkeypatch)
    with pytest.raises(pulumi.RunError) as caught:
        run_program(STACK, config_for(case), SECRETS)
    message = str(caught.value)
    assert "\n" not in message, message
    assert message.startswith(f"stack '{STACK}': {PROJECT}:{case.leaf.key}: "), message
    assert ":pw@" not in str(case.value) or "pw@" not in message, "the password is shown"
    assert registered == []
