import io
import re
import tracemalloc
from pathlib import Path

import pytest
from django.utils import translation
from PIL import Image

from resident_requests.forms import RequestForm, ResolveForm
from resident_requests.photos import (
    MAX_PHOTO_BYTES,
    MAX_PHOTO_MB,
    MAX_PHOTOS,
    STORED_LONGEST_SIDE,
    PhotoRejected,
    photo_clean,
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
