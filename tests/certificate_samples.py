"""A fixed set of documents (every kind, every language, long and short values) and what their PDFs say,
to prove that a change to the rendering keeps every word, date, serial and QR code of a document.

``tests/data/certificate_text.json`` holds what the documents said when it was recorded, with the single-pass
renderer of commit c5061de (before the batch path drew the fixed parts of a page once): for each sample, the
text of each page as pypdf and pdfium extract it, and the QR code's text. A document keeps them when each page
has the same words and the same characters (as multisets: the order of its text layer may change, a word may
not) and the same QR code. Record it again only when the wording of a document changes on
purpose: ``python -m tests.certificate_samples`` (it prints what changed).
"""
import ctypes
import io
import json
import re
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pypdfium2
import zxingcpp
from pypdf import PdfReader

from eventapp.certificates import documents
from eventapp.certificates.enums import Achievement, DocumentKind

RECORD = Path(__file__).resolve().parent / "data" / "certificate_text.json"
ISSUED_AT = datetime(2026, 3, 19, 9, 30, tzinfo=UTC)  # the day before Nowruz 1405
BASE_URL = "https://dawn.example.ir"
EVENT = {"fa": "رویداد ملی طلوع پیشرفت ۱۴۰۵", "en": "Dawn of Progress national event 1405"}
SIGNATORIES = [
    {"name_fa": "دکتر مهدی حسین‌زاده", "name_en": "Dr Mahdi Hosseinzadeh", "position_fa": "دبیر رویداد",
     "position_en": "Secretary of the event", "image": ""},
    {"name_fa": "زهرا کریمی", "name_en": "", "position_fa": "رئیس کمیته داوری", "position_en": "", "image": ""},
]
# Directional marks and the zero-width non-joiner: extractors differ in whether they give them back.
INVISIBLE = dict.fromkeys(map(ord, "\u200c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def _team(key, holder, **facts) -> documents.Subject:
    return documents.Subject(key=key, holder=holder, team_id=int(key.split(":")[1]), **facts)


YAZD = {"fa": "یزد", "en": "Yazd"}
SUBJECTS = {
    "first": _team("team:1", "گروه جهادی امید", organisation="بسیج سازندگی یزد", province=YAZD,
                   members=["نرگس نیک‌نام", "علی رضایی", "فاطمه‌سادات موسوی"], achievement=Achievement.FIRST),
    "group-award": _team("team:2", "کانون مهر", province={"fa": "خراسان رضوی", "en": "Razavi Khorasan"},
                         members=["سارا کاظمی"], achievement=Achievement.SECOND, group=3),
    "dense": _team("team:3", "مؤسسه خیریه نیک‌اندیشان آینده‌سازان روستای کوهستانی ۱۲", organisation="انجمن اسلامی دانشجویان",
                   province=YAZD, members=[f"عضو شماره {number} گروه" for number in "۱۲۳۴۵۶۷۸"],
                   achievement=Achievement.PARTICIPATION),
    "latin": _team("team:4", "Green Valley Volunteers", organisation="Tehran Youth Society",
                   province={"fa": "تهران", "en": "Tehran"}, members=["Sara Ahmadi", "Reza Karimi"],
                   achievement=Achievement.FINALIST),
    "no-organisation": _team("team:5", "حلقه صبح", province=YAZD, members=["مریم احمدی", "حسین نوری"],
                             achievement=Achievement.HONOURABLE),
    "report": documents.sample_subject(DocumentKind.REPORT),
    "judge": documents.Subject(key="judge:7", holder="حمید فرهمند", user_id=7, reviewed=14),
    "training": _team("team:6", "گروه جهادی امید", organisation="بسیج سازندگی یزد", province=YAZD,
                      members=["نرگس نیک‌نام", "علی رضایی"]),
}
# (name, kind, subject, language); the serial and the verification code follow from the name.
SAMPLES = [
    *((f"group-{subject}-{language}", DocumentKind.GROUP, subject, language)
      for subject in ("first", "group-award", "dense", "latin", "no-organisation") for language in ("fa", "en")),
    ("group-first-bilingual", DocumentKind.GROUP, "first", "bilingual"),
    ("group-dense-bilingual", DocumentKind.GROUP, "dense", "bilingual"),
    ("report-fa", DocumentKind.REPORT, "report", "fa"),
    ("report-bilingual", DocumentKind.REPORT, "report", "bilingual"),
    ("judge-fa", DocumentKind.JUDGE, "judge", "fa"),
    ("judge-en", DocumentKind.JUDGE, "judge", "en"),
    ("training-fa", DocumentKind.TRAINING, "training", "fa"),
    ("training-bilingual", DocumentKind.TRAINING, "training", "bilingual"),
]


def serial_of(index: int) -> str:
    digits = f"{index:04d}"
    return f"DP-{digits}-7M2Q-XZ9{'ABCDEFGHJKMNPQRSTVWXYZ'[index % 22]}"


def code_of(name: str) -> str:
    return f"sample-{name}"


def verify_url_of(name: str) -> str:
    return f"{BASE_URL}/verify/{code_of(name)}"


def context_of(index: int, name: str, kind: DocumentKind, subject: str, language: str) -> dict:
    """What the template of the sample sees (needs an app context, for the words of each language)."""
    return documents.context(kind, SUBJECTS[subject], event=EVENT, language=language, signatories=SIGNATORIES,
                             images={}, serial=serial_of(index), verify_url=verify_url_of(name), issued_at=ISSUED_AT)


# A word: a run of letters, marks and digits of one script (an extractor may glue a Latin word to the Persian one
# before it, or move a colon from one side of a word to the other, as the drawing order changes).
WORD = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]+|[^\W\u0600-\u06ff]+")


def words(text: str) -> list[str]:
    return sorted(WORD.findall(text.translate(INVISIBLE)))


def characters(text: str) -> str:
    """Every character drawn (not spaces), in order of code point."""
    return "".join(sorted("".join(text.translate(INVISIBLE).split())))


def _pdfium_pages(pdf: bytes) -> tuple[list[str], list]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        texts, images = [], []
        for page in document:
            texts.append(page.get_textpage().get_text_range())
            images.append(page.render(scale=3).to_pil())
        return texts, images
    finally:
        document.close()


def fonts_of(pdf: bytes) -> list[tuple[str, bool]]:
    """(font name, embedded) of every font the pages' text is drawn with."""
    import pypdfium2.raw as pdfium

    document = pypdfium2.PdfDocument(pdf)
    try:
        found = set()
        for page in document:
            for text_object in page.get_objects(filter=(pdfium.FPDF_PAGEOBJ_TEXT,)):
                font = pdfium.FPDFTextObj_GetFont(text_object.raw)
                buffer = ctypes.create_string_buffer(200)
                length = pdfium.FPDFFont_GetBaseFontName(font, buffer, 200)
                name = buffer.raw[:max(0, length - 1)].decode("latin-1").split("+")[-1]
                found.add((name, bool(pdfium.FPDFFont_GetIsEmbedded(font))))
        return sorted(found)
    finally:
        document.close()


def what_it_says(pdf: bytes) -> dict:
    """The text of each page (as pypdf and pdfium extract it) and the text of each QR code found."""
    texts, images = _pdfium_pages(pdf)
    return {
        "pypdf": [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages],
        "pdfium": texts,
        "qr": [found.text for image in images for found in zxingcpp.read_barcodes(image)],
    }


def differences(expected: dict, found: dict) -> list[str]:
    """What the document lost or gained against what was recorded: pages, words, characters, QR codes."""
    problems = []
    for extractor in ("pypdf", "pdfium"):
        if len(expected[extractor]) != len(found[extractor]):
            problems.append(f"{extractor}: {len(found[extractor])} pages, not {len(expected[extractor])}")
            continue
        for number, (before, after) in enumerate(zip(expected[extractor], found[extractor]), start=1):
            for what, split in (("words", words), ("characters", characters)):
                lost, gained = Counter(split(before)) - Counter(split(after)), Counter(split(after)) - Counter(split(before))
                if lost or gained:
                    problems.append(f"{extractor} page {number} {what}: lost {sorted(lost.elements())}, "
                                    f"gained {sorted(gained.elements())}")
    if expected["qr"] != found["qr"]:
        problems.append(f"QR codes {found['qr']}, not {expected['qr']}")
    return problems


def recorded() -> dict:
    """What every sample said when RECORD was recorded."""
    return json.loads(RECORD.read_text(encoding="utf-8"))


def record(render) -> dict:
    """What every sample says, rendered by ``render(index, name, kind, subject, language) -> PDF bytes``."""
    return {name: what_it_says(render(index, name, kind, subject, language))
            for index, (name, kind, subject, language) in enumerate(SAMPLES)}


def _record_now() -> int:
    """Record RECORD again, the documents drawn in one piece by this working tree, printing what changed."""
    from eventapp.certificates import sandbox
    from eventapp.certificates.rendering import Renderer
    from eventapp.certificates.services.templates import default_template
    from tests.helpers import make_app

    def in_one_piece(index, name, kind, subject, language) -> bytes:
        html, css = default_template(kind)
        values = context_of(index, name, kind, subject, language)
        return Renderer(css, {}).pdf(sandbox.render_strict(sandbox.compile_strict(html), values), values["verify_url"])

    with make_app("sqlite://").app_context():
        found = record(in_one_piece)
    previous = recorded() if RECORD.exists() else {}
    for name, said in found.items():
        for problem in differences(previous[name], said) if name in previous else ["new"]:
            print(f"{name}: {problem}")
    RECORD.write_text(json.dumps(found, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(_record_now())
