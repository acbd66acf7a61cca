"""Figures in bulk: one read → validate → apply pipeline behind the web import, `import_figures` and the figures API.

read (`reader`, `layout`): a file to sheets of cells, then to records (branch text, month, component, raw value,
cell), no database. validate (`validation`): every record checked against a plain catalogue and the stored state
(`selectors`), every error collected with its cell and a stable code (`codes`). apply (`services`): one
transaction, bulk writes with history, the months' submissions moved as the form would.
"""
