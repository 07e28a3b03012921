"""Photos a patient adds to a report (a rash, the injection site, a swelling).

A photo from the phone is never stored as sent: it is decoded, turned upright, converted to
sRGB, shrunk to at most MAX_SIDE pixels on its longest side and written again as a new JPEG.
Nothing of the original file is kept: no EXIF (the phone's GPS position, its make, the time),
no XMP or IPTC, no colour profile, no comment. A file that is not a JPEG, PNG or HEIC image, is
too large, or would decode into a huge picture (a "decompression bomb") is refused.

The files live in a private storage ("photos" in settings.STORAGES): local files outside the web
root by default, an S3-compatible bucket in production. They are only ever served through the
scoped views of tracker/views/photos.py, never by URL of the storage.
"""

import contextlib
import io
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.storage import Storage, storages
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

try:  # HEIC, the iPhone camera's format (pillow-heif)
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIC_SUPPORTED = True
except ImportError:  # pragma: no cover - pillow-heif is a dependency
    HEIC_SUPPORTED = False

MAX_PHOTOS_PER_REPORT = 3
MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # 10 MB: a phone photo is 2-6 MB
# Longest side of the stored photo: enough to see a rash's edges on a clinician's screen.
MAX_SIDE = 2048
# Pixels of the picture as sent: a 50-megapixel phone camera's full size. A larger picture
# (or one whose header claims so) is refused before it is decoded.
MAX_PIXELS = 50_000_000
JPEG_QUALITY = 85
ACCEPTED_FORMATS = {"JPEG", "PNG", "HEIF"} if HEIC_SUPPORTED else {"JPEG", "PNG"}
STORED_CONTENT_TYPE = "image/jpeg"

_SRGB = ImageCms.createProfile("sRGB")

NOT_AN_IMAGE = _("This file is not a photo. Choose a JPEG, PNG or HEIC picture.")
TOO_LARGE = _("This file is larger than 10 MB. Take the photo again or choose a smaller one.")
TOO_MANY_PIXELS = _(
    "This picture is too large to open (more than 50 million pixels). Choose another photo."
)
EMPTY = _("The file is empty. Take the photo again.")


@dataclass(frozen=True)
class CleanPhoto:
    """A photo ready to store: the new JPEG's bytes, nothing of the file as sent."""

    content: bytes
    content_type: str
    width: int
    height: int


def _open(upload) -> Image.Image:
    upload.seek(0)
    with warnings.catch_warnings():
        # Pillow warns above Image.MAX_IMAGE_PIXELS and raises above twice that: both refused.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(upload)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ValidationError(TOO_MANY_PIXELS, code="too_many_pixels") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise ValidationError(NOT_AN_IMAGE, code="not_an_image") from None
    if image.format not in ACCEPTED_FORMATS:
        raise ValidationError(NOT_AN_IMAGE, code="not_an_image")
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ValidationError(TOO_MANY_PIXELS, code="too_many_pixels")
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    icc = image.info.get("icc_profile")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        # A transparent PNG (a screenshot): on white, as it is seen on the phone.
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, "white")
        image = Image.alpha_composite(background, rgba)
    if icc and image.mode in ("RGB", "RGBA", "CMYK", "L"):
        # An unreadable profile: the colours as they are.
        with contextlib.suppress(ImageCms.PyCMSError, OSError, ValueError):
            image = ImageCms.profileToProfile(
                image, ImageCms.ImageCmsProfile(io.BytesIO(icc)), _SRGB, outputMode="RGB"
            )
    return image.convert("RGB")


def clean_photo(upload) -> CleanPhoto:
    """The photo as it is stored, or ValidationError with a message for the patient."""
    size = getattr(upload, "size", None)
    if size == 0:
        raise ValidationError(EMPTY, code="empty")
    if size is None or size > MAX_UPLOAD_BYTES:
        raise ValidationError(TOO_LARGE, code="too_large")
    image = _open(upload)
    try:
        if image.format == "JPEG":
            image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # decode at a smaller scale: less memory
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
            image = ImageOps.exif_transpose(image)  # upright, before the EXIF goes
            image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
            image = _to_srgb(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(TOO_MANY_PIXELS, code="too_many_pixels") from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise ValidationError(NOT_AN_IMAGE, code="not_an_image") from None
    # A new picture with the pixels only: no EXIF, GPS, XMP, comment or profile comes along.
    clean = Image.new("RGB", image.size)
    clean.paste(image)
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return CleanPhoto(
        content=out.getvalue(),
        content_type=STORED_CONTENT_TYPE,
        width=clean.width,
        height=clean.height,
    )


class PhotoStorage(Storage):
    """The "photos" storage of settings.STORAGES, looked up at each use (so a deployment, or
    a test, can change it without a migration)."""

    @property
    def _backend(self):
        return storages["photos"]

    def open(self, name, mode="rb"):
        return self._backend.open(name, mode)

    def save(self, name, content, max_length=None):
        return self._backend.save(name, content, max_length=max_length)

    def delete(self, name):
        return self._backend.delete(name)

    def exists(self, name):
        return self._backend.exists(name)

    def size(self, name):
        return self._backend.size(name)

    def listdir(self, path):
        return self._backend.listdir(path)

    def url(self, name):  # never a public address: the scoped views serve the photos
        raise NotImplementedError("Photos are served by the scoped views only.")

    def path(self, name):
        return self._backend.path(name)

    def generate_filename(self, filename):
        return self._backend.generate_filename(filename)

    def get_valid_name(self, name):
        return self._backend.get_valid_name(name)

    def get_available_name(self, name, max_length=None):
        return self._backend.get_available_name(name, max_length=max_length)


photo_storage = PhotoStorage()


def get_photo_storage():
    return photo_storage


def photo_file_response(photo):
    """The photo's file as an answer: never cached, never sniffed as another type, shown
    inline under a plain file name, in a sandbox (for the pages' and the API's scoped views)."""
    from django.http import FileResponse, Http404

    try:
        stream = photo.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(
        stream, content_type=photo.content_type, filename=photo.download_name, as_attachment=False
    )
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
