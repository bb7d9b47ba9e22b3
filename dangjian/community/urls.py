"""Pages of 村情民意, 矛盾调解 and 乡贤.

Included by ``dangjian/grid/urls.py`` under /grid/ without a namespace of its own, so the
addresses and the names (``grid:opinions``, ``grid:worthy_edit`` …) are those of grid work.
"""

from django.urls import path

from dangjian.community import views

urlpatterns = [
    path("opinions/", views.opinion_list, name="opinions"),
    path("opinions/new/", views.opinion_new, name="opinion_new"),
    path("opinions/<int:opinion_id>/", views.opinion_detail, name="opinion_detail"),
    path("mediations/", views.mediation_list, name="mediations"),
    path("mediations/new/", views.mediation_new, name="mediation_new"),
    path("mediations/<int:mediation_id>/", views.mediation_detail, name="mediation_detail"),
    path("mediations/<int:mediation_id>/reveal/", views.mediation_reveal, name="mediation_reveal"),
    path("worthies/", views.worthy_list, name="worthies"),
    path("worthies/new/", views.worthy_new, name="worthy_new"),
    path("worthies/<int:worthy_id>/", views.worthy_detail, name="worthy_detail"),
    path("worthies/<int:worthy_id>/edit/", views.worthy_edit, name="worthy_edit"),
    path("worthies/<int:worthy_id>/reveal/", views.worthy_reveal, name="worthy_reveal"),
]
