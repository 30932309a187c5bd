"""A normal install works (issue 9 item 8).

``pip install .`` (not ``-e``) then ``myoscope sir cohort.csv`` from another folder failed:
the dictionary, the sample cohort and the bundled France rates were not shipped. This
builds the wheel, installs it in a fresh virtual environment (its dependencies are
borrowed from the test environment through a ``.pth`` line, since the machine is
offline), and runs the installed ``myoscope`` from an empty folder.
"""

from __future__ import annotations

import json
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".venv", ".git", "build", "*.egg-info", "__pycache__", "tests"))
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp / "dist"), str(src)], tmp)
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp / "dist").glob("myoscope-*.whl")
    venv = tmp / "venv"
    made = _run([sys.executable, "-m", "venv", str(venv)], tmp)
    assert made.returncode == 0, made.stderr
    py = venv / "bin" / "python"
    inst = _run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], tmp)
    assert inst.returncode == 0, inst.stderr
    purelib = _run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp).stdout.strip()
    deps = [p for p in site.getsitepackages() if Path(p).is_dir()]
    Path(purelib, "zz_test_dependencies.pth").write_text("\n".join(deps) + "\n")
    return venv


def test_wheel_ships_the_data_and_myoscope_sir_runs_from_another_folder(installed: Path, tmp_path: Path):
    cohort = tmp_path / "my_cohort.csv"
    shutil.copy(ROOT / "sample_data" / "cohort.csv", cohort)
    run = _run([str(installed / "bin" / "myoscope"), "sir", cohort.name, "--ci", "wald", "--json",
                "--filters", '{"antibody_subtype": ["Mi2"]}'], tmp_path)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["observed"] == 14
    assert round(out["sir"], 1) == 5.1 and round(out["ci_low"], 1) == 3.0 and round(out["ci_high"], 1) == 8.6
    where = _run([str(installed / "bin" / "python"), "-c", "import core, core.resources as r; print(core.__file__); print(r.SAMPLE_DIR)"], tmp_path)
    core_file, sample_dir = where.stdout.split()
    assert str(installed) in core_file and str(installed) in sample_dir  # not the source tree
