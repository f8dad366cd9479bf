"""Owned by the lists part of the demand UI."""

urlpatterns = []
