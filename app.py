"""Entry point: `app` for `flask --app app …`; `python app.py [--host H] [--port P]` serves with waitress."""

import argparse
import logging
import sys

from intranet import create_app

app = create_app()


def serve(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Serve the intranet with waitress.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)

    from intranet import migrations
    from intranet.auth.services import issue_setup_token
    from intranet.platform.db import db
    from intranet.platform.serving import make_server

    if app.config["SCHEMA_PENDING"]:
        print(
            "Das Datenbankschema ist veraltet. Bitte zuerst ausführen: "
            f"{migrations.UPGRADE_COMMAND}",
            file=sys.stderr,
        )
        return 2
    with app.app_context(), db.connection_context():
        token = issue_setup_token()
    if token:
        host = f"[{args.host}]" if ":" in args.host else args.host
        print(f"Erstes Admin-Konto anlegen: http://{host}:{args.port}/setup/{token}", flush=True)
    if app.config.get("MAIL_SERVER"):
        # One installation needs no cron: this process delivers the outbox itself.
        from intranet.core import outbox

        outbox.start_background(app)
    server = make_server(app, args.host, args.port, args.threads)
    logging.basicConfig()  # waitress reports its errors through logging
    server.print_listen("Serving on http://{}:{}")
    server.run()
    return 0


if __name__ == "__main__":
    argv = sys.argv[1:]
    if argv and not argv[0].startswith("-"):
        # `python app.py create-user …` is an alias for `flask --app app create-user …`.
        from flask.cli import FlaskGroup

        FlaskGroup(create_app=lambda: app).main(args=argv, prog_name="python app.py")
    sys.exit(serve(argv))
