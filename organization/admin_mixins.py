"""Scoping for the admin: every admin page lists, offers and edits only what the user may see.

A model says how to reach its OrgUnit with a class attribute SCOPE_PATH ("" for OrgUnit,
"unit" for Grid, "grid__unit" for Building…); the filtering itself is organization.selectors.
"""

from .selectors import visible_q_for


class ScopedAdminMixin:
    def get_queryset(self, request):
        qs = super().get_queryset(request)
        q = visible_q_for(self.model, request.user)
        return qs if q is None else qs.filter(q)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        _limit_choices(field, db_field.related_model, request.user)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        _limit_choices(field, db_field.related_model, request.user)
        return field


def _limit_choices(field, related_model, user):
    if field is None or not hasattr(field, "queryset"):
        return
    q = visible_q_for(related_model, user)
    if q is not None:
        field.queryset = field.queryset.filter(q)
