// Deliveries an adapter could not translate, kept as OTHER with a reason,
// and the reprocess action to run once an adapter is fixed.
import { useState } from "preact/hooks";
import { gql } from "./api";
import { EventDetail } from "./events";
import { Empty, ErrorBox, Loading, When, useAction, useLoad } from "./ui";

type Row = { id: string; provider: string; providerEventType: string; receivedAt: string; reason?: string | null; subscription?: { name: string } | null };
type Result = { examined: number; retranslated: number; appended: number; stillUntranslated: number; payloadExpired: number };

const query = `{ events(filter: {untranslated: true, corrected: false}, first: 100) { edges { node {
  id provider providerEventType receivedAt reason subscription { name } } } pageInfo { hasNextPage } } }`;

export function Untranslated() {
  const load = useLoad(() => gql<{ events: { edges: { node: Row }[]; pageInfo: { hasNextPage: boolean } } }>(query), []);
  const [open, setOpen] = useState<string>();
  const [result, setResult] = useState<Result>();
  const [run, error, busy] = useAction();
  const reprocess = () =>
    run(async () => {
      const d = await gql<{ reprocessEvents: Result }>(
        `mutation { reprocessEvents(filter: {untranslated: true}) { examined retranslated appended stillUntranslated payloadExpired } }`,
      );
      setResult(d.reprocessEvents);
      load.reload();
    });
  return (
    <>
      <div class="head">
        <div>
          <h1>Untranslated events</h1>
          <p class="muted">Deliveries that authenticated but no adapter could translate; they are stored with their raw body.</p>
        </div>
        <button class="primary" id="reprocess" disabled={busy} onClick={reprocess}>
          {busy ? "Reprocessing…" : "Reprocess"}
        </button>
      </div>
      <ErrorBox error={error} />
      {result && (
        <div class="alert info" role="status" id="reprocess-result">
          Read {result.examined} stored events: {result.retranslated} now translate (appended as corrections)
          {result.appended ? `, ${result.appended} more events appended` : ""}, {result.stillUntranslated} still untranslated
          {result.payloadExpired ? `, ${result.payloadExpired} left as they are because retention removed their body` : ""}.
        </div>
      )}
      <Loading load={load}>
        {(d) =>
          d.events.edges.length === 0 ? (
            <Empty title="Every event is translated">
              <p>Deliveries an adapter cannot translate appear here with the reason.</p>
            </Empty>
          ) : (
            <>
              <div class="table-wrap">
                <table id="untranslated">
                  <thead>
                    <tr><th>Received</th><th>Provider</th><th class="opt">Provider's name</th><th class="opt">Subscription</th><th>Reason</th></tr>
                  </thead>
                  <tbody>
                    {d.events.edges.map(({ node: e }) => (
                      <tr class={`clickable${open === e.id ? " selected" : ""}`} onClick={() => setOpen(open === e.id ? undefined : e.id)}>
                        <td><When at={e.receivedAt} /></td>
                        <td>{e.provider}</td>
                        <td class="opt mono">{e.providerEventType}</td>
                        <td class="opt">{e.subscription?.name ?? "—"}</td>
                        <td class="reason">{e.reason}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              {d.events.pageInfo.hasNextPage && <p class="muted">The 100 oldest are shown; reprocessing covers them all.</p>}
            </>
          )
        }
      </Loading>
      {open && <EventDetail id={open} onClose={() => setOpen(undefined)} />}
    </>
  );
}
