// The live tail: the gateway's own eventStream, as an integrator sees it.
import { useEffect, useRef, useState } from "preact/hooks";
import { getToken, socket } from "./api";
import { EventDetail } from "./events";
import { Empty, ErrorBox, When, eventTypes, providers, reportError } from "./ui";

type Row = {
  id: string;
  cursor: string;
  provider: string;
  type: string;
  providerEventType: string;
  occurredAt: string;
  receivedAt: string;
  conversation?: { externalId: string; status: string } | null;
};

// keep bounds the rows on screen: a busy gateway must not grow the page
// without end.
const keep = 200;

const query = `subscription($filter: EventFilter, $after: String) { eventStream(filter: $filter, after: $after) {
  id cursor provider type providerEventType occurredAt receivedAt conversation { externalId status } } }`;

export function LiveTail() {
  const [provider, setProvider] = useState("");
  const [type, setType] = useState("");
  const [paused, setPaused] = useState(false);
  const [rows, setRows] = useState<Row[]>([]);
  const [held, setHeld] = useState<Row[]>([]);
  const [state, setState] = useState<"connecting" | "live" | "closed">("connecting");
  const [error, setError] = useState<string>();
  const [open, setOpen] = useState<string>();
  // connection counts reconnections; a reconnection resumes after the last
  // event seen, so nothing is missed in between.
  const [connection, setConnection] = useState(0);
  const lastCursor = useRef<string>();
  const pausedRef = useRef(paused);
  pausedRef.current = paused;

  useEffect(() => {
    lastCursor.current = undefined; // new filters: start at the head
  }, [provider, type]);

  useEffect(() => {
    const client = socket(getToken(), 0);
    const offs = [client.on("connected", () => setState("live")), client.on("closed", () => setState("closed"))];
    setState("connecting");
    setError(undefined);
    const filter: Record<string, unknown> = {};
    if (provider) filter.providers = [provider];
    if (type) filter.types = [type];
    const stop = client.subscribe<{ eventStream: Row }>(
      { query, variables: { filter, after: lastCursor.current ?? null } },
      {
        next: ({ data, errors }) => {
          if (errors?.length) setError(errors.map((e) => e.message).join("; "));
          if (!data) return;
          lastCursor.current = data.eventStream.cursor;
          const add = (list: Row[]) => [data.eventStream, ...list].slice(0, keep);
          if (pausedRef.current) setHeld(add);
          else setRows(add);
        },
        error: (e) => {
          setState("closed");
          setError(
            e instanceof CloseEvent ? `The stream closed (${e.code}${e.reason ? `: ${e.reason}` : ""}).` : reportError(e),
          );
        },
        complete: () => setState("closed"),
      },
    );
    return () => {
      stop();
      offs.forEach((off) => off());
      void client.dispose();
    };
  }, [provider, type, connection]);

  const resume = () => {
    setRows((r) => [...held, ...r].slice(0, keep));
    setHeld([]);
    setPaused(false);
  };

  return (
    <>
      <div class="head">
        <div>
          <h1>Live events</h1>
          <p class="muted">New events as they are stored, newest first: the same eventStream integrators subscribe to.</p>
        </div>
        <span id="live-status" data-state={state}>
          <span class={`livedot${state === "live" && !paused ? " on" : ""}`} />
          {paused ? "paused" : state}
        </span>
      </div>
      <div class="filters">
        <label>
          Provider
          <select id="live-provider" value={provider} onChange={(e) => setProvider(e.currentTarget.value)}>
            <option value="">all</option>
            {providers.map((p) => <option value={p}>{p}</option>)}
          </select>
        </label>
        <label>
          Type
          <select id="live-type" value={type} onChange={(e) => setType(e.currentTarget.value)}>
            <option value="">all</option>
            {eventTypes.map((t) => <option value={t}>{t}</option>)}
          </select>
        </label>
        {paused ? (
          <button class="primary" id="live-pause" onClick={resume}>Resume{held.length ? ` (${held.length} new)` : ""}</button>
        ) : (
          <button id="live-pause" onClick={() => setPaused(true)}>Pause</button>
        )}
        {rows.length > 0 && <button onClick={() => setRows([])}>Clear</button>}
        {state === "closed" && (
          <button class="primary" onClick={() => setConnection((c) => c + 1)}>
            Reconnect{lastCursor.current ? " and catch up" : ""}
          </button>
        )}
      </div>
      <ErrorBox error={error} />
      {rows.length === 0 ? (
        <Empty title="Waiting for events">
          <p>Events appear here the moment a helpdesk delivers them{provider || type ? " and they pass the filters" : ""}.</p>
        </Empty>
      ) : (
        <div class="table-wrap">
          <table id="live-events">
            <thead>
              <tr><th>Received</th><th>Provider</th><th>Type</th><th class="opt">Provider's name</th><th>Conversation</th></tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} class={`clickable event-row${open === r.id ? " selected" : ""}`} onClick={() => setOpen(open === r.id ? undefined : r.id)}>
                  <td><When at={r.receivedAt} /></td>
                  <td>{r.provider}</td>
                  <td class="mono">{r.type}</td>
                  <td class="opt mono">{r.providerEventType}</td>
                  <td class="mono">{r.conversation ? r.conversation.externalId : "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {open && <EventDetail id={open} onClose={() => setOpen(undefined)} />}
    </>
  );
}
