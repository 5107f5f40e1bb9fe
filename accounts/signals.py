"""Authentication events: log them, and end sessions on logout and deactivation."""

from __future__ import annotations

import logging
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.db.models.signals import post_save, pre_save

from accounts.middleware import AUTH_AT, SEEN_AT
from accounts.network import client_ip
from accounts.services import user_session_register, user_sessions_end

security_log = logging.getLogger("partnerhealth.security")


def _on_login(sender, request, user, **kwargs):
    # Start both session clocks at login, so the first page view writes nothing.
    now = int(time.time())
    request.session[AUTH_AT] = now
    request.session[SEEN_AT] = now
    user_session_register(user=user, session_key=request.session.session_key, ip_address=client_ip(request))
    security_log.info("login user=%s ip=%s", user.pk, client_ip(request))


def _on_logout(sender, request, user, **kwargs):
    security_log.info("logout user=%s ip=%s", getattr(user, "pk", None), client_ip(request))
    if user is not None:
        # Logging out on one device ends the sessions on every device.
        user_sessions_end(user_id=user.pk)


def _on_login_failed(sender, credentials, request=None, **kwargs):
    # Never log the password; the username is what an operator needs.
    security_log.warning("login failed username=%r ip=%s", credentials.get("username"), client_ip(request))


def _on_lockout(sender, request, username, ip_address, **kwargs):
    security_log.warning("lockout username=%r ip=%s", username, ip_address)


def _remember_was_active(sender, instance, **kwargs):
    if instance.pk:
        instance._ph_was_active = type(instance).objects.filter(pk=instance.pk).values_list("is_active", flat=True).first()


def _on_user_saved(sender, instance, created, **kwargs):
    if not created and getattr(instance, "_ph_was_active", False) and not instance.is_active:
        security_log.info("deactivated user=%s; ending their sessions", instance.pk)
        transaction.on_commit(lambda: user_sessions_end(user_id=instance.pk))


def connect() -> None:
    user_logged_in.connect(_on_login, dispatch_uid="accounts_login")
    user_logged_out.connect(_on_logout, dispatch_uid="accounts_logout")
    user_login_failed.connect(_on_login_failed, dispatch_uid="accounts_login_failed")
    User = get_user_model()
    pre_save.connect(_remember_was_active, sender=User, dispatch_uid="accounts_user_pre_save")
    post_save.connect(_on_user_saved, sender=User, dispatch_uid="accounts_user_post_save")
    try:
        from axes.signals import user_locked_out
    except ImportError:  # pragma: no cover - axes is a hard dependency; keep start-up robust
        return
    user_locked_out.connect(_on_lockout, dispatch_uid="accounts_lockout")
