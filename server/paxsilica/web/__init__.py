"""The web layer: the Flask application, its blueprints, templates and the HTTP server."""
