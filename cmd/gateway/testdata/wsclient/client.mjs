// Subscribes to eventStream from the beginning of the history with the
// graphql-ws reference client and prints each event as a JSON line; exits 0 after `count` events, 1 on any error.
// Usage: node client.mjs <ws url> <token> <count>
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, token, count] = process.argv.slice(2);
const want = Number(count);
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${token}` },
  retryAttempts: 0,
});
let seen = 0;
const timer = setTimeout(() => { console.error(`timeout after ${seen} events`); process.exit(1); }, 30000);
client.subscribe(
  { query: 'subscription { eventStream(fromBeginning: true) { id cursor type providerEventType } }' },
  {
    next: (msg) => {
      if (msg.errors) { console.error(JSON.stringify(msg.errors)); process.exit(1); }
      console.log(JSON.stringify(msg.data.eventStream));
      if (++seen === want) { clearTimeout(timer); client.dispose(); process.exit(0); }
    },
    error: (err) => { console.error('error', err?.message ?? String(err?.code ?? err)); process.exit(1); },
    complete: () => { if (seen < want) { console.error(`completed after ${seen} events`); process.exit(1); } },
  },
);
console.error('subscribed');
