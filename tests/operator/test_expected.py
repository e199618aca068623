"""What ``verify`` expects of a running stack, written down here: a job or rule group ``expected_for`` forgets
is a check that can never fail, and one it invents is a check that always fails."""

from __future__ import annotations

import pytest
import yaml

from components.config_source import settings_from_mapping, settings_from_stack_file
from components.render import expected as expected_for
from tests.contexts import EXAMPLE
from tests.operator.expected_stacks import COMMITTED, JOBS, RULE_GROUPS


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_committed_stacks(stack: str) -> None:
    assert expected_for(settings_from_stack_file(stack)) == COMMITTED


def test_a_stack_that_probes_nothing_expects_no_probe_targets() -> None:
    """Without ``targets.probes`` the blackbox job has no target: ``verify`` must not ask for one."""
    settings = settings_from_mapping("dev", {"internet-id-monitoring:targets": {"probes": []}},
                                     require_secrets=False)
    expected = expected_for(settings)
    assert expected.jobs == tuple(job for job in JOBS if job != "blackbox")
    assert not expected.api_probe


def test_a_stack_that_probes_only_its_public_site_has_no_api_probe() -> None:
    settings = settings_from_mapping("dev", {"internet-id-monitoring:targets": {
        "probes": [{"url": "https://internet-id.example.org/", "service": "web", "module": "https_2xx"}]}},
        require_secrets=False)
    expected = expected_for(settings)
    assert expected.jobs == JOBS
    assert not expected.api_probe


def test_optional_dashboards_are_not_required() -> None:
    settings = settings_from_mapping("dev", {"internet-id-monitoring:grafana": {"communityDashboards": [
        {"gnetId": 1860, "revision": 37, "optional": True}, {"gnetId": 179, "revision": 10}]}},
        require_secrets=False)
    expected = expected_for(settings)
    assert (expected.dashboards, expected.optional_dashboards) == (("internet-id-overview", "community-179"),
                                                                  ("community-1860",))


def test_a_multi_host_stack_expects_what_its_replicas_scrape_the_stores_included() -> None:
    """``verify`` asks one replica: the replica's config, not a single host's, says which jobs it must show."""
    settings = settings_from_mapping("prod", yaml.safe_load(EXAMPLE.read_text())["config"], require_secrets=False)
    expected = expected_for(settings)
    assert expected.jobs == (*JOBS[:-1], "victoria-metrics", "blackbox")
    assert expected.rule_groups == (*RULE_GROUPS[:7], "internet-id-hosts", *RULE_GROUPS[7:])
