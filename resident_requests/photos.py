"""Uploaded photos: check, decode and re-encode them so nothing but pixels is kept.

Re-encoding with Pillow keeps no metadata at all: no EXIF (GPS included), XMP, ICC profile or
comment segment, and no payload hidden in the file. What decoding will cost is worked out from the
header before anything is decoded: the pixel count, and the memory the decoded picture and its
conversion to RGB take (bytes per pixel of Pillow's mode × pixels), per photo and per form. So a
tiny PNG that claims 30,000 × 30,000 pixels (a decompression bomb), or a 6 KB 7,000 × 7,000 1-bit
PNG that would take ~250 MB in RGB, is refused without allocating that memory. JPEGs are decoded
at a reduced scale (Pillow's draft mode) when they are much larger than what is stored.
"""

import io
import warnings
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from PIL import Image, ImageOps

from core.exceptions import ApplicationError

# A photo as sent, at most. Browsers scale photos down before sending (photo_resize.js), so this
# is for forms sent without JavaScript: a 12-megapixel phone photo of 6 to 10 MB still goes
# through. Kept in step with the help text (below), Django's upload settings and nginx's
# client_max_body_size (deploy/nginx/jingkou.conf: three photos and the form).
MAX_PHOTO_MB = 10
MAX_PHOTO_BYTES = MAX_PHOTO_MB * 1024 * 1024
MAX_PHOTOS = 3
# A 48-megapixel phone camera fits; anything bigger is refused before decoding.
MAX_PHOTO_PIXELS = 50_000_000
# Stored photos are scaled down to this longest side: plenty to see a broken lamp.
STORED_LONGEST_SIDE = 2048
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
# Memory that decoding may take (the decoded picture, its upright copy, its RGB copies), per photo
# and for the three photos of one form. A 12-megapixel PNG with transparency needs ~144 MB, a
# phone's JPEG (decoded at a reduced scale) under 100 MB.
MAX_DECODE_MB = 160
MAX_FORM_DECODE_MB = 400
MB = 1024 * 1024
# Bytes per pixel of Pillow's modes in memory (RGB takes four: Pillow pads it to 32 bits).
_ONE_BYTE_MODES = {"1", "L", "P"}
_TWO_BYTE_MODES = {"I;16", "I;16L", "I;16B", "I;16N"}
_EXIF_ORIENTATION = 0x0112


class PhotoRejected(ApplicationError):
    """A photo that is not a JPEG, PNG or WebP image of acceptable size."""


def photo_help_text():
    """What the photo fields say under them, with the limit the server applies."""
    return format_lazy(
        _lazy("Up to {count} photos, each at most {mb} MB (JPEG, PNG or WebP)."),
        count=MAX_PHOTOS,
        mb=MAX_PHOTO_MB,
    )


def _too_large(name: str) -> PhotoRejected:
    return PhotoRejected(
        _(
            "%(name)s is larger than %(mb)s MB. Each photo may be at most %(mb)s MB: choose a smaller one."
        )
        % {"name": name, "mb": MAX_PHOTO_MB}
    )


@dataclass
class CleanPhoto:
    content: ContentFile
    width: int
    height: int


@dataclass
class _Opened:
    """A photo whose header was read (nothing decoded yet) and what decoding it will cost."""

    name: str
    image: Image.Image
    turned: bool  # EXIF says it is turned: decoding makes an upright copy
    cost: int  # bytes


def bytes_per_pixel(mode: str) -> int:
    if mode in _ONE_BYTE_MODES:
        return 1
    if mode in _TWO_BYTE_MODES:
        return 2
    return 4


def is_turned(image: Image.Image) -> bool:
    """Whether EXIF says the picture is turned, from what the header gave (never decoding)."""
    if image.format == "PNG" and "exif" not in image.info:
        # Pillow would decode the whole PNG to look for an eXIf chunk after the pixels; such a
        # late chunk is not followed.
        return False
    try:
        return image.getexif().get(_EXIF_ORIENTATION, 1) not in (1, None)
    except Exception:  # noqa: BLE001 (a broken EXIF block: assume the copy)
        return True


def decode_cost(image: Image.Image, *, turned: bool) -> int:
    """The memory (bytes) that decoding `image` and turning it into an upright RGB picture take
    at their peak, from its header: the decoded picture, the upright copy if EXIF says it is
    turned, and the RGB(A) copies of a picture that is not RGB already."""
    width, height = image.size
    pixels = width * height
    decoded = pixels * bytes_per_pixel(image.mode)
    cost = decoded * 2 if turned else decoded
    if image.mode in ("RGBA", "LA", "P", "PA"):
        cost += pixels * (4 + 4)  # the RGBA copy and the white RGB background
    elif image.mode != "RGB":
        cost += pixels * 4
    return cost


def _not_a_photo(name: str) -> PhotoRejected:
    return PhotoRejected(
        _("%(name)s is not a photo we can read. Send a JPEG, PNG or WebP picture.") % {"name": name}
    )


def _too_many_pixels(name: str) -> PhotoRejected:
    return PhotoRejected(
        _("%(name)s has too many pixels. Send an ordinary phone photo.") % {"name": name}
    )


def _open(upload) -> _Opened:
    """Read the upload and its header (never the pixels); PhotoRejected if it may not be decoded."""
    name = getattr(upload, "name", "") or _("photo")
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_PHOTO_BYTES:
        raise _too_large(name)
    data = upload.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise _too_large(name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))  # reads the header only
            if image.format not in ALLOWED_FORMATS:
                raise _not_a_photo(name)
            width, height = image.size
            if width * height > MAX_PHOTO_PIXELS or width < 1 or height < 1:
                raise _too_many_pixels(name)
            if image.format == "JPEG":
                # Decode at 1/2, 1/4 or 1/8 scale when that still gives the stored size.
                scale = STORED_LONGEST_SIDE / max(width, height)
                if scale < 1:
                    image.draft("RGB", (int(width * scale), int(height * scale)))
            turned = is_turned(image)
            cost = decode_cost(image, turned=turned)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(name) from None
    except PhotoRejected:
        raise
    except (OSError, SyntaxError, ValueError, Image.UnidentifiedImageError):
        raise _not_a_photo(name) from None
    if cost > MAX_DECODE_MB * MB:
        width, height = image.size
        raise PhotoRejected(
            _(
                "%(name)s (%(width)s × %(height)s pixels) would take %(mb)s MB of memory to open; a photo may take at most %(limit)s MB. Send an ordinary phone photo, or a smaller picture."
            )
            % {
                "name": name,
                "width": width,
                "height": height,
                "mb": -(-cost // MB),
                "limit": MAX_DECODE_MB,
            }
        )
    return _Opened(name=name, image=image, turned=turned, cost=cost)


def _decode(opened: _Opened) -> CleanPhoto:
    name = opened.name
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = opened.image
            image.load()
            if opened.turned:
                image = ImageOps.exif_transpose(image)  # keep it upright once EXIF is gone
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(name) from None
    except (OSError, SyntaxError, ValueError, Image.UnidentifiedImageError):
        raise _not_a_photo(name) from None
    if image.mode in ("RGBA", "LA", "P", "PA"):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        image = background
    elif image.mode != "RGB":
        image = image.convert("RGB")
    image.thumbnail((STORED_LONGEST_SIDE, STORED_LONGEST_SIDE))
    # Nothing but pixels: Pillow would write the source's comment (COM), XMP or ICC profile from
    # image.info; with an empty info and no exif= argument the JPEG has no metadata segment.
    image.info = {}
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, optimize=True)
    return CleanPhoto(
        content=ContentFile(out.getvalue(), name="photo.jpg"),
        width=image.width,
        height=image.height,
    )


def photo_clean(upload) -> CleanPhoto:
    """Return the photo decoded and re-encoded as a JPEG without metadata, or raise PhotoRejected."""
    return _decode(_open(upload))


def photos_clean(uploads) -> list[CleanPhoto]:
    """The form's photos, each checked (header, size, memory) before any is decoded."""
    uploads = [u for u in uploads or [] if u]
    if len(uploads) > MAX_PHOTOS:
        raise PhotoRejected(_("Send at most 3 photos."))
    opened = [_open(upload) for upload in uploads]
    total = sum(o.cost for o in opened)
    if total > MAX_FORM_DECODE_MB * MB:
        raise PhotoRejected(
            _(
                "These photos together would take %(mb)s MB of memory to open; a form's photos may take at most %(limit)s MB. Send fewer photos, or ordinary phone photos."
            )
            % {"mb": -(-total // MB), "limit": MAX_FORM_DECODE_MB}
        )
    return [_decode(o) for o in opened]
