"""The dose advice's lines worded in the page's language when shown (tracker/advice_text.py)."""

from django import template

from tracker import advice_text

register = template.Library()


@register.filter
def advice_line(item, terms=None) -> str:
    """`{{ item|advice_line:advice.terms }}`: one stored line of the dose advice in the active
    language (`terms`, slug -> term, already loaded: named without a query)."""
    return advice_text.item_text(item, terms)
