"""Sign-in URLs: log in and out, passwords, invitations."""

from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password/reset/", views.password_reset_request_view, name="password_reset"),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", views.ResetConfirmView.as_view(), name="password_reset_confirm"),
    path(
        "password/reset/complete/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"
    ),
    path("invitations/", views.invitation_list_view, name="invitations"),
    path("invitations/<int:pk>/<str:token>/", views.invitation_accept_view, name="invitation_accept"),
]
