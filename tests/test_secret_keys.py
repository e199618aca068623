"""The secret-key registry is the one place a secret key is written, and every config secret is documented."""

from __future__ import annotations

import re
from pathlib import Path

from components.secret_keys import CONFIG_SECRETS, REGISTRY

COMPONENTS = Path(__file__).resolve().parent.parent / "components"


def quoted_key_literals(text: str, key: str) -> list[str]:
    """Lines of ``text`` holding ``key`` as a whole string literal ('key' or "key")."""
    literal = re.compile(rf"""(["']){re.escape(key)}\1""")
    return [line.strip() for line in text.splitlines() if literal.search(line)]


def test_no_secret_key_is_written_outside_the_registry() -> None:
    found = []
    for path in sorted(COMPONENTS.rglob("*.py")):
        if path.name == "secret_keys.py":
            continue
        text = path.read_text()
        found += [f"{path.relative_to(COMPONENTS.parent)}: {line}" for secret in REGISTRY
                  for line in quoted_key_literals(text, secret.key)]
    assert not found, "use the entry of components/secret_keys.py instead:\n" + "\n".join(found)


def test_the_literal_finder_sees_a_key() -> None:
    assert quoted_key_literals('required["smtpPassword"] = why', "smtpPassword")
    assert quoted_key_literals("key = 'slack:token'", "slack:token")
    assert not quoted_key_literals("the secret ``smtpPassword`` is read from a file", "smtpPassword")


def test_keys_are_unique_and_every_secret_says_what_it_is_and_who_reads_it() -> None:
    keys = [secret.key for secret in REGISTRY]
    assert len(set(keys)) == len(keys)
    assert all(secret.description and secret.used_by for secret in REGISTRY)
    assert "pagerduty:token" in CONFIG_SECRETS and "webAuthPassword" not in CONFIG_SECRETS  # generated, not config


def test_alertmanager_credential_files_are_distinct_but_for_the_two_slack_bot_tokens() -> None:
    files = [secret.alertmanager_file for secret in REGISTRY if secret.alertmanager_file]
    shared = {name for name in files if files.count(name) > 1}
    assert shared == {"slack-bot-token"}  # alertmanagerSlackToken, or slack:token with useProviderToken
