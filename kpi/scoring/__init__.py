"""The pure scoring core: no ORM, no Django. Rules are data; evaluation is on whole tables in Decimal.

- `rules`: parse and validate a rule given as data (JSON), with messages in Chinese.
- `decimals`: column-wise Decimal helpers (rounding half-up, floor/ceil of non-negative columns).
- `aggregation`: year-to-date values from monthly components (Σ numerator / Σ denominator).
- `engine`: score one indicator over a table of branches, and a whole scheme; rank totals; explain every point.
- `exact`: the same points on integer columns (numpy int64 / Python ints), no explanations, for recomputes
  (`score_window(..., engine="exact", explain=False)`; the tests prove both engines equal).
"""
