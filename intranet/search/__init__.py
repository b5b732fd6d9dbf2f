"""One search over what the account may see: meetings and contacts."""


def register(app):
    from intranet.search.routes import bp

    app.register_blueprint(bp)
