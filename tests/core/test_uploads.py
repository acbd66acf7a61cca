"""Hostile uploads (issue 8, items 3 and 6): each is refused in Chinese without being read in full.

The hostile files are built small in memory: a sheet declaring A1:XFD1048576, a zip bomb, a CSV with
too many rows, a request declaring 50 MB, an executable renamed .pdf.
"""

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from complaints import calendar_import
from complaints.models import CalendarDay
from core import uploads
from core.errors import ApplicationError
from core.management.commands.benchmark_uploads import rewrite_part

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(content: bytes, name="2027.xlsx"):
    return SimpleUploadedFile(name, content, content_type=XLSX)


@pytest.fixture
def no_openpyxl(monkeypatch):
    """Fail the test if the workbook reader is reached: a bomb must be refused before it is opened."""

    def refuse(*args, **kwargs):
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr("openpyxl.load_workbook", refuse)


# ── .xlsx ──────────────────────────────────────────────────────────────────────────────────────────


def test_a_sheet_declaring_every_cell_of_excel_is_read_to_its_last_row_and_third_column():
    rows = [("日期", "类型", "名称", "备注", "多余"), ("2027-10-01", "休", "国庆节", "x", "y"), (None,) * 5]
    content = rewrite_part(
        workbook(rows),
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:XFD1048576"', xml),
    )
    assert b"XFD1048576" in zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml")
    assert calendar_import.read_file(upload(content)) == [["日期", "类型", "名称"], ["2027-10-01", "休", "国庆节"]]


def test_rows_past_those_a_calendar_can_have_are_not_read_and_a_value_just_past_them_is_refused():
    far = rewrite_part(
        workbook([("2027-10-01", "休", "国庆节")]),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(
            b"</sheetData>", b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
        ),
    )
    assert calendar_import.read_file(upload(far)) == [["2027-10-01", "休", "国庆节"]]
    rows = [(f"2027-01-{1 + i % 28:02d}", "休", "x") for i in range(401)]
    with pytest.raises(uploads.UploadError, match="文件超过 400 行数据"):
        calendar_import.read_file(upload(workbook(rows)))


@pytest.mark.parametrize("unpacked_mb", [5, 30])
def test_shared_strings_that_would_unpack_far_beyond_a_calendar_are_refused_unread(no_openpyxl, unpacked_mb):
    # 5 MB of one repeated character packs about a thousand times: within the total, past the ratio.
    # 30 MB passes any plausible ratio check on its own only with the total cap. Both are tiny on disk.
    content = rewrite_part(workbook([("2027-10-01", "休", "国庆节")]), "xl/sharedStrings.xml", lambda _: b"a" * unpacked_mb * 2**20)
    assert len(content) < 200_000
    with pytest.raises(uploads.UploadError, match="解压后异常庞大"):
        calendar_import.read_file(upload(content))


def test_a_workbook_without_its_workbook_part_is_refused_in_chinese():
    source = zipfile.ZipFile(io.BytesIO(workbook([("2027-10-01", "休", "国庆节")])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            if name != "xl/workbook.xml":
                target.writestr(name, source.read(name))
    with pytest.raises(uploads.UploadError, match="不是有效的 .xlsx 文件"):
        calendar_import.read_file(upload(out.getvalue()))


# ── CSV and pasted text ────────────────────────────────────────────────────────────────────────────


def test_a_file_over_the_import_size_is_refused_before_it_is_read():
    class Unreadable(SimpleUploadedFile):
        def read(self, *args):
            raise AssertionError("the file was read")

    big = Unreadable("2027.csv", b"", content_type="text/csv")
    big.size = uploads.IMPORT_MAX_BYTES + 1
    with pytest.raises(uploads.UploadError, match="文件过大.*不能超过 2 MB"):
        calendar_import.read_file(big)


def test_a_csv_with_more_rows_than_a_year_is_refused_and_trailing_blank_lines_do_not_count():
    rows = "".join(f"2027-01-{1 + i % 28:02d},休,x\n" for i in range(401))
    with pytest.raises(uploads.UploadError, match="文件超过 400 行数据"):
        calendar_import.read_file(SimpleUploadedFile("2027.csv", rows.encode()))
    assert len(calendar_import.read_file(SimpleUploadedFile("2027.csv", b"2027-10-01,\xe4\xbc\x91,x\n" + b"\n" * 5000))) == 1


def test_the_import_page_lists_fifty_errors_and_counts_the_rest(users, client_for):
    text = "\n".join(f"坏{i},休,x" for i in range(120))
    response = client_for(users["officer"]).post(reverse("complaints:calendar-import"), {"year": 2027, "text": text})
    page = response.content.decode()
    assert response.status_code == 400
    assert "第50行，日期" in page and "第51行" not in page and "另有 70 处错误未列出" in page
    assert not CalendarDay.objects.filter(date__year=2027).exists()


# ── requests ───────────────────────────────────────────────────────────────────────────────────────


def test_a_50_mb_upload_is_refused_from_its_declared_length_before_the_body_is_read(users, client_for):
    # The test client's body is a few bytes: reading past them fails the test, so 413 proves it was not read.
    client = client_for(users["officer"])
    data = {"year": 2027, "file": upload(b"small")}
    response = client.post(reverse("complaints:calendar-import"), data, CONTENT_LENGTH=str(50 * 1024 * 1024))
    assert response.status_code == 413
    assert "上传内容过大，不能超过 11 MB" in response.content.decode()
    response = client.post("/api/v1/complaints/", {"summary": "x"}, CONTENT_LENGTH=str(50 * 1024 * 1024))
    assert response.status_code == 413 and response.json()["code"] == "request_too_large"
    assert not CalendarDay.objects.filter(date__year=2027).exists()


# ── attachments ────────────────────────────────────────────────────────────────────────────────────


def ooxml(part: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{part}/document.xml", "<x/>")
    return out.getvalue()


PNG = b"\x89PNG\r\n\x1a\n" + b"\0\0\0\rIHDR" + b"\0" * 64
EXE = b"MZ\x90\x00" + b"\0" * 60 + b"PE\0\0" + b"\0" * 200


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("通报.pdf", b"%PDF-1.4\n%test"),
        ("现场.png", PNG),
        ("现场.JPG", b"\xff\xd8\xff\xe0\0\x10JFIF\0" + b"\0" * 64),
        ("整改报告.docx", ooxml("word")),
        ("明细.xlsx", workbook([("a", 1)])),
        ("旧版.doc", bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 600),
        ("说明.txt", "整改说明：已完成。".encode("gb18030")),
    ],
)
def test_pdf_images_office_documents_and_text_are_accepted(name, content):
    uploads.check_attachment(SimpleUploadedFile(name, content))


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("通报.pdf", EXE),
        ("现场.png", EXE),
        ("整改报告.docx", EXE),
        ("整改报告.docx", b"PK\x03\x04" + b"\0" * 100),
        ("说明.txt", EXE),
        ("通报.pdf", PNG),
    ],
)
def test_content_that_is_not_what_the_name_says_is_refused_in_chinese(name, content):
    with pytest.raises(ApplicationError, match="内容与文件类型不符"):
        uploads.check_attachment(SimpleUploadedFile(name, content))


@pytest.mark.parametrize("name", ["run.exe", "setup.pdf.exe", "归档.zip", "无扩展名"])
def test_other_kinds_of_file_are_refused_by_name(name):
    with pytest.raises(ApplicationError, match="附件只能是 PDF、图片、Word、Excel、PowerPoint 或文本文件"):
        uploads.check_attachment(SimpleUploadedFile(name, b"%PDF-1.4"))
