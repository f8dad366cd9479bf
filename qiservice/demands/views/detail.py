"""Owned by the detail part of the demand UI."""

urlpatterns = []
