"""Account pages: patient invitations, setting and resetting passwords ("tracker" namespace)."""

urlpatterns = []
