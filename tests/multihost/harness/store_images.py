"""The long-term view's images for the multi-host suite: VictoriaMetrics and vmauth from their Go module.

Both binaries come from one build of the recipe ``tests/e2e/toolchain/victoria-metrics`` (the module version and
hash it pins, the version of ``components/versions.py``'s images), cached like the toolchain's builds
(``<toolchain cache>/builds/victoria-metrics-v<version>-<hash of the recipe and Go>``), and go into images in
the official images' layout (the binary at ``/<name>-prod`` as the entrypoint, root, the port exposed) on top of
the e2e suite's busybox stand-in (the official ones are Alpine-based: a shell and wget for the healthcheck).
Tagged ``iid-standin/<name>:v<version>-gomod``, never the official names.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from components.versions import IMAGES
from tests.e2e.harness.engine import LABEL as E2E_LABEL
from tests.multihost.harness.fleet import Fleet, FleetError

RECIPE = Path(__file__).resolve().parents[2] / "e2e" / "toolchain" / "victoria-metrics"
NAMES = {"victoria-metrics": 8428, "vmauth": 8427}
"""The images built, by container name (their records' keys of ``components.versions.IMAGES``), and their ports."""
KEY_LABEL = "com.internet-id.multihost.key"
DOCKERFILE = """ARG BASE
FROM $BASE
COPY {name}-prod /{name}-prod
EXPOSE {port}
ENTRYPOINT ["/{name}-prod"]
"""


def version() -> str:
    """The version both images pin (one module builds both)."""
    versions = {IMAGES[name].rsplit(":v", 1)[-1] for name in NAMES}
    if len(versions) != 1:
        raise FleetError(f"victoria-metrics and vmauth must pin one version (one module builds both): {versions}")
    return versions.pop()


def toolchain_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.environ.get("IID_TOOLCHAIN_DIR") or Path(base) / "internet-id-monitoring" / "toolchain")


def _go_version() -> str:
    go = shutil.which("go") or "/usr/local/go/bin/go"
    result = subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise FleetError("Go is needed to build VictoriaMetrics (this machine's /usr/local/go/bin, or go.dev/dl)")
    return result.stdout.strip()


def build_directory() -> Path:
    """Where the build of the current recipe lives (named like the toolchain's builds)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in RECIPE.rglob("*") if p.is_file()):
        digest.update(path.relative_to(RECIPE).as_posix().encode() + b"\0" + path.read_bytes())
    digest.update(_go_version().encode())
    return toolchain_cache() / "builds" / f"victoria-metrics-v{version()}-{digest.hexdigest()[:12]}"


def ensure_build(log: Callable[[str], None]) -> Path:
    """The recipe's build, made when missing (one at a time per cache: the toolchain's lock)."""
    entry = build_directory()
    if (entry / ".complete").exists():
        return entry
    entry.parent.mkdir(parents=True, exist_ok=True)
    with open(toolchain_cache() / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (entry / ".complete").exists():
            return entry
        partial = entry.with_name(entry.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="iid-victoria-metrics-") as work:
            env = {**os.environ, "WORK": work, "VERSION": version(),
                   "PATH": f"{os.environ.get('PATH', '')}:/usr/local/go/bin"}
            result = subprocess.run([str(RECIPE / "build"), str(partial)], env=env, capture_output=True, text=True,
                                    check=False, timeout=1800)
        if result.returncode != 0:
            tail = " ".join((result.stderr or result.stdout).split())[-600:]
            raise FleetError(f"building VictoriaMetrics {version()} from its Go module failed: {tail}")
        (partial / ".complete").touch()
        partial.rename(entry)
        log(f"built VictoriaMetrics and vmauth {version()} from the Go module in {time.monotonic() - started:.0f}s")
    return entry


def reference(name: str) -> str:
    return f"iid-standin/{name}:v{version()}-gomod"


def build_images(fleet: Fleet) -> dict[str, str]:
    """Both images, built in the fleet's first host from the cached build and loaded into the others; returns
    container name -> reference (the stack's ``images.*``)."""
    entry = ensure_build(fleet.log)
    first = fleet.hosts[0]
    base = fleet.build_images(["busybox"])["busybox"]
    key = hashlib.sha256((base + entry.name).encode()).hexdigest()[:16]
    for name, port in NAMES.items():
        present = first.local_docker("image", "inspect", "--format", f'{{{{index .Config.Labels "{KEY_LABEL}"}}}}',
                                     reference(name), check=False).stdout.strip()
        if present == key:
            continue
        with tempfile.TemporaryDirectory(prefix=f"iid-{name}-image-") as context:
            shutil.copy2(entry / "bin" / name, Path(context) / f"{name}-prod")
            (Path(context) / "Dockerfile").write_text(DOCKERFILE.format(name=name, port=port))
            first.local_docker("build", "--quiet", "--build-arg", f"BASE={base}", "--label", f"{KEY_LABEL}={key}",
                               "--label", f"{E2E_LABEL}=image", "-t", reference(name), context, timeout=300)
    fleet.copy_images([reference(name) for name in NAMES], source=first)
    return {name: reference(name) for name in NAMES}
