import numpy as np
import pytest

from grids import geo


def test_a_thousandth_of_a_degree_of_latitude_is_111_metres():
    assert geo.straight_metres(32.2, 119.45, 32.201, 119.45) == pytest.approx(111.195, abs=0.01)


def test_walking_minutes_are_the_straight_line_times_the_detour_at_80_m_a_minute():
    assert geo.walking_minutes(800.0) == pytest.approx(800 * geo.DETOUR_FACTOR / 80)
    assert geo.walking_metres(100.0) == pytest.approx(100 * geo.DETOUR_FACTOR)


def test_nearest_points_agrees_with_a_brute_force_search():
    rng = np.random.default_rng(3)
    b_lat, b_lng = 32.2 + rng.uniform(-0.05, 0.05, 500), 119.45 + rng.uniform(-0.05, 0.05, 500)
    s_lat, s_lng = 32.2 + rng.uniform(-0.05, 0.05, 40), 119.45 + rng.uniform(-0.05, 0.05, 40)
    index, metres = geo.nearest_points(b_lat, b_lng, s_lat, s_lng)
    brute = geo.straight_metres_array(
        b_lat[:, None], b_lng[:, None], s_lat[None, :], s_lng[None, :]
    )
    assert np.allclose(metres, brute.min(axis=1), atol=0.01)
    assert np.array_equal(brute[np.arange(500), index], brute.min(axis=1))


def test_no_stations_means_infinitely_far():
    index, metres = geo.nearest_points(np.array([32.2]), np.array([119.45]), [], [])
    assert index.tolist() == [-1]
    assert np.isinf(metres).all()
