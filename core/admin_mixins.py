"""For ModelAdmins whose pages show people's full personal data: one audit row per display.

In core so that every app's admin can use it; the row is written by ops (core.audit).
"""

from .audit import audit_personal_data_display


class PersonalDataAuditMixin:
    """Records each GET of the detail page (and, if its columns show full data, of the list).

    personal_data_fields: the kinds (core.audit.PERSONAL_DATA_KINDS) the detail page shows in
    full. personal_data_list_fields: the kinds the list shows in full; one row per page view
    names the ids on the page. Saves (POST) are not displays: the admin's LogEntry records them.
    Refused users never get this far (403 / "does not exist" redirect), so they leave no row.
    """

    personal_data_fields: tuple[str, ...] = ()
    personal_data_list_fields: tuple[str, ...] = ()

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if change and obj is not None and request.method == "GET":
            audit_personal_data_display(request, [obj], self.personal_data_fields)
        return super().render_change_form(
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        fields = self.personal_data_list_fields
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if fields and request.method == "GET" and changelist is not None:

            def record(_rendered):
                # After rendering the page's rows are loaded: naming their ids costs no query.
                # (Returns None: a callback's return value would replace the response.)
                audit_personal_data_display(
                    request, list(changelist.result_list), fields, as_list=True
                )

            response.add_post_render_callback(record)
        return response
