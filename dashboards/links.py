"""The dashboard's drill-through: from a figure to the admin list of exactly the requests it
counts, built from the same filter object as the figure (unit, date range, category) plus the
figure's own condition, so the number and the list cannot drift."""

import dataclasses
import datetime
from urllib.parse import urlencode

from django.urls import reverse

from .selectors import RequestFilter

# Figures "as of now": every request open now, whatever the day it was received.
NOW_FIGURES = {"open_now", "overdue_now"}


class RequestLinks:
    """Links to the admin's request list for one dashboard filter (the list's URL and the
    date range worked out once: a district's page holds thousands of links)."""

    def __init__(self, flt: RequestFilter):
        self.flt = flt
        self.base = reverse("admin:resident_requests_residentrequest_changelist")
        self.received = self._range(flt)
        self.received_query = urlencode(self.received)

    @staticmethod
    def _range(flt: RequestFilter) -> dict[str, str]:
        low, high = flt.bounds()
        return {"created_at__gte": low.isoformat(), "created_at__lt": high.isoformat()}

    def __call__(
        self,
        unit_id: int,
        *,
        counted: str | None = None,
        start: datetime.date | None = None,
        end: datetime.date | None = None,
        category_id: int | None = None,
        **fields: str,
    ) -> str:
        """The requests under `unit_id` that a figure counts: received in the filter's date
        range (or [start, end] within it: a trend row), of its category (or `category_id`: a
        category row), and `counted` (resident_requests.selectors.REQUEST_FIGURES). `fields`:
        exact matches on the request (channel, level)."""
        # Joined from parts encoded once where they repeat (the date range): a district's page
        # builds about 1,600 of these. The order is the list's: unit, dates, category, figure.
        parts = [f"unit={int(unit_id)}"]
        if counted not in NOW_FIGURES:
            if start or end:
                part = dataclasses.replace(
                    self.flt, start=start or self.flt.start, end=end or self.flt.end
                )
                parts.append(urlencode(self._range(part)))
            else:
                parts.append(self.received_query)
        category = category_id or self.flt.category_id
        if category:
            parts.append(f"category={int(category)}")
        if counted:
            parts.append(urlencode({"counted": counted}))
        if fields:
            parts.append(urlencode({f"{name}__exact": value for name, value in fields.items()}))
        return f"{self.base}?{'&'.join(parts)}"

    def department_calls(self, unit_id: int, department_id: int, state: str | None = None) -> str:
        """The requests under `unit_id` (of the filter's category) that the department was
        called in on in the date range, and with `state`, acknowledged or reported done."""
        params: dict[str, object] = {"unit": unit_id}
        if self.flt.category_id:
            params["category"] = self.flt.category_id
        params["department"] = department_id
        params["called_gte"] = self.received["created_at__gte"]
        params["called_lt"] = self.received["created_at__lt"]
        if state:
            params["called_state"] = state
        return f"{self.base}?{urlencode(params)}"
