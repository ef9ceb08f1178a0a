"""The extract mappings (``ingest/mappings/*.yaml``) as checked objects.

One YAML per extract says which header aliases name which canonical column,
which parser reads it and which vocabulary codes it; ``common.yaml`` holds the
person columns every extract shares and the vocabularies. Onboarding a county
whose export differs means editing YAML: nothing here names a header.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cache
from importlib.resources import files
from typing import Any

import yaml

from ingest.parsers import PARSERS, VOCABULARY_PARSERS
from values.cells import normalise_label, strip_parenthetical
from values.reference import reference
from warehouse.tables import PERSON

# Parsers whose columns identify a person: a row with any of them filled is a data row.
IDENTIFYING_PARSERS = frozenset({"name", "id", "certificate", "student_number"})
POPULATIONS = frozenset({"ledger", "roster", "children"})
# The columns a staged row keeps: what a mapping's ``also`` may fill.
_STAGED = frozenset(c.name for c in PERSON)


@cache
def common() -> dict[str, Any]:
    """What every extract mapping shares (``mappings/common.yaml``): the reader's layout
    rules and the person columns' header aliases."""
    return yaml.safe_load((files("ingest") / "mappings" / "common.yaml").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class ColumnSpec:
    """One column an extract may carry: the field it fills and how to read it."""

    field: str
    parser: str
    aliases: tuple[str, ...]
    values: str | None = None
    by_stage: dict[str, str] = field(default_factory=dict)
    default: Any = None
    # Further fields the same cell codes, each through its own vocabulary: a poverty
    # roster's 在校生状况 小学三年级 is the stage (primary) and the grade (3).
    also: dict[str, str] = field(default_factory=dict)

    @property
    def identifying(self) -> bool:
        return self.parser in IDENTIFYING_PARSERS


@dataclass(frozen=True)
class Mapping:
    """How one extract's headers and cells become canonical fields."""

    source_system: str
    description: str
    kind: str
    required: bool
    population: str | None
    columns: dict[str, ColumnSpec]
    flag_sets: dict[str, dict[str, str]]
    constants: dict[str, Any]
    exact: dict[str, str]
    stripped: dict[str, str]

    def field_of(self, header: object) -> str | None:
        """The field a header names, or None. A header matches an alias after
        normalisation, or after both drop their bracketed parts (身份证号(儿童))."""
        label = normalise_label(header)
        if not label:
            return None
        found = self.exact.get(label)
        if found is None and "(" in label:
            bare = strip_parenthetical(label)
            found = self.exact.get(bare) or self.stripped.get(bare)
        return found or self.stripped.get(label)

    def match_headers(self, headers: Iterable[object]) -> dict[int, str]:
        """Position → field for the headers that name a field; the first header
        naming a field wins, a later one stays in the raw row only."""
        matched: dict[int, str] = {}
        for position, header in enumerate(headers):
            found = self.field_of(header)
            if found and found not in matched.values():
                matched[position] = found
        return matched

    def recognises(self, fields: Iterable[str]) -> bool:
        """Whether matched fields make a header: enough of them, one identifying a person."""
        fields = set(fields)
        return len(fields) >= common()["header_min_matches"] and any(
            self.columns[f].identifying for f in fields
        )

    @property
    def identifying_fields(self) -> frozenset[str]:
        return frozenset(f for f, spec in self.columns.items() if spec.identifying)


def _column(name: str, entry: dict, base: ColumnSpec | None) -> ColumnSpec:
    aliases = tuple(entry.get("aliases", ())) + (base.aliases if base else ())
    parser = entry.get("parser", base.parser if base else None)
    values = entry.get("values", base.values if base else None)
    spec = ColumnSpec(
        field=name,
        parser=parser,
        aliases=aliases,
        values=values,
        by_stage=dict(entry.get("by_stage", {})),
        default=entry.get("default", base.default if base else None),
        also=dict(entry.get("also", {})),
    )
    _check_column(spec)
    return spec


def _check_column(spec: ColumnSpec) -> None:
    vocabularies = reference()["vocabularies"]
    if spec.parser not in PARSERS and spec.parser not in VOCABULARY_PARSERS:
        raise ValueError(f"mapping column {spec.field}: unknown parser {spec.parser!r}")
    if spec.parser in VOCABULARY_PARSERS and spec.values not in vocabularies:
        raise ValueError(f"mapping column {spec.field}: unknown vocabulary {spec.values!r}")
    for vocabulary in (*spec.by_stage.values(), *spec.also.values()):
        if vocabulary not in vocabularies:
            raise ValueError(f"mapping column {spec.field}: unknown vocabulary {vocabulary!r}")
    for target in spec.also:
        if target not in _STAGED:
            raise ValueError(f"mapping column {spec.field}: also fills {target!r}, not a staged column")
    bad = [a for a in spec.aliases if not isinstance(a, str)]
    if bad:
        raise ValueError(f"mapping column {spec.field}: aliases must be quoted strings, got {bad!r}")


def _alias_tables(columns: dict[str, ColumnSpec]) -> tuple[dict[str, str], dict[str, str]]:
    """Normalised alias → field, and the same without bracketed parts. An alias
    claimed by two fields is an error; a bracket-less form two fields share is dropped."""
    exact: dict[str, str] = {}
    for spec in columns.values():
        for alias in spec.aliases:
            label = normalise_label(alias)
            if exact.setdefault(label, spec.field) != spec.field:
                raise ValueError(f"header alias {alias!r} names both {exact[label]} and {spec.field}")
    stripped: dict[str, str] = {}
    shared: set[str] = set()
    for label, name in exact.items():
        bare = strip_parenthetical(label)
        if bare != label and stripped.setdefault(bare, name) != name:
            shared.add(bare)
    return exact, {k: v for k, v in stripped.items() if k not in shared}


def parse_mapping(text: str) -> Mapping:
    """One extract's mapping from its YAML text, checked: known parsers and
    vocabularies, quoted aliases, no alias naming two columns."""
    doc = yaml.safe_load(text)
    source = doc["source_system"]
    kind = doc.get("kind", "person")
    common_columns = {name: _column(name, entry, None) for name, entry in common()["person_columns"].items()}
    wanted = doc.get("common_columns", list(common_columns))
    columns = {name: common_columns[name] for name in wanted}
    own_columns = doc.get("columns") or {}
    for name, entry in own_columns.items():
        entry = entry or {}
        # An extract's own alias overrides a shared one (a staff roster's 联系电话);
        # two of its own columns claiming one alias is an error (_alias_tables).
        own = {normalise_label(a) for a in entry.get("aliases", ())}
        for other, spec in list(columns.items()):
            if other != name and other not in own_columns:
                columns[other] = replace(
                    spec, aliases=tuple(a for a in spec.aliases if normalise_label(a) not in own)
                )
        columns[name] = _column(name, entry, columns.get(name))
    flag_sets: dict[str, dict[str, str]] = {}
    for target, flags in (doc.get("flag_sets") or {}).items():
        flag_sets[target] = {}
        for code, aliases in flags.items():
            name = f"{target}.{code}"
            columns[name] = _column(name, {"parser": "code", "values": "yes_no", "aliases": aliases}, None)
            flag_sets[target][code] = name
    population = doc.get("population")
    if kind == "person" and population not in POPULATIONS:
        raise ValueError(f"mapping {source}: population must be one of {sorted(POPULATIONS)}")
    exact, stripped = _alias_tables(columns)
    return Mapping(
        source_system=source,
        description=doc.get("description", source),
        kind=kind,
        required=bool(doc.get("required", True)),
        population=population,
        columns=columns,
        flag_sets=flag_sets,
        constants=dict(doc.get("constants") or {}),
        exact=exact,
        stripped=stripped,
    )


@cache
def load_mappings() -> dict[str, Mapping]:
    """Every extract's mapping by source system, in name order."""
    folder = files("ingest") / "mappings"
    mappings = [
        parse_mapping(entry.read_text(encoding="utf-8"))
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".yaml") and entry.name != "common.yaml"
    ]
    return {m.source_system: m for m in mappings}
