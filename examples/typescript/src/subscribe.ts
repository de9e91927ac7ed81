// A live event stream that survives restarts and disconnections: it keeps
// the cursor of the last event it handled in a file and, on every
// (re)subscription, passes it as `after`, so the gateway replays what was
// missed before going live: no gap, no duplicate.
//
//   GATEWAY_URL=http://localhost:8080 GATEWAY_TOKEN=... npx tsx src/subscribe.ts
//
// CURSOR_FILE (default .eventstream-cursor) holds the cursor; MAX_EVENTS
// ends the run after that many events (default: run until Ctrl-C).
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createClient } from "graphql-ws";
import { print } from "graphql";
import WebSocket from "ws";
import { gatewayURL, request, token } from "./config.ts";
import { graphql } from "./gql/index.ts";
import type { HeadCursorQuery, StreamEventsSubscription, StreamEventsSubscriptionVariables } from "./gql/graphql.ts";

const cursorFile = process.env.CURSOR_FILE ?? ".eventstream-cursor";
const maxEvents = Number(process.env.MAX_EVENTS ?? "0");

const StreamEvents = graphql(`
  subscription StreamEvents($after: String) {
    eventStream(after: $after) {
      id
      cursor
      provider
      type
      providerEventType
      occurredAt
      conversation {
        id
        status
      }
    }
  }
`);

const HeadCursor = graphql(`
  query HeadCursor($after: String) {
    events(first: 1000, after: $after) {
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

// headCursor pages to the end of the history (reading cursors only, no
// payloads) and returns the newest event's cursor, or null when the
// history is empty. A first run starts there: new events only.
async function headCursor(): Promise<string | null> {
  let after: string | null = null;
  for (;;) {
    const page: HeadCursorQuery = await request(HeadCursor, { after });
    after = page.events.pageInfo.endCursor ?? after;
    if (!page.events.pageInfo.hasNextPage) return after;
  }
}

// saveCursor replaces the file at once (write, then rename), so a crash
// never leaves half a cursor behind.
function saveCursor(cursor: string): void {
  writeFileSync(`${cursorFile}.tmp`, cursor);
  renameSync(`${cursorFile}.tmp`, cursorFile);
}

let cursor: string | null = existsSync(cursorFile) ? readFileSync(cursorFile, "utf8").trim() || null : null;
if (cursor === null) {
  cursor = await headCursor();
  if (cursor !== null) saveCursor(cursor);
}

const client = createClient({
  url: gatewayURL.replace(/^http/, "ws") + "/graphql",
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${token}` },
  // Reconnection is done below, so that each attempt subscribes after
  // the newest cursor rather than the first one.
  retryAttempts: 0,
});

let received = 0;
let done = false;
process.once("SIGINT", () => {
  done = true;
  void client.dispose();
});

for (let attempt = 0; !done; attempt++) {
  const variables: StreamEventsSubscriptionVariables = { after: cursor };
  console.log(`subscribed after ${cursor ?? "(the start)"}`);
  try {
    const events = client.iterate<StreamEventsSubscription>({ query: print(StreamEvents), variables });
    for await (const result of events) {
      const e = result.data?.eventStream;
      if (!e) throw new Error(`stream error: ${JSON.stringify(result.errors)}`);
      console.log(`event ${e.cursor} ${e.provider} ${e.type} ${e.id} ${e.providerEventType}`);
      cursor = e.cursor;
      saveCursor(cursor);
      attempt = 0;
      if (maxEvents > 0 && ++received >= maxEvents) {
        done = true;
        break;
      }
    }
  } catch (err) {
    if (done) break;
    // A dropped connection, a restart of the gateway, or a close for
    // falling behind (4008): resume from the saved cursor.
    const wait = Math.min(30_000, 500 * 2 ** attempt);
    console.error(`stream ended (${err instanceof Error ? err.message : JSON.stringify(err)}); resuming in ${wait} ms`);
    await new Promise((r) => setTimeout(r, wait));
  }
}
await client.dispose();
console.log(`received ${received} events; cursor ${cursor ?? "(none)"} saved in ${cursorFile}`);
