"""The printed summary, read back with pypdf; and the fetcher that keeps WeasyPrint local."""

import base64
import io
import re
import socket
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import transaction
from matplotlib.markers import MarkerStyle
from PIL import Image
from pypdf import PdfReader

from tests import factories
from tracker import charts
from tracker.exports import fetcher, pdf
from tracker.summary import build_summary

from .conftest import add_report, fill, make_il2_course

pytestmark = pytest.mark.django_db


def render(course, user, language="en"):
    context = pdf.document_context(build_summary(course), printed_by=user)
    return pdf.render_pdf(context, language=language)


def text_of(body: bytes) -> str:
    reader = PdfReader(io.BytesIO(body))
    # Collapse whitespace: table cells wrap across lines.
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


@pytest.fixture(scope="module")
def printed(django_db_setup, django_db_blocker):
    """One filled course printed once for the tests that only read it (rendering is slow);
    its records are rolled back afterwards."""
    with django_db_blocker.unblock(), transaction.atomic():
        clinician = factories.ClinicianFactory(
            username="printer", first_name="Claire", last_name="Martin", password=None
        )
        team = factories.CareTeamFactory(name="Oncology day unit", members=[clinician])
        patient = factories.PatientFactory(
            care_team=team,
            given_name="Marc",
            family_name="Lefèvre",
            user__username="printed-patient",
            user__password=None,
        )
        course = fill(make_il2_course(patient), patient, clinician)
        body = render(course, clinician)
        transaction.set_rollback(True)
    return SimpleNamespace(
        body=body,
        text=text_of(body),
        reader=PdfReader(io.BytesIO(body)),
        mrn=patient.mrn,
        printed_by="Claire Martin",
    )


@pytest.fixture
def pdf_text(printed):
    return printed.text


def test_pdf_is_a_pdf(printed):
    assert printed.body.startswith(b"%PDF-")
    assert len(printed.reader.pages) >= 2


def test_pdf_header_names_patient_mrn_birth_date_therapy_and_status(pdf_text, printed):
    assert "LEFÈVRE, Marc" in pdf_text
    assert printed.mrn in pdf_text
    assert "12 April 1965" in pdf_text  # the factories' birth date, month in full
    assert "Aldesleukin, high dose" in pdf_text
    assert "Metastatic renal cell carcinoma" in pdf_text
    assert "Active" in pdf_text
    assert "Oncology day unit" in pdf_text  # the care team


def test_pdf_lists_doses_given_and_held_with_the_reason(pdf_text):
    assert "Dose log" in pdf_text
    assert "2.886 mg" in pdf_text
    assert "Held per protocol: SBP 88 mmHg." in pdf_text


def test_pdf_lists_side_effects_with_expected_and_worst_grade(pdf_text):
    assert "Side effects" in pdf_text
    for term in ("Chills", "Hypotension", "Nausea", "Capillary leak syndrome", "Fever"):
        assert term in pdf_text


def test_pdf_shows_flags_with_their_acknowledgement_trail(pdf_text):
    assert "May need hospitalization" in pdf_text
    assert "Possible capillary leak" in pdf_text
    assert "by Claire Martin" in pdf_text
    assert "Seen at bedside; dose held." in pdf_text
    assert "Not acknowledged yet" in pdf_text


def test_pdf_has_data_tables_beside_the_charts(pdf_text):
    assert "Grades over the course" in pdf_text
    assert "Vital signs and laboratory values" in pdf_text
    assert "88/52" in pdf_text  # blood pressure row of the visit


def test_pdf_pages_say_page_x_of_y_and_who_printed_it(printed):
    pages = len(printed.reader.pages)
    for number, page in enumerate(printed.reader.pages, start=1):
        text = re.sub(r"\s+", " ", page.extract_text())
        assert f"Page {number} of {pages}" in text
        assert "Printed" in text
        assert "by Claire Martin" in text


def test_every_page_names_the_patient(printed):
    assert all(printed.mrn in page.extract_text() for page in printed.reader.pages)


def test_pdf_is_in_the_requesters_language(filled_course, clinician):
    text = text_of(render(filled_course, clinician, language="fr"))
    assert "N° de dossier" in text  # "MRN"
    assert "Peut nécessiter une hospitalisation" in text  # "May need hospitalization"


def test_pdf_embeds_the_course_charts_as_png_pictures(filled_course, clinician, monkeypatch):
    # Pictures rather than SVG: WeasyPrint lays out every mark of an SVG (measured: a third
    # of a second for a 500-answer course's timeline); a picture is copied as is. They reach
    # the renderer from memory (picture: URLs), not as data: URLs inside the HTML.
    summary = build_summary(filled_course, chart_version=True)
    context = pdf.document_context(summary, printed_by=clinician)
    html = pdf.render_html(context, language="en")
    assert re.findall(r'<img src="([^"]+)"', html) == ["picture:timeline.png", "picture:vitals.png"]
    assert "data:image" not in html
    handed = []
    original = fetcher.StaticOnlyURLFetcher.__init__

    def spy(self, pictures=None):
        handed.append(pictures)
        original(self, pictures)

    monkeypatch.setattr(fetcher.StaticOnlyURLFetcher, "__init__", spy)
    reader = PdfReader(io.BytesIO(pdf.render_pdf(context, language="en")))
    pngs = [charts.print_chart_png("timeline", summary), charts.print_chart_png("vitals", summary)]
    assert all(png.startswith(b"\x89PNG\r\n\x1a\n") for png in pngs)
    assert handed == [{"picture:timeline.png": pngs[0], "picture:vitals.png": pngs[1]}]
    printed = {image.image.size for page in reader.pages for image in page.images}
    assert {Image.open(io.BytesIO(png)).size for png in pngs} <= printed


def test_renders_of_one_thread_share_its_font_configuration():
    # Fonts are loaded once per thread, not at every render; Pango's font maps stay in the
    # thread that made them.
    assert pdf._font_config() is pdf._font_config()
    other = []
    thread = threading.Thread(target=lambda: other.append(pdf._font_config()))
    thread.start()
    thread.join()
    assert other[0] is not pdf._font_config()


def test_long_listings_print_their_latest_rows_and_say_how_many_more(
    filled_course, clinician, monkeypatch
):
    for name in ("FLAG_ROWS", "DOSE_ROWS", "NOTE_ROWS", "GRADE_ROWS", "VITAL_ROWS"):
        monkeypatch.setattr(pdf, name, 1)
    summary = build_summary(filled_course)
    context = pdf.document_context(summary, printed_by=clinician)
    grades = context["grade_rows"]
    assert [point for point, _day in grades] == [summary.grade_points[-1]]
    assert grades.total == len(summary.grade_points) > 1
    assert len(context["vital_rows"]) == 1
    # Every urgent flag and every held dose whatever the limits.
    urgent = [f for f in summary.flags if f.level == "urgent"]
    assert urgent
    assert set(urgent) <= set(context["flags"])
    held = [d for d in summary.doses if d.status == "held"]
    assert held
    assert set(held) <= set(context["doses"])
    text = text_of(pdf.render_pdf(context, language="en"))
    assert "every one is in the CSV export" in text
    assert "more flags are in the CSV export" in text


def test_rendering_runs_no_query(filled_course, clinician, django_assert_num_queries):
    context = pdf.document_context(build_summary(filled_course), printed_by=clinician)
    with django_assert_num_queries(0):
        pdf.render_pdf(context, language="en")


# --- User text never makes the renderer fetch anything -------------------------------------------

HOSTILE_NOTE = (
    '<img src="http://127.0.0.1:1/x"> <link rel="stylesheet" href="https://evil.example/x.css">'
    ' <img src="file:///etc/passwd"> <iframe src="ftp://evil.example/"></iframe>'
)


@pytest.fixture
def fetched(monkeypatch):
    """Every URL the renderer asks the fetcher for; any network connection fails the test."""
    urls = []
    original = fetcher.StaticOnlyURLFetcher.fetch

    def spy(self, url, headers=None):
        urls.append(url)
        return original(self, url, headers)

    def no_network(*args, **kwargs):
        raise AssertionError("the PDF renderer opened a network connection")

    monkeypatch.setattr(fetcher.StaticOnlyURLFetcher, "fetch", spy)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    return urls


def test_markup_in_a_note_is_printed_as_text_and_fetches_nothing(
    il2_course, patient, clinician, fetched
):
    add_report(il2_course, patient.user, day=0, note=HOSTILE_NOTE)
    text = text_of(render(il2_course, clinician))
    assert '<img src="http://127.0.0.1:1/x">' in text
    assert "file:///etc/passwd" in text
    stylesheet = fetcher.static_file_url(pdf.STYLESHEET)
    assert fetched
    assert all(url.startswith(("data:", "picture:")) or url == stylesheet for url in fetched)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:1/x",
        "https://evil.example/x.css",
        "ftp://evil.example/file",
        "file:///etc/passwd",
        "file://evil.example/share/x.css",
        "gopher://evil.example/",
        "relative/path.css",
    ],
)
def test_fetcher_refuses_urls_other_than_data_and_static_files(url):
    with pytest.raises(fetcher.URLRefused):
        fetcher.StaticOnlyURLFetcher().fetch(url)


def test_fetcher_refuses_a_path_climbing_out_of_the_static_directory():
    stylesheet = Path(fetcher.static_file_url(pdf.STYLESHEET).removeprefix("file://"))
    climbing = stylesheet.parent.as_uri() + "/../../config/settings.py"
    with pytest.raises(fetcher.URLRefused):
        fetcher.StaticOnlyURLFetcher().fetch(climbing)


def test_fetcher_refuses_a_symbolic_link_out_of_the_static_directory(tmp_path, settings):
    static = tmp_path / "static"
    static.mkdir()
    (static / "secret.css").symlink_to("/etc/passwd")
    settings.STATICFILES_DIRS = [static]
    fetcher.static_roots.cache_clear()
    try:
        with pytest.raises(fetcher.URLRefused):
            fetcher.StaticOnlyURLFetcher().fetch((static / "secret.css").as_uri())
    finally:
        fetcher.static_roots.cache_clear()


def test_fetcher_reads_a_static_file():
    response = fetcher.StaticOnlyURLFetcher().fetch(fetcher.static_file_url(pdf.STYLESHEET))
    assert b"@page" in response.read()
    assert response.content_type == "text/css"


def test_fetcher_serves_the_pictures_it_was_handed_and_no_other():
    handed = fetcher.StaticOnlyURLFetcher(pictures={"picture:timeline.png": b"\x89PNG..."})
    response = handed.fetch("picture:timeline.png")
    assert response.read() == b"\x89PNG..."
    assert response.content_type == "image/png"
    with pytest.raises(fetcher.URLRefused):
        handed.fetch("picture:vitals.png")
    with pytest.raises(fetcher.URLRefused):
        fetcher.StaticOnlyURLFetcher().fetch("picture:timeline.png")


def test_fetcher_decodes_base64_data_urls():
    url = "data:image/svg+xml;base64," + base64.b64encode(b"<svg/>").decode()
    response = fetcher.StaticOnlyURLFetcher().fetch(url)
    assert response.read() == b"<svg/>"
    assert response.content_type == "image/svg+xml"


def test_fetcher_decodes_plain_data_urls():
    response = fetcher.StaticOnlyURLFetcher().fetch("data:text/plain,hello%20world")
    assert response.read() == b"hello world"


# --- The timeline chart draws every grade, in order, with its marker -----------------------------


def test_timeline_draws_every_grade_point_in_order_with_its_marker(filled_course):
    summary = build_summary(filled_course)
    assert {p.record for p in summary.grade_points} == {"report", "visit"}
    figure = charts._grade_timeline_figure(summary)
    (axes,) = figure.axes
    marks = [c for c in axes.collections if c.get_gid() == "grade-point"]
    drawn = [(tuple(xy), len(c.get_paths()[0].vertices)) for c in marks for xy in c.get_offsets()]
    circle = len(MarkerStyle("o").get_path().vertices)
    square = len(MarkerStyle("s").get_path().vertices)
    assert circle != square
    labels = [t for t in axes.texts if t.get_gid() == "grade-label"]
    assert [t.get_text() for t in labels] == [str(p.grade) for p in summary.grade_points]
    assert [xy for xy, _marker in drawn] == [t.get_position() for t in labels]
    assert [marker for _xy, marker in drawn] == [
        circle if p.record == "report" else square for p in summary.grade_points
    ]
