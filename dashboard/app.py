"""`create_app(settings, reader)`: the Dash app. Debug stays off; callbacks stay thin (the
page's in `dashboard.page_callbacks`, the review panel's in `dashboard.review_callbacks`)."""

from __future__ import annotations

from functools import cache

from dash import Dash, html

from dashboard import auth, page_callbacks, review_callbacks, security
from dashboard.comparisons import ComparisonCache
from dashboard.layout import page
from dashboard.page_callbacks import experiment_names
from dashboard.review_panel import Reviews
from dashboard.settings import DashboardSettings
from dashboard.warm_up import start_warm_up
from tracking.reader import RunReader
from tracking.settings import without_password as redact


def layout(reader: RunReader, store: str, refresh_seconds: float) -> html.Div:
    """Built on every page load, so new experiments appear without a restart."""
    names, problem = experiment_names(reader)
    return page(names, problem, store, int(refresh_seconds * 1000), auth.current_user())


def create_app(settings: DashboardSettings, reader: RunReader,
               reviews: Reviews | None = None) -> Dash:
    """The dashboard over `reader` (wrap it in tracking.cache.CachedReader to serve a team);
    reviews are written by `reviews` (default: tracking.review.ReviewWriter on the same store,
    made at the first review action). With `settings.users`, every path but /health needs
    Basic auth and only reviewers write; security headers and the cross-site checks are always
    on."""
    app = Dash(__name__, title="Lossboard", update_title="", health_endpoint="health")
    prefix = app.config.routes_pathname_prefix
    if settings.users:
        auth.install(app.server, settings.users, open_paths=[prefix + "health"])
    security.install(app.server, settings.host_allowlist,  # installed last, so it runs first
                     prefix + "_dash-")
    store = redact(settings.tracking_uri)
    app.layout = lambda: layout(reader, store, settings.refresh_seconds)
    comparisons = ComparisonCache()
    if settings.warm_up:
        start_warm_up(reader, comparisons)

    @cache
    def review_writer() -> Reviews:
        if reviews:
            return reviews
        from tracking.review import ReviewWriter  # imports MLflow: only when reviewing

        return ReviewWriter(settings.tracking_uri)

    review_callbacks.register(app, reader, review_writer, store, comparisons, settings.sign_in)
    page_callbacks.register(app, reader, comparisons, settings)
    return app

