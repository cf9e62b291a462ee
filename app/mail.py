"""Sending plain-text email through the SMTP server the environment names.

With no MAIL_HOST (development), mail is printed to the console instead, so a
reminder run can be tried without a mail server.
"""

import smtplib
import sys
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app

SMTP_TIMEOUT = 30  # seconds


def build_message(to: str, subject: str, body: str, sender: str) -> EmailMessage:
    """A plain-text message ready to send."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(body)
    return message


def send_mail(to: str, subject: str, body: str) -> None:
    """Send one message with the app's MAIL_* settings; raises SMTPException or OSError on failure."""
    config = current_app.config
    message = build_message(to, subject, body, config["MAIL_SENDER"])
    host = config.get("MAIL_HOST")
    if not host:
        print(
            f"--- email (MAIL_HOST not set, so printed instead of sent) ---\n{message.as_string()}\n---",
            file=sys.stdout,
            flush=True,
        )
        return
    with smtplib.SMTP(host, config["MAIL_PORT"], timeout=SMTP_TIMEOUT) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
        smtp.send_message(message)
