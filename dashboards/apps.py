from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = _("Dashboards")

    def ready(self):
        from django.apps import apps
        from django.db.models.signals import m2m_changed, post_delete, post_save
        from mptt.signals import node_moved

        from core.signals import demo_loaded

        from .selectors import ORGANIZATION_APPS, organization_figures_changed

        demo_loaded.connect(organization_figures_changed, dispatch_uid="dashboards-org-demo")
        # A unit moved with its subtree (mptt updates the tree in SQL, without post_save).
        node_moved.connect(organization_figures_changed, dispatch_uid="dashboards-org-moved")

        # Any edit of the organization, its grids or party work makes the cached figures stale.
        for label in ORGANIZATION_APPS:
            for model in apps.get_app_config(label).get_models():
                uid = f"dashboards-org-{model._meta.label_lower}"
                post_save.connect(organization_figures_changed, sender=model, dispatch_uid=uid)
                post_delete.connect(
                    organization_figures_changed, sender=model, dispatch_uid=f"{uid}-delete"
                )
                for field in model._meta.local_many_to_many:
                    m2m_changed.connect(
                        organization_figures_changed,
                        sender=field.remote_field.through,
                        dispatch_uid=f"{uid}-{field.name}",
                    )
