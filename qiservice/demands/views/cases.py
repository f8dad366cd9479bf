"""Owned by the cases part of the demand UI."""

urlpatterns = []
