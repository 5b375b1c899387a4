"""wslab as a dependency: a wheel built without touching the checkout, installed into a fresh venv
that already holds torch (pip keeps it), the README's Makefile targets run with that install, and
resolution beside another torch in the supported range (metadata only, never a CUDA download)."""

from __future__ import annotations

import email
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
TORCH = "2.13.0"  # the CPU build the Makefile's set-up installs; a local file on the project's machines


def _load_makefile_helpers():
    spec = importlib.util.spec_from_file_location("_wslab_test_makefile", ROOT / "tests" / "report" / "test_makefile.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pip(python: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), "-m", "pip", "--disable-pip-version-check", *args], capture_output=True,
                          text=True, timeout=timeout)


def _tree_state() -> str:
    out = subprocess.run(["git", "status", "--porcelain", "--ignored", "--untracked-files=all"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    return "\n".join(line for line in out.splitlines() if "__pycache__" not in line and ".venv/" not in line
                     and ".pytest_cache" not in line)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout")
    before = _tree_state()
    out = tmp_path_factory.mktemp("dist")
    res = _pip(Path(sys.executable), "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT))
    if res.returncode != 0 and ("No matching distribution" in res.stderr or "Could not find" in res.stderr):
        pytest.skip(f"cannot fetch the build requirements (setuptools, wheel): {res.stderr.strip()[-200:]}")
    assert res.returncode == 0, res.stderr
    assert _tree_state() == before, "building the wheel changed the checkout"
    assert not (ROOT / "build").exists() and not list(ROOT.glob("*.egg-info"))
    (whl,) = out.glob("wslab-*.whl")
    return whl


def _metadata(whl: Path) -> email.message.Message:
    with zipfile.ZipFile(whl) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        return email.message_from_string(zf.read(name).decode())


def test_wheel_ships_the_packages_and_demo_data(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    for path in ("wslab/app/cli.py", "wslab/app/commands/demo.py", "wslab/labeling/spec.py", "wslab/quality/__init__.py",
                 "wslab/cartography/plots.py", "wslab/app/report/__init__.py", "wslab/app/report/templates/page.html.j2",
                 "wslab/app/report/templates/report.css", "wslab/app/report/templates/sections/lfs.html.j2",
                 "wslab/app/demo/generate.py", "wslab/app/demo/data/intents.yaml",
                 "wslab/app/demo/data/phrases.yaml", "wslab/app/demo/data/lfs.yaml", "wslab/app/demo/data/README.md.tmpl"):
        assert path in names, path
    assert not [n for n in names if n.startswith(("tests/", "tools/", "benchmarks/"))]


def test_wheel_declares_ranges_not_pins(wheel):
    reqs = [Requirement(r) for r in _metadata(wheel).get_all("Requires-Dist")]
    core = {r.name: r for r in reqs if r.marker is None}
    torch = core["torch"].specifier
    assert Version("2.12.0") in torch and Version("2.13.0") in torch and Version("2.1.0") in torch
    assert Version("2.0.1") not in torch and Version("3.0.0") not in torch
    assert not [r for r in core.values() if any(s.operator in ("==", "===") for s in r.specifier)]
    extras = {r.name for r in reqs if r.marker is not None and r.marker.evaluate({"extra": "spark"})}
    assert "pyspark" in extras and "pyspark" not in core


def _index_reachable(python: Path, tmp: Path) -> bool:
    res = _pip(python, "download", "--no-deps", "-q", "-d", str(tmp / "probe"), "munkres>=1.0.6", timeout=120)
    return res.returncode == 0


def _stub_torch(folder: Path, ver: str) -> Path:
    """A metadata-only ``torch`` wheel: lets pip resolve beside another torch without downloading one."""
    folder.mkdir(parents=True, exist_ok=True)
    whl = folder / f"torch-{ver}-py3-none-any.whl"
    info = f"torch-{ver}.dist-info"
    with zipfile.ZipFile(whl, "w") as zf:
        zf.writestr("torch/__init__.py", f"__version__ = {ver!r}\n")
        zf.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: torch\nVersion: {ver}\n")
        zf.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        zf.writestr(f"{info}/RECORD", "")
    return whl


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")
def test_install_from_wheel_into_a_fresh_venv_keeps_its_torch(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    py = venv / "bin" / "python"
    if not _index_reachable(py, tmp_path):
        pytest.skip("the package index is not reachable: cannot install wslab's dependencies")
    res = _pip(py, "install", "-q", f"torch=={TORCH}")
    assert res.returncode == 0, res.stderr
    torch_before = subprocess.run([str(py), "-c", "import torch; print(torch.__version__)"], capture_output=True,
                                  text=True, check=True).stdout.strip()
    res = _pip(py, "install", str(wheel))
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr
    assert "Uninstalling torch" not in res.stdout and "Collecting torch" not in res.stdout, res.stdout
    torch_after = subprocess.run([str(py), "-c", "import torch; print(torch.__version__)"], capture_output=True,
                                 text=True, check=True).stdout.strip()
    assert torch_after == torch_before and torch_after.startswith(TORCH)

    wslab = venv / "bin" / "wslab"
    ver = subprocess.run([str(wslab), "--version"], capture_output=True, text=True, timeout=120)
    assert ver.returncode == 0 and ver.stdout.strip() == "wslab 0.1.0", ver.stdout + ver.stderr
    where = subprocess.run([str(py), "-c", "import wslab; print(wslab.__file__)"], capture_output=True, text=True,
                           check=True, cwd=tmp_path).stdout.strip()
    assert where.startswith(str(venv)), where  # the installed copy, not the checkout

    # the README's Makefile targets, with the wheel's wslab and no path back to the checkout
    helpers = _load_makefile_helpers()
    (tmp_path / "training-repo").mkdir()
    repo = helpers.write_training_repo(tmp_path / "training-repo")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    helpers.check_makefile_targets(repo, wslab=str(wslab), env=env)

    # resolution beside another torch in the supported range: metadata only (a stub torch 2.12.0
    # wheel, --no-index: nothing is downloaded); wslab's Requires-Dist takes part in the resolve
    stubs = tmp_path / "stubs"
    _stub_torch(stubs, "2.12.0")
    report = tmp_path / "report.json"
    res = _pip(py, "install", "--dry-run", "--no-index", "--find-links", str(stubs), "--report", str(report),
               str(wheel), "torch==2.12.*")
    assert res.returncode == 0, res.stdout + res.stderr
    planned = {item["metadata"]["name"]: item["metadata"]["version"] for item in json.loads(report.read_text())["install"]}
    assert planned.get("torch") == "2.12.0", planned
    # the same resolve fails for a torch outside the range: the check can fail
    _stub_torch(stubs, "3.0.0")
    res = _pip(py, "install", "--dry-run", "--no-index", "--find-links", str(stubs), str(wheel), "torch==3.0.0")
    assert res.returncode != 0 and "torch" in (res.stdout + res.stderr)
