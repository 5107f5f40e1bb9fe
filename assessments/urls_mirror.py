"""The partner's side, included at the root: owners' contacts and invitations, and the public survey."""

from django.urls import path

from assessments.views import mirror, survey

urlpatterns = [
    path("partners/<int:pk>/contacts/", mirror.partner_contacts, name="partner_contacts"),
    path("partners/<int:pk>/contacts/new/", mirror.contact_add, name="contact_add"),
    path("partners/<int:pk>/invitations/", mirror.survey_invite_view, name="survey_invite"),
    path("contacts/<int:pk>/edit/", mirror.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/opt-out/", mirror.contact_opt_out, name="contact_opt_out"),
    path("contacts/<int:pk>/opt-in/", mirror.contact_opt_in, name="contact_opt_in"),
    path("invitations/<int:pk>/resend/", mirror.survey_resend_view, name="survey_resend"),
    path("invitations/<int:pk>/revoke/", mirror.survey_revoke_view, name="survey_revoke"),
    # Public: no account. The token is the only key (docs/PARTNER_VIEW.md).
    path("survey/<str:token>/", survey.survey_form_view, name="survey_form"),
    path("survey/stop/<str:token>/", survey.survey_opt_out_view, name="survey_opt_out"),
]
