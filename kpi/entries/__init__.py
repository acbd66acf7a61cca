"""Branch data entry (issue 4): monthly forms with a live score preview, review and locking, office scores.

- `selectors`: reads — the form's layout, a month's figures and timeline, review lists, audit history.
- `validation`: the one checker of typed figures (errors block, warnings do not), messages in Chinese.
- `preview`: what typed figures would score, through the pure engine (kpi.scoring) and its next-step search.
- `services`: writes — save and submit with optimistic locking, review transitions, notices, office scores.
- `views`, `urls`: thin pages over those.
"""
