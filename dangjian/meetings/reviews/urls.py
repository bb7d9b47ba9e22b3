from django.urls import path

from dangjian.meetings.reviews import views

urlpatterns = [
    path("reviews/", views.review_list, name="reviews"),
    path("reviews/save/", views.review_bulk_save, name="reviews_save"),
    path("reviews/<int:review_id>/handle/", views.review_handle, name="review_handle"),
]
