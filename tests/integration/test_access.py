"""Every route has an access rule, and anonymous visitors are sent to sign in."""

import pytest

PUBLIC = {"auth.login", "auth.second_factor", "auth.enrol_on_sign_in", "auth.forgot_password", "auth.set_password",
          "main.home", "main.accessibility", "main.health", "static",
          # the public progress page (issue 13): it shows only published, locked quarters (test_public.py)
          "public.index", "public.quarter_page", "public.actions_csv", "public.indicators_csv",
          # the read API (issue 13): anonymous callers get only published, locked quarters; each view checks
          # a bearer token itself for more (test_api.py), and its document and docs page describe it
          "api.quarters", "api.strategy", "api.actions", "api.indicators", "api_docs.openapi", "api_docs.docs_page"}


def test_every_route_declares_an_access_rule(app):
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        if not hasattr(view, "access_rule"):
            missing.append(rule.rule)
    assert missing == [], f"routes without @public or @roles: {missing}"


def test_public_routes_are_only_the_expected_ones(app):
    public = {rule.endpoint for rule in app.url_map.iter_rules()
              if getattr(app.view_functions[rule.endpoint], "access_rule", None) == "public"}
    assert public <= PUBLIC


def test_anonymous_visitors_are_asked_to_sign_in(app, client):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC or "GET" not in rule.methods:
            continue
        url = rule.rule
        for arg in rule.arguments:
            url = url.replace(f"<int:{arg}>", "1").replace(f"<{arg}>", "2019-20-Q1")
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/sign-in" in response.headers["Location"], url


@pytest.mark.parametrize("path", ["/dashboard", "/my-actions", "/audit/", "/admin/users"])
def test_security_headers(login, path):
    client = login("admin")
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
