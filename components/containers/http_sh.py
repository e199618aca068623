"""HTTP requests from busybox ``sh`` that carry a credential without putting it in any command line.

busybox ``wget`` takes a header only as an argument (``--header``), and an argument is readable by every process
lister on the host (``/proc/<pid>/cmdline``) while the request runs.  These requests go to the process itself on
``127.0.0.1`` in its own network namespace, so plain HTTP/1.0 written by the shell's builtin ``printf`` into a
pipe to busybox ``nc`` is enough: the credential lives in the shell and the pipe only; ``cat`` reads the file by
name.  busybox's default configuration has ``nc`` and ``timeout`` (the prom/* images are built on the official
busybox image, Grafana's on Alpine's busybox); Go's HTTP servers answer HTTP/1.0 unchunked and close.
"""

from __future__ import annotations

import shlex

TIMEOUT_SECONDS = 10
"""A request that has not finished by then failed (a process that accepts and never answers)."""

SHELL_FUNCTIONS = f"""# http_request METHOD URL [BASIC]: the raw answer of an HTTP/1.0 request to http://HOST:PORT/PATH,
# sending "Authorization: Basic BASIC" when given (a function's argument: in no process's command line).
http_request() {{
    rest=${{2#http://}}
    address=${{rest%%/*}}
    path=${{rest#"$address"}}
    path=/${{path#/}}
    {{
        printf '%s %s HTTP/1.0\\r\\nHost: %s\\r\\n' "$1" "$path" "$address"
        printf 'Connection: close\\r\\nContent-Length: 0\\r\\n'
        if [ -n "${{3:-}}" ]; then printf 'Authorization: Basic %s\\r\\n' "$3"; fi
        printf '\\r\\n'
    }} | timeout {TIMEOUT_SECONDS} nc "${{address%:*}}" "${{address##*:}}"
}}
# http_ok METHOD URL [BASIC]: whether the answer's status is 2xx.
http_ok() {{ http_request "$@" 2>/dev/null | head -n 1 | grep -q '^HTTP/1\\.[01] 2'; }}
# http_body METHOD URL [BASIC]: the answer's body when the status is 2xx, else nothing (and a failure).
http_body() {{
    answer=$(http_request "$@" 2>/dev/null | tr -d '\\r') || return 1
    case ${{answer%%
*}} in "HTTP/1."[01]" 2"*) ;; *) return 1 ;; esac
    printf '%s\\n' "$answer" | sed '1,/^$/d'
}}
"""
"""Defined at the top of a script that talks HTTP."""


def healthcheck_command(host: str, port: int, path: str, authorization_file: str, seconds: int) -> str:
    """One ``sh -c`` line probing ``http://host:port/path`` within ``seconds``, sending the ``Authorization: Basic``
    value read from ``authorization_file``: Docker stores (``docker inspect``) and runs it, and no argument ever
    holds the value."""
    request = (f"printf 'GET %s HTTP/1.0\\r\\nHost: %s\\r\\nAuthorization: Basic %s\\r\\n\\r\\n' "
               f"{shlex.quote(path)} {shlex.quote(f'{host}:{port}')} \"$(cat {shlex.quote(authorization_file)})\"")
    return (f"{request} | timeout {seconds} nc {shlex.quote(host)} {port} | head -n 1 "
            "| grep -q '^HTTP/1\\.[01] 2'")
