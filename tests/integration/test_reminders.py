"""`flask send-reminders` against a real SMTP server on 127.0.0.1 (aiosmtpd)."""

import email
import socket
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from app.actions import service as actions_service
from app.actions.models import Action
from app.actions.rollup import Status
from app.cycle import service
from app.cycle.models import ReminderSent
from app.extensions import db
from app.strategy import service as calendar
from app.strategy.quarters import Quarter
from tests.helpers import enter_indicator_value

Q = Quarter(2019, 2)  # window opens Mon 16 Sep 2019, deadline Mon 21 Oct 2019


class Collector:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(app):
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(
        MAIL_HOST="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_TLS=False, PUBLIC_URL="https://vawg.havering.example"
    )
    yield collector
    controller.stop()


def run(app, today: str):
    result = app.test_cli_runner().invoke(args=["send-reminders", "--today", today])
    assert result.exit_code == 0, result.output
    return result


def bodies(collector) -> dict[str, str]:
    return {rcpt[0]: msg.get_body(("plain",)).get_content() for rcpt, msg in collector.messages}


@pytest.fixture
def people(make_user, agency_named):
    police = agency_named("Metropolitan Police Service")
    return {
        "police": make_user("lead", police, email="pat.police@met.example", name="Pat Police"),
        "police_inactive": _inactive(make_user("lead", police, email="gone@met.example")),
        "coordinator": make_user("coordinator", email="chris@havering.example"),
        "viewer": make_user("viewer", police, email="viewer@met.example"),
        "victim_support": make_user("lead", agency_named("Victim Support"), email="vs@vs.example"),
    }


def _inactive(user):
    user.active = False
    db.session.commit()
    return user


def test_opening_reminder_lists_items_with_links_and_is_sent_once(app, smtp, people):
    police = people["police"]
    a2 = db.session.scalar(select(Action).where(Action.code == "A2"))
    actions_service.save_update(
        police,
        a2,
        police.agency,
        Q,
        version=0,
        status=Status.AMBER,
        commentary="CONFIDENTIAL commentary text",
        mitigation="Secret mitigation",
        sub_statuses={},
        submit=False,
    )  # a draft: still outstanding
    db.session.commit()

    result = run(app, "2019-09-16")
    received = bodies(smtp)
    assert set(received) == {"pat.police@met.example", "vs@vs.example"}  # active leads only
    body = received["pat.police@met.example"]
    subject = next(m["Subject"] for r, m in smtp.messages if r == ["pat.police@met.example"])
    assert "2019/20 Q2" in subject and "open" in subject
    assert f"https://vawg.havering.example/actions/{a2.id}/updates/{police.agency_id}/2019-20-Q2" in body
    assert "A2:" in body and "(draft not yet submitted)" in body
    assert "Indicator value DV01" in body  # the police own DV01
    assert "CONFIDENTIAL" not in body and "Secret mitigation" not in body
    assert "21 October 2019" in body
    assert "sent 2" in result.output

    run(app, "2019-09-16")
    run(app, "2019-09-17")  # still the opening stretch: already sent
    assert len(smtp.messages) == 2
    assert db.session.scalar(select(func.count()).select_from(ReminderSent)) == 2


def test_no_values_or_notes_in_the_email(app, smtp, people):
    police = people["police"]
    row = enter_indicator_value(police, "DV01", Q, 4321.0, note="Note about a named victim")
    row.state = "draft"  # returned by the coordinator
    row.review_comment = "Recount please: 4321 looks high"
    db.session.commit()
    run(app, "2019-09-16")
    body = bodies(smtp)["pat.police@met.example"]
    assert "DV01" in body and "(returned for changes)" in body
    assert "4321" not in body and "named victim" not in body and "Recount" not in body


def test_each_reminder_point_sends_once(app, smtp, people):
    for day in ("2019-09-16", "2019-10-16", "2019-10-21", "2019-10-22", "2019-10-23"):
        run(app, day)
    to_police = [m["Subject"] for r, m in smtp.messages if r == ["pat.police@met.example"]]
    assert len(to_police) == 3
    assert "open" in to_police[0] and "due by 21 October 2019" in to_police[1] and "overdue" in to_police[2]
    kinds = set(db.session.scalars(select(ReminderSent.kind).where(ReminderSent.user_id == people["police"].id)))
    assert kinds == {"opening", "due_soon", "overdue"}


def test_nothing_is_sent_for_a_locked_quarter_or_an_agency_with_nothing_outstanding(app, smtp, people):
    service.lock(people["coordinator"], Q, version=calendar.period_for(Q).version, reason="Signed off early")
    db.session.commit()
    result = run(app, "2019-10-22")
    assert smtp.messages == []
    assert "sent 0" in result.output


def test_without_a_mail_host_mail_is_printed(app, people, capsys):
    app.config.update(MAIL_HOST="")
    result = app.test_cli_runner().invoke(args=["send-reminders", "--today", "2019-09-16"])
    assert result.exit_code == 0, result.output
    printed = capsys.readouterr().out + result.output
    assert "MAIL_HOST not set" in printed and "To: pat.police@met.example" in printed
    assert db.session.scalar(select(func.count()).select_from(ReminderSent)) == 2


def test_a_failed_send_is_not_recorded_and_is_retried(app, people):
    app.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=free_port())  # nothing listens there
    result = app.test_cli_runner().invoke(args=["send-reminders", "--today", "2019-09-16"])
    assert result.exit_code == 1
    assert "Could not send" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(ReminderSent)) == 0


def test_bad_date_is_a_usage_error(app):
    result = app.test_cli_runner().invoke(args=["send-reminders", "--today", "16/09/2019"])
    assert result.exit_code == 2 and "2019-10-21" in result.output
