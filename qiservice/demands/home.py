"""The demand panels of the home page (registered in apps.ready)."""
