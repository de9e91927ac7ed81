// A webhook receiver for the gateway's end-to-end tests. It verifies every
// delivery with the standardwebhooks library, once per secret it knows,
// answers 500 to the first two attempts of every third event (in the order
// the events first arrive) and 200 otherwise, and prints one JSON line per
// request. Its first line is {"port": N}. Lines on stdin replace the
// secrets: {"secrets": ["whsec_...", ...]}.
import http from "node:http";
import readline from "node:readline";
import { Webhook } from "standardwebhooks";

let secrets = [];
readline.createInterface({ input: process.stdin }).on("line", (line) => {
  secrets = JSON.parse(line).secrets;
  process.stdout.write(JSON.stringify({ secrets: secrets.length }) + "\n");
});

const attempts = new Map(); // webhook-id -> attempts so far
let distinct = 0;
const order = new Map(); // webhook-id -> its place among distinct events, from 1

http
  .createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const id = req.headers["webhook-id"];
      if (!order.has(id)) order.set(id, ++distinct);
      const attempt = (attempts.get(id) || 0) + 1;
      attempts.set(id, attempt);
      const verified = secrets.map((s) => {
        try {
          new Webhook(s).verify(body, req.headers);
          return true;
        } catch {
          return false;
        }
      });
      const status = order.get(id) % 3 === 0 && attempt <= 2 ? 500 : 200;
      let event = {};
      try {
        event = JSON.parse(body);
      } catch {}
      process.stdout.write(
        JSON.stringify({ id, attempt, status, verified, cursor: event.cursor, type: event.type, conversation: event.conversation }) + "\n",
      );
      res.writeHead(status, { "Content-Type": "text/plain" });
      res.end(status === 200 ? "ok" : "try again");
    });
  })
  .listen(0, "127.0.0.1", function () {
    process.stdout.write(JSON.stringify({ port: this.address().port }) + "\n");
  });
