"""The family graph: each child's parents, and what the sources say about them.

A child has two parent slots, father and mother. They are filled from the
civil-affairs ledger's 父亲/母亲 columns and from household rosters, where a
child whose 与户主关系 is 子/女 has the household's 户主 and 配偶 as parents
(a grandchild gets none: its parents are unknown). A parent is a *person*: the
same adult in several ledger rows and rosters is one person when the valid
identity number matches (ledger father_id/mother_id ↔ roster id_number), or when
they fill the same slot of one child under one name (or names that sound alike: one
office writes 李明子, another 李明梓), so a fact recorded anywhere
about that person reaches every child of theirs. A ledger number that would make the
parent younger or older than a parent can be (``family.parent_age_at_birth``) is a
typo and keys nobody: the name then joins that parent to the roster's.

Facts are reduced to three kinds the categories need: ``absent`` (死亡/失踪),
``unable`` (服刑在押, 强制隔离戒毒, 重残, 重病, …) and ``away`` (外出务工, or a
roster's 县外省内/省外务工). A poverty roster's 健康状况 is never a fact about a
parent's ability: it is not read here.
"""

from __future__ import annotations

import pandas as pd

from policy.evidence import cite
from policy.extracts import Extracts
from policy.ruleset import Rules
from policy.sources import LEDGER, ROSTERS
from values.cells import apply_unique
from values.ids import could_be_parents
from values.names import folded_pinyin, name_norm

SLOTS = ("father", "mother")
_SEX_SLOT = {"M": "father", "F": "mother"}
_OTHER_SLOT = {"father": "mother", "mother": "father"}


def parent_links(extracts: Extracts, rules: Rules) -> pd.DataFrame:
    """child_id, slot, person: who fills each child's parent slots, from every source."""
    links, _ = _links(extracts, _roster_adults(extracts, rules), rules)
    return links


def parent_facts(extracts: Extracts, rules: Rules) -> pd.DataFrame:
    """child_id, slot, kind (absent / unable / away) with the evidence items behind each."""
    adults = _roster_adults(extracts, rules)
    facts = pd.concat([_ledger_facts(extracts, rules), _roster_facts(adults, rules)], ignore_index=True)
    links, one = _links(extracts, adults, rules)
    facts = facts.assign(person=_as_one(facts["person"], one))
    return links.merge(facts, on="person").drop(columns="person").drop_duplicates()


def _links(extracts: Extracts, adults: pd.DataFrame, rules: Rules) -> tuple[pd.DataFrame, dict[str, str]]:
    """The links, and the person keys that :func:`_one_person` merges."""
    named = pd.concat(
        [_ledger_links(extracts, rules), _roster_links(extracts, adults, rules)], ignore_index=True
    )
    one = _one_person(named)
    links = named.assign(person=_as_one(named["person"], one))[["child_id", "slot", "person"]]
    return links.drop_duplicates(), one


def _one_person(links: pd.DataFrame) -> dict[str, str]:
    """Persons who fill the same parent slot of the same child under the same name are one.

    A parent's number is often blank, mangled or mistyped on the ledger or on the roster
    (sources.md), and then the ledger's father and the roster's head of the same child's
    household are two keys, so a status on a sibling's ledger row would not reach a child
    known only from the roster. Names are compared by sound (folded pinyin, as linkage
    compares carers): offices write a parent's name in homophones (sources.md), and one
    child's father slot holds no two men whose names sound alike. Two different valid
    numbers stay two persons."""
    sound = apply_unique(links["name"], lambda name: folded_pinyin(name_norm(name)))
    rows = links.assign(name=sound).dropna(subset=["name"])
    rows = rows.drop_duplicates(["child_id", "slot", "name", "person"])
    # Only slots named by two or more keys: at a million children a groupby over every
    # slot, in Python, took minutes.
    rows = rows[rows.duplicated(["child_id", "slot", "name"], keep=False)]
    one: dict[str, str] = {}
    for persons in rows.groupby(["child_id", "slot", "name"])["person"].agg(list):
        if sum(p.startswith("id:") for p in persons) > 1:
            continue
        roots = sorted({_root(one, p) for p in persons})
        for root in roots[1:]:
            one[root] = roots[0]
    return {person: _root(one, person) for person in one}


def _as_one(persons: pd.Series, one: dict[str, str]) -> pd.Series:
    """Each person key as the one :func:`_one_person` merged it into (a lookup: pandas'
    ``replace`` with a dict of many keys grew with keys times rows)."""
    return persons.map(one).fillna(persons)


def _root(one: dict[str, str], person: str) -> str:
    while person in one:
        person = one[person]
    return person


def _person(id_number: pd.Series, fallback: pd.Series) -> pd.Series:
    """A parent's key: the identity number when valid, else the one row that names them."""
    return ("id:" + id_number).fillna("row:" + fallback)


def _ledger_parents(extracts: Extracts, slot: str, rules: Rules) -> pd.DataFrame:
    ledger = extracts.of(LEDGER)
    named = ledger[[f"{slot}_name", f"{slot}_id", f"{slot}_status"]].notna().any(axis=1)
    rows = ledger[named]
    number = rows[f"{slot}_id"]
    ages = tuple(rules.family["parent_age_at_birth"])
    number = number.where(could_be_parents(number, rows["birth_date"], ages))
    return rows.assign(person=_person(number, rows["record_id"] + ":" + slot))


def _ledger_links(extracts: Extracts, rules: Rules) -> pd.DataFrame:
    """child_id, slot, person and the parent's name as the ledger writes it."""
    frames = []
    for slot in SLOTS:
        rows = _ledger_parents(extracts, slot, rules)
        frames.append(
            rows.assign(slot=slot, name=rows[f"{slot}_name"])[["child_id", "slot", "person", "name"]]
        )
    return pd.concat(frames, ignore_index=True)


def _ledger_facts(extracts: Extracts, rules: Rules) -> pd.DataFrame:
    kind_of = {status: kind for kind, statuses in rules.parent_status.items() for status in statuses}
    frames = []
    for slot in SLOTS:
        rows = _ledger_parents(extracts, slot, rules)
        kind = rows[f"{slot}_status"].map(kind_of)
        rows, kind = rows[kind.notna()], kind[kind.notna()]
        frames.append(cite(rows, f"{slot}_status", person=rows["person"], kind=kind))
    return pd.concat(frames, ignore_index=True)


def _roster_adults(extracts: Extracts, rules: Rules) -> pd.DataFrame:
    """Heads and spouses of roster households, each with a parent slot and a person key.

    The slot follows the adult's sex; where it is unknown, the slot left free by
    the partner of known sex, else father for the head and mother for the spouse.
    """
    default_slot = rules.family["parent_relationships"]
    roles = list(default_slot)
    adults = extracts.unlinked(*ROSTERS)
    adults = adults[adults["relationship"].isin(roles) & adults["household_id"].notna()]
    known = adults["sex"].map(_SEX_SLOT)
    partner_role = adults["relationship"].map(dict(zip(roles, reversed(roles), strict=True)))
    known_by_role = (
        pd.DataFrame({"household_id": adults["household_id"], "role": adults["relationship"], "slot": known})
        .dropna()
        .drop_duplicates(["household_id", "role"])
        .set_index(["household_id", "role"])["slot"]
    )
    partner_slot = pd.Series(
        known_by_role.reindex(pd.MultiIndex.from_arrays([adults["household_id"], partner_role])).to_numpy(),
        index=adults.index,
    )
    fallback = partner_slot.map(_OTHER_SLOT).where(
        partner_slot.notna(), adults["relationship"].map(default_slot)
    )
    slot = known.where(known.notna(), fallback)
    return adults.assign(slot=slot, person=_person(adults["id_number"], adults["record_id"]))


def _roster_links(extracts: Extracts, adults: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    children = extracts.of(*ROSTERS)
    children = children[children["relationship"].isin(rules.family["child_relationships"])]
    return children[["child_id", "household_id"]].merge(
        adults.reindex(columns=["household_id", "slot", "person", "name"])
    )[["child_id", "slot", "person", "name"]]


def _roster_facts(adults: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    away = adults[adults["work_status"].isin(rules.work_status_away)]
    return cite(away, "work_status", person=away["person"], kind="away")
