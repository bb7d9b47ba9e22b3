"""Member statistics (党内统计) and status alerts: selectors, the HTMX panels and the JSON API."""
