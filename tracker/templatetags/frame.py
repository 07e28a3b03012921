"""`{% site_header %}`: the site's header and navigation, kept per kind of page
(tracker/frame.py)."""

from django import template

from tracker import frame

register = template.Library()


@register.simple_tag(takes_context=True)
def site_header(context):
    return frame.header(context)
