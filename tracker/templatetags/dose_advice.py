"""The dose advice's lines worded in the page's language when shown (tracker/advice_text.py)."""

from django import template

from tracker import advice_text

register = template.Library()


@register.filter
def advice_line(item) -> str:
    """`{{ item|advice_line }}`: one stored line of the dose advice in the active language."""
    return advice_text.item_text(item)
