"""The cycle's notices: emails on an event, sent AFTER the transaction that caused them has committed.

A return sent back emails its lead; the last return of a quarter coming in emails each coordinator once.
The caller commits its own work first and then calls these, so a failed send never undoes or half-saves
a decision: the send is tried once, a failure is logged (and the tracker does not list it), and the
decision stands. Each sent notice is recorded in its own small transaction, for the tracker's list.
Emails carry links only, never a value, commentary or comment.
"""

import smtplib

from flask import current_app

from app.cycle import service
from app.extensions import db
from app.mail import render_email, send_mail
from app.strategy import service as calendar
from app.strategy.quarters import Quarter


def _send(user, period, kind: str, about: str, template: str, **context) -> bool:
    subject, body = render_email(template, user=user, **context)
    try:
        send_mail(user.email, subject, body)
    except (smtplib.SMTPException, OSError):
        current_app.logger.exception("could not send the %s notice to user %s", kind, user.id)
        return False
    service.record_notice(user, period, kind, about)
    db.session.commit()
    return True


def returned(item) -> int:
    """Tell the lead that `item` (already committed as returned) was sent back; how many were emailed."""
    quarter = Quarter(item.year, item.quarter)
    line = service.line_of(item)
    period = calendar.period_for(quarter)
    about = f"{line.code} from {line.agency.short_name}"
    return sum(_send(user, period, "returned", about, "cycle/email/returned.txt", line=line, quarter=quarter)
               for user in service.returned_recipients(item))


def after_submission(quarter: Quarter) -> int:
    """After a submission is committed: if every return of `quarter` is now in, tell each coordinator
    not yet told; how many were emailed."""
    period, users = service.all_in_recipients(quarter)
    return sum(_send(user, period, "all_in", "", "cycle/email/all_in.txt", quarter=quarter) for user in users)
