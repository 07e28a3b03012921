"""Settings of the benchmark: the production settings, plus a floor view in its own URLconf.

Everything that shapes a request's cost (middleware, templates, database options, password
hashers, sessions) is the product's own. Only what a measurement needs differs:
- ROOT_URLCONF adds /bench/floor/ (never in the product's URLs);
- "testserver" is an allowed host (the in-process client's);
- static files by their plain names (no `collectstatic` needed before a run);
- the write rate limits are lifted: a run posts thousands of reports as one patient, and
  measures the work of a write, not the limit's refusal;
- mail goes to memory (the jobs that run during the load run send some);
- INFO logs (one line per flag raised) and whitenoise's "no staticfiles" warning are kept
  out of the figures' way.
"""

import warnings

from config.settings import *  # noqa: F403
from config.settings import ALLOWED_HOSTS, LOGGING, STORAGES, WRITE_RATE_LIMITS

ROOT_URLCONF = "bench.urls"
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WRITE_RATE_LIMITS = {scope: "1000000/hour" for scope in WRITE_RATE_LIMITS}
LOGGING = {**LOGGING, "root": {**LOGGING["root"], "level": "WARNING"}}
# The escalation and reminder jobs run during the load run: their mail is built and sent to
# memory (a mail server's latency is not the product's).
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# whitenoise warns on every start that `collectstatic` was not run; no static file is timed.
warnings.filterwarnings("ignore", message="No directory at")
