"""Each department's clean extract: who it holds and what it wrote, before any mess.

One frame per source system, columns named as the `field`s of extracts.yaml, plus
`person_id` (the true person of the row), `split` (which file of the folder the row
goes to) and what the truth needs beyond the cells (the parents' person ids).
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from synth.ledger import ledger_rows
from synth.rng import stream
from synth.rosters import assistance_rows, poverty_rows
from synth.services import disability_rows, education_rows, health_rows, insurance_rows
from synth.staff import staff_rows
from synth.world import World


def build_extracts(
    world: World, rates: dict[str, float], labels: dict, as_of: date, seed: int
) -> dict[str, pd.DataFrame]:
    cfg = world.names.cfg

    def rng(name: str):
        return stream(seed, "extract", name)

    return {
        "civil_affairs_children": ledger_rows(world, rates, labels, as_of, rng("ledger")),
        "civil_affairs_assistance": assistance_rows(world, cfg, labels, as_of, rng("assistance")),
        "poverty_households": poverty_rows(world, rates, as_of, rng("poverty")),
        "disability_certificates": disability_rows(world, rates, labels, as_of, rng("disability")),
        "education_students": education_rows(world, rates, labels, as_of, rng("education")),
        "health_insurance": insurance_rows(world, cfg, as_of, rng("insurance")),
        "health_conditions": health_rows(world, rates, cfg, as_of, rng("health")),
        "civil_affairs_staff": staff_rows(world.places, world.names, rates, rng("staff")),
    }
