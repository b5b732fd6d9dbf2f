"""Infrastructure every area stands on: database, web helpers, htmx, errors, configuration,
Jinja filters and the Flask extensions. Nothing here knows a feature area."""
