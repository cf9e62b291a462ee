"""The header's menu, rendered once per role and section (app/navigation.py), still fits each user and page."""

import re

import pytest

from app.extensions import db
from app.strategy import service as calendar

_ITEM = re.compile(r'<li class="govuk-service-navigation__item([^"]*)">\s*<a [^>]*>\s*(?:<strong[^>]*>)?([^<]+?)\s*<')

EVERYONE = ["RAG dashboard", "Indicators", "Reports", "Search"]
STAFF = ["Quarterly cycle", "Plan", "Audit"]
MENUS = {
    "viewer": EVERYONE + ["Your account", "Sign out"],
    "lead": EVERYONE + ["My actions", "Your account", "Sign out"],
    "coordinator": EVERYONE + ["My actions", *STAFF, "Your account", "Sign out"],
    "admin": EVERYONE + [*STAFF, "Admin", "Your account", "Sign out"],
}


def menu(page: str) -> list[tuple[str, bool]]:
    """Each menu item's text, and whether it is marked as the current section."""
    return [(text, "--active" in classes) for classes, text in _ITEM.findall(page)]


def test_each_role_sees_its_own_menu_in_one_app(app, login):
    # One app (one worker) serves every role in turn: what was rendered for one must not leak to the next.
    clients = {role: login(role) for role in ("admin", "viewer", "coordinator", "lead")}
    for _ in range(2):
        for role, client in clients.items():
            page = client.get("/dashboard").get_data(as_text=True)
            assert [text for text, _ in menu(page)] == MENUS[role], role
            assert f"Signed in as {client.user.name}" in page


@pytest.mark.parametrize(
    ("role", "path", "current"),
    [
        ("coordinator", "/dashboard", "RAG dashboard"),
        ("coordinator", "/indicators", "Indicators"),
        ("coordinator", "/my-actions", "My actions"),
        ("coordinator", "/cycle/", "Quarterly cycle"),
        ("coordinator", "/audit/", "Audit"),
        ("coordinator", "/account", "Your account"),
        ("admin", "/admin/users", "Admin"),
        ("lead", "/dashboard", "RAG dashboard"),
        ("lead", "/my-actions", "My actions"),
    ],
)
def test_the_current_section_is_marked(login, role, path, current):
    client = login(role)
    client.get("/dashboard")  # the dashboard's menu is rendered first, so a kept menu would show it
    response = client.get(path)
    assert response.status_code == 200
    assert [text for text, active in menu(response.get_data(as_text=True)) if active] == [current]


def test_signed_out_pages_have_no_menu(client):
    assert menu(client.get("/sign-in").get_data(as_text=True)) == []


def test_a_new_current_quarter_shows_on_the_next_dashboard(app, login):
    client = login("coordinator")
    first = calendar.current_quarter()
    assert f"RAG dashboard for {first.label}" in client.get("/dashboard").get_data(as_text=True)
    later = next(q for q in calendar.quarters() if q != first)
    calendar.set_current_quarter(client.user, later)
    db.session.commit()
    page = client.get("/dashboard").get_data(as_text=True)
    assert f"RAG dashboard for {later.label}" in page
