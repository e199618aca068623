"""The ``verify`` and ``test-alert`` subcommands: arguments and how they run."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from typing import Any

from components.cli_args import http_url, positive_seconds, seconds
from components.config_source import PROJECT_DIR, settings_from_stack_file
from components.exit_codes import EXIT_USAGE
from components.operator.alert_drill import DEFAULT_SERVICE, SEVERITIES, AlertDrill, duration_plan, labels_for, run
from components.operator.endpoints import WEB_PASSWORD_ENV, default_endpoints, stack_outputs, web_credentials
from components.operator.verify import verify
from components.render import expected, operator_view

PASSWORD_ENV = "GRAFANA_ADMIN_PASSWORD"
STACK_HELP = "dev, staging or prod (a Pulumi.<stack>.yaml)"


def add_commands(commands: Any) -> None:
    """Add ``verify`` and ``test-alert`` to the subparsers action ``commands``."""
    verify = commands.add_parser(
        "verify", help="check a running stack against the production checklist (exit 1 if any check fails)",
        description="Check a running stack: Prometheus targets, jobs, rule groups and their evaluation, "
                    "Prometheus -> Alertmanager, Alertmanager's receivers, the Watchdog, Grafana (health, "
                    "datasource, dashboards) and the API health. URLs default to the stack's outputs "
                    "(pulumi stack output) or, without the Pulumi CLI, to those computed from the stack "
                    f"settings. The Grafana password is read from ${PASSWORD_ENV}; Prometheus' and Alertmanager's "
                    f"from ${WEB_PASSWORD_ENV}, else the secret stack output webAuthPassword.",
    )
    verify.add_argument("--stack", required=True, help=STACK_HELP)
    verify.add_argument("--prometheus-url", type=http_url, help="default: the stack output prometheusUrl")
    verify.add_argument("--alertmanager-url", type=http_url, help="default: the stack output alertmanagerUrl")
    verify.add_argument("--grafana-url", type=http_url, help="default: the stack output grafanaUrl")
    verify.add_argument("--grafana-user", help="default: the stack output grafanaAdminUser (password: "
                                               f"${PASSWORD_ENV})")
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


def run_verify(args: argparse.Namespace) -> int:

    settings = settings_from_stack_file(args.stack)
    stack = operator_view(settings)
    flags = (args.prometheus_url, args.alertmanager_url, args.grafana_url, args.grafana_user)
    outputs = stack_outputs(args.stack, PROJECT_DIR) if not all(flags) else None
    found = default_endpoints(stack.urls, stack.grafana_admin_user, outputs.values if outputs else None)
    endpoints = replace(
        found,
        prometheus=args.prometheus_url or found.prometheus,
        alertmanager=args.alertmanager_url or found.alertmanager,
        grafana=args.grafana_url or found.grafana,
        grafana_user=args.grafana_user or found.grafana_user,
        api_health=args.api_health_url,
    )
    if outputs is not None:
        print(outputs.note, file=sys.stderr)
    credentials = web_credentials(stack.web_auth, stack.context.stack, PROJECT_DIR, os.environ)
    endpoints = replace(endpoints, web_auth=credentials.auth)
    if credentials.note:
        print(credentials.note, file=sys.stderr)
    print(f"verifying stack {args.stack}: Prometheus {endpoints.prometheus}, Alertmanager {endpoints.alertmanager}, "
          f"Grafana {endpoints.grafana} (user {endpoints.grafana_user})", file=sys.stderr, flush=True)
    return verify(expected(settings), endpoints, timeout=args.timeout, wait=args.wait,
                  grafana_password=os.environ.get(PASSWORD_ENV) or None)


def run_test_alert(args: argparse.Namespace) -> int:

    stack = operator_view(settings_from_stack_file(args.stack))
    if args.duration is not None:
        plan = duration_plan(stack.timings, labels_for(stack.context, args.severity, args.service))
        if (problem := plan.too_short(args.duration)) is not None:
            print(f"error: {problem}", file=sys.stderr)
            return EXIT_USAGE
        if (warning := plan.risky(args.duration)) is not None:
            print(warning, file=sys.stderr)
    url = args.alertmanager_url
    if url is None:
        outputs = stack_outputs(args.stack, PROJECT_DIR)
        print(outputs.note, file=sys.stderr)
        url = default_endpoints(stack.urls, stack.grafana_admin_user, outputs.values).alertmanager
    credentials = web_credentials(stack.web_auth, stack.context.stack, PROJECT_DIR, os.environ)
    if credentials.note:
        print(credentials.note, file=sys.stderr)
    alert = AlertDrill(stack.context, stack.timings, stack.runbook_base_url, url, args.severity, service=args.service,
                       duration=args.duration, timeout=args.timeout, auth=credentials.auth)
    return run(alert)
