from qiservice.institutions.models import Institution


def institution_form(world, **overrides):
    data = {
        "name": "厦门新标准化服务中心",
        "kind": "standards_institute",
        "qi_fields": ["standardization", "quality_management"],
        "district": world.siming.pk,
        "contact_name": "赵六",
        "contact_phone": "0592-2223333",
        "is_active": "on",
        "items-TOTAL_FORMS": "2",
        "items-INITIAL_FORMS": "0",
        "items-0-qi_field": "standardization",
        "items-0-name": "团体标准起草",
        "items-0-description": "协助企业起草团体标准",
        "items-0-is_active": "on",
        "items-1-qi_field": "",
        "items-1-name": "",
        "items-1-is_active": "on",  # the blank row comes ticked, as the browser sends it
    }
    data.update(overrides)
    return data


def test_the_agency_admin_adds_an_institution_with_its_catalogue(world, login):
    client = login(world.people.admin)
    response = client.post("/institutions/new/", institution_form(world))
    institution = Institution.objects.get(name="厦门新标准化服务中心")
    assert response.status_code == 302
    assert institution.qi_fields == ["standardization", "quality_management"]
    assert [i.name for i in institution.service_items.all()] == ["团体标准起草"]
    page = client.get(f"/institutions/{institution.pk}/").content.decode()
    assert "团体标准起草" in page and "标准化" in page


def test_institution_staff_edit_their_own_catalogue_only(world, login):
    client = login(world.people.institution_staff)
    assert client.get(f"/institutions/{world.testing.pk}/edit/").status_code == 403
    assert client.get("/institutions/new/").status_code == 403
    assert client.get(f"/institutions/{world.metrology.pk}/edit/").status_code == 200


def test_an_institution_needs_at_least_one_field(world, login):
    client = login(world.people.admin)
    response = client.post("/institutions/new/", institution_form(world, qi_fields=[]))
    assert "qi_fields" in response.context["form"].errors
    assert not Institution.objects.filter(name="厦门新标准化服务中心").exists()


def test_filter_institutions_by_field_and_search_the_catalogue(world, login):
    client = login(world.people.specialist)
    by_field = client.get("/institutions/", {"qi_field": "inspection_testing"}).context["page"].object_list
    assert [i.pk for i in by_field] == [world.testing.pk]
    by_item = client.get("/institutions/", {"q": "检定校准"}).context["page"].object_list
    assert [i.pk for i in by_item] == [world.metrology.pk]
