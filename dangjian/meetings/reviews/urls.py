from django.urls import path

from dangjian.meetings import review_views

urlpatterns = [
    path("reviews/", review_views.review_list, name="reviews"),
    path("reviews/save/", review_views.review_bulk_save, name="reviews_save"),
    path("reviews/<int:review_id>/handle/", review_views.review_handle, name="review_handle"),
]
