"""The "admin" role manages users within its own rights: it cannot make anyone a superuser, hand
out permissions or roles it does not hold, or take over a superuser (issue 12, finding 2)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from assessments.roles import Role
from assessments.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def ada(db):
    """A staff account in the admin role, not a superuser."""
    return UserFactory(username="ada", is_staff=True, role=Role.ADMIN)


@pytest.fixture
def root(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def ada_client(client, ada):
    client.force_login(ada)
    return client


def change_form(user, **changes) -> dict:
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "groups": [g.pk for g in user.groups.all()],
        "date_joined_0": f"{user.date_joined:%Y-%m-%d}",
        "date_joined_1": f"{user.date_joined:%H:%M:%S}",
    }
    if user.is_staff:
        data["is_staff"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_admin_role_cannot_make_itself_a_superuser(ada_client, ada):
    url = reverse("admin:auth_user_change", args=[ada.pk])
    page = ada_client.get(url).content.decode()
    assert 'name="is_superuser"' not in page
    assert 'name="user_permissions"' not in page

    delete_users = Permission.objects.get(codename="delete_user")
    response = ada_client.post(url, change_form(ada, is_superuser="on", user_permissions=[delete_users.pk]))

    assert response.status_code == 302
    ada.refresh_from_db()
    assert not ada.is_superuser
    assert not ada.user_permissions.exists()


def test_the_admin_role_cannot_set_a_superusers_password_or_change_them(ada_client, root):
    password_url = reverse("admin:auth_user_password_change", args=[root.pk])
    assert ada_client.get(password_url).status_code == 403
    response = ada_client.post(password_url, {"password1": "Hijacked-2026!", "password2": "Hijacked-2026!",
                                              "usable_password": "true"})
    assert response.status_code == 403
    change = ada_client.post(reverse("admin:auth_user_change", args=[root.pk]), change_form(root, is_staff=None))
    assert change.status_code == 403
    delete = ada_client.post(reverse("admin:auth_user_delete", args=[root.pk]), {"post": "yes"})
    assert delete.status_code == 403

    root.refresh_from_db()
    assert root.check_password(PASSWORD)
    assert root.is_staff and root.is_superuser and root.is_active


def test_the_admin_role_cannot_take_over_an_account_with_more_rights_than_its_own(ada_client):
    auditor = UserFactory(username="auditor", is_staff=True)
    auditor.user_permissions.add(Permission.objects.get(codename="delete_user"))

    url = reverse("admin:auth_user_password_change", args=[auditor.pk])
    assert ada_client.post(url, {"password1": "Hijacked-2026!", "password2": "Hijacked-2026!",
                                 "usable_password": "true"}).status_code == 403
    auditor.refresh_from_db()
    assert auditor.check_password(PASSWORD)


def test_the_admin_role_cannot_grant_a_role_that_carries_rights_it_does_not_hold(ada_client):
    ana = UserFactory(username="ana", role=Role.ACCOUNT_MANAGER)
    auditors = Group.objects.create(name="auditors")
    auditors.permissions.add(Permission.objects.get(codename="delete_user"))

    response = ada_client.post(
        reverse("admin:auth_user_change", args=[ana.pk]), change_form(ana, groups=[*ana.groups.values_list("pk", flat=True), auditors.pk])
    )

    assert response.status_code == 200
    assert "You can only give or take away roles whose rights you hold yourself: auditors." in response.content.decode()
    assert list(ana.groups.values_list("name", flat=True)) == [Role.ACCOUNT_MANAGER.value]


def test_the_admin_role_can_give_the_roles_it_holds_the_rights_of(ada_client):
    ben = UserFactory(username="ben")
    leadership = Group.objects.get_or_create(name=Role.LEADERSHIP.value)[0]
    manager = Group.objects.get_or_create(name=Role.ACCOUNT_MANAGER.value)[0]

    page = ada_client.get(reverse("admin:auth_user_change", args=[ben.pk])).content.decode()
    assert "Account manager" in page and "Leadership" in page, "roles are named in words"
    response = ada_client.post(
        reverse("admin:auth_user_change", args=[ben.pk]), change_form(ben, groups=[leadership.pk, manager.pk])
    )

    assert response.status_code == 302
    assert set(ben.groups.values_list("name", flat=True)) == {Role.LEADERSHIP.value, Role.ACCOUNT_MANAGER.value}


def test_a_superuser_still_manages_everything(client, root, ada):
    client.force_login(root)
    url = reverse("admin:auth_user_change", args=[ada.pk])
    assert 'name="is_superuser"' in client.get(url).content.decode()

    response = client.post(url, change_form(ada, is_superuser="on"))

    assert response.status_code == 302
    ada.refresh_from_db()
    assert ada.is_superuser
