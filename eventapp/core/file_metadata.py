"""What a file says about who made it, and a copy of the file that no longer says it.

Blind judges get the teams' attachments through ``without_metadata``: a PDF loses its document
information (author, title, subject, creator, producer...), its XMP streams, the per-page private data
of the programs that made it and the authors of its annotations; an image is re-encoded without EXIF, XMP,
comments, text chunks or colour profile (turned upright first, as its EXIF orientation said).
"""
import io

from flask_babel import gettext as _
from PIL import Image, ImageOps
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject

from .errors import Invalid

IMAGE_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}
# Entries of a page or an annotation that carry metadata rather than what the page shows.
PAGE_METADATA = ("/Metadata", "/PieceInfo")
ANNOTATION_METADATA = ("/T", "/M", "/CreationDate", "/NM")


def without_metadata(content: bytes, content_type: str) -> bytes:
    """The file without what can name its authors; Invalid (422) when it cannot be read to be cleaned."""
    try:
        if content_type == "application/pdf":
            return _pdf_without_metadata(content)
        if content_type in IMAGE_FORMATS:
            return _image_without_metadata(content, IMAGE_FORMATS[content_type])
    except Exception as error:  # a file that cannot be parsed cannot be vouched for: never sent as it is
        raise Invalid(_("This file cannot be opened to remove what could name its team, so it is not sent. "
                        "Ask the organisers.")) from error
    raise Invalid(_("This kind of file cannot be sent to a blind judge."))


def _pdf_without_metadata(content: bytes) -> bytes:
    reader = PdfReader(io.BytesIO(content))
    if reader.is_encrypted:
        reader.decrypt("")
    writer = PdfWriter(clone_from=reader)
    writer.metadata = None
    writer.xmp_metadata = None
    _drop(writer.root_object, PAGE_METADATA)
    for page in writer.pages:
        _drop(page, PAGE_METADATA)
        for annotation in page.get("/Annots") or []:
            _drop(annotation.get_object(), ANNOTATION_METADATA + PAGE_METADATA)
    writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)  # the dropped objects
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def _drop(dictionary, keys) -> None:
    for key in keys:
        dictionary.pop(NameObject(key), None)


def _image_without_metadata(content: bytes, image_format: str) -> bytes:
    with Image.open(io.BytesIO(content)) as image:
        animated = getattr(image, "n_frames", 1) > 1
        clean = image if animated else ImageOps.exif_transpose(image)
        clean.info = {}
        output = io.BytesIO()
        options = {"save_all": True} if animated else {}
        if image_format in ("JPEG", "WEBP"):
            options["quality"] = 95
        clean.save(output, format=image_format, **options)
    return output.getvalue()
