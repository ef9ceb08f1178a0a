"""Names of the city's people: Han names drawn from weighted pools, Yi and Lisu names with
their separator dot, and the two ways a clerk changes a name without meaning to (a
homophone typed for a character, traditional characters)."""

from __future__ import annotations

from functools import cached_property

import numpy as np
from pypinyin import Style, lazy_pinyin

from synth.rng import choose, pick


class Names:
    """Name pools of world.yaml, drawn vectorised."""

    def __init__(self, cfg: dict):
        self.cfg = cfg
        self.sep = cfg["name_separator"]
        self._traditional: dict[str, str] = {}

    def surnames(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return choose(rng, self.cfg["surnames"], n)

    def han_given(self, rng: np.random.Generator, male: np.ndarray, adult: bool) -> np.ndarray:
        """One or two characters; children's names often come whole from the popular lists."""
        n = len(male)
        m_chars = self.cfg["adult_chars_male" if adult else "given_chars_male"]
        f_chars = self.cfg["adult_chars_female" if adult else "given_chars_female"]
        first = np.where(male, pick(rng, m_chars, n), pick(rng, f_chars, n))
        second = np.where(male, pick(rng, m_chars, n), pick(rng, f_chars, n))
        single = rng.random(n) < self.cfg["single_char_given"]
        built = np.where(single, first, first + second)
        if adult:
            return built
        common = np.where(
            male,
            choose(rng, self.cfg["common_given_male"], n),
            choose(rng, self.cfg["common_given_female"], n),
        )
        return np.where(rng.random(n) < self.cfg["common_given_share"], common, built)

    def minority_family(self, rng: np.random.Generator, group: np.ndarray) -> np.ndarray:
        """Yi clan or Lisu family name; empty for other groups."""
        n = len(group)
        yi = pick(rng, self.cfg["yi_clans"].split(), n)
        lisu = pick(rng, self.cfg["lisu_families"].split(), n)
        return np.where(group == "yi", yi, np.where(group == "lisu", lisu, ""))

    def minority_given(self, rng: np.random.Generator, group: np.ndarray, male: np.ndarray) -> np.ndarray:
        n = len(group)
        c = self.cfg
        yi = np.where(
            male, pick(rng, c["yi_given_male"].split(), n), pick(rng, c["yi_given_female"].split(), n)
        )
        lisu = np.where(
            male, pick(rng, c["lisu_given_male"].split(), n), pick(rng, c["lisu_given_female"].split(), n)
        )
        return np.where(group == "yi", yi, lisu)

    def full(self, family: np.ndarray, given: np.ndarray, dotted: np.ndarray) -> np.ndarray:
        """Family name + given name, with the separator dot for Yi/Lisu-style names."""
        return np.where(dotted, family + self.sep + given, family + given)

    @cached_property
    def homophones(self) -> dict[str, tuple[str, ...]]:
        """Character -> other characters of the name pools read with the same toneless pinyin."""
        c = self.cfg
        text = "".join(
            [
                c[k]
                for k in ("given_chars_male", "given_chars_female", "adult_chars_male", "adult_chars_female")
            ]
            + ["".join(c["common_given_male"]), "".join(c["common_given_female"]), c["homophone_pool"]]
            + [c[k] for k in ("yi_given_male", "yi_given_female", "lisu_given_male", "lisu_given_female")]
        )
        pool = sorted({ch for ch in text if "\u4e00" <= ch <= "\u9fff"})
        by_sound: dict[str, list[str]] = {}
        for ch in pool:
            by_sound.setdefault(lazy_pinyin(ch, style=Style.NORMAL)[0], []).append(ch)
        return {
            ch: tuple(o for o in group if o != ch)
            for group in by_sound.values()
            for ch in group
            if len(group) > 1
        }

    def homophone(self, name: str, rng: np.random.Generator) -> str:
        """One character of the given name typed as another that sounds the same; the name
        itself when no character of it has a homophone in the pools."""
        start = name.index(self.sep) + 1 if self.sep in name else 1
        spots = [i for i in range(start, len(name)) if name[i] in self.homophones]
        if not spots:
            return name
        i = spots[int(rng.integers(0, len(spots)))]
        options = self.homophones[name[i]]
        return name[:i] + options[int(rng.integers(0, len(options)))] + name[i + 1 :]

    def traditional(self, name: str) -> str:
        if name not in self._traditional:
            self._traditional[name] = self._s2t.convert(name)
        return self._traditional[name]

    @cached_property
    def _s2t(self):
        import opencc

        return opencc.OpenCC("s2t")
