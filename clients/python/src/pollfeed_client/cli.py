"""`pollfeed follow URL --token T [--project P | --scope team=7] [--types a,b]`: changes as JSON lines,
for scripts and debugging."""
import argparse
import json
import os
import sys

from .client import Client


def main(argv=None):
    ap = argparse.ArgumentParser(prog="pollfeed", description="Follow a Pollfeed server's change feed.")
    sub = ap.add_subparsers(dest="command", required=True)
    f = sub.add_parser("follow", help="print each change as a JSON line, polling as the server advises")
    f.add_argument("url", help="the server, e.g. http://127.0.0.1:8000")
    f.add_argument("--token", default=os.environ.get("POLLFEED_TOKEN"), help="bearer token (or POLLFEED_TOKEN)")
    f.add_argument("--project", help="only this project's changes")
    f.add_argument("--scope", metavar="NAME=ID", help="only this scope's changes, on a server whose feed "
                                                      "filters by another name (e.g. team=7)")
    f.add_argument("--types", help="comma list of change types, e.g. task,status")
    f.add_argument("--since", default="now", help="a cursor to start after (default: now)")
    f.add_argument("--background", action="store_true", help="poll at the hidden interval")
    args = ap.parse_args(argv)
    if not args.token:
        ap.error("--token (or POLLFEED_TOKEN) is required")

    def resync():
        print(json.dumps({"resync": "the cursor is gone (compacted, or the database restored): from now on"}),
              file=sys.stderr, flush=True)
        return "now"

    scope, scope_id = "project", args.project
    if args.scope:
        scope, sep, scope_id = args.scope.partition("=")
        if not (sep and scope and scope_id):
            ap.error("--scope takes NAME=ID, e.g. team=7")
    with Client(args.url, args.token, scope=scope) as client:
        try:
            for change in client.follow(args.since, scope_id,
                                        types=args.types.split(",") if args.types else None,
                                        background=args.background, resync=resync):
                print(json.dumps(change), flush=True)
        except KeyboardInterrupt:
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
