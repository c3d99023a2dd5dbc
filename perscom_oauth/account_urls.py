"""The signed-in user's own pages (see ``account_views``)."""

urlpatterns: list = []
