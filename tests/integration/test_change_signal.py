"""The change signal (app/changes.py): a worker remembers who a browser signs in as, and the data version,
until anything is written, and then every worker hears of the write on its very next request.

"Another worker" here is a second app on the same database and signal folder, as gunicorn's workers
are, and once a separate process.
"""

import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from app import cache, changes, create_app
from app.auth import sessions
from app.auth.models import User, UserSession
from app.database import utcnow
from app.extensions import db
from app.strategy import service as calendar
from tests.conftest import _config, post_form, sign_in
from tests.helpers import action, count_queries
from tests.integration.test_cache import DASHBOARD, Q, row


@pytest.fixture
def other_worker(database_url):
    """A second app on the test's database: another gunicorn worker, with its own memory."""
    other = create_app_like_a_worker(database_url)
    yield other
    with other.app_context():
        db.engine.dispose()


def create_app_like_a_worker(database_url, **settings):
    return create_app(_config(database_url) | settings)


def signal_now() -> bytes | None:
    return changes.seen(db.engine.url)


def test_a_remembered_browser_asks_the_database_nothing_until_something_is_written(app, login):
    viewer = login("viewer")
    viewer.get(DASHBOARD)  # the first view after signing in (a write) reads, and remembers
    db.session.rollback()  # end the test's own transaction, as a worker's request does
    with count_queries() as sent:
        assert viewer.get(DASHBOARD).status_code == 200
    assert sent == []
    calendar.strategy().name += " (renamed)"
    db.session.commit()
    with count_queries() as sent:
        assert viewer.get(DASHBOARD).status_code == 200
    assert any("user_session" in statement for statement in sent)  # the session is checked again


def test_a_save_through_another_worker_shows_on_the_very_next_request(app, login, police, other_worker, make_user):
    viewer = login("viewer")
    assert "No update" in row(viewer.get(DASHBOARD).get_data(as_text=True), "A2")
    assert "No update" in row(viewer.get(DASHBOARD).get_data(as_text=True), "A2")  # remembered
    lead = sign_in(other_worker.test_client(), make_user("lead", police))
    url = f"/actions/{action('A2').id}/updates/{police.id}/{Q.slug}"
    db.session.rollback()  # end the test's transaction, as the viewer's worker has none between requests
    response = post_form(lead, url,
                         {"status": "red", "commentary": "Stalled", "mitigation": "Escalated", "version": "0",
                          "submit_update": "Submit update"})
    assert response.status_code == 302
    assert "Red" in row(viewer.get(DASHBOARD).get_data(as_text=True), "A2")


def _sign_out_everywhere(user_id: int) -> None:
    db.session.get(User, user_id).session_generation += 1


def _deactivate(user_id: int) -> None:
    db.session.get(User, user_id).active = False


def _end_the_session_row(user_id: int) -> None:
    db.session.execute(delete(UserSession).where(UserSession.user_id == user_id))


@pytest.mark.parametrize("end", [_sign_out_everywhere, _deactivate, _end_the_session_row])
def test_another_worker_ending_a_session_is_heard_on_the_very_next_request(app, login, other_worker, end):
    viewer = login("viewer")
    user_id = viewer.user.id
    for _ in range(2):
        assert viewer.get(DASHBOARD).status_code == 200  # the second is remembered
    db.session.rollback()
    with other_worker.app_context():
        end(user_id)
        db.session.commit()
    response = viewer.get(DASHBOARD)
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_a_write_from_another_process_is_heard_too(app, login, database_url):
    viewer = login("viewer")
    user_id = viewer.user.id
    for _ in range(2):
        assert viewer.get(DASHBOARD).status_code == 200
    db.session.rollback()
    script = textwrap.dedent(f"""
        from sqlalchemy import update
        from app import create_app
        from app.auth.models import User
        from app.config import TestConfig
        from app.extensions import db
        app = create_app({{name: getattr(TestConfig, name) for name in dir(TestConfig) if name.isupper()}}
                         | {{"SQLALCHEMY_DATABASE_URI": {database_url!r},
                            "CHANGE_SIGNAL_DIR": {app.config["CHANGE_SIGNAL_DIR"]!r}}})
        with app.app_context():
            db.session.execute(update(User).where(User.id == {user_id}).values(active=False))
            db.session.commit()
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    response = viewer.get(DASHBOARD)
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


@pytest.mark.parametrize("folder", ["off", "a folder that cannot be made"])
def test_without_a_signal_every_view_asks_the_database(database_url, tmp_path, make_user, caplog, folder):
    setting = folder
    if folder != "off":
        (tmp_path / "a-file").write_text("not a folder")
        setting = str(tmp_path / "a-file" / "signals")
    worker = create_app_like_a_worker(database_url, CHANGE_SIGNAL_DIR=setting)
    with worker.app_context():
        assert changes.seen(db.engine.url) is None
    assert ("change signal off" in caplog.text) is (folder != "off")  # a folder that fails is logged
    client = sign_in(worker.test_client(), make_user("viewer"))
    for _ in range(2):
        with count_queries(worker) as sent:
            assert client.get(DASHBOARD).status_code == 200
        assert any("user_session" in statement for statement in sent)
    with worker.app_context():
        db.engine.dispose()


def test_a_remembered_session_whose_last_seen_is_due_is_read_and_touched_quietly(app, login, monkeypatch):
    viewer = login("viewer")
    viewer.get(DASHBOARD)
    db.session.rollback()
    before = signal_now()
    later = utcnow() + timedelta(seconds=app.config["SESSION_TOUCH_SECONDS"] + 1)
    monkeypatch.setattr(sessions, "utcnow", lambda: later)
    with count_queries() as sent:
        assert viewer.get(DASHBOARD).status_code == 200
    assert any(statement.startswith("UPDATE user_session SET last_seen_at") for statement in sent)
    db.session.rollback()
    assert db.session.scalar(select(UserSession.last_seen_at).where(UserSession.user_id == viewer.user.id)) == later
    assert signal_now() == before  # quiet: no other worker needs to ask again


@pytest.mark.parametrize("write, heard", [
    ("a change through the ORM, committed", True),
    ("a change through an UPDATE statement, committed", True),
    ("a session's last-seen touch (quiet), committed", False),
    ("a read, committed", False),
    ("a change inside a savepoint, before the outer commit", False),
])
def test_which_commits_change_the_signal(app, login, write, heard):
    viewer = login("viewer")
    db.session.commit()
    before = signal_now()
    assert before is not None
    if write == "a change through the ORM, committed":
        calendar.strategy().name += " (renamed)"
        db.session.commit()
    elif write == "a change through an UPDATE statement, committed":
        db.session.execute(update(User).where(User.id == viewer.user.id).values(name="Renamed"))
        db.session.commit()
    elif write == "a session's last-seen touch (quiet), committed":
        db.session.execute(update(UserSession).values(last_seen_at=utcnow()).execution_options(**{cache.QUIET: True}))
        db.session.commit()
    elif write == "a read, committed":
        db.session.scalar(select(User.name).limit(1))
        db.session.commit()
    else:
        with db.session.begin_nested():
            calendar.strategy().name += " (renamed)"
        assert signal_now() == before  # the savepoint is released, but nothing is committed yet
        db.session.commit()
        assert signal_now() != before  # and now it is
        return
    assert (signal_now() != before) is heard


def test_a_process_with_many_databases_keeps_few_files_open_and_every_signal_still_works(app, tmp_path):
    from sqlalchemy.engine import make_url

    urls = [make_url(f"sqlite:///{tmp_path / f'db{n}.db'}") for n in range(changes.MAPS_KEPT + 8)]
    first = changes.seen(urls[0])
    for url in urls[1:]:
        changes.seen(url)
    assert len(changes._maps) <= changes.MAPS_KEPT
    changes.signal(urls[0])  # mapped again: the same file, so the change is the one every worker reads
    assert changes.seen(urls[0]) != first
    on_disk = changes._path(app.config["CHANGE_SIGNAL_DIR"], urls[0]).read_bytes()
    assert on_disk == changes.seen(urls[0])  # in the file, for other processes
