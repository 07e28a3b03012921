"""The API's JSON parser: a body nested too deeply is refused (400), never a server error."""

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# The deepest body the contract takes is a report: {"answers": [{...}]} (three levels). Deeper
# nesting is a broken or hostile client; Python's parser itself gives up (RecursionError) at
# around a thousand levels.
MAX_DEPTH = 32


def _depth(value) -> int:
    """How deeply lists and objects nest in `value` (without recursion)."""
    deepest = 0
    pending = [(value, 1)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                break
            pending.extend((child, level + 1) for child in item)
    return deepest


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(_("The JSON is nested too deeply.")) from exc
        if _depth(data) > MAX_DEPTH:
            raise ParseError(_("The JSON is nested too deeply."))
        return data
