"""Canonical cohort columns and the data dictionary.

A cohort is a :class:`pandas.DataFrame` with one row per patient and the canonical
column names below (a column-mapping step maps a user's own names to them). After
import (:mod:`core.io`) the dtypes are fixed:

* ``patient_id``: ``str`` (object), unique.
* ``sex``: ``"F"``, ``"M"`` or missing (``None``); unknown codes are kept as typed and
  reported as warnings by :mod:`core.validate`.
* ages and continuous features: ``float64`` (NaN = missing).
* dates: ``datetime64[ns]`` (NaT = missing).
* binary features, antibodies and the ``cancer`` / ``death`` flags: ``float64`` with
  1.0 (yes / positive), 0.0 (no / negative) and NaN (missing / not tested).
* categorical features: ``str`` (object) or missing.
* ``antibody_subtype``: derived, one of :data:`SUBTYPE_VALUES`.

The dictionary (:class:`DataDictionary`) gives every column a label, a group
(cutaneous, muscular, extramuscular, ...) and a type.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

FeatureType = Literal["id", "binary", "continuous", "ordinal", "categorical", "date", "sex", "text"]

#: Antibody column -> antibody subtype label (DM-specific antibodies).
DM_ANTIBODIES: dict[str, str] = {
    "anti_mi2": "Mi2",
    "anti_mda5": "MDA5",
    "anti_tif1g": "TIF1g",
    "anti_nxp2": "NXP2",
    "anti_sae": "SAE",
}
#: Allowed values of ``antibody_subtype``, in display order.
SUBTYPE_VALUES: tuple[str, ...] = (
    "Mi2",
    "MDA5",
    "TIF1g",
    "NXP2",
    "SAE",
    "multiple",
    "seronegative",
    "untested",
)
#: Human labels of the subtypes (for display).
SUBTYPE_LABELS: dict[str, str] = {
    "Mi2": "anti-Mi2",
    "MDA5": "anti-MDA5",
    "TIF1g": "anti-TIF1γ",
    "NXP2": "anti-NXP2",
    "SAE": "anti-SAE",
    "multiple": "multiple DM-specific antibodies",
    "seronegative": "seronegative",
    "untested": "untested",
}

#: Order in which feature groups are shown.
GROUP_ORDER: tuple[str, ...] = (
    "demographics",
    "cutaneous",
    "muscular",
    "extramuscular",
    "biopsy",
    "laboratory",
    "antibodies",
    "outcomes",
    "other",
)


@dataclass(frozen=True)
class FeatureInfo:
    """Description of one cohort column.

    Attributes
    ----------
    name : str
        Canonical column name.
    label : str
        Human-readable label shown in tables and figures.
    group : str
        Feature group (see :data:`GROUP_ORDER`).
    type : FeatureType
        ``binary``, ``continuous``, ``categorical``, ``date``, ``sex``, ``id`` or ``text``.
    unit : str
        Unit of a continuous feature ("" when none).
    description : str
        Free text.
    synonyms : tuple[str, ...]
        Other headers for this column (e.g. French labels), used by the column mapping.
    """

    name: str
    label: str
    group: str = "other"
    type: FeatureType = "binary"
    unit: str = ""
    description: str = ""
    synonyms: tuple[str, ...] = ()


#: Canonical core columns (not clinical features).
CORE_COLUMNS: dict[str, FeatureInfo] = {
    info.name: info
    for info in (
        FeatureInfo("patient_id", "Patient ID", "demographics", "id"),
        FeatureInfo("sex", "Sex", "demographics", "sex"),
        FeatureInfo("age_at_diagnosis", "Age at diagnosis", "demographics", "continuous", "years"),
        FeatureInfo("birth_date", "Date of birth", "demographics", "date"),
        FeatureInfo("diagnosis_date", "Date of DM diagnosis", "demographics", "date"),
        FeatureInfo("center", "Centre", "demographics", "categorical"),
        FeatureInfo("anti_mi2", "Anti-Mi2", "antibodies", "binary"),
        FeatureInfo("anti_mda5", "Anti-MDA5", "antibodies", "binary"),
        FeatureInfo("anti_tif1g", "Anti-TIF1γ", "antibodies", "binary"),
        FeatureInfo("anti_nxp2", "Anti-NXP2", "antibodies", "binary"),
        FeatureInfo("anti_sae", "Anti-SAE1/2", "antibodies", "binary"),
        FeatureInfo("antibody_subtype", "Antibody subtype", "antibodies", "categorical"),
        FeatureInfo("cancer", "Cancer", "outcomes", "binary"),
        FeatureInfo("cancer_date", "Date of cancer diagnosis", "outcomes", "date"),
        FeatureInfo("cancer_site", "Cancer site", "outcomes", "categorical"),
        FeatureInfo("death", "Death", "outcomes", "binary"),
        FeatureInfo("death_date", "Date of death", "outcomes", "date"),
        FeatureInfo("last_followup_date", "Date of last follow-up", "outcomes", "date"),
    )
}

DATE_COLUMNS: tuple[str, ...] = tuple(n for n, i in CORE_COLUMNS.items() if i.type == "date")
#: Columns needed by each analysis view (any one of a tuple inside suffices).
VIEW_REQUIREMENTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "compare": (("patient_id",),),
    "survival": (("patient_id",), ("diagnosis_date",), ("last_followup_date", "death_date")),
    "cancer_risk": (
        ("patient_id",),
        ("sex",),
        ("age_at_diagnosis", "birth_date"),
        ("diagnosis_date",),
        ("cancer",),
        ("last_followup_date", "death_date"),
    ),
    "patient": (("patient_id",),),
}

#: Synonyms used to pre-fill the column mapping (lower-cased, accents kept; matching
#: also tries an accent-free, punctuation-free form). English and French.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "patient_id": (
        "patient id", "patient", "id", "record id", "record_id", "subject id", "subject",
        "identifiant", "identifiant patient", "n° patient", "numéro patient", "num patient",
        "ipp", "code patient",
    ),
    "sex": ("sex", "gender", "sexe", "genre"),
    "age_at_diagnosis": (
        "age", "age at diagnosis", "age at dm diagnosis", "âge", "âge au diagnostic",
        "age au diagnostic", "âge au diagnostic (ans)", "age (years)", "âge (ans)",
        "âge au diag", "age au diag", "âge diag", "age diag", "age at dx", "age dx",
    ),
    "birth_date": (
        "date of birth", "birth date", "dob", "birthdate", "date de naissance", "ddn",
        "né le", "naissance",
    ),
    "diagnosis_date": (
        "diagnosis date", "date of diagnosis", "dm diagnosis date", "date of dm diagnosis",
        "date de diagnostic", "date du diagnostic", "date diagnostic", "date diagnostic dm",
        "date de diagnostic de la dm", "date diag", "date de diag", "date du diag", "date dx",
    ),
    "center": ("center", "centre", "site", "hospital", "hôpital", "centre investigateur"),
    "anti_mi2": ("anti mi2", "anti-mi2", "mi2", "mi-2", "anti-mi-2", "ac anti-mi2"),
    "anti_mda5": ("anti mda5", "anti-mda5", "mda5", "ac anti-mda5"),
    "anti_tif1g": (
        "anti tif1g", "anti-tif1g", "anti-tif1γ", "anti-tif1 gamma", "anti-tif1gamma", "tif1g",
        "tif1 gamma", "anti-tif1-γ", "ac anti-tif1γ",
    ),
    "anti_nxp2": ("anti nxp2", "anti-nxp2", "nxp2", "ac anti-nxp2"),
    "anti_sae": ("anti sae", "anti-sae", "anti-sae1/2", "sae", "sae1", "ac anti-sae"),
    "cancer": ("cancer", "malignancy", "néoplasie", "neoplasie", "cancer associé"),
    "cancer_date": (
        "cancer date", "date of cancer", "date of cancer diagnosis", "malignancy date",
        "date du cancer", "date de cancer", "date de diagnostic du cancer",
    ),
    "cancer_site": ("cancer site", "site du cancer", "localisation du cancer", "type de cancer", "site cancer",
                    "localisation cancer", "type cancer"),
    "death": ("death", "deceased", "dead", "décès", "deces", "décédé", "vital status"),
    "death_date": ("death date", "date of death", "date du décès", "date de décès", "date deces"),
    "last_followup_date": (
        "last follow-up", "last follow up", "last followup", "date of last follow-up",
        "last follow-up date", "date des dernières nouvelles", "dernières nouvelles",
        "date de dernières nouvelles", "ddn suivi", "date dernier suivi",
        "date dernières nouvelles", "date des dernieres nouvelles", "dernieres nouvelles",
        "date dn", "date de fin de suivi", "fin de suivi", "date last fu", "last fu",
        "date de dernier suivi",
    ),
}


@dataclass(frozen=True)
class DataDictionary:
    """An ordered mapping ``column -> FeatureInfo``.

    Columns absent from the dictionary are described by :meth:`get`, which infers a
    default entry (label = column name, group ``other``).
    """

    entries: tuple[FeatureInfo, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        names = [e.name for e in self.entries]
        if len(names) != len(set(names)):
            raise ValueError("duplicate feature names in the data dictionary")

    # Mapping-like API -------------------------------------------------------------
    def __contains__(self, name: object) -> bool:
        return any(e.name == name for e in self.entries)

    def __iter__(self) -> Iterator[FeatureInfo]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def names(self) -> list[str]:
        """Column names, in dictionary order."""
        return [e.name for e in self.entries]

    def get(self, name: str, default_type: FeatureType = "binary") -> FeatureInfo:
        """Entry of ``name``; a default entry when the column is not described."""
        for e in self.entries:
            if e.name == name:
                return e
        if name in CORE_COLUMNS:
            return CORE_COLUMNS[name]
        return FeatureInfo(name, name, "other", default_type)

    def label(self, name: str) -> str:
        """Human label of a column."""
        return self.get(name).label

    def with_entries(self, new: Iterable[FeatureInfo]) -> DataDictionary:
        """A dictionary where ``new`` entries replace or extend the current ones."""
        by_name = {e.name: e for e in self.entries}
        for e in new:
            by_name[e.name] = e
        return DataDictionary(tuple(by_name.values()))

    def features(self, types: Iterable[str] = ("binary", "continuous", "ordinal")) -> list[FeatureInfo]:
        """Clinical features (not core columns) of the given types, ordered by group.

        The order is :data:`GROUP_ORDER` and, within a group, dictionary order.
        """
        wanted = set(types)
        feats = [
            e
            for e in self.entries
            if e.type in wanted and e.name not in CORE_COLUMNS and not e.name.startswith("anti_")
        ]
        rank = {g: i for i, g in enumerate(GROUP_ORDER)}
        return sorted(feats, key=lambda e: (rank.get(e.group, len(rank)), self.entries.index(e)))

    def relabel(self, name: str, **changes: str) -> DataDictionary:
        """A copy with one entry changed."""
        return DataDictionary(
            tuple(replace(e, **changes) if e.name == name else e for e in self.entries)  # type: ignore[arg-type]
        )

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, FeatureInfo]) -> DataDictionary:
        """Build from a ``name -> FeatureInfo`` mapping."""
        return cls(tuple(mapping.values()))


def antibody_columns(columns: Iterable[str]) -> list[str]:
    """All antibody columns (``anti_*``) among ``columns``, DM-specific ones first."""
    cols = list(columns)
    known = [c for c in DM_ANTIBODIES if c in cols]
    other = [c for c in cols if c.startswith("anti_") and c not in DM_ANTIBODIES]
    return known + other
