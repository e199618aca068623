"""The ``verify`` and ``test-alert`` subcommands: arguments and how they run."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from components.cli_args import http_url, positive_seconds, seconds
from components.config_source import PROJECT_DIR, settings_from_stack_file
from components.containers import alertmanager, prometheus
from components.context import StackContext
from components.exit_codes import EXIT_USAGE
from components.hosts.settings import Role
from components.operator.alert_drill import DEFAULT_SERVICE, SEVERITIES, AlertDrill, duration_plan, labels_for, run
from components.operator.containers import main as stack_containers
from components.operator.endpoints import (
    GRAFANA_PASSWORD_ENV,
    WEB_PASSWORD_ENV,
    PulumiCli,
    StackOutputs,
    default_endpoints,
    grafana_password,
    stack_outputs,
    web_credentials,
)
from components.operator.verify import verify
from components.render import expected, operator_view

STACK_HELP = "dev, staging or prod (a Pulumi.<stack>.yaml)"
CONFIG_FILE_HELP = ("the stack's settings from this file instead of Pulumi.<stack>.yaml, as pulumi's --config-file "
                    "(scripts/dev passes your local/Pulumi.dev.yaml)")


def add_config_file(parser: argparse.ArgumentParser) -> None:
    """``--config-file``: the stack file the stack was deployed from, when it is not ``Pulumi.<stack>.yaml``."""
    parser.add_argument("--config-file", type=Path, help=CONFIG_FILE_HELP)


def add_commands(commands: Any) -> None:
    """Add ``verify`` and ``test-alert`` to the subparsers action ``commands``."""
    verify = commands.add_parser(
        "verify", help="check a running stack against the production checklist (exit 1 if any check fails)",
        description="Check a running stack: Prometheus targets, jobs, rule groups and their evaluation, "
                    "Prometheus -> Alertmanager, Alertmanager's receivers, the Watchdog, Grafana (health, "
                    "datasource, dashboards) and the API health. URLs default to the stack's outputs "
                    "(pulumi stack output) or, without the Pulumi CLI, to those computed from the stack "
                    f"settings. The Grafana password is read from ${GRAFANA_PASSWORD_ENV}, else the secret stack "
                    f"output grafanaAdminPassword (a stack that generates it); Prometheus' and Alertmanager's from "
                    f"${WEB_PASSWORD_ENV}, else the secret stack output webAuthPassword.",
    )
    verify.add_argument("--stack", required=True, help=STACK_HELP)
    add_config_file(verify)
    verify.add_argument("--prometheus-url", type=http_url, help="default: the stack output prometheusUrl")
    verify.add_argument("--alertmanager-url", type=http_url, help="default: the stack output alertmanagerUrl")
    verify.add_argument("--grafana-url", type=http_url, help="default: the stack output grafanaUrl")
    verify.add_argument("--grafana-user", help="default: the stack output grafanaAdminUser (password: "
                                               f"${GRAFANA_PASSWORD_ENV})")
    verify.add_argument("--api-health-url", type=http_url,
                        help="check this URL directly (default: the blackbox probe of the API, through Prometheus)")
    verify.add_argument("--timeout", type=positive_seconds, default=10.0, help="seconds per request (default 10)")
    verify.add_argument("--wait", type=seconds, default=0.0,
                        help="retry failing checks for up to this many seconds (a stack that just started)")
    verify.set_defaults(run=run_verify)

    alert = commands.add_parser(
        "test-alert", help="send a labelled test alert through Alertmanager, hold it, then resolve it",
        description="Post a test alert (alertname InternetIdTestAlert, test=\"true\") to Alertmanager's "
                    "/api/v2/alerts, show the receivers it is routed to, keep it active for --duration "
                    "seconds, then resolve it. Ctrl-C resolves it at once. Alertmanager's password: "
                    f"${WEB_PASSWORD_ENV}, else the secret stack output webAuthPassword.",
    )
    alert.add_argument("--stack", required=True, help=STACK_HELP)
    add_config_file(alert)
    alert.add_argument("--severity", required=True, choices=SEVERITIES)
    alert.add_argument("--alertmanager-url", type=http_url, help="default: the stack output alertmanagerUrl")
    alert.add_argument("--duration", type=seconds, default=None,
                       help="seconds to keep the alert active before resolving it (default: group_wait + "
                            "group_interval of the severity's route in the stack, + 30s; at least group_wait)")
    alert.add_argument("--service", default=DEFAULT_SERVICE,
                       help=f"the alert's service label (default {DEFAULT_SERVICE})")
    alert.add_argument("--timeout", type=positive_seconds, default=30.0,
                       help="seconds to wait for Alertmanager at each step (default 30)")
    alert.set_defaults(run=run_test_alert)

    containers = commands.add_parser(
        "containers", help="name the stack's containers that exited, keep restarting or fail their healthcheck",
        description="Name each container of the stack that exited, keeps restarting or fails its healthcheck, with "
                    "its exit code or healthcheck output, its last log lines and the docker logs command; exit 1 if "
                    "there is one. --watch keeps looking until interrupted and names each one as it happens "
                    "(scripts/deploy-dev runs it while pulumi up waits for the containers).",
    )
    containers.add_argument("--stack", required=True, help=STACK_HELP)
    add_config_file(containers)
    containers.add_argument("--watch", action="store_true", help="keep looking every few seconds until interrupted")
    containers.set_defaults(run=run_containers)


def multi_host_problem(context: StackContext, *, verifying: bool, given: dict[str, str | None]) -> str | None:
    """A multi-host stack has a Prometheus per replica and an Alertmanager per peer, each answering alone: the
    command asks which (``given``: flag -> value); the single-host defaults would name this machine's loopback."""
    if not context.multi_host:
        return None
    missing = [flag for flag, value in given.items() if value is None]
    if not missing:
        return None
    suggestions: dict[str, tuple[Role, int]] = {"--prometheus-url": ("monitoring", prometheus.RECORD.port),
                                                "--alertmanager-url": ("alertmanager", alertmanager.RECORD.port)}
    example = " ".join(f"{flag} https://{context.with_role(suggestions[flag][0])[0].address}:{suggestions[flag][1]}"
                       for flag in missing)
    what = "a Prometheus replica and an Alertmanager peer" if verifying else "an Alertmanager peer"
    return (f"error: stack {context.stack} spreads over several hosts: name {what} to use, e.g. {example} "
            f"(each answers alone; docs/multi-host.md)")


def run_verify(args: argparse.Namespace) -> int:

    settings = settings_from_stack_file(args.stack, config_file=args.config_file)
    stack = operator_view(settings)
    if problem := multi_host_problem(stack.context, verifying=True, given={
            "--prometheus-url": args.prometheus_url, "--alertmanager-url": args.alertmanager_url}):
        print(problem, file=sys.stderr)
        return EXIT_USAGE
    flags = (args.prometheus_url, args.alertmanager_url, args.grafana_url, args.grafana_user)
    cli = PulumiCli(args.stack, PROJECT_DIR)
    outputs = stack_outputs(cli) if not all(flags) else StackOutputs()
    if outputs.note:
        print(outputs.note, file=sys.stderr)
    found = default_endpoints(stack.urls, stack.grafana_admin_user, outputs.values)
    endpoints = replace(
        found,
        prometheus=args.prometheus_url or found.prometheus,
        alertmanager=args.alertmanager_url or found.alertmanager,
        grafana=args.grafana_url or found.grafana,
        grafana_user=args.grafana_user or found.grafana_user,
        api_health=args.api_health_url,
    )
    credentials = web_credentials(stack.web_auth, cli, outputs=outputs)
    endpoints = replace(endpoints, web_auth=credentials.auth)
    if credentials.note:
        print(credentials.note, file=sys.stderr)
    grafana = grafana_password(stack.grafana_password_generated, cli, outputs=outputs)
    print(f"verifying stack {args.stack}: Prometheus {endpoints.prometheus}, Alertmanager {endpoints.alertmanager}, "
          f"Grafana {endpoints.grafana} (user {endpoints.grafana_user})", file=sys.stderr, flush=True)
    return verify(expected(settings), endpoints, timeout=args.timeout, wait=args.wait,
                  grafana_password=grafana.password, grafana_password_note=grafana.note)


def run_containers(args: argparse.Namespace) -> int:

    settings = settings_from_stack_file(args.stack, config_file=args.config_file)
    return stack_containers(settings.context.stack, settings.docker.host, keep_watching=args.watch)


def run_test_alert(args: argparse.Namespace) -> int:

    stack = operator_view(settings_from_stack_file(args.stack, config_file=args.config_file))
    given = {"--alertmanager-url": args.alertmanager_url}
    if problem := multi_host_problem(stack.context, verifying=False, given=given):
        print(problem, file=sys.stderr)
        return EXIT_USAGE
    if args.duration is not None:
        plan = duration_plan(stack.timings, labels_for(stack.context, args.severity, args.service))
        if (problem := plan.too_short(args.duration)) is not None:
            print(f"error: {problem}", file=sys.stderr)
            return EXIT_USAGE
        if (warning := plan.risky(args.duration)) is not None:
            print(warning, file=sys.stderr)
    cli = PulumiCli(args.stack, PROJECT_DIR)
    outputs = stack_outputs(cli) if args.alertmanager_url is None else StackOutputs()
    url = args.alertmanager_url
    if url is None:
        print(outputs.note, file=sys.stderr)
        url = default_endpoints(stack.urls, stack.grafana_admin_user, outputs.values).alertmanager
    credentials = web_credentials(stack.web_auth, cli, outputs=outputs)
    if credentials.note:
        print(credentials.note, file=sys.stderr)
    alert = AlertDrill(stack.context, stack.timings, stack.runbook_base_url, url, args.severity, service=args.service,
                       duration=args.duration, timeout=args.timeout, auth=credentials.auth)
    return run(alert)
