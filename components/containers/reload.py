"""Config changes by reload: the files of a ``LiveConfig`` container reach it without a new container.

How (the one mechanism for Prometheus, Alertmanager and the blackbox exporter):

- the container reads its config directory from a volume of its own (read-only) and starts its
  process only once a first version is installed there (``wait_for_config``);
- each version is delivered by a one-shot job container, ``<name>-reload``, replaced whenever a
  file changes (its uploads are the files).  It shares the container's PID and network
  namespaces, so it needs no port, no Docker socket and no reload endpoint: it checks the files
  with the process' own checker (``promtool``, ``amtool``, ``--config.check``), installs exactly
  the rendered set, sends SIGHUP, and confirms from the process' ``…_config_last_reload_*``
  metrics that the new version was loaded.  A version the checker or the running process refuses
  leaves the previous one running and ends the job with exit status 1 and the reason, which
  ``pulumi up`` reports (``ReloadRefused``).

Grafana (``grafana.provisioning: files``) has no reload signal: its job installs the provisioning
files and dashboards, then POSTs Grafana's provisioning reload API with the admin credentials.

The script is plain POSIX sh for busybox (the images ship nothing else); its parameters come from
the environment, so the live tests run the same script against processes on loopback.  Files are installed one by
one with ``mv`` (a rename), so Prometheus and Alertmanager never see a config file missing or empty, and every
request carrying a credential goes through ``http_sh`` (no credential in any command line).
"""

from __future__ import annotations

import shlex
from textwrap import indent

from components.containers.http_sh import shell_functions
from components.containers.model import LiveConfig

STAGED_DIR = "/staging"
"""Where the job receives the files (its uploads), laid out as below ``LiveConfig.directory``."""
SCRIPT_PATH = "/reload.sh"
TIMEOUT_SECONDS = 120
"""How long the job waits for the process to start (first version) or to report the reload."""
INSTALLED_MARKER = ".installed"
RESERVED = f".next, .next.list, {INSTALLED_MARKER}"
"""The job's own names in the config directory (dot-names: no setting can name one, see ``model.ContainerPath``)."""


def wait_for_config(live: LiveConfig, entrypoint: list[str]) -> list[str]:
    """Entrypoint of a live-config container: run its own entrypoint (the image's when ``entrypoint`` is empty)
    once the reload job installed a first version."""
    marker = shlex.quote(f"{live.directory}/{INSTALLED_MARKER}")
    wait = f'until [ -e {marker} ]; do sleep 1; done; exec "$@"'
    return ["/bin/sh", "-c", wait, "--", *(entrypoint or [live.binary])]


def _check(live: LiveConfig) -> str:
    if not live.check:
        return ""
    command = " ".join(f'"{part.replace("{dir}", "${next}")}"' if "{dir}" in part else shlex.quote(part)
                       for part in live.check)
    checker = shlex.quote(live.check[0])
    return f"""if ! out=$({command} 2>&1); then
    say "refused by {checker}; the running config is kept:"
    printf '%s\\n' "$out" | sed "s#$next/##g"
    rm -rf "$next"
    exit 1
fi
"""


def _by_signal(live: LiveConfig) -> str:
    success, stamp = f"{live.reload_metric}_successful", f"{live.reload_metric}_success_timestamp_seconds"
    return f"""before=""
process=$(cat "/proc/$pid/comm" 2>/dev/null || true)
if [ -n "$process" ] && [ "$process" != sh ]; then
    # Only a process that serves has its SIGHUP handler: one still starting (just started by its entrypoint,
    # or restarted by Docker) would die of the signal, and take this job, in its PID namespace, with it.
    waited=0
    until before=$(metric {stamp}); [ -n "$before" ]; do
        if [ "$waited" -ge "$timeout" ]; then
            say "installed $count file(s); the process did not serve its metrics within ${{timeout}}s to be told"
            exit 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
    kill -HUP "$pid"
    say "installed $count file(s), sent SIGHUP"
else
    say "installed $count file(s), waiting for the first start"
fi
waited=0
while [ "$waited" -lt "$timeout" ]; do
    loaded=$(metric {success})
    stamp=$(metric {stamp})
    if [ "$loaded" = 0 ] && [ -n "$before" ]; then
        say "refused by the running process ({success} 0): it keeps the previous config; its log says why"
        say "(docker logs ${{TARGET_NAME:-the container}})"
        exit 1
    fi
    if [ "$loaded" = 1 ] && [ -n "$stamp" ] && [ "$stamp" != "$before" ]; then
        say "loaded (after ${{waited}}s)"
        exit 0
    fi
    sleep 1
    waited=$((waited + 1))
done
say "no confirmation within ${{timeout}}s that the new config was loaded ({success}: ${{loaded:-none}})"
exit 1
"""


def _by_api(live: LiveConfig) -> str:
    user, password_file = live.auth or ("admin", "/dev/null")
    posts = "\n".join(
        f'    http_ok POST "$base{path}" "$auth" \\\n'
        f'        || {{ say "POST {path} failed; the files are installed and load at the next start"; exit 1; }}'
        for path in live.reload_urls
    )
    # printf is the shell's builtin and base64 reads its input: the password is in no command line.
    return f"""auth=$(printf '%s:%s' "${{ADMIN_USER:-{user}}}" "$(cat "${{PASSWORD_FILE:-{password_file}}}")" \\
    | base64 | tr -d '\\n')
base=${{health%{live.health_path}}}
if http_ok GET "$health"; then
{posts}
    say "installed $count file(s), reloaded through the API"
    exit 0
fi
say "installed $count file(s), waiting for the first start"
waited=0
while [ "$waited" -lt "$timeout" ]; do
    if http_ok GET "$health"; then
        say "started with them (after ${{waited}}s)"
        exit 0
    fi
    sleep 1
    waited=$((waited + 1))
done
say "not answering within ${{timeout}}s"
exit 1
"""


def reload_script(name: str, live: LiveConfig, port: int) -> str:
    """The job's script: check, install, reload, confirm (parameters from the environment, with the container's
    defaults)."""
    confirm = _by_signal(live) if live.reload_metric else _by_api(live)
    # The process may require the stack's credentials: the installed file (below $live, where the new version
    # has just put it) holds the Authorization value, read by the shell so it is never in a command line.
    relative = live.authorization_file.removeprefix(live.directory.rstrip("/") + "/")
    authorization = f'"$live/{relative}"' if live.authorization_file else '""'
    scheme = "https" if live.tls else "http"  # multi-host stacks: over HTTPS (http_sh.shell_functions)
    return f"""#!/bin/sh
# Rendered by internet-id-monitoring: install the staged config of {name} and have it loaded.
set -eu
live="${{LIVE_DIR:-{live.directory}}}"
staged="${{STAGED_DIR:-{STAGED_DIR}}}"
pid="${{TARGET_PID:-1}}"
metrics="${{METRICS_URL:-{scheme}://127.0.0.1:{port}/metrics}}"
health="${{HEALTH_URL:-{scheme}://127.0.0.1:{port}{live.health_path}}}"
timeout="${{RELOAD_TIMEOUT:-{TIMEOUT_SECONDS}}}"
next="$live/.next"
list="$live/.next.list"
authorization=${{AUTHORIZATION_FILE:-{authorization}}}
say() {{ echo "{name}: $*"; }}
{indent(shell_functions(live.tls), "")}fetch() {{
    if [ -n "$authorization" ] && [ -r "$authorization" ]; then
        http_body GET "$1" "$(cat "$authorization")"
    else
        http_body GET "$1"
    fi
}}
metric() {{ fetch "$metrics" 2>/dev/null | sed -n "s/^$1 //p" | head -n 1; }}

rm -rf "$next" "$list"
mkdir -p "$next"
cp -R "$staged/." "$next/"
{_check(live)}
# Install file by file, each renamed over its old version ($next is on the same filesystem): every path always
# holds a whole old or a whole new file, never nothing or half (an empty web config would mean no authentication).
(cd "$next" && find . -type f) > "$list"
while read -r file; do
    mkdir -p "$live/${{file%/*}}"
    mv -f "$next/$file" "$live/$file"
done < "$list"
# Exactly the rendered files: one no longer rendered (a removed rule file) goes, then emptied directories; the
# job's own names ({RESERVED}) stay.
(cd "$live" && find . -type f ! -path './.next*' ! -name {INSTALLED_MARKER}) | while read -r file; do
    grep -qxF "$file" "$list" || rm -f "${{live:?}}/$file"
done
(cd "$live" && find . -depth -mindepth 1 -type d ! -path './.next*' -exec rmdir {{}} \\; 2>/dev/null) || true
rm -rf "$next" "$list"
touch "$live/{INSTALLED_MARKER}"
count=$(find "$staged" -type f | wc -l)

{confirm}"""
