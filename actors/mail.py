"""The one way every app sends mail: rendered now, queued with the write, sent later.

`send()` renders the message in the language active when it is queued (the request's,
or the default for management commands) and writes it and a procrastinate job in the
caller's transaction: a rolled-back write queues nothing, a committed one always has its job.
The message itself waits in `OutgoingMail`, the job carries only its id. The worker
(`manage.py procrastinate worker`, started by `make run`) sends it and keeps
retrying while the mail server is down, so no request ever waits on or fails for SMTP.

Rendering at queue time, not at send time, because what a mail describes may be gone
by then (a report's contact address is erased right after its mail is queued).
"""

import json
from collections.abc import Iterator
from typing import Any

from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from procrastinate import BaseRetryStrategy, RetryDecision
from procrastinate.contrib.django import app
from procrastinate.contrib.django.django_connector import DjangoConnector
from procrastinate.jobs import Job

from actors.models import OutgoingMail


class CappedBackoff(BaseRetryStrategy):
    """Wait 10 s, 20 s, 40 s... at most an hour between tries, for about a week."""

    first_wait = 10
    max_wait = 3600
    max_attempts = 200

    def get_retry_decision(
        self, *, exception: BaseException, job: Job
    ) -> RetryDecision | None:
        if job.attempts >= self.max_attempts:
            return None
        # min() before the power would still build a huge int after many attempts.
        wait = self.first_wait * 2 ** min(job.attempts, 16)
        return RetryDecision(retry_in={"seconds": min(wait, self.max_wait)})


@app.task(name="mail.deliver", retry=CappedBackoff())
async def deliver(*, mail_id: int) -> None:
    """Hand one queued message to the mail server; an error makes the job retry."""
    # Thread-sensitive: the ORM keeps one connection (in tests, the test's own).
    await sync_to_async(_send_and_forget)(mail_id)


def _send_and_forget(mail_id: int) -> None:
    message = OutgoingMail.objects.filter(pk=mail_id).first()
    if message is None:  # already sent by an earlier try that failed only after
        return
    send_mail(message.subject, message.body, None, message.recipients)
    message.delete()


def send(to: list[str], template: str, context: dict, *, language: str) -> None:
    """Queue `<template>_subject.txt` and `<template>.txt` for `to`, rendered in
    the recipients' language (never the sender's: an English-speaking requester's
    request reaches French-speaking admins in French)."""
    recipients = sorted(set(to))
    if not recipients:
        return
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = render_to_string(f"{template}_subject.txt", context).strip()
        body = render_to_string(f"{template}.txt", context)
    message = OutgoingMail.objects.create(
        subject=subject, body=body, recipients=recipients
    )
    deliver.defer(mail_id=message.pk)
    if settings.MAIL_WORKER_ON_COMMIT:
        transaction.on_commit(run_pending_jobs)


# The optional mails, each named by the User field that says whether a user wants it
# (set on the profile page). Topic None: mail every user must get (their account).
TOPICS = (
    "notify_access_requests",
    "notify_public_reports",
    "notify_weekly_digest",
    "notify_follow_digest",
    "notify_report_reminders",
)


def send_to_users(users, template: str, context: dict, *, topic: str | None) -> None:
    """One message per language spoken among the users who want this topic, each in
    its own language. `topic` is required so that no caller forgets the choice."""
    if topic is not None and topic not in TOPICS:
        raise ValueError(f"unknown mail topic {topic!r}")
    by_language: dict[str, list[str]] = {}
    for user in users:
        if topic is not None and not getattr(user, topic):
            continue
        by_language.setdefault(user.language, []).append(user.email)
    for language, emails in sorted(by_language.items()):
        send(emails, template, context, language=language)


class _SameConnection(DjangoConnector):
    """Django's psycopg 3 setup reads jsonb as text; the worker needs job args parsed."""

    def _dictfetch(self, cursor: Any) -> Iterator[dict[str, Any]]:
        for row in super()._dictfetch(cursor):
            if isinstance(row.get("args"), str):
                row["args"] = json.loads(row["args"])
            yield row


def run_pending_jobs() -> None:
    """Run the worker here until the queue is empty, on this thread's connection.

    For tests (settings.MAIL_WORKER_ON_COMMIT): the job is the real one in the
    database, fetched and run by procrastinate's worker, inside the test transaction
    (the production worker has its own connection, which could not see it).
    """
    with app.replace_connector(_SameConnection()):
        async_to_sync(app.run_worker_async)(
            wait=False,
            listen_notify=False,
            install_signal_handlers=False,
            # No connection clean-up between jobs: the connection is the caller's.
            task_middleware=[],
        )
