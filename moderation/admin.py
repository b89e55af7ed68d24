from django.contrib import admin

from moderation.models import AuditLog


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_name", "action", "target_type", "target_id", "reason"]
    list_filter = ["action", "target_type", "at"]
    search_fields = ["actor_name", "target_id", "reason"]
    list_per_page = 50
    date_hierarchy = "at"

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
