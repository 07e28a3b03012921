"""The form of the patient's "Add a photo" page (tracker/views/photos.py).

The photo is checked and re-encoded here (tracker.photos.clean_photo): `cleaned_data["photo"]`
is the clean JPEG, never the file as sent.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from .. import photos
from ..models import PhotoSubject


class PhotoForm(forms.Form):
    subject = forms.ChoiceField(
        label=_("What does the photo show?"),
        choices=PhotoSubject.choices,
        widget=forms.RadioSelect,
    )
    photo = forms.FileField(
        label=_("Photo"),
        help_text=_("JPEG, PNG or HEIC, up to 10 MB. Only you and your care team can see it."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
        error_messages={
            "required": _("Choose a photo or take one."),
            "empty": photos.EMPTY,
            "invalid": photos.NOT_AN_IMAGE,
        },
    )

    def clean_photo(self):
        return photos.clean_photo(self.cleaned_data["photo"])


class PhotoEnteredInErrorForm(forms.Form):
    """A clinician marks a photo entered in error (another patient's, the wrong picture)."""

    reason = forms.CharField(
        label=_("Why was this photo entered in error?"),
        max_length=300,
        help_text=_(
            "The photo stays in the history and is listed to the care team as entered in "
            "error; the patient no longer sees it."
        ),
    )
