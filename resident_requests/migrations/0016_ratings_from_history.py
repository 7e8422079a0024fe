"""Each resolution's rating, from what the requests and their timelines already hold.

Until now a request kept only its latest rating. Every RATED event but a request's last was a
不满意 (only a dissatisfied rating reopens a request for another rating), and the last is the
request's `rating`: the i-th RATED event rated resolution i. A rated request without RATED
events (data loaded by hand) gets one row, for its current resolution.
"""

from django.db import migrations

BATCH = 1000
SATISFIED = {"satisfied", "basically_satisfied"}


def ratings_from_history(apps, schema_editor):
    ResidentRequest = apps.get_model("resident_requests", "ResidentRequest")
    RequestEvent = apps.get_model("resident_requests", "RequestEvent")
    RequestRating = apps.get_model("resident_requests", "RequestRating")
    rated = ResidentRequest.objects.exclude(rating="").order_by("pk")
    last_pk = 0
    while True:
        requests = list(
            rated.filter(pk__gt=last_pk).only("pk", "rating", "rated_at", "reopened_count")[:BATCH]
        )
        if not requests:
            break
        last_pk = requests[-1].pk
        times: dict[int, list] = {}
        for request_id, at in (
            RequestEvent.objects.filter(request__in=requests, kind="rated")
            .order_by("request_id", "created_at", "pk")
            .values_list("request_id", "created_at")
        ):
            times.setdefault(request_id, []).append(at)
        rows = []
        for request in requests:
            history = times.get(request.pk) or [request.rated_at]
            first = request.reopened_count if request.pk not in times else 0
            for index, at in enumerate(history):
                last = index == len(history) - 1
                rows.append(
                    RequestRating(
                        request_id=request.pk,
                        resolution=first + index,
                        rating=request.rating if last else "dissatisfied",
                        source="resident",
                        created_at=at or request.rated_at,
                    )
                )
            request.rated_count = len(history)
            request.satisfied_count = int(request.rating in SATISFIED)
        RequestRating.objects.bulk_create(rows, ignore_conflicts=True)
        ResidentRequest.objects.bulk_update(requests, ["rated_count", "satisfied_count"])


class Migration(migrations.Migration):
    dependencies = [("resident_requests", "0015_ratings_per_resolution_and_callbacks")]

    operations = [migrations.RunPython(ratings_from_history, migrations.RunPython.noop)]
