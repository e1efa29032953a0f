from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from lianban.workdays import services
from lianban.workdays.models import CalendarOverride, PublishedYear


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "name", "source")
    list_filter = ("kind",)
    date_hierarchy = "date"

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change and "date" in form.changed_data:
            old = CalendarOverride.objects.get(pk=obj.pk)
            services.override_delete(override=old, actor=request.user)
        saved = services.override_set(
            date=obj.date, kind=obj.kind, name=obj.name, source=obj.source, actor=request.user
        )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.override_delete(override=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            services.override_delete(override=obj, actor=request.user)


@admin.register(PublishedYear)
class PublishedYearAdmin(admin.ModelAdmin):
    list_display = ("year", "source")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        saved = services.year_publish(year=obj.year, source=obj.source, actor=request.user)
        obj.pk = saved.pk
