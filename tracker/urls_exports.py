"""Web pages for the exports part (included from tracker/web_urls.py, "tracker" namespace)."""

urlpatterns = []
