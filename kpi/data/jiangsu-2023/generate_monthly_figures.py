"""Generate the demo's monthly input figures for the Jiangsu 2023 consumer-protection scheme.

Developer tool, run by hand; the app never runs or imports it.  It writes
``monthly_figures.csv`` next to itself: one row per branch, component and month
for 2023-01..2023-08 (every component of the scheme) plus 2022-01..2022-08 for
the components the year-on-year indicators need (premium and complaints).

The figures are invented, but built so that the app's Jan–Aug aggregates
reproduce the published 1–8月 results exactly:

* every indicator's Jan–Aug 2023 aggregate, rounded half-up to the indicator's
  precision, equals the published value (and value2 for the call-back indicator);
* the Jan–Aug 2022 aggregates of the own-complaint indicators equal the published
  ``previous`` values;
* shared components (premium, complaint counts, paid claims, successful
  call-backs) are consistent across every indicator that uses them;
* the published regulator-complaint scores come out of the scheme's bands when
  the provincial average is ``OFFICIAL_AVERAGE`` (see ``check_regulator_scores``).

The regulator indicator's provincial average T is not the 13 branches' own
average.  Their published own-complaint counts and rates fix each premium to a
narrow window and their regulator rates then force every regulator count (43 in
all), so Σreg × 10000 / Σpremium over the 13 branches is about 0.728 件/亿元,
while the published scores need about 0.365: a province-wide figure covering more
premium than these branches.  The script therefore checks the published scores
against ``OFFICIAL_AVERAGE`` (scoring the unrounded ratio; with the rounded
ratios no single average reproduces them all) and only reports the 13-branch T.

Totals are chosen first (the exact ratio equals the published figure where a
denominator near the planned size allows it, otherwise the first denominator
whose rounded ratio matches), then spread over the months with a seeded RNG,
keeping every numerator within its denominator month by month.  The script only
reads the scheme and the published results in this project, and checks all of
the above with asserts before it writes the file.

Usage:  python kpi/data/jiangsu-2023/generate_monthly_figures.py
"""

import csv
import json
import random
import statistics
from bisect import bisect_left, bisect_right
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCHEME_PATH = HERE.parent / "schemes" / "jiangsu-2023.json"
PUBLISHED_PATH = HERE / "published_indicator_values_and_scores.csv"
OUTPUT_PATH = HERE / "monthly_figures.csv"

SEED = 20230831
MONTHS_2023 = [f"2023-{m:02d}" for m in range(1, 9)]
MONTHS_2022 = [f"2022-{m:02d}" for m in range(1, 9)]
PRIOR_YEAR_COMPONENTS = ("premium_wan", "own_complaints", "reg_complaints")
CENT_COMPONENTS = ("premium_wan",)  # stored in cents while generating, written with 2 decimals

# The provincial regulator-complaint average the published scores were computed
# against.  It covers the whole province, not just the 13 branches (whose own
# average is about twice as high), so it cannot be derived from these figures.
OFFICIAL_AVERAGE = Fraction("0.3650")
BRIEF_WINDOW = (Fraction("0.36520"), Fraction("0.36535"))

# Monthly shapes: new business peaks in January (开门红) and dips at Spring Festival.
SALES_PROFILE = [2.6, 1.1, 1.5, 0.9, 0.9, 1.2, 0.9, 0.9]
FLAT_PROFILE = [1.0, 0.8, 1.05, 1.0, 1.0, 1.05, 1.0, 1.05]

# Plain rate indicators: planned Jan–Aug denominator for a median-sized branch, monthly shape.
RATE_PLANS = {
    "sl_nonbank": (3000, SALES_PROFILE),
    "sl_bank": (60, SALES_PROFILE),
    "cust_info_stock": (5000, FLAT_PROFILE),
    "cust_info_new": (2500, SALES_PROFILE),
    "claim_pay_rate": (1250, FLAT_PROFILE),
    "claim_close_rate": (1000, FLAT_PROFILE),
    "repeat_calls": (250, FLAT_PROFILE),
    "dispute_mediation": (6, FLAT_PROFILE),
    "dispute_execution": (4, FLAT_PROFILE),
}
CLAIMS_PLAN = 1200  # paid claims per median-sized branch, Jan–Aug
CALLBACKS_PLAN = 4000  # call-backs due per median-sized branch, Jan–Aug
SMALL_PLANS = ("dispute_mediation", "dispute_execution")  # sized independently of the branch

# A zero denominator (so the indicator shows its empty value) is only acceptable
# where the published figures force it: no regulator complaints at all.
ALLOWED_EMPTY = {"complaint_15d_reg"}

# Month-on-month pairs that must hold in every month: (smaller, larger).
MONTHLY_BOUNDS = [
    ("sl_nonbank_passed", "sl_nonbank_checked"),
    ("sl_bank_passed", "sl_bank_checked"),
    ("stock_customer_issues", "stock_customers_checked"),
    ("new_customer_issues", "new_customers_checked"),
    ("claims_decided_paid", "claims_decided"),
    ("personal_claims_closed", "personal_claims_reported"),
    ("callbacks_succeeded", "callbacks_due"),
    ("callbacks_online", "callbacks_succeeded"),
    ("repeat_call_cases", "transferred_cases"),
    ("reg_closed_15d", "reg_complaints"),
    ("own_closed_15d", "own_complaints"),
    ("disputes_mediated", "disputes_to_mediate"),
    ("agreements_executed", "mediation_agreements"),
]
DAY_TOTALS = {"event_to_pay_days": "claims_paid_cases", "claim_to_pay_days": "claims_paid_cases"}

COMPLAINT_INDICATORS = ("own_complaints_count", "own_complaints_per_100m", "reg_complaints_per_100m")
HALF = Fraction(1, 2)


# ---------------------------------------------------------------- arithmetic


def round_half_up(value, precision):
    """Round a Fraction half-up to `precision` decimals, as a Fraction."""
    unit = Fraction(1, 10**precision)
    return (value / unit + HALF).__floor__() * unit


def as_decimal(value):
    """An int or Fraction (with a short decimal expansion) as a Decimal."""
    value = Fraction(value)
    return Decimal(value.numerator) / Decimal(value.denominator)


def aggregate(num, den, scale, precision, empty=None):
    """The app's aggregate: Σnum / Σden × scale rounded half-up, or the empty value when Σden is 0."""
    if den == 0:
        return None if empty is None else Fraction(Decimal(empty))
    exact = round_half_up(Fraction(num) / Fraction(den) * Fraction(scale), precision)
    quantum = Decimal(1).scaleb(-precision)
    in_decimal = (as_decimal(num) / as_decimal(den) * as_decimal(scale)).quantize(quantum, ROUND_HALF_UP)
    assert Fraction(in_decimal) == exact, (num, den, scale)
    return exact


def numerator_for(target, den, scale, precision, bounded=True, exact=False):
    """An integer numerator whose ratio to `den` rounds to (or, if `exact`, equals) target, or None."""
    if den == 0:
        return None
    guess = round(target * den / scale)
    for num in (guess, guess - 1, guess + 1):
        if num < 0 or (bounded and num > den):
            continue
        value = Fraction(num, den) * scale
        if (value == target) if exact else (round_half_up(value, precision) == target):
            return num
    return None


def find_pair(target, scale, precision, start, bounded=True, accept=lambda num, den: True):
    """Numerator and denominator near `start` giving `target`: exact if within +50 %, else first rounding match."""
    for exact, dens in ((True, range(start, start + start // 2 + 1)), (False, range(start, start * 100))):
        for den in dens:
            num = numerator_for(target, den, scale, precision, bounded, exact)
            if num is not None and accept(num, den):
                return num, den
    raise AssertionError(f"no denominator from {start} gives {target}")


# ---------------------------------------------------------------- monthly spreading


def apportion(total, weights):
    """Split an integer total in proportion to weights (largest remainder)."""
    weight_sum = sum(weights)
    if total == 0 or weight_sum == 0:
        return [0] * len(weights)
    shares = [Fraction(total) * Fraction(w) / Fraction(weight_sum) for w in weights]
    parts = [int(s) for s in shares]
    by_remainder = sorted(range(len(shares)), key=lambda i: (parts[i] - shares[i], i))
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


def jittered(rng, profile, spread):
    """The profile with every month scaled by a random factor in 1 ± spread."""
    return [round(p * rng.uniform(1 - spread, 1 + spread), 4) for p in profile]


def spread_total(rng, total, profile, spread=0.2):
    """Split a denominator-like total over the months along a jittered profile."""
    if total < 40:
        return scatter(rng, total, jittered(rng, profile, spread))
    return apportion(total, jittered(rng, profile, spread))


def scatter(rng, total, weights, capped=False):
    """Drop `total` units on months one by one at random; if `capped`, weights are capacities."""
    room = list(weights)
    parts = [0] * len(room)
    for _ in range(total):
        i = rng.choices(range(len(room)), weights=room)[0]
        parts[i] += 1
        if capped:
            room[i] -= 1
    return parts


def split_within(rng, num_total, den_months):
    """Split a numerator over months so that no month exceeds its denominator."""
    den_total = sum(den_months)
    assert 0 <= num_total <= den_total
    if 2 * num_total <= den_total:
        return scatter(rng, num_total, den_months, capped=True)
    gaps = scatter(rng, den_total - num_total, den_months, capped=True)
    return [d - g for d, g in zip(den_months, gaps, strict=True)]


def split_days(rng, total_days, cases_months):
    """Split a day total over months roughly as cases × average, with some variation."""
    return apportion(total_days, [c * round(rng.uniform(0.9, 1.1), 4) for c in cases_months])


# ---------------------------------------------------------------- inputs


def load_scheme():
    """The scheme's component codes and its indicators by code."""
    scheme = json.loads(SCHEME_PATH.read_text(encoding="utf-8"))
    components = [c["code"] for c in scheme["components"]]
    indicators = {i["code"]: i for i in scheme["indicators"]}
    return components, indicators


def load_published():
    """Branch codes in published order and {(branch, indicator): row with Fraction values}."""
    branches, published = [], {}
    with PUBLISHED_PATH.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["branch"] not in branches:
                branches.append(row["branch"])
            parsed = {k: (Fraction(Decimal(v)) if v else None) for k, v in row.items() if k not in ("branch", "indicator")}
            published[row["branch"], row["indicator"]] = parsed
    return branches, published


# ---------------------------------------------------------------- premiums and complaints


def cents_range(count, rate):
    """Premium totals in cents (万元 × 100) for which count × 10000 / premium rounds half-up to rate."""
    lo = Fraction(count * 10**6) / (rate + Fraction(1, 200))
    hi = Fraction(count * 10**6) / (rate - Fraction(1, 200)) if rate > Fraction(1, 200) else lo * 10
    return range(lo.__floor__() + 1, hi.__floor__() + 1)


def overlap(first, second):
    """The common part of two ranges."""
    return range(max(first.start, second.start), min(first.stop, second.stop))


def per_100m(count, cents, precision=2):
    """Complaints per 100M CNY of premium (count × 10000 / premium in 万元), rounded."""
    return aggregate(count, Fraction(cents, 100), 10000, precision)


def band_score(indicator, ratio):
    """Score of a `bands` rule on ratio_to_target: points + slope × |ratio − anchor|, capped."""
    rule = indicator["rule"]
    for band in rule["bands"]:
        low, high = band.get("min"), band.get("max")
        if low is not None and (ratio < Fraction(low) or (ratio == Fraction(low) and band.get("min_inclusive") is False)):
            continue
        if high is not None and (ratio > Fraction(high) or (ratio == Fraction(high) and not band.get("max_inclusive"))):
            continue
        score = Fraction(band["points"])
        if "slope" in band:
            score += Fraction(band["slope"]) * abs(ratio - Fraction(band["anchor"]))
        cap = Fraction(indicator["base_points"]) + Fraction(indicator["bonus_cap"])
        return round_half_up(min(max(score, Fraction(0)), cap), 2)
    raise AssertionError(f"no band for {ratio}")


def regulator_score(indicator, reg_count, cents):
    """The regulator-complaint score of reg_count complaints on a premium (cents) at OFFICIAL_AVERAGE."""
    return band_score(indicator, Fraction(reg_count * 10**6, cents) / OFFICIAL_AVERAGE)


def regulator_windows(own_count, own_rate, reg_rate):
    """Each regulator count that fits with its premium window (cents) reproducing both per-100M rates."""
    own_window = cents_range(own_count, own_rate)
    if reg_rate == 0:
        return [(0, own_window)]
    highest = reg_rate * own_window.stop / 10**6 + 1
    windows = [(k, overlap(own_window, cents_range(k, reg_rate))) for k in range(1, int(highest) + 1)]
    return [(k, window) for k, window in windows if window]


def regulator_fit(indicator, own_count, own_rate, reg_rate, reg_score):
    """The regulator count and the premiums (cents) that also reproduce the published regulator score."""
    for reg_count, window in regulator_windows(own_count, own_rate, reg_rate):
        # The score rises with the premium, so the premiums giving the published score form a run.
        score_at = partial(regulator_score, indicator, reg_count)
        candidates = window[bisect_left(window, reg_score, key=score_at) : bisect_right(window, reg_score, key=score_at)]
        if candidates:
            return reg_count, candidates
    raise AssertionError(f"no premium gives {own_count} own complaints at {own_rate} and a regulator rate of {reg_rate}")


def branch_average_bounds(branches, published):
    """The range the 13-branch regulator average can take at all, given every branch's published complaint figures."""
    reg_total, low_cents, high_cents = 0, 0, 0
    for b in branches:
        own, own_rate, reg_rate = (published[b, code]["value"] for code in COMPLAINT_INDICATORS)
        fits = regulator_windows(int(own), own_rate, reg_rate)
        assert len(fits) == 1, f"{b}: the regulator count is not forced"
        reg_count, window = fits[0]
        reg_total, low_cents, high_cents = reg_total + reg_count, low_cents + window.start, high_cents + window.stop - 1
    return Fraction(reg_total * 10**6, high_cents), Fraction(reg_total * 10**6, low_cents)


def choose_complaints(rng, branches, published, reg_indicator):
    """Per branch: premiums (cents) and complaint counts for 2023 and 2022 matching every published figure."""
    chosen = {}
    for b in branches:
        own, own_rate, reg_rate = (published[b, code] for code in COMPLAINT_INDICATORS)
        own_count, own_previous = int(own["value"]), int(own["previous"])
        reg_count, candidates = regulator_fit(
            reg_indicator, own_count, own_rate["value"], reg_rate["value"], reg_rate["published_score"]
        )
        premium_2023 = middle_pick(rng, candidates)
        premium_2022 = middle_pick(rng, cents_range(own_previous, own_rate["previous"]))
        assert per_100m(own_count, premium_2023) == own_rate["value"]
        assert per_100m(reg_count, premium_2023) == reg_rate["value"]
        assert per_100m(own_previous, premium_2022) == own_rate["previous"]
        # Last year's regulator complaints feed no published figure: a plausible rate is enough.
        reg_rate_2022 = (reg_rate["value"] + OFFICIAL_AVERAGE) / 2 * Fraction(rng.uniform(0.8, 1.3))
        chosen[b] = {
            "2023": {"premium_wan": premium_2023, "own_complaints": own_count, "reg_complaints": reg_count},
            "2022": {
                "premium_wan": premium_2022,
                "own_complaints": own_previous,
                "reg_complaints": round(reg_rate_2022 * premium_2022 / 10**6),
            },
        }
    return chosen


def middle_pick(rng, candidates):
    """A random element from the middle half of a sorted candidate sequence."""
    quarter = len(candidates) // 4
    return candidates[rng.randint(quarter, len(candidates) - 1 - quarter)]


# ---------------------------------------------------------------- generation


def put(figures, branch, component, months, values):
    """Store one component's monthly values for a branch."""
    for month, value in zip(months, values, strict=True):
        assert value >= 0, (branch, component, month, value)
        figures[branch, component, month] = value


def planned(rng, base, size, spread=0.15):
    """A planned Jan–Aug total: the median-branch base scaled to the branch's size, with some noise."""
    return max(1, round(base * size * rng.uniform(1 - spread, 1 + spread)))


def generate_rates(rng, figures, branch, size, indicators, published):
    """Plain rate indicators: choose totals, spread the denominator, keep the numerator inside it."""
    for code, (base, profile) in RATE_PLANS.items():
        indicator, inputs = indicators[code], indicators[code]["inputs"]
        start = rng.randint(base // 2, base * 2) if code in SMALL_PLANS else planned(rng, base, size)
        num, den = find_pair(published[code]["value"], Fraction(inputs["scale"]), indicator["precision"], start)
        den_months = spread_total(rng, den, profile)
        put(figures, branch, inputs["denominator"], MONTHS_2023, den_months)
        put(figures, branch, inputs["numerator"], MONTHS_2023, split_within(rng, num, den_months))


def generate_claims(rng, figures, branch, size, indicators, published):
    """Both claim cycles, sharing the paid-claims count."""
    event, claim = indicators["claim_cycle_event"], indicators["claim_cycle_claim"]

    def claim_days_for(cases):
        return numerator_for(published["claim_cycle_claim"]["value"], cases, 1, claim["precision"], bounded=False)

    event_days, cases = find_pair(
        published["claim_cycle_event"]["value"],
        1,
        event["precision"],
        planned(rng, CLAIMS_PLAN, size),
        bounded=False,
        accept=lambda num, den: claim_days_for(den) is not None,
    )
    case_months = spread_total(rng, cases, FLAT_PROFILE)
    put(figures, branch, event["inputs"]["denominator"], MONTHS_2023, case_months)
    put(figures, branch, event["inputs"]["numerator"], MONTHS_2023, split_days(rng, event_days, case_months))
    put(figures, branch, claim["inputs"]["numerator"], MONTHS_2023, split_days(rng, claim_days_for(cases), case_months))


def generate_callbacks(rng, figures, branch, size, indicators, published):
    """Call-backs: the successful ones are part 1's numerator and part 2's denominator."""
    callback = indicators["callback"]
    inputs, target = callback["inputs"], published["callback"]

    def online_for(succeeded):
        return numerator_for(target["value2"], succeeded, Fraction(inputs["scale2"]), callback["precision"])

    succeeded, due = find_pair(
        target["value"],
        Fraction(inputs["scale"]),
        callback["precision"],
        planned(rng, CALLBACKS_PLAN, size),
        accept=lambda num, den: online_for(num) is not None,
    )
    due_months = spread_total(rng, due, SALES_PROFILE)
    succeeded_months = split_within(rng, succeeded, due_months)
    put(figures, branch, inputs["denominator"], MONTHS_2023, due_months)
    put(figures, branch, inputs["numerator"], MONTHS_2023, succeeded_months)
    put(figures, branch, inputs["numerator2"], MONTHS_2023, split_within(rng, online_for(succeeded), succeeded_months))


def generate_complaints(rng, figures, branch, chosen, indicators, published):
    """Premium and complaint counts for both years, and this year's 15-day closures within the counts."""
    for year, months in (("2023", MONTHS_2023), ("2022", MONTHS_2022)):
        totals = chosen[year]
        premium_months = apportion(totals["premium_wan"], jittered(rng, SALES_PROFILE, 0.1))
        assert premium_months[0] == max(premium_months)
        put(figures, branch, "premium_wan", months, premium_months)
        for component in ("own_complaints", "reg_complaints"):
            put(figures, branch, component, months, scatter(rng, totals[component], jittered(rng, FLAT_PROFILE, 0.4)))

    for code in ("complaint_15d_own", "complaint_15d_reg"):
        indicator, inputs = indicators[code], indicators[code]["inputs"]
        den_months = [figures[branch, inputs["denominator"], m] for m in MONTHS_2023]
        num = 0
        if sum(den_months):
            num = numerator_for(published[code]["value"], sum(den_months), Fraction(inputs["scale"]), indicator["precision"])
        put(figures, branch, inputs["numerator"], MONTHS_2023, split_within(rng, num, den_months))


def generate(branches, indicators, published):
    """All monthly figures as {(branch, component, month): int} (premium in cents)."""
    rng = random.Random(SEED)
    complaints = choose_complaints(rng, branches, published, indicators["reg_complaints_per_100m"])
    median_premium = statistics.median(c["2023"]["premium_wan"] for c in complaints.values())
    figures = {}
    for b in branches:
        size = (complaints[b]["2023"]["premium_wan"] / median_premium) ** 0.5
        mine = {code: published[b, code] for code in indicators}
        generate_rates(rng, figures, b, size, indicators, mine)
        generate_claims(rng, figures, b, size, indicators, mine)
        generate_callbacks(rng, figures, b, size, indicators, mine)
        generate_complaints(rng, figures, b, complaints[b], indicators, mine)
    return figures


# ---------------------------------------------------------------- output and checks


def to_rows(figures):
    """CSV rows (branch, component, month, value string), sorted by month, branch, component."""
    rows = []
    for (branch, component, month), value in figures.items():
        text = f"{value // 100}.{value % 100:02d}" if component in CENT_COMPONENTS else str(value)
        rows.append((month, branch, component, text))
    rows.sort()
    return [{"branch": b, "component": c, "month": m, "value": v} for m, b, c, v in rows]


def totals_from_rows(rows, months):
    """{(branch, component): Σ value as Fraction} over the given months, read back from the output rows."""
    totals = {}
    for row in rows:
        if row["month"] in months:
            key = row["branch"], row["component"]
            totals[key] = totals.get(key, 0) + Fraction(Decimal(row["value"]))
    return totals


def indicator_value(indicator, totals, branch, part=1):
    """An indicator's aggregate for one branch from component totals (part 2: the second ratio)."""
    inputs, suffix = indicator["inputs"], ("" if part == 1 else "2")
    if "sum" in inputs:
        return round_half_up(totals[branch, inputs["sum"]], indicator["precision"])
    num = totals[branch, inputs["numerator" + suffix]]
    den = totals[branch, inputs["denominator" + suffix]]
    assert den > 0 or indicator["code"] in ALLOWED_EMPTY, (branch, indicator["code"], "empty denominator")
    return aggregate(num, den, Fraction(inputs["scale" + suffix]), indicator["precision"], inputs.get("empty_value"))


def check_published(rows, branches, indicators, published):
    """Constraints 1–3: Jan–Aug aggregates reproduce the published values, value2 and previous."""
    current = totals_from_rows(rows, MONTHS_2023)
    previous = totals_from_rows(rows, MONTHS_2022)
    checked = 0
    for b in branches:
        for code, indicator in indicators.items():
            pub = published[b, code]
            assert indicator_value(indicator, current, b) == pub["value"], (
                b,
                code,
                indicator_value(indicator, current, b),
                pub["value"],
            )
            checked += 1
            if pub["value2"] is not None:
                assert indicator_value(indicator, current, b, part=2) == pub["value2"], (b, code, "value2")
                checked += 1
            if pub["previous"] is not None:
                assert indicator_value(indicator, previous, b) == pub["previous"], (b, code, "previous")
                checked += 1
    return checked, current


def check_monthly(rows, branches):
    """Constraint 5 and row coverage: one row per key, values ≥ 0, numerators within denominators each month."""
    table = {(r["branch"], r["component"], r["month"]): Fraction(Decimal(r["value"])) for r in rows}
    assert len(table) == len(rows)
    assert all(v >= 0 for v in table.values())
    for b in branches:
        for month in MONTHS_2023:
            for small, large in MONTHLY_BOUNDS:
                assert table[b, small, month] <= table[b, large, month], (b, month, small, large)
            for days, cases in DAY_TOTALS.items():
                if table[b, cases, month] == 0:
                    assert table[b, days, month] == 0
    for days, cases in DAY_TOTALS.items():
        for b in branches:
            average = sum(table[b, days, m] for m in MONTHS_2023) / sum(table[b, cases, m] for m in MONTHS_2023)
            for m in MONTHS_2023:
                if table[b, cases, m] >= 20:
                    assert abs(table[b, days, m] / table[b, cases, m] / average - 1) < Fraction(1, 4), (b, days, m)
    return table


def check_regulator_scores(current, branches, indicator, published):
    """Published regulator-complaint scores at OFFICIAL_AVERAGE, and the range of averages that reproduces them all."""

    def all_match(average):
        return all(
            band_score(indicator, current[b, "reg_complaints"] * 10000 / current[b, "premium_wan"] / average)
            == published[b, indicator["code"]]["published_score"]
            for b in branches
        )

    assert all_match(OFFICIAL_AVERAGE)
    grid = [OFFICIAL_AVERAGE + Fraction(i, 10**6) for i in range(-1000, 1001)]
    matching = [t for t in grid if all_match(t)]
    return min(matching), max(matching)


def write_csv(rows):
    """Write the figures to OUTPUT_PATH."""
    with OUTPUT_PATH.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["branch", "component", "month", "value"])
        writer.writeheader()
        writer.writerows(rows)


def fmt(value, places=6):
    """A Fraction as a fixed-point string."""
    return f"{as_decimal(value):.{places}f}"


def main():
    """Generate, verify and write the monthly figures, then print a summary."""
    components, indicators = load_scheme()
    branches, published = load_published()
    rows = to_rows(generate(branches, indicators, published))

    expected = len(branches) * (len(components) * len(MONTHS_2023) + len(PRIOR_YEAR_COMPONENTS) * len(MONTHS_2022))
    assert len(rows) == expected, (len(rows), expected)
    assert {r["component"] for r in rows} == set(components)
    checked, current = check_published(rows, branches, indicators, published)
    table = check_monthly(rows, branches)
    low, high = check_regulator_scores(current, branches, indicators["reg_complaints_per_100m"], published)
    for b in branches:
        premium = [table[b, "premium_wan", m] for m in MONTHS_2023]
        assert premium[0] == max(premium) and len(set(premium)) == len(premium)

    reg_total = sum(current[b, "reg_complaints"] for b in branches)
    premium_total = sum(current[b, "premium_wan"] for b in branches)
    branch_average = reg_total * 10000 / premium_total
    write_csv(rows)

    print(f"wrote {OUTPUT_PATH.relative_to(HERE.parents[2])}: {len(rows)} rows, {len(branches)} branches")
    print(f"published figures reproduced: {checked} (values, value2, previous)")
    print(f"Jan-Aug 2023 over the 13 branches: {int(reg_total)} regulator complaints, premium {fmt(premium_total, 2)} 万元")
    print(f"T (13-branch weighted average) = {fmt(branch_average)} 件/亿元")
    lowest, highest = branch_average_bounds(branches, published)
    assert lowest <= branch_average <= highest
    inside = BRIEF_WINDOW[0] < branch_average < BRIEF_WINDOW[1]
    print(
        f"  inside ({fmt(BRIEF_WINDOW[0], 5)}, {fmt(BRIEF_WINDOW[1], 5)}): {inside}; the published complaint figures"
        f" force the regulator counts and keep any 13-branch T within [{fmt(lowest)}, {fmt(highest)}]"
    )
    print(
        f"published regulator scores reproduced at a provincial average of {fmt(OFFICIAL_AVERAGE, 4)};"
        f" any average in [{fmt(low)}, {fmt(high)}] reproduces them all"
    )


if __name__ == "__main__":
    main()
