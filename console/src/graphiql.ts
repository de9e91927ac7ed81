// GraphiQL at /, with a token field whose value is sent as the bearer
// token on every request, introspection included, so the docs pane works
// as soon as a token is given.
import { createElement as h, useMemo, useState } from "react";
import { createRoot } from "react-dom/client";
import { GraphiQL } from "graphiql";
import type { FetcherParams, FetcherOpts } from "@graphiql/toolkit";
import type { ExecutionResult } from "graphql";
import "graphiql/style.css";
import "./graphiql.css";
import { authHeader, getToken, setToken, socket } from "./api";

function fetcherFor(token: string) {
  const ws = socket(token);
  return (params: FetcherParams, opts?: FetcherOpts) => {
    const op = opts?.documentAST?.definitions.find(
      (d) => d.kind === "OperationDefinition" && (!params.operationName || d.name?.value === params.operationName),
    );
    if (op && "operation" in op && op.operation === "subscription") {
      // graphql-ws yields formatted results, which is what GraphiQL shows.
      return ws.iterate({
        query: params.query,
        variables: params.variables,
        operationName: params.operationName ?? undefined,
      }) as AsyncIterable<unknown> as AsyncIterable<ExecutionResult>;
    }
    return fetch("/graphql", {
      method: "POST",
      headers: { "Content-Type": "application/json", ...authHeader(token), ...(opts?.headers ?? {}) },
      body: JSON.stringify(params),
    }).then((r) => r.json());
  };
}

function App() {
  const [token, setTokenState] = useState(getToken());
  const [draft, setDraft] = useState(token);
  const fetcher = useMemo(() => fetcherFor(token), [token]);
  const apply = (e: Event) => {
    e.preventDefault();
    setToken(draft.trim());
    setTokenState(draft.trim());
  };
  return h(
    "div",
    { className: "gw-shell" },
    h(
      "form",
      { className: "gw-bar", onSubmit: apply },
      h("strong", { className: "gw-title" }, "Helpdesk gateway"),
      h("label", { htmlFor: "gw-token" }, "API token"),
      h("input", {
        id: "gw-token",
        type: "password",
        autoComplete: "off",
        placeholder: "paste a token, then Enter",
        value: draft,
        onChange: (e: { currentTarget: HTMLInputElement }) => setDraft(e.currentTarget.value),
      }),
      h("button", { type: "submit" }, "Use token"),
      h(
        "span",
        { className: "gw-hint" },
        token
          ? "Sent as Authorization: Bearer with every request, schema and docs included. Kept in this tab only."
          : "Every request, the schema for the docs pane too, needs a token: it is sent as Authorization: Bearer and kept in this tab only.",
      ),
      h("a", { href: "/console" }, "Console"),
    ),
    // A new token is a new fetcher: the key remounts GraphiQL so that it
    // fetches the schema again with it.
    h("div", { className: "gw-editor" }, h(GraphiQL, { key: token, fetcher })),
  );
}

createRoot(document.getElementById("graphiql")!).render(h(App));
