from django.contrib import admin
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Jingkou Doorstep · staff")
admin.site.site_title = _("Jingkou Doorstep")
admin.site.index_title = _("Work desk")
