"""Every uploaded file is bounded and checked here, before anything reads it: imports and attachments.

Imports (the holiday calendar today, figures tomorrow) read a table of text cells through `read_table`:
the size is capped before reading, an .xlsx is refused when its parts would unpack to more than a
small multiple of a real table (a zip bomb), only the columns and rows a table of that kind can have
are read (whatever dimension the sheet declares), and the table ends at its last non-empty row.
Attachments are judged by their content, not their name (`check_attachment`).
A request larger than any upload may be is refused before its body is read (`RequestSizeLimitMiddleware`).
"""

import csv
import datetime
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import filetype
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

from core.errors import ApplicationError

IMPORT_MAX_BYTES = 2 * 1024 * 1024
# What the parts of an .xlsx may unpack to, in all: a sheet of a few thousand rows is well below this.
XLSX_MAX_UNPACKED_BYTES = 20 * 1024 * 1024
# Deflate compresses a real sheet 5–20 times; a part squeezed more than this is built to explode.
XLSX_MAX_RATIO = 200
ERRORS_SHOWN = 50

ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
OLE2 = bytes.fromhex("D0CF11E0A1B11AE1")  # the container of .doc, .xls and .ppt
# Each allowed name ending, with what its content must be (filetype's names).
ATTACHMENT_KINDS = {
    ".pdf": {"pdf"},
    ".jpg": {"jpg"},
    ".jpeg": {"jpg"},
    ".png": {"png"},
    ".gif": {"gif"},
    ".bmp": {"bmp"},
    ".tif": {"tif"},
    ".tiff": {"tif"},
    ".webp": {"webp"},
    ".doc": {"doc", OLE2},
    ".xls": {"xls", OLE2},
    ".ppt": {"ppt", OLE2},
    ".docx": {"docx"},
    ".xlsx": {"xlsx"},
    ".pptx": {"pptx"},
    ".txt": {"text"},
}


class UploadError(ValueError):
    """An uploaded file refused before or while it is read; the message is for the user."""


def check_size(upload, limit: int) -> None:
    if upload.size > limit:
        raise UploadError(f"文件过大（{upload.size / 1024 / 1024:.1f} MB），不能超过 {limit // 1024 // 1024} MB")


# ── imports ────────────────────────────────────────────────────────────────────────────────────────


def cell_text(value) -> str:
    """A cell as the text a validator reads: numbers without float noise (9448.0 → 9448, 0.1 → 0.1), dates in ISO
    form, '' for nothing. Every import reads its cells through here (openpyxl and python-calamine give floats)."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        text = format(Decimal(repr(value)), "f")
        return text[:-2] if text.endswith(".0") else text
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def decode_text(content: bytes) -> str:
    """The text of a CSV or pasted file: UTF-8 (with or without BOM) or GB18030, as Excel saves it in China."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UploadError("文件编码无法识别，请保存为 UTF-8 或 GB18030 编码的 CSV，或 .xlsx")


def csv_rows(text: str) -> list[list[str]]:
    """Rows of a CSV text."""
    return list(csv.reader(io.StringIO(text)))


def _too_many_rows(max_rows: int) -> UploadError:
    return UploadError(f"文件超过 {max_rows} 行数据，超出此类导入的上限，请检查是否选错了文件")


def text_table(text: str, *, max_rows: int, parse=csv_rows) -> list[list[str]]:
    """Rows of text (a CSV file or pasted lines), refused beyond `max_rows` non-empty lines before parsing."""
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if sum(1 for line in lines if line.strip()) > max_rows:
        raise _too_many_rows(max_rows)
    return parse("\n".join(lines))


def check_unpacked(content: bytes, *, max_unpacked: int = XLSX_MAX_UNPACKED_BYTES) -> None:
    """Refuse a zip-based workbook whose parts would unpack to more than `max_unpacked` bytes or are built to explode."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        members = archive.infolist()
    unpacked = sum(m.file_size for m in members)
    # zipfile never inflates a member past the size its header declares, so the declared sizes bind.
    if unpacked > max_unpacked or any(
        m.file_size > 1024 * 1024 and m.file_size > XLSX_MAX_RATIO * max(m.compress_size, 1) for m in members
    ):
        raise UploadError("文件内容解压后异常庞大，已拒绝读取；请用 Excel 另存为 .xlsx 或 CSV 后重新上传")


def xlsx_table(content: bytes, *, max_rows: int, max_columns: int) -> list[list[str]]:
    """The first sheet's rows, at most `max_columns` wide, up to the last non-empty row (at most `max_rows`)."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    # A damaged or renamed file fails inside the zip or XML reader; the user gets one message, not a 500.
    try:
        check_unpacked(content)
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            if not book.worksheets:
                raise UploadError("文件中没有工作表")
            sheet = book.worksheets[0]
            # The declared dimension (A1:XFD1048576 in a hostile file) would pad every row and the sheet.
            sheet.reset_dimensions()
            # Rows past the last one the import can have are not read (a lone cell in row 1048576 would
            # otherwise make the reader fill in a million empty rows); a value just past it is refused.
            rows = [
                [cell_text(v) for v in values]
                for values in sheet.iter_rows(max_row=max_rows + 1, max_col=max_columns, values_only=True)
            ]
            if len(rows) > max_rows and any(rows[max_rows]):
                raise _too_many_rows(max_rows)
            while rows and not any(rows[-1]):
                rows.pop()
            return rows[:max_rows]
        finally:
            book.close()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, InvalidFileException, KeyError, OSError, SyntaxError) as exc:
        raise UploadError("文件无法读取：不是有效的 .xlsx 文件，请用 Excel 另存为 .xlsx 或 CSV 后重新上传") from exc


def read_table(upload, *, max_rows: int, max_columns: int, parse_text=csv_rows) -> list[list[str]]:
    """An uploaded .xlsx or CSV file as rows of text cells, within the import's bounds."""
    check_size(upload, IMPORT_MAX_BYTES)
    content = upload.read()
    if upload.name.lower().endswith(".xlsx"):
        return xlsx_table(content, max_rows=max_rows, max_columns=max_columns)
    return text_table(decode_text(content), max_rows=max_rows, parse=parse_text)


def error_summary(errors: list[str]) -> list[str]:
    """The first ERRORS_SHOWN errors, and one line counting the rest."""
    if len(errors) <= ERRORS_SHOWN:
        return errors
    return [*errors[:ERRORS_SHOWN], f"……另有 {len(errors) - ERRORS_SHOWN} 处错误未列出，请先改正以上各处"]


# ── attachments ────────────────────────────────────────────────────────────────────────────────────


def _content_kind(head: bytes) -> str | None:
    kind = filetype.guess(head)
    if kind is not None:
        return kind.extension
    if head.startswith(OLE2):
        return OLE2
    if b"\0" not in head:
        try:
            decode_text(head[:-4] if len(head) == 8192 else head)  # a cut may split a character
        except UploadError:
            return None
        return "text"
    return None


def check_attachment(upload) -> None:
    """Refuse an attachment that is too large or whose content is not what its name says (PDF, image, Office, text)."""
    if upload is None:
        return
    if upload.size > ATTACHMENT_MAX_BYTES:
        raise ApplicationError(f"附件不能超过 {ATTACHMENT_MAX_BYTES // 1024 // 1024} MB。")
    allowed = ATTACHMENT_KINDS.get(Path(upload.name).suffix.lower())
    if allowed is None:
        raise ApplicationError("附件只能是 PDF、图片、Word、Excel、PowerPoint 或文本文件。")
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    if _content_kind(head) not in allowed:
        raise ApplicationError(
            f"附件“{upload.name}”的内容与文件类型不符（不是 {Path(upload.name).suffix.lower()[1:].upper()} 文件），已拒绝。"
            "请上传原始的 PDF、图片或 Office 文档。"
        )


# ── requests ───────────────────────────────────────────────────────────────────────────────────────


class RequestSizeLimitMiddleware:
    """Refuse a request whose declared body is larger than any upload may be, before the body is read.

    Django reads a body only as far as its Content-Length, so the declared length is the one to judge.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.REQUEST_MAX_BYTES:
            return self.refuse(request)
        return self.get_response(request)

    @staticmethod
    def refuse(request):
        limit = settings.REQUEST_MAX_BYTES // 1024 // 1024
        message = f"上传内容过大，不能超过 {limit} MB；未作任何修改。"
        if request.path.startswith("/api/"):
            return JsonResponse({"code": "request_too_large", "message": message, "fields": {}}, status=413)
        body = render_to_string("core/request_too_large.html", {"message": message}, request=request)
        response = HttpResponse(body, status=413)
        # The unread body must not be taken for the next request on this connection.
        response["Connection"] = "close"
        return response
