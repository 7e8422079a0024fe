"""Conversions between WGS-84 and the datums of Chinese map services (GCJ-02, BD-09).

Every point the portal stores is WGS-84 (what a phone's GPS and 天地图 use). 高德 and 腾讯 publish
in GCJ-02 and 百度 in BD-09; mixing them puts a point 300-700 m off. Convert at the edges (import,
display) with `to_wgs84` and `from_wgs84`. The forward transforms are the published formulas; their
inverses are found by iteration to well under a centimetre, not the usual one-step approximation.
"""

import math

from django.db import models
from django.utils.translation import gettext_lazy as _


class Datum(models.TextChoices):
    WGS84 = "wgs84", _("WGS-84 (GPS, Tianditu)")
    GCJ02 = "gcj02", _("GCJ-02 (Amap, Tencent Maps)")
    BD09 = "bd09", _("BD-09 (Baidu Maps)")


# GCJ-02 works on the Krasovsky 1940 ellipsoid.
_A = 6378245.0
_EE = 0.00669342162296594323
_BD_X_PI = math.pi * 3000.0 / 180.0
# A degree of latitude is ~111 km: 1e-9 degree is about 0.1 mm.
_TOLERANCE_DEG = 1e-9
_MAX_ITERATIONS = 30


def outside_china(lat: float, lng: float) -> bool:
    """The rectangle GCJ-02 leaves alone (the bounds used by the common open implementations)."""
    return not (73.66 < lng < 135.05 and 3.86 < lat < 53.55)


def _offset_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _offset_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    if outside_china(lat, lng):
        return lat, lng
    d_lat = _offset_lat(lng - 105.0, lat - 35.0)
    d_lng = _offset_lng(lng - 105.0, lat - 35.0)
    rad_lat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lng = (d_lng * 180.0) / (_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return lat + d_lat, lng + d_lng


def gcj02_to_bd09(lat: float, lng: float) -> tuple[float, float]:
    z = math.sqrt(lng * lng + lat * lat) + 0.00002 * math.sin(lat * _BD_X_PI)
    theta = math.atan2(lat, lng) + 0.000003 * math.cos(lng * _BD_X_PI)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def _bd09_to_gcj02_estimate(lat: float, lng: float) -> tuple[float, float]:
    x, y = lng - 0.0065, lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _BD_X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _BD_X_PI)
    return z * math.sin(theta), z * math.cos(theta)


def _invert(forward, lat: float, lng: float, start: tuple[float, float]) -> tuple[float, float]:
    """The point p with forward(p) == (lat, lng), by fixed-point iteration from `start`.

    The offsets vary slowly (metres per kilometre), so each step gains about three digits.
    """
    guess_lat, guess_lng = start
    for _step in range(_MAX_ITERATIONS):
        got_lat, got_lng = forward(guess_lat, guess_lng)
        err_lat, err_lng = got_lat - lat, got_lng - lng
        if abs(err_lat) < _TOLERANCE_DEG and abs(err_lng) < _TOLERANCE_DEG:
            break
        guess_lat, guess_lng = guess_lat - err_lat, guess_lng - err_lng
    return guess_lat, guess_lng


def gcj02_to_wgs84(lat: float, lng: float) -> tuple[float, float]:
    if outside_china(lat, lng):
        return lat, lng
    return _invert(wgs84_to_gcj02, lat, lng, (lat, lng))


def bd09_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    return _invert(gcj02_to_bd09, lat, lng, _bd09_to_gcj02_estimate(lat, lng))


def to_wgs84(lat: float, lng: float, datum: str) -> tuple[float, float]:
    """A point given in `datum` (a `Datum` value), as WGS-84."""
    if datum == Datum.WGS84:
        return float(lat), float(lng)
    if datum == Datum.GCJ02:
        return gcj02_to_wgs84(float(lat), float(lng))
    if datum == Datum.BD09:
        return gcj02_to_wgs84(*bd09_to_gcj02(float(lat), float(lng)))
    raise ValueError(f"Unknown datum {datum!r}: use one of {', '.join(Datum.values)}.")


def from_wgs84(lat: float, lng: float, datum: str) -> tuple[float, float]:
    """A WGS-84 point expressed in `datum` (a `Datum` value)."""
    if datum == Datum.WGS84:
        return float(lat), float(lng)
    if datum == Datum.GCJ02:
        return wgs84_to_gcj02(float(lat), float(lng))
    if datum == Datum.BD09:
        return gcj02_to_bd09(*wgs84_to_gcj02(float(lat), float(lng)))
    raise ValueError(f"Unknown datum {datum!r}: use one of {', '.join(Datum.values)}.")
