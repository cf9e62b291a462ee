"""Security headers on pages, exports and static files; request ids; the JSON-lines application log."""

import json

import pytest

from app.security import HSTS, content_security_policy, request_id_from
from tests.conftest import PASSWORD, csrf_token

PAGE = "/dashboard"
EXPORT = "/reports/2018-19-Q3/pack.xlsx"
STATIC = "/static/css/app.css"

# (header, expected on a signed-in page, on the pack export, on a static file); None means absent.
HEADERS = [
    ("X-Content-Type-Options", "nosniff", "nosniff", "nosniff"),
    ("Referrer-Policy", "same-origin", "same-origin", "same-origin"),
    ("X-Frame-Options", "DENY", "DENY", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin", "same-origin", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin", "same-origin", "same-origin"),
    ("Cache-Control", "no-store", "no-store", "no-cache"),  # static: Flask's revalidation, kept
    ("Strict-Transport-Security", None, None, None),  # not on plain-HTTP settings (see the HSTS test)
]
CSP_DIRECTIVES = ["object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]


@pytest.fixture
def responses(login):
    client = login("coordinator")
    return {"page": client.get(PAGE), "export": client.get(EXPORT), "static": client.get(STATIC)}


@pytest.mark.parametrize(("header", "page", "export", "static"), HEADERS)
def test_each_header_on_a_page_an_export_and_a_static_file(responses, header, page, export, static):
    assert responses["page"].status_code == 200
    assert responses["export"].status_code == 200
    assert responses["export"].mimetype.endswith("spreadsheetml.sheet")
    assert responses["static"].status_code == 200
    for kind, expected in (("page", page), ("export", export), ("static", static)):
        assert responses[kind].headers.get(header) == expected, (kind, header)


@pytest.mark.parametrize("kind", ["page", "export", "static"])
@pytest.mark.parametrize("directive", CSP_DIRECTIVES)
def test_content_security_policy_directives(responses, kind, directive):
    assert directive in responses[kind].headers["Content-Security-Policy"]


def test_static_files_keep_caching(responses):
    # Flask revalidates static files (ETag / Last-Modified); only pages and exports are no-store.
    assert "no-store" not in responses["static"].headers.get("Cache-Control", "")
    assert responses["static"].headers.get("ETag")


@pytest.mark.parametrize("path", ["/sign-in", "/health", "/no-such-page"])
def test_signed_out_responses_are_not_stored_either(client, path):
    assert client.get(path).headers["Cache-Control"] == "no-store"


def test_the_chart_svg_keeps_its_narrow_policy_with_the_required_directives(login):
    response = login("coordinator").get("/reports/2018-19-Q3/charts/DV04.svg")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert csp.startswith("default-src 'none'; style-src 'unsafe-inline'")
    assert all(directive in csp for directive in CSP_DIRECTIVES)


@pytest.mark.parametrize(("secure", "expected"), [(True, HSTS), (False, None)])
def test_hsts_only_when_the_app_is_configured_for_https(app, client, secure, expected):
    app.config["SESSION_COOKIE_SECURE"] = secure
    assert client.get("/sign-in").headers.get("Strict-Transport-Security") == expected


@pytest.mark.parametrize(("override", "expected"), [
    (None, "default-src 'self'; script-src 'self' 'nonce-N'; style-src 'self'; img-src 'self' data:; "
           "font-src 'self'; form-action 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"),
    ("default-src 'none'; style-src 'unsafe-inline'",
     "default-src 'none'; style-src 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"),
    ("default-src 'none'; frame-ancestors 'self';",
     "default-src 'none'; frame-ancestors 'self'; object-src 'none'; base-uri 'none'"),
])
def test_content_security_policy_table(override, expected):
    assert content_security_policy("N", override) == expected


@pytest.mark.parametrize(("incoming", "kept"), [
    ("proxy-4f2a9c01", True),
    ("0b6c2f0e-8d1e-4a43-9a55-2d4f4c3b9e10", True),
    ("short", False),  # under 8 characters
    ("x" * 65, False),  # over 64 characters
    ("abc12345\r\nforged", False),
    ("abc 12345", False),
    ('abc12345"}', False),
    ("", False),
    (None, False),
])
def test_incoming_request_ids(incoming, kept):
    result = request_id_from(incoming)
    assert (result == incoming) is kept
    assert 8 <= len(result) <= 64


def _lines(capsys) -> list[dict]:
    """Every line written to stderr, each of which must be one JSON object."""
    text = capsys.readouterr().err
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _access(lines: list[dict], request_id: str) -> dict:
    found = [line for line in lines if line.get("request_id") == request_id and "status" in line]
    assert len(found) == 1, lines
    return found[0]


def test_a_request_writes_one_json_access_line_with_its_request_id(login, capsys):
    client = login("lead")
    capsys.readouterr()
    response = client.get(f"{PAGE}?token=query-secret-123", headers={"X-Request-ID": "proxy-4f2a9c01"})
    assert response.headers["X-Request-ID"] == "proxy-4f2a9c01"
    raw = capsys.readouterr().err
    line = _access([json.loads(x) for x in raw.splitlines() if x.strip()], "proxy-4f2a9c01")
    assert line["level"] == "INFO" and line["logger"] == "app.request"
    assert line["method"] == "GET" and line["path"] == PAGE and line["status"] == 200
    assert line["user_id"] == client.user.id
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["time"].endswith("+00:00")
    assert "query-secret-123" not in raw  # query strings can carry tokens: never logged


def test_a_generated_request_id_is_echoed_and_logged(client, capsys):
    response = client.get("/sign-in", headers={"X-Request-ID": "bad id\twith tab"})
    request_id = response.headers["X-Request-ID"]
    assert request_id != "bad id\twith tab" and len(request_id) == 32
    line = _access(_lines(capsys), request_id)
    assert line["user_id"] is None and line["status"] == 200


def test_signing_in_logs_no_password_cookie_or_csrf_token(app, make_user, capsys):
    user = make_user("viewer")
    client = app.test_client()
    token = csrf_token(client, "/sign-in")
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    client.get(PAGE)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    raw = capsys.readouterr().err
    assert '"path": "/sign-in"' in raw and f'"user_id": {user.id}' in raw
    for secret in (PASSWORD, token, cookie):
        assert secret not in raw


def test_crlf_in_a_path_or_user_agent_cannot_forge_a_log_line(client, capsys):
    forged = '{"level": "CRITICAL", "logger": "app.forged", "message": "admin signed in"}'
    capsys.readouterr()
    client.get("/nothing%0d%0a" + forged.replace(" ", "%20").replace('"', "%22"),
               headers={"X-Request-ID": "crlf-test-0001"})
    client.get("/sign-in", headers={"X-Request-ID": "crlf-test-0002"},
               environ_overrides={"HTTP_USER_AGENT": "Mozilla/5.0\r\n" + forged + "\u2028" + forged})
    raw = capsys.readouterr().err
    lines = [json.loads(x) for x in raw.splitlines() if x.strip()]  # every line is still valid JSON
    assert all(line["logger"] != "app.forged" and line["level"] != "CRITICAL" for line in lines)
    assert "\r" not in raw and "\u2028" not in raw
    path_line = _access(lines, "crlf-test-0001")
    assert path_line["status"] == 404 and path_line["path"].startswith("/nothing\r\n{")
    agent_line = _access(lines, "crlf-test-0002")
    assert agent_line["user_agent"].startswith("Mozilla/5.0\r\n{")


def test_long_fields_are_capped(client, capsys):
    capsys.readouterr()
    client.get("/" + "a" * 5000, headers={"X-Request-ID": "long-path-01"},
               environ_overrides={"HTTP_USER_AGENT": "b" * 5000})
    line = _access(_lines(capsys), "long-path-01")
    assert len(line["path"]) <= 303 and len(line["user_agent"]) <= 303
    assert len(line["message"]) <= 2003


def test_a_server_error_is_logged_as_one_json_line_with_its_traceback_and_request_id(app, capsys):
    from app.permissions import public

    @public
    def broken():
        raise RuntimeError("boom\r\n" + '{"level": "INFO", "logger": "app.forged"}')

    app.add_url_rule("/broken-for-test", "broken_for_test", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the 500 page, not a test-client raise
    capsys.readouterr()
    response = app.test_client().get("/broken-for-test", headers={"X-Request-ID": "server-error-01"})
    assert response.status_code == 500 and response.headers["X-Request-ID"] == "server-error-01"
    lines = _lines(capsys)
    errors = [line for line in lines if line["level"] == "ERROR"]
    assert len(errors) == 1 and errors[0]["request_id"] == "server-error-01"
    assert "RuntimeError: boom\r\n" in errors[0]["exception"]
    assert _access(lines, "server-error-01")["status"] == 500
    assert all(line["logger"] != "app.forged" for line in lines)


@pytest.mark.parametrize(("path", "method", "status", "level"), [
    ("/audit/", "get", 403, "WARNING"),  # a lead may not read the audit trail
    ("/sign-in", "post", 400, "WARNING"),  # no CSRF token
    ("/no-such-page", "get", 404, "INFO"),
    ("/dashboard", "get", 200, "INFO"),
])
def test_refused_requests_are_logged_as_warnings(login, capsys, path, method, status, level):
    client = login("lead")
    capsys.readouterr()
    response = getattr(client, method)(path, headers={"X-Request-ID": "level-test-01"})
    assert response.status_code == status
    line = _access(_lines(capsys), "level-test-01")
    assert (line["status"], line["level"]) == (status, level)
