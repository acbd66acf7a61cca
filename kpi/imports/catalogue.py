"""What a sheet's words can mean: branches and components by every name users write, as plain data (no database).

`kpi.imports.selectors.catalogue_for` fills it from the database; the reader and the validator only look
things up here, so a name means the same in the web import, the command line and the API.
"""

import re
import unicodedata
from dataclasses import dataclass, field

# Longest first: 南京市中心支公司 → 南京市 → 南京.
BRANCH_SUFFIXES = ("中心支公司", "分公司", "支公司", "中支", "公司", "市", "省")
ROLE_WORDS = {"分子": "numerator", "分母": "denominator", "第二项分子": "numerator2", "第二项分母": "denominator2"}
_UNIT = re.compile(r"\((?:件|户|人|次|天|万元|元|%|个)\)$")
_SPACE = re.compile(r"\s+")


def normalize(text) -> str:
    """Full-width folded (NFKC), no spaces, lower case, a trailing unit in brackets dropped: 'Ｂ （件）' → 'b'."""
    folded = unicodedata.normalize("NFKC", "" if text is None else str(text))
    return _UNIT.sub("", _SPACE.sub("", folded).lower())


def short_name(key: str) -> str:
    """A normalised branch name without its level suffixes: 南京市中心支公司 → 南京."""
    changed = True
    while changed:
        changed = False
        for suffix in BRANCH_SUFFIXES:
            if key.endswith(suffix) and len(key) > len(suffix):
                key, changed = key[: -len(suffix)], True
    return key


@dataclass
class Catalogue:
    """Branch and component names of one import: each key maps to every code it may mean."""

    branch_keys: dict[str, set[str]] = field(default_factory=dict)
    branch_names: dict[str, str] = field(default_factory=dict)
    totals_keys: set[str] = field(default_factory=set)
    component_keys: dict[str, set[str]] = field(default_factory=dict)
    # normalised indicator name → role word (分子…) or normalised component name → component code
    indicator_parts: dict[str, dict[str, str]] = field(default_factory=dict)
    component_names: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    entered: set[str] = field(default_factory=set)
    derived: set[str] = field(default_factory=set)
    # (part, whole) of every percentage indicator: the part may not exceed the whole in a month
    pairs: list[tuple[str, str]] = field(default_factory=list)

    def add_branch(self, code: str, name: str, aliases=()) -> None:
        self.branch_names[code] = name
        for key in {normalize(code), normalize(name), short_name(normalize(name)), *(normalize(a) for a in aliases)}:
            if key:
                self.branch_keys.setdefault(key, set()).add(code)

    def branch_matches(self, text) -> set[str]:
        """Codes the text may name: an exact code, name or alias first, then the name without level suffixes."""
        key = normalize(text)
        if not key:
            return set()
        return self.branch_keys.get(key) or self.branch_keys.get(short_name(key), set())

    def is_totals_row(self, text) -> bool:
        key = normalize(text)
        return key.startswith(("合计", "总计", "小计", "汇总", "全省")) or key in self.totals_keys or short_name(key) in self.totals_keys

    def add_component(self, code: str, name: str, unit: str, *, derived: bool, name_en: str = "") -> None:
        self.component_names[code], self.units[code] = name, unit
        (self.derived if derived else self.entered).add(code)
        for key in {normalize(code), normalize(name), normalize(name_en)}:
            if key:
                self.component_keys.setdefault(key, set()).add(code)

    def add_totals(self, name: str) -> None:
        """A row naming the province itself (its total) is skipped like 合计."""
        self.totals_keys |= {normalize(name), short_name(normalize(name))}

    def add_indicator(self, name: str, roles: dict[str, str], percent: bool, parts_of=()) -> None:
        """An indicator's components by role (numerator → code …), so '指标名 + 分子' finds its component."""
        parts = self.indicator_parts.setdefault(normalize(name), {})
        for code in parts_of:
            parts[normalize(self.component_names.get(code, code))] = code
        for role, code in roles.items():
            word = next(w for w, r in ROLE_WORDS.items() if r == role)
            parts[word] = code
            parts[normalize(self.component_names.get(code, code))] = code
        if percent:
            for num, den in (("numerator", "denominator"), ("numerator2", "denominator2")):
                if roles.get(num) and roles.get(den) and (roles[num], roles[den]) not in self.pairs:
                    self.pairs.append((roles[num], roles[den]))

    def component_matches(self, text, *, under: str = "") -> set[str]:
        """Codes a header or cell may mean: a code or a name; under an indicator's name, its 分子/分母 or part names.

        A long-layout cell may also say both at once: '双录首次质检合格率分子'.
        """
        key, group = normalize(text), normalize(under)
        if not key:
            return set()
        if group and group in self.indicator_parts:
            found = self.indicator_parts[group].get(key)
            if found:
                return {found}
        if key in self.component_keys:
            return self.component_keys[key]
        for word in sorted(ROLE_WORDS, key=len, reverse=True):
            stem = key.removesuffix(word).rstrip("-_·:：/")
            if stem != key and stem in self.indicator_parts and word in self.indicator_parts[stem]:
                return {self.indicator_parts[stem][word]}
        return set()

    def is_indicator(self, text) -> bool:
        return normalize(text) in self.indicator_parts
