"""Form field helpers for templates that render fields one by one (crispy's as_crispy_field
draws the widget only)."""

from django import template

register = template.Library()


@register.filter
def hidden_initial(bound_field):
    """The hidden input with the value the form was shown with, for a field with
    show_hidden_initial: the form then compares what comes back with what was shown, not with
    an initial value computed again at submission."""
    if not bound_field.field.show_hidden_initial:
        return ""
    return bound_field.as_hidden(only_initial=True)
