"""Owned by the tasks part of the demand UI."""

urlpatterns = []
