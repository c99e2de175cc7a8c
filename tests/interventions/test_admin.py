from actors.roles import Role
from tests.factories import user_with
from tests.interventions.conftest import new_intervention


def test_the_admin_lists_only_interventions_in_the_staff_users_scope(world, client):
    far = new_intervention(
        world.admin13, world.prefecture, code="13055", title="Marseille"
    )
    staff = user_with(Role.LOCAL_ADMIN, "92", is_staff=True, is_superuser=True)
    client.force_login(staff)
    page = client.get("/admin/interventions/intervention/")
    listed = {i.title for i in page.context["cl"].result_list}
    assert listed == {"Médiation santé", "Scolarisation"}
    assert (
        client.get(f"/admin/interventions/intervention/{far.pk}/change/").status_code
        == 302
    )
    mine = client.get(
        f"/admin/interventions/intervention/{world.intervention.pk}/change/"
    )
    assert mine.status_code == 200 and "Médiation santé" in mine.content.decode()
