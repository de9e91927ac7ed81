"""A bulk export of the event history as NDJSON, resumable.

    GATEWAY_URL=http://localhost:8080 GATEWAY_TOKEN=... python3 export.py

Streams GET /export/events?format=ndjson&after=<cursor> (one event a line,
the same JSON as the GraphQL Event, with its cursor) and appends each line
to OUTPUT (default events.ndjson). After each line it saves that event's
cursor (CURSOR_FILE, default .export-cursor): an export cut off anywhere
resumes after the last line written, with no line twice. Filters:
PROVIDER and TYPE (GraphQL enum values), as the export's query parameters.
"""

import json
import os
import urllib.parse

from gateway_client import load_cursor, open_get, save_cursor


def main():
    cursor_file = os.environ.get("CURSOR_FILE", ".export-cursor")
    output = os.environ.get("OUTPUT", "events.ndjson")
    cursor = load_cursor(cursor_file)
    params = {"format": "ndjson"}
    if cursor:
        params["after"] = cursor
    for name in ("provider", "type"):
        if os.environ.get(name.upper()):
            params[name] = os.environ[name.upper()]
    print("exporting after %s" % (cursor or "(the start)"))
    n = 0
    with open_get("/export/events?" + urllib.parse.urlencode(params)) as res, open(output, "a") as out:
        for line in res:
            line = line.strip()
            if not line:
                continue
            event = json.loads(line)
            out.write(line.decode() + "\n")
            out.flush()
            cursor = event["cursor"]
            save_cursor(cursor_file, cursor)
            n += 1
            print("event %s %s %s %s" % (cursor, event["provider"], event["type"], event["id"]))
    print("exported %d events to %s; cursor %s" % (n, output, cursor or "(none)"))


if __name__ == "__main__":
    main()
