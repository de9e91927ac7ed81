// API keys: made here, shown once, revoked at once.
import { useState } from "preact/hooks";
import { gql } from "./api";
import { Badge, CopyRow, Empty, ErrorBox, Loading, ShownOnce, When, confirmed, useAction, useLoad } from "./ui";

type Key = { id: string; name: string; scope: string; prefix: string; createdAt: string; createdBy: string; revokedAt?: string | null; lastUsedAt?: string | null };
type Created = { id: string; name: string; scope: string; token: string };

export function ApiKeys() {
  const load = useLoad(() => gql<{ apiKeys: Key[] }>(`{ apiKeys { id name scope prefix createdAt createdBy revokedAt lastUsedAt } }`), []);
  const [name, setName] = useState("");
  const [scope, setScope] = useState("READ");
  const [created, setCreated] = useState<Created>();
  const [run, error, busy] = useAction();
  const create = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const d = await gql<{ createApiKey: Created }>(
        `mutation($name: String!, $scope: ApiKeyScope!) { createApiKey(name: $name, scope: $scope) { id name scope token } }`,
        { name: name.trim(), scope },
      );
      setCreated(d.createApiKey);
      setName("");
      load.reload();
    });
  };
  const revoke = (k: Key) =>
    confirmed(`Revoke "${k.name}"? It stops working at once, on open streams too.`) &&
    run(async () => {
      await gql(`mutation($id: ID!) { revokeApiKey(id: $id) }`, { id: k.id });
      load.reload();
    });
  return (
    <>
      <div class="head">
        <div>
          <h1>API keys</h1>
          <p class="muted">ADMIN keys may do everything; READ keys may query, subscribe and export.</p>
        </div>
      </div>
      <form class="card grid" onSubmit={create} id="create-key">
        <label for="key-name">Name</label>
        <input id="key-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="analytics job" />
        <label for="key-scope">Scope</label>
        <select id="key-scope" value={scope} onChange={(e) => setScope(e.currentTarget.value)}>
          <option value="READ">READ</option>
          <option value="ADMIN">ADMIN</option>
        </select>
        <div class="actions">
          <button class="primary" type="submit" disabled={busy}>Create key</button>
        </div>
      </form>
      <ErrorBox error={error} />
      {created && (
        <ShownOnce title={`Key "${created.name}" (${created.scope}) created`} onClose={() => setCreated(undefined)}>
          <CopyRow label="Token" value={created.token} id="created-token" />
        </ShownOnce>
      )}
      <Loading load={load}>
        {(d) =>
          d.apiKeys.length === 0 ? (
            <Empty title="No API keys yet">
              <p>The admin token of the gateway's configuration always works; keys made here can be revoked.</p>
            </Empty>
          ) : (
            <div class="table-wrap">
              <table id="api-keys">
                <thead>
                  <tr><th>Name</th><th>Scope</th><th class="opt">Prefix</th><th class="opt">Created</th><th>Last used</th><th></th></tr>
                </thead>
                <tbody>
                  {d.apiKeys.map((k) => (
                    <tr>
                      <td>{k.name}</td>
                      <td>{k.scope}</td>
                      <td class="opt mono">{k.prefix}…</td>
                      <td class="opt"><When at={k.createdAt} /> <span class="muted">by {k.createdBy}</span></td>
                      <td><When at={k.lastUsedAt} /></td>
                      <td>
                        {k.revokedAt ? (
                          <Badge word="revoked" />
                        ) : (
                          <button class="danger" disabled={busy} onClick={() => revoke(k)}>Revoke</button>
                        )}
                      </td>
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
