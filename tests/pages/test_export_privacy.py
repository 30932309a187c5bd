"""Privacy for sharing on every page export (issue 11): the sidebar's options reach
``ui.widgets.download_table`` and the figure downloads."""

from __future__ import annotations

import types

import pandas as pd

from ui import widgets


def test_page_exports_follow_the_sharing_options(monkeypatch):
    table = pd.DataFrame({"patient_id": ["P1", "P2"], "n": [3, 12], "N": [10, 40], "%": [30.0, 30.0]})
    monkeypatch.setattr(widgets, "st", types.SimpleNamespace(session_state={"bundle_suppress": True}))
    out = widgets._private(table)
    assert "patient_id" not in out.columns  # identifiers out unless included
    assert out["n"].tolist()[0] == "<5" and pd.isna(out["%"].iloc[0])
    monkeypatch.setattr(widgets, "st", types.SimpleNamespace(session_state={"bundle_ids": True}))
    out = widgets._private(table)
    assert out["patient_id"].tolist() == ["P1", "P2"] and out["n"].tolist() == [3, 12]
