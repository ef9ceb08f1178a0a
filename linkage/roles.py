"""How likely an undated roster row is to be a child at all, from its relationship to
the head, as a term of the match weight.

A roster row without a birth date or usable number is *undetermined* (registry.md): it
is linked like a child's record, and becomes one only if it joins a child. The model's
prior is the probability that two children's records are one child; for a pair with an
undetermined row that holds only if the row is a child's, so its prior odds are the
model's times P(child). A 子 or 孙女 is nearly always a child, a 其他 or 兄弟姐妹 often
an adult: without this term a grandparent whose name a child of the same county also
bears was joined to that child, who then became a false poor_family.

P(child | relationship) is read from the roster rows of this sync that do have a birth
date, so it is the city's own and not a guess: (children + 1) / (dated + 2).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ROLE = "relationship"  # the weights' entry (review workbook, explanations)


def child_share(staged: pd.DataFrame) -> pd.Series:
    """relationship → P(child) among the dated roster rows (relationship known, role
    child or adult) of ``staged``, smoothed towards one half."""
    dated = staged.loc[staged["relationship"].notna() & staged["role"].isin(["child", "adult"])]
    children = dated["role"].eq("child").groupby(dated["relationship"]).agg(["sum", "count"])
    return (children["sum"] + 1) / (children["count"] + 2)


def role_weights(candidates: pd.DataFrame, share: pd.Series) -> pd.Series:
    """record_id → log2 P(child) for the undetermined rows of ``candidates`` (0 for the
    others). A relationship no dated row has gets one half."""
    undetermined = candidates["role"].eq("undetermined")
    p = candidates["relationship"].map(share).fillna(0.5).where(undetermined, 1.0)
    return pd.Series(np.log2(p.to_numpy(dtype=float)), index=candidates["record_id"].to_numpy())


def weigh_roles(scored: pd.DataFrame, weights: pd.Series, lower: float) -> pd.DataFrame:
    """``scored`` (Splink's pairs) with each side's role weight added to its match
    weight and probability, kept as the column ``mw_relationship``; pairs that fall
    below ``lower`` are dropped, as Splink drops them."""
    term = scored["record_id_l"].map(weights).fillna(0.0) + scored["record_id_r"].map(weights).fillna(0.0)
    weight = pd.to_numeric(scored["match_weight"]).astype("float64") + term
    probability = 1.0 / (1.0 + np.exp2(-weight))
    out = scored.assign(match_weight=weight, match_probability=probability, **{f"mw_{ROLE}": term})
    return out.loc[out["match_probability"] >= lower].reset_index(drop=True)
