"""A multi-host stack's per-host Docker provider holds the TLS material as secrets in the real engine's state.

pulumi-docker's issue #643 reports secrets of an explicit provider's configuration stored unencrypted; the mocks
cannot show what the engine writes, so a tiny program (``tests/e2e/provider_secrets``) declares one provider the
way ``components/program.py`` does and the state is read back (the built CLI and docker plugin: tests/e2e).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.e2e.harness.project import REPO, ScratchProject, pulumi_env

PROGRAM = Path(__file__).resolve().parent / "provider_secrets"
STACK = "provider-secrets"
MATERIAL = {"ca": "-----BEGIN CERTIFICATE-----\nCA-7d1e\n-----END CERTIFICATE-----",
            "cert": "-----BEGIN CERTIFICATE-----\nCERT-7d1e\n-----END CERTIFICATE-----",
            "key": "-----BEGIN PRIVATE KEY-----\nKEY-7d1e\n-----END PRIVATE KEY-----"}


def test_the_tls_material_of_an_explicit_provider_is_ciphertext_in_the_state(
        tmp_path: Path, toolchain: dict[str, str]) -> None:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copyfile(PROGRAM / name, tmp_path / name)
    (tmp_path / ".venv").symlink_to(REPO / ".venv")
    state = tmp_path / ".state"
    project = ScratchProject(root=tmp_path, env=pulumi_env(state, "unix:///nonexistent/docker.sock"))
    project.pulumi("stack", "init", STACK)
    for key, value in MATERIAL.items():  # on stdin: never on a command line
        project.pulumi("config", "set", "--secret", "--stack", STACK, key, stdin=value)
    project.pulumi("up", "--yes", "--skip-preview", "--stack", STACK)
    exported = project.pulumi("stack", "export", "--stack", STACK)
    (provider,) = [r for r in exported.json()["deployment"]["resources"] if r["type"] == "pulumi:providers:docker"]
    for field in ("caMaterial", "certMaterial", "keyMaterial"):
        assert "ciphertext" in provider["inputs"][field], field
        assert "ciphertext" in provider["outputs"][field], field
    written = "".join(path.read_text(errors="replace") for path in state.rglob("*") if path.is_file())
    for value in MATERIAL.values():
        secret_line = value.splitlines()[1]
        assert secret_line not in exported.output and secret_line not in written, secret_line
