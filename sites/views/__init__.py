"""HTML pages, one module per domain of the app: site, accessibility, report."""
