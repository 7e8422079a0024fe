import io
import tracemalloc

import pytest
from PIL import Image

from resident_requests.photos import PhotoRejected, photo_clean

from .factories import image_bytes, png_bomb, upload


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
