"""Errors of the API answered as JSON, like every other API answer."""

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def too_big_answer():
    return {"detail": _("The request is too large.")}


def exception_handler(exc, context):
    """DRF's handler, plus a body over DATA_UPLOAD_MAX_MEMORY_SIZE answered 413 in JSON (Django
    would answer its HTML "Bad Request" page), and a service's refusal (Django's
    ValidationError: the rule the page applies too) answered 400 as a serializer's would be."""
    if isinstance(exc, RequestDataTooBig):
        return Response(too_big_answer(), status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, DjangoValidationError):
        exc = serializers.ValidationError(serializers.as_serializer_error(exc))
    return drf_exception_handler(exc, context)
