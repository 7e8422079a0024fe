"""Prometheus metrics: django-prometheus' request counters, plus the notification outbox depth."""

import ipaddress
import os

from django.conf import settings
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily


class OutboxCollector:
    """Read at scrape time: one query, so the figure is the database's, not one worker's."""

    def collect(self):
        from .selectors import outbox_depth

        gauge = GaugeMetricFamily(
            "jingkou_notification_outbox_depth",
            "Notifications not yet delivered, by status.",
            labels=["status"],
        )
        try:
            depth = outbox_depth()
        except Exception:  # the database is down: the scrape still answers, without this gauge
            return
        for status, count in sorted(depth.items()):
            gauge.add_metric([status], count)
        yield gauge


_outbox_registry = CollectorRegistry(auto_describe=False)
_outbox_registry.register(OutboxCollector())


def exposition() -> bytes:
    """Every metric, in Prometheus' text format.

    Under gunicorn each worker counts its own requests into PROMETHEUS_MULTIPROC_DIR; the
    scrape adds them up across workers (prometheus_client's multiprocess mode).
    """
    multiproc_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if multiproc_dir:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=multiproc_dir)
    else:
        from prometheus_client import REGISTRY as registry
    return generate_latest(registry) + generate_latest(_outbox_registry)


def scrape_allowed(address: str | None) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net) for net in settings.METRICS_ALLOWED_NETWORKS)
