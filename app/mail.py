"""Sending plain-text email through the SMTP server the environment names.

With no MAIL_HOST (development), mail is printed to the console instead, so a
reminder run can be tried without a mail server. Emails are Jinja templates
(`render_email`) whose links are built from PUBLIC_URL (`external_url`), so a
command line sends the same email as a request would, without faking one.
"""

import smtplib
import sys
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit

from flask import current_app

SMTP_TIMEOUT = 30  # seconds


def external_url(endpoint: str, **values) -> str:
    """The full address of a page for an email, from PUBLIC_URL and the app's routes; needs no request.

    PUBLIC_URL, not the request's host, because an email is read outside the request that sent it
    (and the command line has none).
    """
    public = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(public.netloc, script_name=public.path or "/", url_scheme=public.scheme)
    return adapter.build(endpoint, values, force_external=True)


def render_email(template: str, **context) -> tuple[str, str]:
    """(subject, body) of an email template: its body is the rendered text, its subject what it `set`s.

    Rendered by the app's Jinja environment directly (no request's context processors), with
    `external_url` as `url`; plain text, so nothing is HTML-escaped.
    """
    module = current_app.jinja_env.get_template(template).make_module({"url": external_url, **context})
    return " ".join(str(getattr(module, "subject", "")).split()), str(module).strip() + "\n"


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
