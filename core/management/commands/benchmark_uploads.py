"""Print how fast and in how much memory the import guards refuse hostile files (core/uploads.py).

`python manage.py benchmark_uploads`: builds each file in memory (a sheet declaring A1:XFD1048576, a
lone cell in row 1048576, sharedStrings unpacking to 200 MB, CSVs of 1,000,000 and 100,000 rows) and
reads it as the calendar import does. Writes nothing.
"""

import io
import re
import time
import tracemalloc
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from openpyxl import Workbook

from complaints import calendar_import
from core import uploads


def _workbook() -> bytes:
    book = Workbook()
    book.active.append(("2027-10-01", "休", "国庆节"))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rewrite_part(content: bytes, member: str, change) -> bytes:
    """The same .xlsx with one part changed (or added)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        names = source.namelist()
        for name in names if member in names else [*names, member]:
            data = source.read(name) if name in names else b""
            target.writestr(name, change(data) if name == member else data)
    return out.getvalue()


def hostile_files() -> dict[str, tuple[str, bytes]]:
    book, sheet = _workbook(), "xl/worksheets/sheet1.xml"
    far_cell = b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    return {
        "xlsx declaring A1:XFD1048576": (
            "a.xlsx",
            rewrite_part(book, sheet, lambda x: re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:XFD1048576"', x)),
        ),
        "xlsx with a cell in row 1048576": ("b.xlsx", rewrite_part(book, sheet, lambda x: x.replace(b"</sheetData>", far_cell))),
        "xlsx whose sharedStrings unpack to 200 MB": ("c.xlsx", rewrite_part(book, "xl/sharedStrings.xml", lambda _: b"a" * 200 * 2**20)),
        "CSV of 1,000,000 rows": ("d.csv", b"2027-01-01,\xe4\xbc\x91,x\n" * 1_000_000),
        "CSV of 100,000 rows (under 2 MB)": ("e.csv", b"1,x\n" * 100_000),
    }


class Command(BaseCommand):
    help = "打印导入防护拒绝恶意文件所需的时间与内存（不写入任何数据）"

    def handle(self, *args, **options):
        for name, (filename, content) in hostile_files().items():
            tracemalloc.start()
            start = time.perf_counter()
            try:
                outcome = f"{len(calendar_import.read_file(SimpleUploadedFile(filename, content)))} 行"
            except uploads.UploadError as exc:
                outcome = str(exc)
            elapsed = time.perf_counter() - start
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            self.stdout.write(
                f"{name}: {len(content) / 1024:,.1f} KB → {elapsed * 1000:,.1f} ms, peak {peak / 2**20:,.1f} MB: {outcome}"
            )
