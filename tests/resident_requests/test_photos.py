import io
import re
import tracemalloc
from pathlib import Path

import pytest
from django.utils import translation
from PIL import Image

from resident_requests.forms import RequestForm, ResolveForm
from resident_requests.photos import (
    MAX_DECODE_MB,
    MAX_FORM_DECODE_MB,
    MAX_PHOTO_BYTES,
    MAX_PHOTO_MB,
    MAX_PHOTOS,
    STORED_LONGEST_SIDE,
    PhotoRejected,
    photo_clean,
    photos_clean,
)

from .factories import image_bytes, noise_jpeg, png_bomb, upload


def test_decompression_bomb_is_refused_without_decoding_it():
    bomb = upload("bomb.png", png_bomb(), "image/png")
    assert bomb.size < 5 * 1024 * 1024  # small on disk: only the pixel count gives it away
    tracemalloc.start()
    with pytest.raises(PhotoRejected, match="bomb.png"):
        photo_clean(bomb)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 20 * 1024 * 1024  # decoding it would take about 112 MB (900 MB in RGB)


def test_big_photos_are_scaled_down_and_transparent_ones_flattened():
    cleaned = photo_clean(upload("big.png", image_bytes("PNG", size=(4000, 3000)), "image/png"))
    assert max(cleaned.width, cleaned.height) == 2048
    rgba = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
    buf = io.BytesIO()
    rgba.save(buf, format="WEBP")
    cleaned = photo_clean(upload("clear.webp", buf.getvalue(), "image/webp"))
    with Image.open(cleaned.content) as image:
        assert image.format == "JPEG" and image.getpixel((5, 5)) == (255, 255, 255)


def test_a_9_mb_phone_photo_is_accepted_and_scaled_down():
    data = noise_jpeg(3300, 2475)  # a 12-megapixel-class photo as phones send it
    assert 8.5 * 2**20 < len(data) <= MAX_PHOTO_BYTES
    cleaned = photo_clean(upload("IMG_0001.jpg", data))
    assert max(cleaned.width, cleaned.height) == STORED_LONGEST_SIDE
    stored = cleaned.content.read()
    assert len(stored) < len(data) / 2  # re-encoded, not kept as sent
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG" and image.size == (cleaned.width, cleaned.height)


def test_an_11_mb_photo_is_refused_with_the_limit_in_plain_words():
    data = noise_jpeg(3620, 2715)  # a valid photo: only its size is wrong
    assert MAX_PHOTO_BYTES < len(data) < 12 * 2**20
    with translation.override("en"), pytest.raises(PhotoRejected) as refused:
        photo_clean(upload("IMG_0002.jpg", data))
    assert "IMG_0002.jpg" in refused.value.message
    assert f"at most {MAX_PHOTO_MB} MB" in refused.value.message


def test_a_file_that_is_not_a_photo_is_refused():
    with translation.override("en"), pytest.raises(PhotoRejected, match="not a photo"):
        photo_clean(upload("list.jpg", b"name,phone\n" * 1000, "image/jpeg"))


@pytest.mark.django_db
def test_the_limits_agree_from_nginx_to_the_help_text(settings):
    """One photo limit, said the same everywhere: the server's, the help text under the field,
    Django's upload settings and nginx's cap on the whole form (three photos and the text)."""
    conf = (Path(settings.BASE_DIR) / "deploy/nginx/jingkou.conf").read_text()
    (body_mb,) = re.findall(r"client_max_body_size (\d+)m;", conf)  # the portal's (media: 1k)
    assert MAX_PHOTOS * MAX_PHOTO_BYTES < int(body_mb) * 2**20 <= (MAX_PHOTOS + 1) * MAX_PHOTO_BYTES
    # Files over this go to a temporary file: three photos are never all held in memory.
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE < MAX_PHOTO_BYTES
    with translation.override("en"):
        help_text = str(RequestForm().fields["photos"].help_text)
        assert f"at most {MAX_PHOTO_MB} MB" in help_text and f"Up to {MAX_PHOTOS}" in help_text
        assert str(ResolveForm().fields["photos"].help_text) == help_text


# --- Memory before decoding, and no metadata after (issue 19.4c, 19.4d) -------------------------


@pytest.fixture
def decoded(monkeypatch):
    """The names of the photos Pillow decoded (ImageFile.load), in order."""
    from PIL import ImageFile

    names = []
    real = ImageFile.ImageFile.load

    def load(self):
        names.append(self.size)
        return real(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return names


def test_a_tiny_1_bit_png_that_would_take_too_much_memory_is_refused_before_decoding(decoded):
    buf = io.BytesIO()
    Image.new("1", (7000, 7000)).save(buf, format="PNG", optimize=True)
    assert len(buf.getvalue()) < 10_000  # 6 KB that decode to 49 megapixels (~250 MB in RGB)
    with translation.override("en"), pytest.raises(PhotoRejected) as refused:
        photo_clean(upload("bits.png", buf.getvalue(), "image/png"))
    message = refused.value.message
    assert "bits.png" in message and "7000 × 7000" in message
    assert f"at most {MAX_DECODE_MB} MB" in message
    assert decoded == []


def test_a_forms_photos_together_are_held_to_a_memory_budget_before_any_is_decoded(decoded):
    buf = io.BytesIO()
    Image.new("RGBA", (4000, 3000), (200, 30, 30, 128)).save(buf, format="PNG")
    one = buf.getvalue()
    cost = 4000 * 3000 * 12  # RGBA decoded, its RGBA copy, the RGB background
    assert cost <= MAX_DECODE_MB * 2**20
    assert 3 * cost > MAX_FORM_DECODE_MB * 2**20
    assert len(photos_clean([upload("a.png", one, "image/png")])) == 1
    decoded.clear()
    with translation.override("en"), pytest.raises(PhotoRejected, match="together"):
        photos_clean([upload(f"{n}.png", one, "image/png") for n in "abc"])
    assert decoded == []


def jpeg_markers(data: bytes) -> list[tuple[int, bytes]]:
    """The segments of a JPEG up to the image data: (marker, payload)."""
    assert data[:2] == b"\xff\xd8"
    segments, at = [], 2
    while True:
        assert data[at] == 0xFF
        marker = data[at + 1]
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        segments.append((marker, data[at + 4 : at + 2 + length]))
        if marker == 0xDA:  # start of scan: the pixels follow
            return segments
        at += 2 + length


def test_the_stored_jpeg_has_no_metadata_segment_at_all():
    exif = Image.Exif()
    exif[0x010F] = "Phone maker"
    exif[0x0112] = 1
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(
        buf,
        format="JPEG",
        comment=b"<script>alert(1)</script>",
        exif=exif.tobytes(),
        icc_profile=b"\0" * 128,
        xmp=b"<x:xmpmeta>secret</x:xmpmeta>",
    )
    sent = buf.getvalue()
    assert {m for m, _ in jpeg_markers(sent)} >= {0xFE, 0xE1, 0xE2}  # COM, EXIF/XMP, ICC
    stored = photo_clean(upload("IMG.jpg", sent)).content.read()
    markers = jpeg_markers(stored)
    kinds = {m for m, _ in markers}
    assert 0xFE not in kinds  # no comment
    assert not kinds & set(range(0xE1, 0xF0))  # no APP1..APP15: EXIF, XMP, ICC, Adobe…
    assert [p[:5] for m, p in markers if m == 0xE0] == [b"JFIF\0"]  # only the JFIF header
    assert b"<script>" not in stored and b"Phone maker" not in stored and b"secret" not in stored
