// Shared pieces of the console: data loading, error and empty states,
// one-time secrets with copy buttons, and the JSON viewer.
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { ApiError } from "./api";

// signedOut is dispatched when the gateway refuses the token, so that the
// app returns to the sign-in form from any screen.
export const signedOut = "gateway:signed-out";

export function reportError(e: unknown): string {
  if (e instanceof ApiError && e.unauthenticated) {
    window.dispatchEvent(new CustomEvent(signedOut, { detail: e.message }));
  }
  return e instanceof Error ? e.message : String(e);
}

export type Load<T> = { data?: T; error?: string; loading: boolean; reload: () => void };

export function useLoad<T>(fn: () => Promise<T>, deps: unknown[]): Load<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    fn().then(
      (data) => live && setState({ data, loading: false }),
      (e) => live && setState({ error: reportError(e), loading: false }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

// useAction runs a mutation, keeping its error for display.
export function useAction(): [(f: () => Promise<unknown>) => Promise<void>, string | undefined, boolean] {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const run = async (f: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await f();
    } catch (e) {
      setError(reportError(e));
    } finally {
      setBusy(false);
    }
  };
  return [run, error, busy];
}

export function ErrorBox({ error }: { error?: string }) {
  return error ? (
    <div class="alert error" role="alert">
      {error}
    </div>
  ) : null;
}

export function Empty({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty">
      <strong>{title}</strong>
      {children}
    </div>
  );
}

export function Loading<T>({ load, children }: { load: Load<T>; children: (data: T) => ComponentChildren }) {
  if (load.error) {
    return (
      <div class="alert error" role="alert">
        <p>{load.error}</p>
        <button type="button" onClick={load.reload} disabled={load.loading}>
          Try again
        </button>
      </div>
    );
  }
  if (load.data === undefined) return <p class="muted">Loading…</p>;
  return <>{children(load.data)}</>;
}

export function CopyButton({ text }: { text: string }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // Without clipboard access (plain http), select the text for a manual copy.
      const area = document.createElement("textarea");
      area.value = text;
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    setDone(true);
    setTimeout(() => setDone(false), 1500);
  };
  return (
    <button type="button" onClick={copy}>
      {done ? "Copied" : "Copy"}
    </button>
  );
}

export function CopyRow({ label, value, id }: { label: string; value: string; id?: string }) {
  return (
    <div class="copyrow">
      <span class="label">{label}</span>
      <code id={id}>{value}</code>
      <CopyButton text={value} />
    </div>
  );
}

// ShownOnce presents credentials the gateway shows a single time.
export function ShownOnce({ title, children, onClose }: { title: string; children: ComponentChildren; onClose: () => void }) {
  return (
    <div class="secret" role="status">
      <h3>{title}</h3>
      {children}
      <p class="muted" style="margin:8px 0">
        Copy it now: the gateway keeps only a hash or masks it, and will not show it again.
      </p>
      <button type="button" onClick={onClose}>
        Done
      </button>
    </div>
  );
}

// JsonView pretty-prints a body when it is JSON and shows it as is otherwise.
export function JsonView({ value, id }: { value: unknown; id?: string }) {
  let text: string;
  if (typeof value === "string") {
    try {
      text = JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      text = value;
    }
  } else {
    text = JSON.stringify(value, null, 2);
  }
  return (
    <pre class="json" id={id}>
      {text === "" ? "(empty body)" : text}
    </pre>
  );
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

export function When({ at }: { at?: string | null }) {
  if (!at) return <span class="muted">—</span>;
  return (
    <time dateTime={at} title={at} class="nowrap">
      {dateTime.format(new Date(at))}
    </time>
  );
}

const good = new Set(["accepted", "duplicate", "challenge", "delivered", "active", "enabled"]);
const warn = new Set(["filtered", "retry", "failing"]);
const bad = new Set(["refused", "failed", "disabled", "revoked"]);

// Badge colours a status word: green when all is well, yellow for what
// needs a look, red for refusals and failures, grey for the rest (a
// conversation's status).
export function Badge({ word }: { word: string }) {
  const w = word.toLowerCase();
  const tone = good.has(w) ? "ok" : warn.has(w) ? "warn" : bad.has(w) ? "bad" : "neutral";
  return <span class={`badge ${tone}`}>{w}</span>;
}

export const providers = ["CINNOX", "CLOUDCX", "DIXA", "VOXSIG"] as const;

export const eventTypes = [
  "CONVERSATION_CREATED", "CONVERSATION_UPDATED", "CONVERSATION_STATUS_CHANGED", "CONVERSATION_ASSIGNED",
  "CONVERSATION_TAGGED", "CONVERSATION_RATED", "CONVERSATION_DELETED", "MESSAGE_CREATED", "MESSAGE_UPDATED",
  "NOTE_ADDED", "CONTACT_CREATED", "CONTACT_UPDATED", "CONTACT_DELETED", "TYPING_STARTED", "TYPING_STOPPED",
  "WIDGET_OPENED", "CALL_STARTED", "CALL_ENDED", "SLA_UPDATED", "OTHER",
] as const;

export function confirmed(question: string): boolean {
  return window.confirm(question);
}
