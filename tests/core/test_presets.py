"""core.presets: each preset, run through the core functions on the sample cohort,
reproduces its paper's numbers (Monseau 2020 Table I, Figure 1, SIR; Jalles 2020)."""

from __future__ import annotations

import pytest

from core.cancer_risk import sir_analysis
from core.compare import compare_groups
from core.events import load_events, patient_course, with_cohort_events
from core.filters import apply_filters
from core.groups import GroupSpec, assign_groups
from core.io import SAMPLE_DIR, load_sample_cohort
from core.presets import PRESETS, preset
from core.rates import load_bundled_rates
from core.survival import analyze_survival, survival_data
from core.view import SIR_WINDOWS, ViewState, split_from_values


@pytest.fixture(scope="module")
def cohort():
    return load_sample_cohort()


def _filtered(cohort, view: ViewState):
    return apply_filters(cohort.data, view.filters, cohort.dictionary).data


def _grouping(cohort, df, view: ViewState, prefix: str):
    spec = GroupSpec(**split_from_values(prefix, view.values))  # type: ignore[arg-type]
    return assign_groups(df, spec, cohort.dictionary)


def test_every_preset_round_trips_through_the_address_and_view_json():
    for name, view in PRESETS.items():
        back = ViewState.from_query_params(view.to_query_params())
        assert (back.filters, dict(back.values), back.page, back.notes) == (view.filters, dict(view.values), view.page, ()), name
    with pytest.raises(KeyError, match="presets: Monseau"):
        preset("nope")


def test_table_one_counts(cohort):
    view = preset("Monseau 2020 · Table I")
    df = _filtered(cohort, view)
    g = _grouping(cohort, df, view, "c")
    assert g.order == ["anti-Mi2+", "anti-Mi2−"] and g.sizes() == {"anti-Mi2+": 64, "anti-Mi2−": 55}
    res = compare_groups(df, g.labels, *g.order, ["gottron", "severe_weakness"], cohort.dictionary)
    rows = res.rows.set_index("feature")
    assert tuple(rows.loc["gottron", ["n_a", "N_a", "n_b", "N_b"]]) == (38, 53, 21, 55)
    assert tuple(rows.loc["severe_weakness", ["n_a", "N_a"]]) == (29, 54)


def test_figure_one_logrank(cohort):
    view = preset("Monseau 2020 · Figure 1")
    df = _filtered(cohort, view)
    assert len(df) == 64
    g = _grouping(cohort, df, view, "s")
    sd = survival_data(df, unit=view.get("s.unit"))
    res = analyze_survival(sd.time, sd.event, sd.align(g.labels), g.order, conf_type=view.get("s.ci"))
    assert res.logrank is not None and res.logrank.p_value == pytest.approx(0.00794682, abs=5e-8)


def test_sir_with_log_wald_ci(cohort):
    view = preset("Monseau 2020 · SIR")
    df = _filtered(cohort, view)
    assert (view.get("r.before"), view.get("r.after"), view.get("r.open")) == SIR_WINDOWS["±3 years (cancer-associated myositis)"] + (False,)
    res = sir_analysis(df, load_bundled_rates(), view.get("r.before"), view.get("r.after"), ci_method=view.get("r.ci"))
    assert res.observed == 14
    assert (round(res.sir, 1), round(res.ci_low, 1), round(res.ci_high, 1)) == (5.1, 3.0, 8.6)


def test_jalles_patient_course(cohort):
    view = preset("Jalles 2020 · patient course")
    pid = view.get("p.id")
    assert pid == "MYO-070" and view.get("p.thr") == 2.3
    row = cohort.data.set_index("patient_id").loc[pid]
    events, _ = with_cohort_events(load_events(SAMPLE_DIR / "events.csv"), row.rename(None).to_dict() | {"patient_id": pid})
    course = patient_course(events, pid, row["diagnosis_date"])
    ifn = course.scores[course.scores["name"].str.casefold() == "interferon_score"]
    assert ifn["value"].round(1).tolist() == [19.0, 0.9]
    assert [v > view.get("p.thr") for v in ifn["value"]] == [True, False]
