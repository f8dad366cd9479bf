from django.contrib import admin

from qiservice.core.admin import AuditedModelAdmin

from .models import Assessment, AssessmentPeriod, AssessmentWeights, ImprovementAction, ReturnVisit


@admin.register(AssessmentPeriod)
class AssessmentPeriodAdmin(AuditedModelAdmin):
    list_display = ("name", "kind", "starts_on", "ends_on", "status")
    list_filter = ("status", "kind")


@admin.register(Assessment)
class AssessmentAdmin(AuditedModelAdmin):
    list_display = ("period", "specialist", "total", "grade", "rank", "acknowledged_at")
    list_filter = ("period", "grade")
    readonly_fields = ("indicators", "scores", "computed_at")


@admin.register(AssessmentWeights)
class AssessmentWeightsAdmin(AuditedModelAdmin):
    pass


@admin.register(ImprovementAction)
class ImprovementActionAdmin(AuditedModelAdmin):
    list_display = ("assessment", "owner", "due_on", "status")
    list_filter = ("status",)


@admin.register(ReturnVisit)
class ReturnVisitAdmin(AuditedModelAdmin):
    list_display = ("demand", "visited_on", "visited_by", "method")
