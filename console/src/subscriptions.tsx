// Webhook subscriptions: where each helpdesk delivers, and what it
// delivered lately.
import { useState } from "preact/hooks";
import { gql } from "./api";
import {
  Badge, CopyRow, Empty, ErrorBox, JsonView, Loading, ShownOnce, When, confirmed, providers, useAction, useLoad,
} from "./ui";

type Log = {
  event: string;
  outcome: string;
  payload: string;
  deliveryDetail: { deliveryTimestamp: string; success: boolean; responseCode: number; responseText: string };
};

type Sub = {
  id: string;
  provider: string;
  name: string;
  url: string;
  secretKey?: string | null;
  enabled: boolean;
  subscribedEvents: string[];
  authorizationType: string;
  createdAt: string;
  updatedAt: string;
  previousSecretsExpireAt: string[];
  eventLogs: Log[];
};

const logFields = "event outcome payload deliveryDetail { deliveryTimestamp success responseCode responseText }";

const listQuery = `{ webhookSubscriptions { id provider name enabled eventLogs(first: 1) { outcome deliveryDetail { deliveryTimestamp responseCode } } } }`;

function LatestDelivery({ log }: { log?: Pick<Log, "outcome" | "deliveryDetail"> }) {
  if (!log) return <span class="muted">none yet</span>;
  return (
    <span class="nowrap">
      <Badge word={log.outcome} /> <span class="mono">{log.deliveryDetail.responseCode}</span>{" "}
      <span class="opt muted">
        <When at={log.deliveryDetail.deliveryTimestamp} />
      </span>
    </span>
  );
}

function CreateForm({ onCreated, onCancel }: { onCreated: (s: Sub) => void; onCancel: () => void }) {
  const [provider, setProvider] = useState("DIXA");
  const [name, setName] = useState("");
  const [events, setEvents] = useState("");
  const [run, error, busy] = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const list = events.split(/[\s,]+/).filter(Boolean);
      const { createWebhookSubscription } = await gql<{ createWebhookSubscription: Sub }>(
        `mutation($in: CreateWebhookSubscriptionInput!) { createWebhookSubscription(input: $in) { id provider name url secretKey } }`,
        { in: { provider, name: name.trim(), events: list.length ? list : null } },
      );
      onCreated(createWebhookSubscription);
    });
  };
  return (
    <form class="card grid" onSubmit={submit} id="create-subscription">
      <label for="sub-provider">Provider</label>
      <select id="sub-provider" value={provider} onChange={(e) => setProvider(e.currentTarget.value)}>
        {providers.map((p) => (
          <option value={p}>{p}</option>
        ))}
      </select>
      <label for="sub-name">Name</label>
      <input id="sub-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="Support inbox" />
      <label for="sub-events">Events</label>
      <input id="sub-events" value={events} onInput={(e) => setEvents(e.currentTarget.value)} placeholder="all events" />
      <span class="hint">The provider's event names, separated by commas; empty keeps every event.</span>
      <div class="actions">
        <ErrorBox error={error} />
        <button class="primary" type="submit" disabled={busy}>Create subscription</button>
        <button type="button" onClick={onCancel}>Cancel</button>
      </div>
    </form>
  );
}

export function SubscriptionList() {
  const load = useLoad(() => gql<{ webhookSubscriptions: Sub[] }>(listQuery), []);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<Sub>();
  return (
    <>
      <div class="head">
        <div>
          <h1>Webhook subscriptions</h1>
          <p class="muted">Each gives a helpdesk an ingest URL to deliver its webhooks to.</p>
        </div>
        {!creating && (
          <button class="primary" id="new-subscription" onClick={() => setCreating(true)}>
            New subscription
          </button>
        )}
      </div>
      {creating && (
        <CreateForm
          onCancel={() => setCreating(false)}
          onCreated={(s) => {
            setCreating(false);
            setCreated(s);
            load.reload();
          }}
        />
      )}
      {created && (
        <ShownOnce title={`Subscription "${created.name}" created`} onClose={() => setCreated(undefined)}>
          <p>Register this URL at {created.provider}{created.secretKey ? " with this signing secret" : ""}.</p>
          <CopyRow label="Ingest URL" value={created.url} id="created-url" />
          {created.secretKey && <CopyRow label="Secret" value={created.secretKey} id="created-secret" />}
        </ShownOnce>
      )}
      <Loading load={load}>
        {(d) =>
          d.webhookSubscriptions.length === 0 ? (
            <Empty title="No subscriptions yet">
              <p>Create one to get the ingest URL and secret to register at a helpdesk.</p>
            </Empty>
          ) : (
            <div class="table-wrap">
              <table id="subscriptions">
                <thead>
                  <tr><th>Name</th><th>Provider</th><th>State</th><th>Latest delivery</th></tr>
                </thead>
                <tbody>
                  {d.webhookSubscriptions.map((s) => (
                    <tr class="clickable" onClick={() => (location.hash = `#/subscriptions/${encodeURIComponent(s.id)}`)}>
                      <td><a href={`#/subscriptions/${encodeURIComponent(s.id)}`}>{s.name}</a></td>
                      <td>{s.provider}</td>
                      <td><Badge word={s.enabled ? "enabled" : "disabled"} /></td>
                      <td><LatestDelivery log={s.eventLogs[0]} /></td>
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

const outcomes = ["accepted", "duplicate", "filtered", "refused", "challenge"];

function DeliveryLog({ logs }: { logs: Log[] }) {
  const [outcome, setOutcome] = useState("");
  const [open, setOpen] = useState<Log>();
  const shown = outcome ? logs.filter((l) => l.outcome.toLowerCase() === outcome) : logs;
  return (
    <>
      <div class="filters">
        <label>
          Outcome
          <select id="log-outcome" value={outcome} onChange={(e) => setOutcome(e.currentTarget.value)}>
            <option value="">all</option>
            {outcomes.map((o) => (
              <option value={o}>{o}</option>
            ))}
          </select>
        </label>
        <span class="muted">{shown.length} of the latest {logs.length} deliveries</span>
      </div>
      {shown.length === 0 ? (
        <Empty title={logs.length ? `No ${outcome} deliveries among the latest` : "No deliveries yet"}>
          <p>Deliveries appear here as the provider posts to the ingest URL.</p>
        </Empty>
      ) : (
        <div class="table-wrap">
          <table id="delivery-log">
            <thead>
              <tr><th>Time</th><th>Outcome</th><th>Status</th><th class="opt">Event</th><th>Reason</th></tr>
            </thead>
            <tbody>
              {shown.map((l) => (
                <tr class={`clickable log-row${open === l ? " selected" : ""}`} onClick={() => setOpen(open === l ? undefined : l)}>
                  <td><When at={l.deliveryDetail.deliveryTimestamp} /></td>
                  <td><Badge word={l.outcome} /></td>
                  <td class="mono">{l.deliveryDetail.responseCode}</td>
                  <td class="opt mono">{l.event || "—"}</td>
                  <td class="reason">{l.deliveryDetail.responseText}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {open && (
        <div class="detail card" id="delivery-detail">
          <h2 style="margin-top:0">Body as received</h2>
          <JsonView value={open.payload} id="delivery-body" />
        </div>
      )}
    </>
  );
}

function EditForm({ sub, onDone }: { sub: Sub; onDone: () => void }) {
  const [name, setName] = useState(sub.name);
  const [events, setEvents] = useState(sub.subscribedEvents.join(", "));
  const [run, error, busy] = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const list = events.split(/[\s,]+/).filter(Boolean);
      await gql(`mutation($id: ID!, $in: UpdateWebhookSubscriptionInput!) { updateWebhookSubscription(id: $id, input: $in) { id } }`, {
        id: sub.id,
        in: { name: name.trim(), events: list },
      });
      onDone();
    });
  };
  return (
    <form class="card grid" onSubmit={submit}>
      <label for="edit-name">Name</label>
      <input id="edit-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
      <label for="edit-events">Events</label>
      <input id="edit-events" value={events} onInput={(e) => setEvents(e.currentTarget.value)} placeholder="all events" />
      <span class="hint">Empty keeps every event.</span>
      <div class="actions">
        <ErrorBox error={error} />
        <button class="primary" type="submit" disabled={busy}>Save</button>
        <button type="button" onClick={onDone}>Cancel</button>
      </div>
    </form>
  );
}

export function SubscriptionPage({ id }: { id: string }) {
  const load = useLoad(
    () =>
      gql<{ webhookSubscription: Sub | null }>(
        `query($id: ID!) { webhookSubscription(id: $id) { id provider name url secretKey enabled subscribedEvents authorizationType createdAt updatedAt previousSecretsExpireAt eventLogs(first: 100) { ${logFields} } } }`,
        { id },
      ),
    [id],
  );
  const [editing, setEditing] = useState(false);
  const [secret, setSecret] = useState<string>();
  const [run, error, busy] = useAction();
  const mutate = (query: string, after: (d: any) => void = () => load.reload()) =>
    run(async () => after(await gql(query, { id })));
  return (
    <Loading load={load}>
      {({ webhookSubscription: s }) =>
        !s ? (
          <Empty title="No such subscription">
            <a href="#/subscriptions">Back to subscriptions</a>
          </Empty>
        ) : (
          <>
            <p><a href="#/subscriptions">← Subscriptions</a></p>
            <div class="head">
              <div>
                <h1>{s.name}</h1>
                <p class="muted">
                  {s.provider} · <Badge word={s.enabled ? "enabled" : "disabled"} /> · created <When at={s.createdAt} />
                </p>
              </div>
              <div class="actions">
                <button onClick={() => setEditing(true)} disabled={editing}>Edit</button>
                <button disabled={busy} onClick={() => mutate(
                  `mutation($id: ID!) { ${s.enabled ? "disableWebhookSubscription" : "enableWebhookSubscription"}(id: $id) { id } }`,
                )}>
                  {s.enabled ? "Disable" : "Enable"}
                </button>
                <button disabled={busy} onClick={() =>
                  confirmed("Rotate the signing secret? The old one keeps verifying for 24 hours.") &&
                  mutate(`mutation($id: ID!) { rotateWebhookSecret(id: $id) { secretKey } }`, (d) => {
                    setSecret(d.rotateWebhookSecret.secretKey);
                    load.reload();
                  })
                }>
                  Rotate secret
                </button>
                <button class="danger" disabled={busy} onClick={() =>
                  confirmed(`Delete "${s.name}" and its delivery log? Its events stay in the history.`) &&
                  mutate(`mutation($id: ID!) { deleteWebhookSubscription(id: $id) }`, () => (location.hash = "#/subscriptions"))
                }>
                  Delete
                </button>
              </div>
            </div>
            <ErrorBox error={error} />
            {secret && (
              <ShownOnce title="New signing secret" onClose={() => setSecret(undefined)}>
                <CopyRow label="Secret" value={secret} />
              </ShownOnce>
            )}
            {editing && <EditForm sub={s} onDone={() => { setEditing(false); load.reload(); }} />}
            <dl class="facts">
              <dt>Ingest URL</dt>
              <dd><code>{s.url}</code></dd>
              <dt>Secret</dt>
              <dd><code>{s.secretKey ?? "none"}</code></dd>
              <dt>Events</dt>
              <dd>{s.subscribedEvents.length ? s.subscribedEvents.join(", ") : "all"}</dd>
              <dt>Authorization</dt>
              <dd>{s.authorizationType}</dd>
              {s.previousSecretsExpireAt.length > 0 && (
                <>
                  <dt>Old secrets end</dt>
                  <dd>{s.previousSecretsExpireAt.map((t) => <When at={t} />)}</dd>
                </>
              )}
            </dl>
            <div class="head" style="margin:24px 0 8px">
              <h2 style="margin:0">Delivery log</h2>
              <button type="button" onClick={load.reload} disabled={load.loading}>Refresh</button>
            </div>
            <DeliveryLog logs={s.eventLogs} />
          </>
        )
      }
    </Loading>
  );
}
