"""Account pages: a clinician opens a patient's account; people choose and reset passwords.

Choosing and resetting a password are Django's own views (one-time links from
default_token_generator) with the project's templates and e-mails.
"""

from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from tracker import services
from tracker.forms.patient import InviteForm, PasswordResetForm
from tracker.models import Patient
from tracker.throttling import write_rate_limited
from tracker.views.decorators import clinician_required


def _back_url(request):
    """Where the invitation form was (the clinician's patient page), if it is one of ours."""
    url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return None


@clinician_required
@require_POST
@write_rate_limited("write")
def invite_patient(request, patient_id):
    """Open the patient's account (or send a new link) and show the link to hand over."""
    patient = get_object_or_404(
        Patient.objects.visible_to(request.user).select_related("user", "care_team"),
        pk=patient_id,
    )
    form = None
    if patient.user is None:
        form = InviteForm(request.POST)
        if not form.is_valid():
            return render(
                request,
                "tracker/patient/invite.html",
                {"patient": patient, "form": form, "back_url": _back_url(request)},
                status=400,
            )
    try:
        invitation = services.invite_patient(
            patient=patient,
            by=request.user,
            site_url=request.build_absolute_uri("/"),
            email=form.cleaned_data["email"] if form else "",
            language=form.cleaned_data["preferred_language"] if form else "",
        )
    except ValidationError as error:
        if form is None:  # the patient has chosen a password already
            form = InviteForm()
            errors = error.messages
        else:
            # The account's own checks (user name = e-mail address): shown at the e-mail.
            errors = []
            for messages in error.message_dict.values():
                for text in messages:
                    form.add_error("email", text)
        context = {
            "patient": patient,
            "form": form,
            "errors": errors,
            "back_url": _back_url(request),
        }
        return render(request, "tracker/patient/invite.html", context, status=400)
    context = {
        "patient": patient,
        "invitation": invitation,
        "back_url": _back_url(request),
    }
    return render(request, "tracker/patient/invite_done.html", context)


password_set = auth_views.PasswordResetConfirmView.as_view(
    template_name="registration/password_reset_confirm.html",
    post_reset_login=True,
    # Two authentication backends (login lockout first): name the one that logs in here.
    post_reset_login_backend="django.contrib.auth.backends.ModelBackend",
    success_url=reverse_lazy("tracker:password-set-complete"),
    extra_context={"invitation": True},
)
password_set_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="registration/password_reset_complete.html",
    extra_context={"invitation": True},
)
password_reset = auth_views.PasswordResetView.as_view(
    form_class=PasswordResetForm,
    template_name="registration/password_reset_form.html",
    success_url=reverse_lazy("tracker:password-reset-done"),
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="registration/password_reset_done.html",
)
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="registration/password_reset_confirm.html",
    post_reset_login=True,
    # Two authentication backends (login lockout first): name the one that logs in here.
    post_reset_login_backend="django.contrib.auth.backends.ModelBackend",
    success_url=reverse_lazy("tracker:password-reset-complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="registration/password_reset_complete.html",
)
