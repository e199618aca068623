"""``python -m components``: the operator's commands, sharing the Pulumi program's core.

Every user error (unknown stack, bad config, bad arguments) ends in one clear message on
stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from components.alerts_reference import alerts_reference
from components.cli_args import download_url, positive_seconds
from components.config_reference import config_reference
from components.config_source import settings_from_stack_file
from components.exit_codes import EXIT_INTERRUPTED, EXIT_USAGE
from components.grafana.community import DEFAULT_CACHE_DIR, DEFAULT_TIMEOUT, GRAFANA_COM
from components.operator.commands import add_commands as add_operator_commands
from components.operator.commands import add_config_file
from components.render import (
    OutputError,
    cached_dashboards,
    fetch_dashboards,
    redacted_secret_files,
    render_documents,
    write_documents,
)
from components.settings import SettingsError


class UserError(Exception):
    """An error the user can fix; its message is printed as is."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UserError(f"{self.prog}: {message} (see --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m components", description=__doc__.splitlines()[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    render = commands.add_parser("render", help="write every rendered config of a stack to a directory")
    render.add_argument("--stack", required=True, help="dev, staging or prod (a Pulumi.<stack>.yaml)")
    render.add_argument("--out", required=True, type=Path, help="directory to write into")
    add_config_file(render)
    render.set_defaults(run=_render)
    dashboards = commands.add_parser("dashboards", help="community dashboards from grafana.com")
    dashboards_commands = dashboards.add_subparsers(dest="dashboards_command", required=True, parser_class=_Parser)
    fetch = dashboards_commands.add_parser(
        "fetch", help="download the stack's pinned community dashboards into the cache (for offline deploys)"
    )
    fetch.add_argument("--stack", required=True, help="dev, staging or prod (a Pulumi.<stack>.yaml)")
    add_config_file(fetch)
    fetch.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR, help="default: dashboards/cache")
    fetch.add_argument("--base-url", type=download_url, default=GRAFANA_COM,
                       help=f"default: {GRAFANA_COM} (https; plain http only on loopback)")
    fetch.add_argument(
        "--timeout",
        type=positive_seconds,
        default=DEFAULT_TIMEOUT,
        help=f"seconds per download (default {DEFAULT_TIMEOUT:g})",
    )
    fetch.set_defaults(run=_fetch_dashboards)
    reference = commands.add_parser("config-reference", help="print the configuration reference (Markdown)")
    reference.set_defaults(run=_config_reference)
    alerts = commands.add_parser("alerts-reference", help="print the alert reference (Markdown)")
    alerts.set_defaults(run=_alerts_reference)
    add_operator_commands(commands)  # verify, test-alert
    return parser


def _config_reference(args: argparse.Namespace) -> int:
    print(config_reference(), end="")
    return 0


def _alerts_reference(args: argparse.Namespace) -> int:
    print(alerts_reference(), end="")
    return 0


def _fetch_dashboards(args: argparse.Namespace) -> int:
    settings = settings_from_stack_file(args.stack, config_file=args.config_file)
    return fetch_dashboards(settings, args.cache_dir, base_url=args.base_url, timeout=args.timeout)


def _render(args: argparse.Namespace) -> int:
    settings = settings_from_stack_file(args.stack, config_file=args.config_file)
    dashboards = cached_dashboards(settings, warn=lambda line: print(f"note: {line}", file=sys.stderr))
    documents = {**render_documents(settings, dashboards), **redacted_secret_files(settings)}
    if args.out.exists() and not args.out.is_dir():
        raise UserError(f"--out {args.out}: exists and is not a directory; choose another path")
    written = write_documents(documents, args.out, warn=lambda line: print(f"warning: {line}", file=sys.stderr))
    print(f"rendered {len(written)} files for stack {args.stack} into {args.out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return int(args.run(args))
    except SettingsError as error:
        print(f"error: {error.message()}", file=sys.stderr)
    except (UserError, OutputError) as error:
        print(f"error: {error}", file=sys.stderr)
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        print(f"error: {where}{error.strerror or error}", file=sys.stderr)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_USAGE
