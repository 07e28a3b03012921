"""Account pages: a clinician opens a patient's account; people choose and reset passwords.

Choosing and resetting a password are Django's own views (one-time links) with the project's
templates and e-mails. Neither signs anyone in: the new password is then used on the sign-in
page, with the authenticator's code when the account has one. The invitation's link goes by
e-mail only, and its page asks for the patient's date of birth first.
"""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, render
from django.urls import reverse_lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from tracker import services
from tracker.forms.patient import (
    InvitationPasswordForm,
    InviteForm,
    PasswordResetForm,
    ResendInviteForm,
)
from tracker.models import Patient
from tracker.throttling import write_rate_limited
from tracker.views.decorators import clinician_required, safe_next_url


@clinician_required
@require_POST
@write_rate_limited("write")
def invite_patient(request, pk):
    """Open the patient's account (or send a new link, maybe to a corrected address). The link
    goes to the patient by e-mail only: whoever opens it first could choose the password."""
    patient = get_object_or_404(
        Patient.objects.visible_to(request.user).select_related("user", "care_team"),
        pk=pk,
    )
    if not services.may_invite(request.user, patient):
        raise PermissionDenied  # seen through a shared course: not this team's to invite
    account = patient.user
    form = None
    if account is None:
        form = InviteForm(request.POST)
    elif not account.has_usable_password():
        form = ResendInviteForm(request.POST, account=account)
    if form is not None and not form.is_valid():
        return render(
            request,
            "tracker/patient/invite.html",
            {"patient": patient, "form": form, "back_url": safe_next_url(request)},
            status=400,
        )
    try:
        invitation = services.invite_patient(
            patient=patient,
            by=request.user,
            site_url=request.build_absolute_uri("/"),
            email=form.cleaned_data["email"] if form else "",
            language=form.cleaned_data.get("preferred_language", "") if form else "",
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
            "back_url": safe_next_url(request),
        }
        return render(request, "tracker/patient/invite.html", context, status=400)
    # The account only: the link itself never reaches a page.
    context = {
        "patient": patient,
        "account": invitation.user,
        "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
        "back_url": safe_next_url(request),
    }
    return render(request, "tracker/patient/invite_done.html", context)


class InvitationPasswordView(auth_views.PasswordResetConfirmView):
    """The invitation's page: date of birth, then the password. A wrong date is refused at its
    field with the tries left; after the last one the link stops working."""

    template_name = "registration/password_reset_confirm.html"
    form_class = InvitationPasswordForm
    token_generator = services.invitation_tokens
    post_reset_login = False
    success_url = reverse_lazy("tracker:password-set-complete")
    extra_context = {"invitation": True}

    def form_invalid(self, form):
        if form.has_error("birth_date", "mismatch"):
            left = services.refuse_invitation_birth_date(user=self.user)
            if left == 0:
                self.validlink = False
                context = self.get_context_data(too_many_tries=True)
                return self.render_to_response(context)
            form.errors["birth_date"] = form.error_class(
                [
                    ngettext(
                        "This is not the date of birth your care team has for you. "
                        "%(count)d try left.",
                        "This is not the date of birth your care team has for you. "
                        "%(count)d tries left.",
                        left,
                    )
                    % {"count": left}
                ]
            )
        return super().form_invalid(form)

    def form_valid(self, form):
        response = super().form_valid(form)
        # The next pages (and the sign-in) in the language the care team chose for the patient.
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            self.user.preferred_language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
        return response


password_set = InvitationPasswordView.as_view()
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
# A reset link proves only that its holder reads the account's mailbox: it never signs anyone
# in. The new password is then used on the sign-in page, followed by the authenticator's code
# when the account has one.
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="registration/password_reset_confirm.html",
    post_reset_login=False,
    success_url=reverse_lazy("tracker:password-reset-complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="registration/password_reset_complete.html",
)
