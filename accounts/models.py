from django.conf import settings
from django.db import models


class UserSession(models.Model):
    """Which session keys belong to which user, so all of them can be ended at once.

    Django's session table is keyed by session only; logout and deactivation
    must end every session of the user, on every device.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    def __str__(self) -> str:
        return f"session of {self.user_id} since {self.created_at:%Y-%m-%d %H:%M}"
