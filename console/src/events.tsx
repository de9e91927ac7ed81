// One event opened: what it says, its payload, and its conversation.
import { gql } from "./api";
import { Badge, Empty, JsonView, Loading, When, useLoad } from "./ui";

type Detail = {
  id: string;
  cursor: string;
  provider: string;
  type: string;
  providerEventType: string;
  occurredAt: string;
  receivedAt: string;
  reason?: string | null;
  payload: unknown;
  payloadExpired: boolean;
  subscription?: { id: string; name: string } | null;
  conversation?: {
    externalId: string;
    status: string;
    subject?: string | null;
    channel?: string | null;
    requester?: { name?: string | null; email?: string | null } | null;
    assignee?: { name?: string | null } | null;
    tags: string[];
    messages: { edges: { node: { direction?: string | null; content?: string | null; createdAt: string; author?: { name?: string | null } | null } }[] };
  } | null;
};

const query = `query($id: ID!) { node(id: $id) { ... on Event {
  id cursor provider type providerEventType occurredAt receivedAt reason payload payloadExpired
  subscription { id name }
  conversation { externalId status subject channel requester { name email } assignee { name } tags
    messages(last: 5) { edges { node { direction content createdAt author { name } } } } }
} } }`;

export function EventDetail({ id, onClose }: { id: string; onClose: () => void }) {
  const load = useLoad(() => gql<{ node: Detail | null }>(query, { id }), [id]);
  return (
    <section class="detail card" id="event-detail" aria-label="Event">
      <div class="head" style="margin-bottom:8px">
        <h2 style="margin:0">Event</h2>
        <button type="button" onClick={onClose}>Close</button>
      </div>
      <Loading load={load}>
        {({ node: e }) =>
          !e ? (
            <Empty title="This event is gone">It may have been pruned by retention.</Empty>
          ) : (
            <>
              <dl class="facts">
                <dt>Type</dt>
                <dd><span class="mono">{e.type}</span> ({e.provider} <span class="mono">{e.providerEventType}</span>)</dd>
                <dt>Occurred</dt>
                <dd><When at={e.occurredAt} /></dd>
                <dt>Received</dt>
                <dd><When at={e.receivedAt} /></dd>
                {e.subscription && (
                  <>
                    <dt>Subscription</dt>
                    <dd><a href={`#/subscriptions/${encodeURIComponent(e.subscription.id)}`}>{e.subscription.name}</a></dd>
                  </>
                )}
                {e.reason && (
                  <>
                    <dt>Not translated</dt>
                    <dd>{e.reason}</dd>
                  </>
                )}
                <dt>Cursor</dt>
                <dd class="mono">{e.cursor}</dd>
              </dl>
              <h2>Conversation</h2>
              {e.conversation ? (
                <>
                  <dl class="facts" id="event-conversation">
                    <dt>External id</dt>
                    <dd class="mono">{e.conversation.externalId}</dd>
                    <dt>Status</dt>
                    <dd><Badge word={e.conversation.status} /></dd>
                    {e.conversation.subject && (<><dt>Subject</dt><dd>{e.conversation.subject}</dd></>)}
                    {e.conversation.channel && (<><dt>Channel</dt><dd>{e.conversation.channel}</dd></>)}
                    {e.conversation.requester && (
                      <><dt>Requester</dt><dd>{[e.conversation.requester.name, e.conversation.requester.email].filter(Boolean).join(" · ") || "—"}</dd></>
                    )}
                    {e.conversation.assignee && (<><dt>Assignee</dt><dd>{e.conversation.assignee.name ?? "—"}</dd></>)}
                    {e.conversation.tags.length > 0 && (<><dt>Tags</dt><dd>{e.conversation.tags.join(", ")}</dd></>)}
                  </dl>
                  {e.conversation.messages.edges.length > 0 && (
                    <div class="table-wrap">
                      <table>
                        <thead><tr><th>Latest messages</th><th class="opt">Author</th><th>Time</th></tr></thead>
                        <tbody>
                          {e.conversation.messages.edges.map(({ node: m }) => (
                            <tr>
                              <td class="reason">{m.content ?? <span class="muted">({m.direction?.toLowerCase() ?? "no content"})</span>}</td>
                              <td class="opt">{m.author?.name ?? "—"}</td>
                              <td><When at={m.createdAt} /></td>
                            </tr>
                          ))}
                        </tbody>
                      </table>
                    </div>
                  )}
                </>
              ) : (
                <p class="muted">The event names no conversation.</p>
              )}
              <h2>Payload</h2>
              {e.payloadExpired ? (
                <p class="muted" id="event-payload">Payload retention (PAYLOAD_RETENTION) removed the body.</p>
              ) : (
                <JsonView value={e.payload} id="event-payload" />
              )}
            </>
          )
        }
      </Loading>
    </section>
  );
}
