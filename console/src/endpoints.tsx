// Outbound webhook endpoints: integrators' URLs the gateway pushes the
// history to, with their state, lag and attempts.
import { useState } from "preact/hooks";
import { gql } from "./api";
import { Badge, CopyRow, Empty, ErrorBox, Loading, ShownOnce, When, confirmed, eventTypes, providers, useAction, useLoad } from "./ui";

type Endpoint = {
  id: string; name: string; url: string; secret?: string | null; enabled: boolean; state: string; disabledReason?: string | null;
  ordering: string; lagEvents: number; lagSeconds: number; delivered: number; failed: number; cursor?: string | null;
  createdAt: string;
};
type Attempt = {
  id: string; eventId: string; attempt: number; at: string; status?: number | null; latencyMs: number; response: string;
  error?: string | null; outcome: string; retryAt?: string | null; event?: { type: string; provider: string } | null;
};

const fields = "id name url enabled state disabledReason ordering lagEvents lagSeconds delivered failed cursor createdAt";

function lag(e: Endpoint): string {
  if (e.lagEvents === 0) return "up to date";
  const s = e.lagSeconds;
  const age = s < 90 ? `${Math.round(s)} s` : s < 5400 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`;
  return `${e.lagEvents} events, ${age}`;
}

function CreateForm({ onCreated, onCancel }: { onCreated: (e: Endpoint) => void; onCancel: () => void }) {
  const [name, setName] = useState("");
  const [url, setUrl] = useState("");
  const [ordering, setOrdering] = useState("ENDPOINT");
  const [provider, setProvider] = useState("");
  const [type, setType] = useState("");
  const [run, error, busy] = useAction();
  const submit = (ev: Event) => {
    ev.preventDefault();
    void run(async () => {
      const filter: Record<string, unknown> = {};
      if (provider) filter.providers = [provider];
      if (type) filter.types = [type];
      const d = await gql<{ createWebhookEndpoint: Endpoint }>(
        `mutation($in: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $in) { ${fields} secret } }`,
        { in: { name: name.trim(), url: url.trim(), ordering, filter: Object.keys(filter).length ? filter : null } },
      );
      onCreated(d.createWebhookEndpoint);
    });
  };
  return (
    <form class="card grid" onSubmit={submit} id="create-endpoint">
      <label for="ep-name">Name</label>
      <input id="ep-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="CRM" />
      <label for="ep-url">URL</label>
      <input id="ep-url" required type="url" value={url} onInput={(e) => setUrl(e.currentTarget.value)} placeholder="https://crm.example.com/hooks/helpdesk" />
      <label for="ep-ordering">Ordering</label>
      <select id="ep-ordering" value={ordering} onChange={(e) => setOrdering(e.currentTarget.value)}>
        <option value="ENDPOINT">one at a time, in history order</option>
        <option value="CONVERSATION">in order within each conversation</option>
      </select>
      <label for="ep-provider">Provider</label>
      <select id="ep-provider" value={provider} onChange={(e) => setProvider(e.currentTarget.value)}>
        <option value="">all</option>
        {providers.map((p) => <option value={p}>{p}</option>)}
      </select>
      <label for="ep-type">Type</label>
      <select id="ep-type" value={type} onChange={(e) => setType(e.currentTarget.value)}>
        <option value="">all</option>
        {eventTypes.map((t) => <option value={t}>{t}</option>)}
      </select>
      <span class="hint">Events after its creation are pushed, signed per Standard Webhooks.</span>
      <div class="actions">
        <ErrorBox error={error} />
        <button class="primary" type="submit" disabled={busy}>Create endpoint</button>
        <button type="button" onClick={onCancel}>Cancel</button>
      </div>
    </form>
  );
}

export function EndpointList() {
  const load = useLoad(() => gql<{ webhookEndpoints: Endpoint[] }>(`{ webhookEndpoints { ${fields} } }`), []);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<Endpoint>();
  return (
    <>
      <div class="head">
        <div>
          <h1>Outbound endpoints</h1>
          <p class="muted">Integrators' URLs the gateway pushes events to, each with a cursor of its own.</p>
        </div>
        {!creating && <button class="primary" onClick={() => setCreating(true)}>New endpoint</button>}
      </div>
      {creating && (
        <CreateForm onCancel={() => setCreating(false)} onCreated={(e) => { setCreating(false); setCreated(e); load.reload(); }} />
      )}
      {created?.secret && (
        <ShownOnce title={`Endpoint "${created.name}" created`} onClose={() => setCreated(undefined)}>
          <p>The receiver verifies each push with this secret.</p>
          <CopyRow label="Secret" value={created.secret} />
        </ShownOnce>
      )}
      <Loading load={load}>
        {(d) =>
          d.webhookEndpoints.length === 0 ? (
            <Empty title="No endpoints yet">
              <p>Add an integrator's URL to push every new event to it.</p>
            </Empty>
          ) : (
            <div class="table-wrap">
              <table id="endpoints">
                <thead>
                  <tr><th>Name</th><th class="opt">URL</th><th>State</th><th>Lag</th><th class="opt num">Delivered</th><th class="opt num">Failed</th></tr>
                </thead>
                <tbody>
                  {d.webhookEndpoints.map((e) => (
                    <tr class="clickable" onClick={() => (location.hash = `#/endpoints/${encodeURIComponent(e.id)}`)}>
                      <td><a href={`#/endpoints/${encodeURIComponent(e.id)}`}>{e.name}</a></td>
                      <td class="opt mono reason">{e.url}</td>
                      <td><Badge word={e.state} /></td>
                      <td class="nowrap">{lag(e)}</td>
                      <td class="opt num">{e.delivered}</td>
                      <td class="opt num">{e.failed}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loading>
    </>
  );
}

export function EndpointPage({ id }: { id: string }) {
  const load = useLoad(
    () =>
      gql<{ webhookEndpoint: (Endpoint & { attempts: { edges: { node: Attempt }[] } }) | null }>(
        `query($id: ID!) { webhookEndpoint(id: $id) { ${fields} attempts(first: 50) { edges { node {
          id eventId attempt at status latencyMs response error outcome retryAt event { type provider } } } } } }`,
        { id },
      ),
    [id],
  );
  const [secret, setSecret] = useState<string>();
  const [since, setSince] = useState("");
  const [run, error, busy] = useAction();
  const mutate = (query: string, vars: Record<string, unknown> = {}, after: (d: any) => void = () => load.reload()) =>
    run(async () => after(await gql(query, { id, ...vars })));
  return (
    <Loading load={load}>
      {({ webhookEndpoint: e }) =>
        !e ? (
          <Empty title="No such endpoint"><a href="#/endpoints">Back to endpoints</a></Empty>
        ) : (
          <>
            <p><a href="#/endpoints">← Endpoints</a></p>
            <div class="head">
              <div>
                <h1>{e.name}</h1>
                <p class="muted"><Badge word={e.state} /> · {lag(e)} · {e.delivered} delivered · {e.failed} failed</p>
              </div>
              <div class="actions">
                <button disabled={busy} onClick={() => mutate(`mutation($id: ID!) { ${e.enabled ? "disableWebhookEndpoint" : "enableWebhookEndpoint"}(id: $id) { id } }`)}>
                  {e.enabled ? "Disable" : "Enable"}
                </button>
                <button disabled={busy} onClick={() =>
                  confirmed("Rotate the signing secret? The old one keeps signing beside it for 24 hours.") &&
                  mutate(`mutation($id: ID!) { rotateWebhookEndpointSecret(id: $id) { secret } }`, {}, (d) => {
                    setSecret(d.rotateWebhookEndpointSecret.secret);
                    load.reload();
                  })
                }>Rotate secret</button>
                <button class="danger" disabled={busy} onClick={() =>
                  confirmed(`Delete "${e.name}" and its attempts?`) &&
                  mutate(`mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`, {}, () => (location.hash = "#/endpoints"))
                }>Delete</button>
              </div>
            </div>
            <ErrorBox error={error} />
            {secret && (
              <ShownOnce title="New signing secret" onClose={() => setSecret(undefined)}>
                <CopyRow label="Secret" value={secret} />
              </ShownOnce>
            )}
            <dl class="facts">
              <dt>URL</dt><dd class="mono">{e.url}</dd>
              <dt>Ordering</dt><dd>{e.ordering}</dd>
              <dt>Cursor</dt><dd class="mono">{e.cursor ?? "none yet"}</dd>
              {e.disabledReason && (<><dt>Disabled because</dt><dd>{e.disabledReason}</dd></>)}
            </dl>
            <form class="filters" onSubmit={(ev) => {
              ev.preventDefault();
              if (confirmed(since ? `Push again every event received since ${since}?` : "Push the whole history again?")) {
                void mutate(`mutation($id: ID!, $since: Time) { replayWebhookEndpoint(id: $id, since: $since) { id } }`,
                  { since: since ? new Date(since).toISOString() : null });
              }
            }}>
              <label>Replay since <input type="datetime-local" value={since} onInput={(ev) => setSince(ev.currentTarget.value)} /></label>
              <button type="submit" disabled={busy}>{since ? "Replay" : "Replay whole history"}</button>
            </form>
            <div class="head" style="margin:24px 0 8px">
              <h2 style="margin:0">Attempts</h2>
              <button type="button" onClick={load.reload} disabled={load.loading}>Refresh</button>
            </div>
            {e.attempts.edges.length === 0 ? (
              <Empty title="No attempts yet"><p>Each push to the URL, with its answer, appears here.</p></Empty>
            ) : (
              <div class="table-wrap">
                <table id="attempts">
                  <thead>
                    <tr><th>Time</th><th>Outcome</th><th>Status</th><th class="opt">Event</th><th class="opt num">#</th><th class="opt num">ms</th><th>Answer</th></tr>
                  </thead>
                  <tbody>
                    {e.attempts.edges.map(({ node: a }) => (
                      <tr>
                        <td><When at={a.at} /></td>
                        <td><Badge word={a.outcome} /></td>
                        <td class="mono">{a.status ?? "—"}</td>
                        <td class="opt mono">{a.event ? a.event.type : a.eventId}</td>
                        <td class="opt num">{a.attempt}</td>
                        <td class="opt num">{Math.round(a.latencyMs)}</td>
                        <td class="reason">{a.error ?? a.response}{a.retryAt && <span class="muted"> · retry <When at={a.retryAt} /></span>}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </>
        )
      }
    </Loading>
  );
}
