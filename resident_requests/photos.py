"""Uploaded photos: check, decode and re-encode them so nothing but pixels is kept.

Re-encoding with Pillow drops EXIF (GPS included) and any payload hidden in the file. The pixel
count is read from the header and checked before anything is decoded, so a tiny PNG that claims
30,000 × 30,000 pixels (a decompression bomb) is refused without allocating its memory.
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


def photo_clean(upload) -> CleanPhoto:
    """Return the photo decoded and re-encoded as a JPEG without metadata, or raise PhotoRejected."""
    name = getattr(upload, "name", "") or _("photo")
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_PHOTO_BYTES:
        raise _too_large(name)
    data = upload.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise _too_large(name)
    not_a_photo = PhotoRejected(
        _("%(name)s is not a photo we can read. Send a JPEG, PNG or WebP picture.") % {"name": name}
    )
    too_big = PhotoRejected(
        _("%(name)s has too many pixels. Send an ordinary phone photo.") % {"name": name}
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))  # reads the header only
            if image.format not in ALLOWED_FORMATS:
                raise not_a_photo
            width, height = image.size
            if width * height > MAX_PHOTO_PIXELS or width < 1 or height < 1:
                raise too_big
            image.load()
            image = ImageOps.exif_transpose(image)  # keep it upright once EXIF is gone
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_big from None
    except PhotoRejected:
        raise
    except (OSError, SyntaxError, ValueError, Image.UnidentifiedImageError):
        raise not_a_photo from None
    if image.mode in ("RGBA", "LA", "P", "PA"):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        image = background
    elif image.mode != "RGB":
        image = image.convert("RGB")
    image.thumbnail((STORED_LONGEST_SIDE, STORED_LONGEST_SIDE))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, optimize=True)  # no exif= argument: no EXIF
    return CleanPhoto(
        content=ContentFile(out.getvalue(), name="photo.jpg"),
        width=image.width,
        height=image.height,
    )


def photos_clean(uploads) -> list[CleanPhoto]:
    uploads = [u for u in uploads or [] if u]
    if len(uploads) > MAX_PHOTOS:
        raise PhotoRejected(_("Send at most 3 photos."))
    return [photo_clean(upload) for upload in uploads]
