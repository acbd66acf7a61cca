"""The league table as a file from the same endpoint: `?format=xlsx` (the journal's layout) and `?format=csv`."""

import csv
import io
import json
from urllib.parse import quote

from rest_framework.renderers import BaseRenderer

from kpi.league.exports import league_csv_rows, league_workbook
from kpi.league.selectors import League


class _LeagueFileRenderer(BaseRenderer):
    """Renders a League; an error body (a dict) still answers as JSON, whatever format was asked for."""

    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if not isinstance(data, League):
            if response is not None:
                response["Content-Type"] = "application/json"
            return json.dumps(data, ensure_ascii=False).encode()
        if response is not None:
            name = f"考核排名-{data.window.slug}-{data.window.revision_slug}.{self.format}"
            response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
        return self.render_league(data)


class LeagueXlsxRenderer(_LeagueFileRenderer):
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"

    def render_league(self, table: League) -> bytes:
        return league_workbook(table)


class LeagueCsvRenderer(_LeagueFileRenderer):
    media_type = "text/csv"
    format = "csv"

    def render_league(self, table: League) -> bytes:
        rows = league_csv_rows(table)
        out = io.StringIO()
        if rows:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows({k: "" if v is None else v for k, v in r.items()} for r in rows)
        # A BOM so that Excel opens the Chinese names as UTF-8.
        return ("\ufeff" + out.getvalue()).encode("utf-8")
