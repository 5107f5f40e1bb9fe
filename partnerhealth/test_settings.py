"""Settings for the test suite: the normal settings with test-friendly defaults.

Environment variables still win, so CI points DATABASE_URL at PostgreSQL.
"""

import os

os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-5f2c8a1e9b7d")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("EMAIL_URL", "locmem://")
# Exact dashboards: a test that writes and then reads sees its write (the stale-while-rebuilding
# behaviour has tests of its own, which turn it on).
os.environ.setdefault("ROLLUP_MAX_STALENESS_SECONDS", "0")
os.environ.setdefault("CALIBRATION_MAX_STALENESS_SECONDS", "0")
# The public survey's rate limit counts per process for 10 minutes: the suite's many requests from
# one address would trip the default. Its own tests set a low limit.
os.environ.setdefault("SURVEY_RATE_LIMIT", "100000")
# A whole suite's API requests are not a client's: the throttle's own test sets a small rate.
os.environ.setdefault("API_THROTTLE_RATE", "100000/minute")
os.environ.setdefault("STATICFILES_BACKEND", "django.contrib.staticfiles.storage.StaticFilesStorage")

from partnerhealth.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Serve static files straight from the source folders in tests (no collectstatic).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# The test client and live server speak plain HTTP.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
