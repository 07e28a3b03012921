"""Web pages for the clinician part (included from tracker/web_urls.py, "tracker" namespace)."""

urlpatterns = []
