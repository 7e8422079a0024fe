"""Settings of the portal as the load and fault benchmarks run it: production settings, plus one
bare view (bench/load_urls.py) and rate limits out of the way (one client address sends all)."""

from jingkou.settings import *  # noqa: F403

ROOT_URLCONF = "bench.load_urls"
RESIDENT_REQUEST_RATE_LIMITS = {
    action: (10**9, 60)
    for action in ("submit_ip", "submit_phone", "track_ip", "support_ip", "lookup_ip", "similar_ip")
}  # counted all the same: only the limits move; a form page's own look-ups keep theirs
