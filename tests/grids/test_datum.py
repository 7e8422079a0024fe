import pytest

from grids import datum
from grids.datum import Datum, from_wgs84, to_wgs84
from grids.geo import straight_metres

# (WGS-84 lat, lng, GCJ-02 lat, lng): the test vectors of googollee/eviltransform, which every
# port (PHP, JS, Go) shares: Shanghai, Shenzhen, Beijing.
EVILTRANSFORM_VECTORS = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
]

# Points around Jingkou, one outside the district and points far apart in China.
SAMPLE_POINTS = [
    (32.2044, 119.4553),
    (32.1892, 119.5021),
    (32.1530, 119.6510),
    (45.7567, 126.6424),
    (18.2528, 109.5119),
    (43.8256, 87.6168),
]


@pytest.mark.parametrize(("wgs_lat", "wgs_lng", "gcj_lat", "gcj_lng"), EVILTRANSFORM_VECTORS)
def test_wgs84_to_gcj02_matches_the_published_vectors(wgs_lat, wgs_lng, gcj_lat, gcj_lng):
    lat, lng = from_wgs84(wgs_lat, wgs_lng, Datum.GCJ02)
    assert lat == pytest.approx(gcj_lat, abs=1e-9)
    assert lng == pytest.approx(gcj_lng, abs=1e-9)


@pytest.mark.parametrize(("wgs_lat", "wgs_lng", "gcj_lat", "gcj_lng"), EVILTRANSFORM_VECTORS)
def test_gcj02_to_wgs84_recovers_the_gps_point_to_a_centimetre(wgs_lat, wgs_lng, gcj_lat, gcj_lng):
    lat, lng = to_wgs84(gcj_lat, gcj_lng, Datum.GCJ02)
    assert straight_metres(lat, lng, wgs_lat, wgs_lng) < 0.01


def test_tiananmen_is_about_570_metres_off_on_a_gcj02_map():
    # Tiananmen on GPS and on 高德 (values rounded to 6 decimals, hence the half-metre tolerance).
    lat, lng = from_wgs84(39.908720, 116.397500, Datum.GCJ02)
    assert straight_metres(lat, lng, 39.910120, 116.403740) < 1.0
    assert 500 < straight_metres(39.908720, 116.397500, lat, lng) < 700


def test_gcj02_to_bd09_matches_the_published_formula():
    # wandergis/coordtransform: gcj02tobd09(116.404, 39.915) -> [116.41036949371029, 39.92133699351021]
    lat, lng = from_wgs84(*to_wgs84(39.915, 116.404, Datum.GCJ02), Datum.BD09)
    assert lat == pytest.approx(39.92133699351021, abs=1e-8)
    assert lng == pytest.approx(116.41036949371029, abs=1e-8)


def test_the_iterated_inverse_is_better_than_the_one_step_approximation():
    # The one-step inverse (lat - (gcj(lat) - lat)) used by many ports is metres off.
    gcj_lat, gcj_lng = EVILTRANSFORM_VECTORS[0][2:]
    wgs_lat, wgs_lng = EVILTRANSFORM_VECTORS[0][:2]
    once_lat, once_lng = datum.wgs84_to_gcj02(gcj_lat, gcj_lng)
    one_step = (2 * gcj_lat - once_lat, 2 * gcj_lng - once_lng)
    assert straight_metres(*one_step, wgs_lat, wgs_lng) > 0.5
    assert straight_metres(*to_wgs84(gcj_lat, gcj_lng, Datum.GCJ02), wgs_lat, wgs_lng) < 0.01


@pytest.mark.parametrize("name", [Datum.GCJ02, Datum.BD09])
@pytest.mark.parametrize(("lat", "lng"), SAMPLE_POINTS)
def test_round_trip_error_is_below_a_centimetre(name, lat, lng):
    shown = from_wgs84(lat, lng, name)
    assert straight_metres(lat, lng, *shown) > 100  # the datums really differ in China
    assert straight_metres(lat, lng, *to_wgs84(*shown, name)) < 0.01


@pytest.mark.parametrize(("lat", "lng"), [(51.5007, -0.1246), (35.6586, 139.7454)])
def test_a_point_outside_china_is_unchanged_in_gcj02(lat, lng):
    assert from_wgs84(lat, lng, Datum.GCJ02) == (lat, lng)
    assert to_wgs84(lat, lng, Datum.GCJ02) == (lat, lng)


def test_wgs84_is_the_identity_and_an_unknown_datum_is_refused():
    assert from_wgs84(32.2, 119.45, Datum.WGS84) == (32.2, 119.45)
    assert to_wgs84("32.2", "119.45", "wgs84") == (32.2, 119.45)
    with pytest.raises(ValueError, match="gcj02"):
        to_wgs84(32.2, 119.45, "beijing54")
