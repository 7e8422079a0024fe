"""The short links in messages (/n/<token>/ redirects to the page it stands for), and the
in-portal inbox (/inbox/): the messages addressed to the signed-in user."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.shortcuts import render as render_page
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from . import selectors, services
from .messages import TemplateError, render


@never_cache
def short_link(request, token):
    target = selectors.short_link_target(token)
    if target is None:
        raise Http404
    return redirect(target)


# --- The in-portal inbox (/inbox/) --------------------------------------------------------------

INBOX_PAGE_SIZE = 50


@dataclass
class InboxRow:
    pk: int
    created_at: object
    title: str
    text: str
    unread: bool
    request_url: str


def _inbox_row(row, language: str, staff: bool) -> InboxRow:
    try:
        title, text = render(row.template_key, row.context, language)
    except TemplateError:
        title, text = row.template_key, ""
    request_url = ""
    if staff and row.request_id:
        # The request's page in the admin (by its URL name: this app imports no app above it).
        try:
            request_url = reverse(
                "admin:resident_requests_residentrequest_change", args=[row.request_id]
            )
        except NoReverseMatch:
            request_url = ""
    return InboxRow(row.pk, row.created_at, title, text, row.read_at is None, request_url)


@never_cache
def inbox(request):
    """Every message addressed to the signed-in user, newest first; POST marks read (one row,
    or all with `all`)."""
    user = request.user
    if not user.is_authenticated:
        # The to-do's sign-in takes staff and party members alike (by URL name: no import).
        try:
            login_url = reverse("resident_requests:todo_login")
        except NoReverseMatch:
            login_url = None
        return redirect_to_login(request.get_full_path(), login_url)
    # Staff who set up two-factor login pass it in the admin's login first (ops.admin).
    if user.is_staff and not admin.site.has_permission(request):
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    if request.method == "POST":
        if request.POST.get("all"):
            services.inbox_mark_read(user=user)
        else:
            try:
                ids = [int(request.POST.get("id", ""))]
            except ValueError:
                messages.error(request, _("Choose a message to mark read."))
                return redirect("notifications:inbox")
            services.inbox_mark_read(user=user, ids=ids)
        return redirect(f"{reverse('notifications:inbox')}?page={request.GET.get('page', 1)}")
    page = Paginator(selectors.inbox_for(user), INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    language = get_language() or settings.LANGUAGE_CODE
    rows = [_inbox_row(row, language, user.is_staff) for row in page.object_list]
    return render_page(
        request,
        "notifications/inbox.html",
        {"page": page, "rows": rows, "unread": selectors.inbox_unread_count(user)},
    )
