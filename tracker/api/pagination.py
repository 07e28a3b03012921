"""Pages of an API list on request, the body still the plain list clients already read.

`GET /api/v1/courses/` and `GET /api/v1/courses/{id}/flags/` answer the whole list, as the
contract says (PRODUCT.md §7). A client that asks for pages (`?limit=N`, at most 200) gets the
first N rows in the list's own order and, while rows are left, a `Link: <…>; rel="next"`
header (RFC 8288) whose URL carries an opaque `cursor`; following it gives the next page.

The cursor is a keyset, not an offset: it holds the sort values of the page's last row (the
list's ordering, then the primary key to break ties), signed with the site's secret and bound
to the list it came from, so a page costs the same wherever it is in the list, rows added
meanwhile do not shift the pages, and a cursor that was altered, cut or taken from another
list is refused with 400 (never a 500, never another list's rows). The sort values must not
be NULL (true of the orderings used here: dates, creation times, the urgency rank).
"""

from __future__ import annotations

import datetime
import decimal
import uuid

from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, OrderBy, Q
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

KEY = "_page_key_{}"


def _as_text(value):
    """A sort value as JSON can carry it; the field turns it back when the filter is built."""
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()  # microseconds kept (DjangoJSONEncoder would cut them)
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    return value


class KeysetPagination(CursorPagination):
    """CursorPagination's query parameters and Link header, on a keyset of the whole ordering.

    DRF's own cursor keeps only the first ordering field and an offset among equal values:
    thousands of flags share an urgency level, so its pages would get slower page by page.
    Here every ordering term is compared, and the order is the one the plain list has.
    """

    cursor_query_param = "cursor"
    page_size_query_param = "limit"
    page_size = None  # no pagination unless the client asks for it
    default_page_size = 50  # `?cursor=` without `?limit=`
    max_page_size = 200

    # --- the request ---------------------------------------------------------------------------

    def get_page_size(self, request):
        params = request.query_params
        if self.page_size_query_param not in params:
            return self.default_page_size if self.cursor_query_param in params else None
        raw = params[self.page_size_query_param]
        size = int(raw) if raw.isascii() and raw.isdigit() else 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("The limit must be a whole number from 1 to %(max)d.")
                        % {"max": self.max_page_size}
                    ]
                }
            )
        return size

    def _salt(self, request):
        # Bound to the list (its path): another list's cursor is refused, not misread.
        return f"tracker.api.cursor:{request.path}"

    def decode_cursor(self, request):
        encoded = request.query_params.get(self.cursor_query_param, "")
        if not encoded:
            return None  # `?cursor=` (empty): the first page
        try:
            position = signing.loads(encoded, salt=self._salt(request))
        except signing.BadSignature:
            position = None
        if not isinstance(position, list) or len(position) != len(self.keys):
            raise ValidationError(
                {
                    self.cursor_query_param: [
                        _(
                            "This cursor is not valid for this list: follow the Link header's "
                            "URL, or start again without a cursor."
                        )
                    ]
                }
            )
        return position

    def encode_cursor(self, position):
        return signing.dumps(
            [_as_text(value) for value in position], salt=self._salt(self.request), compress=True
        )

    # --- the query -----------------------------------------------------------------------------

    @staticmethod
    def _keys(queryset):
        """The queryset's ordering as (expression, descending) pairs, then the primary key."""
        ordering = queryset.query.order_by or queryset.model._meta.ordering
        keys = []
        for term in ordering:
            if isinstance(term, str):
                descending = term.startswith("-")
                expression = F(term.lstrip("-"))
            elif isinstance(term, OrderBy):
                descending, expression = term.descending, term.expression
            else:
                descending, expression = False, term
            keys.append((expression, descending))
        pk_descending = keys[-1][1] if keys else False
        keys.append((F("pk"), pk_descending))
        return keys

    def _after(self, position):
        """Rows after `position` in the keyset order (lexicographic over every key)."""
        condition = Q()
        equal = Q()
        for index, (_expression, descending) in enumerate(self.keys):
            name = KEY.format(index)
            lookup = "lt" if descending else "gt"
            condition |= equal & Q(**{f"{name}__{lookup}": position[index]})
            equal &= Q(**{name: position[index]})
        return condition

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        if not self.page_size:
            return None
        self.keys = self._keys(queryset)
        queryset = queryset.annotate(
            **{KEY.format(i): expression for i, (expression, _d) in enumerate(self.keys)}
        ).order_by(
            *(
                F(KEY.format(i)).desc() if descending else F(KEY.format(i)).asc()
                for i, (_e, descending) in enumerate(self.keys)
            )
        )
        position = self.decode_cursor(request)
        if position is not None:
            try:
                queryset = queryset.filter(self._after(position))
            except (ValueError, TypeError, DjangoValidationError):
                raise ValidationError(
                    {self.cursor_query_param: [_("This cursor is not valid for this list.")]}
                ) from None
        rows = list(queryset[: self.page_size + 1])
        self.has_next = len(rows) > self.page_size
        page = rows[: self.page_size]
        self.next_position = (
            [getattr(page[-1], KEY.format(i)) for i in range(len(self.keys))]
            if self.has_next
            else None
        )
        return page

    # --- the answer ----------------------------------------------------------------------------

    def get_next_link(self):
        if not self.has_next:
            return None
        url = self.request.build_absolute_uri()
        url = replace_query_param(url, self.page_size_query_param, self.page_size)
        return replace_query_param(
            remove_query_param(url, self.cursor_query_param),
            self.cursor_query_param,
            self.encode_cursor(self.next_position),
        )

    def get_previous_link(self):
        return None  # forward only: a client walks the list from its start

    def get_paginated_response(self, data):
        link = self.get_next_link()
        headers = {"Link": f'<{link}>; rel="next"'} if link else None
        return Response(data, headers=headers)

    def get_paginated_response_schema(self, schema):
        return schema  # the body is the plain list, paginated or not

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": (
                    "Ask for pages of this many rows (1 to "
                    f"{self.max_page_size}). Without `limit` or `cursor` the whole list is "
                    "answered. The body stays a plain list; while rows are left, the answer "
                    'has a `Link: <URL>; rel="next"` header (RFC 8288) to the next page.'
                ),
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": (
                    "Opaque: the next page's position, taken from the `Link` header's URL "
                    f"(pages of {self.default_page_size} rows when `limit` is not given). A "
                    "cursor that was altered or belongs to another list answers 400."
                ),
                "schema": {"type": "string"},
            },
        ]
