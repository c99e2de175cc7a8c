"""Mail goes through the queue: a mail-server outage never fails a request."""

import email
import socket
from collections.abc import Iterator
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from django.db import connection, transaction
from procrastinate.contrib.django.models import ProcrastinateJob

from actors import services
from actors.forms import AccessRequestForm
from actors.mail import run_pending_jobs
from actors.models import AccessRequest, OutgoingMail
from tests.actors.test_request_flow import ask

pytestmark = pytest.mark.django_db

REQUESTER = "lea.dupont@asso.example.org"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """aiosmtpd handler keeping what it receives."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        self.received.append((envelope.rcpt_tos, message))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_down(settings) -> None:
    # Production's path: the request only queues, a separate worker sends.
    settings.MAIL_WORKER_ON_COMMIT = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens there
    settings.EMAIL_TIMEOUT = 5


@pytest.fixture
def smtp_server(settings) -> Iterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=settings.EMAIL_PORT)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def mail_jobs():
    return ProcrastinateJob.objects.filter(task_name="mail.deliver")


def let_retry_wait_elapse() -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE procrastinate_jobs SET scheduled_at = now()")


def test_access_request_is_stored_once_while_the_mail_server_is_down(client, smtp_down):
    response = ask(client)
    assert response.status_code == 200
    assert "actors/request_sent.html" in [t.name for t in response.templates]
    assert AccessRequest.objects.filter(email=REQUESTER).count() == 1
    assert [job.status for job in mail_jobs()] == ["todo"]
    run_pending_jobs()  # the worker tries, the server is still down
    job = mail_jobs().get()
    assert (job.status, job.attempts) == ("todo", 1)
    assert OutgoingMail.objects.get().recipients == [REQUESTER]


def test_mail_queued_during_an_outage_goes_out_when_the_server_is_back(
    client, smtp_down, settings, request
):
    ask(client)
    run_pending_jobs()
    inbox = request.getfixturevalue("smtp_server")
    let_retry_wait_elapse()
    run_pending_jobs()
    [(recipients, message)] = inbox.received
    assert recipients == [REQUESTER]
    assert message["To"] == REQUESTER
    # .strip(): the parser keeps the space that folds a long encoded header.
    assert (
        message["Subject"].strip()
        == "Terrain Commun : confirmez votre adresse électronique"
    )
    assert "/accounts/request/verify/" in message.get_content()
    assert mail_jobs().get().status == "succeeded"
    assert not OutgoingMail.objects.exists()  # the address is not kept once sent


def test_a_rolled_back_write_queues_no_mail(smtp_down):
    data = {
        "email": REQUESTER,
        "first_name": "Léa",
        "last_name": "Dupont",
        "new_organization_name": "Solidarités 92",
        "new_organization_kind": "association",
        "territory_level": "departement",
        "territory_code": "92",
        "role": "contributor",
        "reason": "Maraudes",
    }
    form = AccessRequestForm(data)
    assert form.is_valid(), form.errors
    with pytest.raises(RuntimeError), transaction.atomic():
        services.request_access(form.request_data())
        raise RuntimeError("something later in the same transaction failed")
    assert not AccessRequest.objects.exists()
    assert not mail_jobs().exists()
    assert not OutgoingMail.objects.exists()
