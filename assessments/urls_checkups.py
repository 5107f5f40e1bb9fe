from django.urls import path

from assessments.views import checkups, crosschecks, partners, review_pack

urlpatterns = [
    path("checkups/", checkups.my_checkups_view, name="my_checkups"),
    path("checkups/contradictions/", crosschecks.checkup_contradictions_view, name="checkup_contradictions"),
    path("checkups/start/<int:partner_pk>/", checkups.checkup_start_view, name="checkup_start"),
    path("checkups/<int:pk>/", checkups.checkup_edit_view, name="checkup_edit"),
    path("checkups/<int:pk>/result/", checkups.checkup_result_view, name="checkup_result"),
    path("checkups/<int:pk>/amend/", checkups.checkup_amend_view, name="checkup_amend"),
    path("partners/", partners.partner_list_view, name="partner_list"),
    path("partners/<int:pk>/", partners.partner_detail, name="partner_detail"),
    path("partners/<int:pk>/history/", partners.partner_history_view, name="partner_history"),
    path("partners/<int:pk>/review/", review_pack.review_pack_page, name="review_pack"),
    path("partners/<int:pk>/review.pdf", review_pack.review_pack_pdf, name="review_pack_pdf"),
    path("partners/<int:pk>/interactions/", partners.interaction_add, name="interaction_add"),
]
