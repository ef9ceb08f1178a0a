"""What every extract needs to say about a person: identity fields, guardian, address."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synth.names import Names
from synth.rng import pick
from synth.world import LOST, World, phones

PERSON_FIELDS = ["person_id", "name", "male", "birth", "id_number", "ethnicity"]


def identity(world: World, person_ids: pd.Series) -> pd.DataFrame:
    """Name, sex ('M'/'F'), birth date, identity number and ethnicity of each person id."""
    kids = world.children[PERSON_FIELDS]
    adults = world.adults[PERSON_FIELDS[:-1]].assign(
        ethnicity=world.families["ethnicity"].to_numpy()[world.adults["family"].to_numpy()]
    )
    people = pd.concat([kids, adults], ignore_index=True).set_index("person_id")
    out = people.reindex(person_ids.to_numpy())
    return pd.DataFrame(
        {
            "person_id": person_ids.to_numpy(),
            "name": out["name"].to_numpy(),
            "sex": np.where(out["male"].to_numpy(dtype=bool), "M", "F"),
            "birth_date": out["birth"].to_numpy(),
            "id_number": out["id_number"].to_numpy(),
            "ethnicity": out["ethnicity"].to_numpy(),
        }
    )


def adult_field(world: World, pids: np.ndarray, field: str) -> np.ndarray:
    """A field of adults by person id; None where the id is None."""
    table = world.adults.set_index("person_id")[field]
    return table.reindex(pd.Series(pids).fillna("").to_numpy()).to_numpy(dtype=object)


def guardians(world: World, kids: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Who looks after each child: a parent at home, else a grandparent, else another relative."""
    fam = world.families.iloc[kids["family"].to_numpy()].reset_index(drop=True)
    n = len(kids)
    at_home = {p: (fam[f"{p}_status"] == "normal").to_numpy() for p in ("father", "mother")}
    father_first = rng.random(n) < world.names.cfg["shares"]["guardian_father_first"]
    use_father = at_home["father"] & (father_first | ~at_home["mother"])
    use_mother = at_home["mother"] & ~use_father
    paternal = (fam["gp_side"] == "paternal").to_numpy()
    use_gm = fam["has_gm"].to_numpy() & ~use_father & ~use_mother
    use_gf = fam["has_gf"].to_numpy() & ~use_father & ~use_mother & ~use_gm
    pid = np.select(
        [use_father, use_mother, use_gm, use_gf],
        [fam["father_pid"], fam["mother_pid"], fam["grandmother_pid"], fam["grandfather_pid"]],
        None,
    )
    relation = np.select(
        [use_father, use_mother, use_gm & paternal, use_gm, use_gf & paternal, use_gf],
        ["father", "mother", "grandmother", "maternal_grandmother", "grandfather", "maternal_grandfather"],
        "",
    ).astype(object)
    relative = pd.isna(pid)
    names: Names = world.names
    cfg = names.cfg
    male = rng.random(n) < cfg["male_share"]
    rel_name = names.surnames(rng, n) + names.han_given(rng, male, adult=True)
    out = pd.DataFrame(
        {
            "guardian_pid": pid,
            "guardian_name": np.where(relative, rel_name, adult_field(world, pid, "name")),
            "guardian_relation": np.where(relative, pick(rng, cfg["relatives"], n), relation),
            "guardian_phone": np.where(relative, phones(rng, n, cfg), adult_field(world, pid, "phone")),
        }
    )
    return out


def present(world: World, role: str, families: np.ndarray) -> np.ndarray:
    """Whether a parent exists and is not dead or missing (so would be on a household roster)."""
    fam = world.families
    return (fam[f"{role}_pid"].notna() & ~fam[f"{role}_status"].isin(LOST)).to_numpy()[families]


def addresses(world: World, rows: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """A 户籍地址 in the child's village: a 组 in a 村, a building in a 社区."""
    cfg = world.names.cfg
    counties = rows["county_code"].map({k: v[0] for k, v in cfg["counties"].items()})
    prefix = cfg["province"] + cfg["city"] + counties + rows["township"] + rows["village"]
    number = pd.Series(rng.integers(1, 13, len(rows))).astype(str).to_numpy()
    rural = rows["village"].str.endswith("村").to_numpy()
    return (prefix.to_numpy() + number + np.where(rural, "组", "号楼")).astype(object)


def hukou_labels(cfg: dict, labels: dict, rural: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """户口性质 as an office writes it: 居民户口 for some, else 农业/非农业 by the child's hukou."""
    resident = rng.random(len(rural)) < cfg["resident_hukou_share"]
    rural_label, resident_label = labels["hukou"]["rural"]
    urban_label = labels["hukou"]["urban"][0]
    return np.where(resident, resident_label, np.where(rural, rural_label, urban_label)).astype(object)
