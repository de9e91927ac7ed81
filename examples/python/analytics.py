"""An analytics job that pages through the whole event history by cursor.

    GATEWAY_URL=http://localhost:8080 GATEWAY_TOKEN=... python3 analytics.py

Each run reads the events after the cursor saved by the previous run
(CURSOR_FILE, default .analytics-cursor), page by page with
events(first: N, after: cursor), and saves the cursor after each page: a
job stopped at any point resumes where it was, with no event missed or
counted twice. It prints one line per event and a summary by provider
and type. PAGE_SIZE (default 500) is N.
"""

import collections
import os

from gateway_client import graphql, load_cursor, save_cursor

QUERY = """
query Page($first: Int!, $after: String) {
  events(first: $first, after: $after) {
    edges { cursor node { id provider type providerEventType occurredAt } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def main():
    cursor_file = os.environ.get("CURSOR_FILE", ".analytics-cursor")
    page_size = int(os.environ.get("PAGE_SIZE", "500"))
    cursor = load_cursor(cursor_file)
    print("starting after %s" % (cursor or "(the start)"))
    counts = collections.Counter()
    pages = 0
    while True:
        page = graphql(QUERY, {"first": page_size, "after": cursor})["events"]
        pages += 1
        for edge in page["edges"]:
            e = edge["node"]
            print("event %s %s %s %s" % (edge["cursor"], e["provider"], e["type"], e["id"]))
            counts[(e["provider"], e["type"])] += 1
        # An empty page keeps the cursor it was asked after.
        if page["pageInfo"]["endCursor"]:
            cursor = page["pageInfo"]["endCursor"]
            save_cursor(cursor_file, cursor)
        if not page["pageInfo"]["hasNextPage"]:
            break
    for (provider, kind), n in sorted(counts.items()):
        print("count %s %s %d" % (provider, kind, n))
    print("read %d events in %d pages; cursor %s" % (sum(counts.values()), pages, cursor or "(none)"))


if __name__ == "__main__":
    main()
