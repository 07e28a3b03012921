"""Web pages for the patient part (included from tracker/web_urls.py, "tracker" namespace)."""

urlpatterns = []
