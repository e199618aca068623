"""The live stack's credential for Prometheus and Alertmanager, and the files the rendered documents point at.

``pulumi up`` generates the password and its bcrypt hash (``random.RandomPassword``); here both are fixed, so
the daemons start from files shaped by the same renderers (``components/webauth``).
"""

from __future__ import annotations

from pathlib import Path

from components.webauth.config import authorization, render_web_config
from components.webauth.files import AUTHORIZATION_FILE, PASSWORD_FILE, WEB_CONFIG_FILE

USER = "iidmon"
"""``webAuth.user``'s default, which the live settings keep."""
PASSWORD = "live-web-password-0123"
BCRYPT_HASH = "$2b$10$63qkHPiQ5lOqwlxia6HW6OHZl2liuinPgQI4WckwUua3YsROS7mp2"
"""bcrypt (cost 10, as RandomPassword's) of ``PASSWORD``, computed once with libxcrypt."""
AUTH = (USER, PASSWORD)


def write_web_files(render_dir: Path, user: str = USER) -> None:
    """The credential files below ``prometheus/`` and ``alertmanager/`` of a render directory, as the containers
    get them below their config directories (mode 0600: credential files)."""
    files = {
        f"prometheus/{WEB_CONFIG_FILE}": render_web_config(user, BCRYPT_HASH),
        f"prometheus/{PASSWORD_FILE}": PASSWORD,
        f"prometheus/{AUTHORIZATION_FILE}": authorization(user, PASSWORD),
        f"alertmanager/{WEB_CONFIG_FILE}": render_web_config(user, BCRYPT_HASH),
        f"alertmanager/{AUTHORIZATION_FILE}": authorization(user, PASSWORD),
    }
    for relative, text in files.items():
        path = render_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(0o600)


def web_config(render_dir: Path, component: str) -> Path:
    return render_dir / component / WEB_CONFIG_FILE
