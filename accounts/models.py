from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from simple_history import register

# Users join the audit trail (docs/AUDIT.md). Never the password hash: the trail would keep every
# old one. Nor the last login, which changes at each sign-in (the security log records those).
register(get_user_model(), app="accounts", excluded_fields=["password", "last_login"])


class UserSession(models.Model):
    """Which session keys belong to which user, so all of them can be ended at once.

    Django's session table is keyed by session only; logout and deactivation
    must end every session of the user, on every device.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = "user session"
        verbose_name_plural = "user sessions"

    def __str__(self) -> str:
        return f"session of {self.user_id} since {self.created_at:%Y-%m-%d %H:%M}"
