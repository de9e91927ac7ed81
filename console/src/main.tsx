// The web console at /console: the screens the team that connects
// helpdesks works in, over the gateway's public GraphQL API.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import "./style.css";
import { gql, getToken, setToken, ApiError } from "./api";
import { signedOut } from "./ui";
import { SubscriptionList, SubscriptionPage } from "./subscriptions";
import { LiveTail } from "./live";
import { Untranslated } from "./untranslated";
import { ApiKeys } from "./keys";
import { EndpointList, EndpointPage } from "./endpoints";

function useRoute(): string[] {
  const read = () => location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  const [route, setRoute] = useState(read());
  useEffect(() => {
    const on = () => setRoute(read());
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return route;
}

function SignIn({ notice, onSignedIn }: { notice?: string; onSignedIn: (token: string) => void }) {
  const [token, setDraft] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const t = token.trim();
    if (!t) {
      setError("Enter an API token.");
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await gql<unknown>("{ __typename }", {}, t);
      onSignedIn(t);
    } catch (err) {
      setError(
        err instanceof ApiError && err.unauthenticated
          ? `The gateway refused this token: ${err.message}`
          : err instanceof Error
            ? err.message
            : String(err),
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="signin">
      <form class="card" onSubmit={submit} id="signin">
        <h1>Helpdesk gateway</h1>
        <p class="muted">Sign in with an API token: the admin token, or a key made under API keys.</p>
        {notice && !error && <div class="alert info">{notice}</div>}
        {error && (
          <div class="alert error" role="alert" id="signin-error">
            {error}
          </div>
        )}
        <label for="token">API token</label>
        <input id="token" type="password" autoComplete="current-password" value={token} autoFocus
          onInput={(e) => setDraft(e.currentTarget.value)} />
        <button class="primary" type="submit" disabled={busy}>
          {busy ? "Checking…" : "Sign in"}
        </button>
        <p class="muted" style="margin:14px 0 0;font-size:13px">
          The token stays in this browser tab only and is sent as <code>Authorization: Bearer</code>.
        </p>
      </form>
    </div>
  );
}

const sections = [
  ["subscriptions", "Subscriptions"],
  ["live", "Live events"],
  ["untranslated", "Untranslated"],
  ["endpoints", "Endpoints"],
  ["keys", "API keys"],
] as const;

function Screen({ route }: { route: string[] }) {
  const [section, id] = route;
  switch (section) {
    case "live":
      return <LiveTail />;
    case "untranslated":
      return <Untranslated />;
    case "keys":
      return <ApiKeys />;
    case "endpoints":
      return id ? <EndpointPage id={id} /> : <EndpointList />;
    case "subscriptions":
    case undefined:
      return id ? <SubscriptionPage id={id} /> : <SubscriptionList />;
    default:
      return (
        <div class="empty">
          <strong>Nothing here</strong>
          <a href="#/subscriptions">Back to subscriptions</a>
        </div>
      );
  }
}

function App() {
  const [token, setTokenState] = useState(getToken());
  const [notice, setNotice] = useState<string>();
  const route = useRoute();
  useEffect(() => {
    const out = (e: Event) => {
      setToken("");
      setTokenState("");
      setNotice(`Signed out: ${(e as CustomEvent<string>).detail}`);
    };
    window.addEventListener(signedOut, out);
    return () => window.removeEventListener(signedOut, out);
  }, []);
  if (!token) {
    return (
      <SignIn notice={notice} onSignedIn={(t) => {
        setToken(t);
        setTokenState(t);
        setNotice(undefined);
      }} />
    );
  }
  const current = route[0] ?? "subscriptions";
  return (
    <div class="shell">
      <aside class="side">
        <div class="brand">
          Helpdesk gateway<small>Console</small>
        </div>
        <nav class="nav" aria-label="Sections">
          {sections.map(([path, label]) => (
            <a href={`#/${path}`} class={current === path ? "active" : ""} aria-current={current === path ? "page" : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <div class="side-foot">
          <a href="/" class="who">GraphiQL</a>
          <button type="button" onClick={() => {
            setToken("");
            setTokenState("");
            setNotice("Signed out.");
          }}>
            Sign out
          </button>
        </div>
      </aside>
      <main>
        <Screen route={route} />
      </main>
    </div>
  );
}

render(<App />, document.getElementById("app")!);
