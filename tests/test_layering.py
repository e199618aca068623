"""The layering of the code base, as imports really load it.

* Importing the settings (``components.settings``, what validates a stack before anything is rendered) loads no
  renderer, no Pulumi component, neither Pulumi itself nor the Grafana SDK: checked in a fresh interpreter, by
  what ``sys.modules`` holds afterwards, not only by the import lines.
* Only the composition roots (``render.py``, ``program.py``) and the settings' own machinery name the composed
  ``StackSettings``: every area takes its own settings model and the stack context.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPONENTS = ROOT / "components"
FORBIDDEN_PACKAGES = ("pulumi", "pulumi_", "pulumiverse_", "grafana_foundation_sdk")
"""Top-level packages no settings import may load: Pulumi and its providers, the Grafana SDK."""
RENDERING_IMPORTS = ("pulumi", "grafana_foundation_sdk", "components.yamltext")
"""A module importing one of these renders documents or declares resources."""
SETTINGS_READERS = {"settings.py", "render.py", "program.py", "config_source.py", "config_reference.py"}
"""The composed settings, the two composition roots, and where the settings are loaded and documented."""


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(tree: ast.Module) -> set[str]:
    """Every module ``tree`` imports, ``if TYPE_CHECKING:`` blocks included."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@cache
def renderers() -> frozenset[str]:
    """The product modules that render documents or declare resources: a top-level ``render…`` function, or an
    import of Pulumi, the Grafana SDK or the YAML dumper (which counts as one itself)."""
    found = {"components.yamltext"}
    for path in COMPONENTS.rglob("*.py"):
        tree = ast.parse(path.read_text())
        renders = any(isinstance(node, ast.FunctionDef) and node.name.startswith("render") for node in tree.body)
        uses = any(name == prefix or name.startswith(prefix + ".") or name.startswith(prefix + "_")
                   for name in imported(tree) for prefix in RENDERING_IMPORTS)
        if renders or uses:
            found.add(module_name(path))
    return frozenset(found)


def loaded_by(module: str) -> list[str]:
    """``sys.modules`` of a fresh interpreter that imported ``module`` (and nothing else of ours)."""
    code = f"import json, sys, {module}; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout)
    return loaded


def forbidden(loaded: list[str]) -> list[str]:
    """What of ``loaded`` a settings import must not load."""
    packages = [name for name in loaded if name.split(".")[0].startswith(FORBIDDEN_PACKAGES)]
    return sorted({name.split(".")[0] for name in packages}) + sorted(set(loaded) & renderers())


def test_importing_the_settings_loads_no_renderer_no_pulumi_and_no_grafana_sdk() -> None:
    loaded = loaded_by("components.settings")
    assert "components.settings" in loaded and "components.rules.catalogue" in loaded
    assert forbidden(loaded) == [], "settings modules import settings and plain data only"


def test_the_pinned_images_load_without_the_settings_libraries() -> None:
    """The test tooling and the builds read ``versions.IMAGES`` with any Python: it needs no pydantic either."""
    loaded = loaded_by("components.versions")
    assert forbidden(loaded) == []
    assert not [name for name in loaded if name.split(".")[0] in ("pydantic", "yaml")]


@pytest.mark.parametrize(("module", "expected"), [
    ("components.render", {"grafana_foundation_sdk", "components.prometheus.config", "components.rules.render"}),
    ("components.program", {"pulumi", "pulumi_docker", "components.containers.component"}),
    ("components.prometheus.config", {"components.prometheus.config", "components.yamltext"}),
])
def test_the_check_sees_what_a_renderer_loads(module: str, expected: set[str]) -> None:
    """The same check on modules that do render or declare resources: it would catch a settings module that
    imported one of them."""
    assert expected <= set(forbidden(loaded_by(module)))


def test_the_renderers_are_found_by_what_they_do() -> None:
    found = renderers()
    assert {"components.render", "components.rules.render", "components.slo.render", "components.webauth.config",
            "components.grafana.custom_dashboard", "components.containers.component", "components.yamltext",
            "components.incident.response", "components.program"} <= found
    assert not {"components.settings", "components.rules.catalogue", "components.containers.records"} & found


def names_stack_settings(path: Path) -> bool:
    """Whether the code of ``path`` (docstrings aside) names ``StackSettings``: imports it, annotates with it."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Name) and node.id == "StackSettings":
            return True
        if isinstance(node, ast.ImportFrom) and any(alias.name == "StackSettings" for alias in node.names):
            return True
    return False


def test_only_the_composition_roots_name_the_composed_settings() -> None:
    readers = [str(path.relative_to(ROOT)) for path in sorted(COMPONENTS.rglob("*.py"))
               if names_stack_settings(path) and path.name not in SETTINGS_READERS]
    assert not readers, f"take the area's own settings model and the StackContext instead: {readers}"
    assert names_stack_settings(COMPONENTS / "render.py") and names_stack_settings(COMPONENTS / "program.py")
    assert not names_stack_settings(COMPONENTS / "containers" / "__init__.py")  # its docstring names it, its code not


def test_package_init_files_hold_no_behaviour() -> None:
    """A package's ``__init__`` imports nothing and defines nothing: importing a package loads only itself."""
    busy = []
    for path in sorted(COMPONENTS.rglob("__init__.py")):
        body = ast.parse(path.read_text()).body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]  # the docstring
        if body:
            busy.append(str(path.relative_to(ROOT)))
    assert not busy, busy
