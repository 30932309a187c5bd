"""Where the bundled data lives: the sample cohort, its dictionary, events, qPCR example,
published Table I and the France reference rates.

They ship inside the package (the ``myoscope_data`` package is the repository's
``sample_data/`` folder, see ``pyproject.toml``) and are found with
:mod:`importlib.resources`, so ``pip install .`` (not only ``-e``) works from any folder.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

#: Import name of the bundled-data package (``sample_data/`` in the repository).
DATA_PACKAGE = "myoscope_data"


def _sample_dir() -> Path:
    """The folder of the bundled data files (a real folder: wheels install as files)."""
    try:
        return Path(str(files(DATA_PACKAGE)))
    except ModuleNotFoundError:  # running from a source tree that was not installed
        return Path(__file__).resolve().parent.parent / "sample_data"


#: Folder of the bundled sample data.
SAMPLE_DIR: Path = _sample_dir()
#: The bundled France cancer incidence table (CI5-XII).
BUNDLED_RATES_FILE: Path = SAMPLE_DIR / "reference_rates" / "france_cancer_incidence_ci5xii.csv"
