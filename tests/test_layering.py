"""The import rules of the code base: areas never import the composed settings at run time, and no settings
module imports a renderer or a Pulumi component (settings are validated before anything is rendered)."""

from __future__ import annotations

import ast
from pathlib import Path

COMPONENTS = Path(__file__).resolve().parent.parent / "components"
AREAS = sorted(p for p in COMPONENTS.iterdir() if p.is_dir() and (p / "__init__.py").exists())
RENDERERS = ("config", "render", "component", "components", "community", "custom_dashboard", "dashboards",
             "provisioning", "receivers", "response", "pagerduty", "slack", "sentry", "program", "cli")
"""Module names that render documents or declare resources (by their last dotted part)."""


def runtime_imports(path: Path) -> set[str]:
    """Modules ``path`` imports when it runs (``if TYPE_CHECKING:`` blocks left out)."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
                continue
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.If | ast.Try | ast.With):
                visit(node.body)

    visit(tree.body)
    return found


def test_areas_never_import_the_composed_settings_at_run_time() -> None:
    offenders = [f"{path.relative_to(COMPONENTS.parent)}" for area in AREAS for path in area.rglob("*.py")
                 if "components.settings" in runtime_imports(path)]
    assert not offenders, f"import StackSettings under TYPE_CHECKING only: {offenders}"


def test_settings_modules_import_no_renderer_or_component() -> None:
    settings_modules = [COMPONENTS / "settings.py", *COMPONENTS.glob("*/settings.py"),
                        *COMPONENTS.glob("*/*_settings.py")]
    assert len(settings_modules) >= 8
    offenders = []
    for path in settings_modules:
        for module in runtime_imports(path):
            parts = module.split(".")
            if parts[0] == "components" and any(part in RENDERERS for part in parts[1:]):
                offenders.append(f"{path.relative_to(COMPONENTS.parent)} imports {module}")
    assert not offenders, offenders
