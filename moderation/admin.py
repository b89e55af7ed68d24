from django.contrib import admin

from audit.models import AuditLog
from common.admin import ReadOnlyAdmin


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_name", "action", "target_type", "target_id", "reason"]
    list_filter = ["action", "target_type", "at"]
    search_fields = ["actor_name", "target_id", "reason"]
    list_per_page = 50
    date_hierarchy = "at"
