"""Identity numbers (GB 11643): valid 18-character numbers for the truth, and the
forms a department's file turns them into (sources.md, *Identity numbers*)."""

from __future__ import annotations

import numpy as np

WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
CHECK = "10X98765432"
FULLWIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")


def check_digit(body17: str) -> str:
    """The 18th character for a 17-digit body."""
    return CHECK[int(np.dot(np.frombuffer(body17.encode(), dtype=np.uint8) - 48, WEIGHTS)) % 11]


def make_ids(areas: np.ndarray, births: np.ndarray, male: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Unique valid numbers: area code, birth date, a sequence whose last digit is odd
    for a male, and the check digit. ``births`` are numpy datetime64[D]."""
    dates = np.datetime_as_string(births.astype("datetime64[D]")).astype("U10")
    compact = np.char.replace(dates, "-", "")
    seen: set[str] = set()
    out = np.empty(len(areas), dtype=object)
    seq = rng.integers(0, 500, size=len(areas)) * 2 + np.where(male, 1, 0)
    for i, (area, day) in enumerate(zip(areas.tolist(), compact.tolist(), strict=True)):
        s = int(seq[i])
        while True:
            body = f"{area}{day}{s:03d}"
            if body not in seen:
                break
            s = (s + 2) % 1000
        seen.add(body)
        out[i] = body + check_digit(body)
    return out


def legacy15(id18: str) -> str:
    """The 15-digit number an adult may still carry (year without century, no check)."""
    return id18[:6] + id18[8:17]


def zeroed(id18: str) -> str:
    """Excel's float precision: the last three characters become 000."""
    return id18[:15] + "000"


def float_text(id18: str) -> str:
    """Excel's scientific display of a number it took for a float."""
    mantissa, exponent = f"{int(id18[:17] + '0'):.5E}".split("E")
    return f"{mantissa.rstrip('0').rstrip('.')}E{exponent}"


def wrong_check(id18: str) -> str:
    """The same number with a check digit that does not fit."""
    right = id18[17].upper()
    options = [c for c in "0123456789X" if c != right]
    return id18[:17] + options[int(id18[10:16]) % len(options)]


def mess_id(id18: str | None, kind: str, rng_value: float, rates: dict[str, float], adult: bool) -> object:
    """One number as a staffer's file shows it; ``rng_value`` in [0, 1) picks the form
    by the cumulative ``rates`` (unlisted forms never happen)."""
    if not id18:
        return None
    edges = np.cumsum(list(rates.values()))
    position = int(np.searchsorted(edges, rng_value, side="right"))
    if position >= len(edges):
        return id18
    form = list(rates)[position]
    if form == "blank":
        return None
    if form == "zeroed":
        return zeroed(id18) if kind == "text" else int(zeroed(id18))
    if form == "float_text":
        return float_text(id18) if kind == "text" else float(id18[:17] + "0")
    if form == "wrong_check":
        return wrong_check(id18)
    if form == "legacy15":
        return legacy15(id18) if adult else id18
    if form == "lower_x":
        return id18.replace("X", "x")
    if form == "fullwidth":
        return id18.translate(FULLWIDTH)
    if form == "spaces":
        return f"{id18[:6]} {id18[6:14]} {id18[14:]}"
    if form == "apostrophe":
        return "'" + id18
    return id18
