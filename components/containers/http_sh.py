"""HTTP requests from busybox ``sh`` that carry a credential without putting it in any command line.

busybox ``wget`` takes a header only as an argument (``--header``), and an argument is readable by every process
lister on the host (``/proc/<pid>/cmdline``) while the request runs.  These requests go to the process itself on
``127.0.0.1`` in its own network namespace, so plain HTTP/1.0 written by the shell's builtin ``printf`` into a
pipe to busybox ``nc`` is enough: the credential lives in the shell and the pipe only; ``cat`` reads the file by
name.  busybox's default configuration has ``nc`` and ``timeout`` (the prom/* images are built on the official
busybox image, Grafana's on Alpine's busybox); Go's HTTP servers answer HTTP/1.0 unchunked and close.

Over HTTPS (the servers of a multi-host stack) the same request goes through busybox ``ssl_client`` on the socket
``nc -e`` opens (both in busybox's default configuration): TLS 1.2 from the shell, the certificate not checked (the
process is the container's own, on loopback, and its certificate names the host's address).
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

PLAIN_TRANSPORT = f'timeout {TIMEOUT_SECONDS} nc "${{address%:*}}" "${{address##*:}}"'
TLS_TRANSPORT = (f'{{ exec 3<&0 6>&1; timeout {TIMEOUT_SECONDS} nc "${{address%:*}}" "${{address##*:}}" -e sh -c '
                 "'exec 4<&0 5>&1; exec ssl_client -s 5 -r 4 <&3 >&6'; }")
"""Over HTTPS ``nc -e`` hands the socket to ``ssl_client``, which speaks TLS on it and plain text on the request's
pipe (kept as fd 3) and the answer's (fd 6)."""


def shell_functions(tls: bool = False) -> str:
    """``SHELL_FUNCTIONS`` for http://… URLs, or with ``tls`` the same for https://… ones."""
    if not tls:
        return SHELL_FUNCTIONS
    return (SHELL_FUNCTIONS.replace("to http://HOST", "to https://HOST").replace("${2#http://}", "${2#https://}")
            .replace(PLAIN_TRANSPORT, TLS_TRANSPORT))


def healthcheck_command(host: str, port: int, path: str, authorization_file: str, seconds: int, *,
                        tls: bool = False) -> str:
    """One ``sh -c`` line probing ``http://host:port/path`` (``tls``: ``https://``) within ``seconds``, sending the
    ``Authorization: Basic`` value read from ``authorization_file``: Docker stores (``docker inspect``) and runs it,
    and no argument ever holds the value."""
    request = (f"printf 'GET %s HTTP/1.0\\r\\nHost: %s\\r\\nAuthorization: Basic %s\\r\\n\\r\\n' "
               f"{shlex.quote(path)} {shlex.quote(f'{host}:{port}')} \"$(cat {shlex.quote(authorization_file)})\"")
    transport = f"timeout {seconds} nc {shlex.quote(host)} {port}"
    if tls:
        transport = ("{ exec 3<&0 6>&1; " + transport + " -e sh -c 'exec 4<&0 5>&1; exec ssl_client -s 5 -r 4 "
                     "<&3 >&6'; }")
    return f"{request} | {transport} | head -n 1 | grep -q '^HTTP/1\\.[01] 2'"
