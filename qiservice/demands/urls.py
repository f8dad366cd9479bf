from .views import cases, detail, lists, tasks

app_name = "demands"
urlpatterns = [*lists.urlpatterns, *detail.urlpatterns, *tasks.urlpatterns, *cases.urlpatterns]
