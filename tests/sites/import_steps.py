"""A web import step as the admin lives it: the step queues a run, the worker runs
it, the admin's browser follows the run's page to the preview or the outcome."""

from actors.mail import run_pending_jobs


def through_run(client, response):
    """The page the admin ends on; a form sent back with its errors queues nothing."""
    if response.status_code != 302:
        return response
    assert "/runs/" in response["Location"], response["Location"]
    run_pending_jobs()
    return client.get(response["Location"], follow=True)
