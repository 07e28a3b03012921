"""Helpers to walk through "How are you today?" with the test client."""

from django.urls import reverse

STEP_NAMES = {
    "symptoms": "tracker:patient-report-create",
    "questions": "tracker:patient-report-questions",
    "measurements": "tracker:patient-report-measurements",
    "review": "tracker:patient-report-review",
}


def step_url(step, course):
    return reverse(STEP_NAMES[step], args=[course.pk])


def post_symptoms(client, course, *slugs, note="", action="next"):
    return client.post(
        step_url("symptoms", course), {"symptoms": list(slugs), "note": note, "action": action}
    )


def post_questions(client, course, answers, action="next"):
    """answers: {"vomiting-frequency": 3, ...}"""
    return client.post(step_url("questions", course), {**answers, "action": action})


def post_measurements(client, course, action="next", **values):
    data = {
        "temperature_0": "",
        "temperature_1": "C",
        "systolic_bp": "",
        "diastolic_bp": "",
        "heart_rate": "",
        "weight_0": "",
        "weight_1": "kg",
        "action": action,
    }
    data.update({key: str(value) for key, value in values.items()})
    return client.post(step_url("measurements", course), data)


def send(client, course):
    """A report posted to the old review address (drafts and phones may still point there)."""
    return client.post(step_url("review", course))


def report(client, course, *slugs, answers=None, note="", **measurements):
    """The whole flow, ending with "Send" on the last step (the measurements are kept and the
    report sent in one post); returns the response of the send."""
    post_symptoms(client, course, *slugs, note=note)
    if slugs:
        post_questions(client, course, answers or {})
    return post_measurements(client, course, action="send", **measurements)
