"""What the examples share: where the gateway is, its token, and a cursor file.

GATEWAY_URL (default http://localhost:8080) and GATEWAY_TOKEN, a bearer
token of ADMIN or READ scope (`gateway demo` prints one), come from the
environment. Standard library only.
"""

import json
import os
import sys
import urllib.error
import urllib.request

GATEWAY_URL = os.environ.get("GATEWAY_URL", "http://localhost:8080").rstrip("/")
TOKEN = os.environ.get("GATEWAY_TOKEN", "")
if not TOKEN:
    sys.exit("set GATEWAY_TOKEN to a bearer token of the gateway (gateway demo prints its admin token)")


def graphql(query, variables=None, timeout=60):
    """Runs one GraphQL operation and returns its data; a GraphQL error raises."""
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    req = urllib.request.Request(
        GATEWAY_URL + "/graphql",
        data=body,
        headers={"Content-Type": "application/json", "Authorization": "Bearer " + TOKEN},
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            answer = json.load(res)
    except urllib.error.HTTPError as err:
        answer = json.load(err)
    if answer.get("errors"):
        raise RuntimeError("; ".join(
            "%s: %s" % (e.get("extensions", {}).get("code", "ERROR"), e["message"]) for e in answer["errors"]))
    return answer["data"]


def open_get(path, timeout=60):
    """GETs path with the token and returns the open response."""
    req = urllib.request.Request(GATEWAY_URL + path, headers={"Authorization": "Bearer " + TOKEN})
    return urllib.request.urlopen(req, timeout=timeout)


def load_cursor(path):
    """The cursor saved in path, or None on a first run."""
    try:
        with open(path) as f:
            return f.read().strip() or None
    except FileNotFoundError:
        return None


def save_cursor(path, cursor):
    """Replaces the file at once (write, then rename): a crash never leaves half a cursor."""
    with open(path + ".tmp", "w") as f:
        f.write(cursor)
    os.replace(path + ".tmp", path)
