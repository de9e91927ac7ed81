import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print } from "graphql";

// Where the gateway is and how to reach it, from the environment:
// GATEWAY_URL (default http://localhost:8080) and GATEWAY_TOKEN, a bearer
// token of ADMIN or READ scope (`gateway demo` prints one).
export const gatewayURL = (process.env.GATEWAY_URL ?? "http://localhost:8080").replace(/\/+$/, "");
export const token = process.env.GATEWAY_TOKEN ?? "";
if (token === "") {
  console.error("set GATEWAY_TOKEN to a bearer token of the gateway (gateway demo prints its admin token)");
  process.exit(2);
}

// request runs one typed GraphQL operation over HTTP and returns its data;
// a GraphQL error (with its extensions.code) is thrown.
export async function request<R, V>(doc: TypedDocumentNode<R, V>, variables: V): Promise<R> {
  const res = await fetch(`${gatewayURL}/graphql`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: print(doc), variables }),
  });
  const body = (await res.json()) as { data?: R; errors?: { message: string; extensions?: { code?: string } }[] };
  if (body.errors?.length) {
    throw new Error(body.errors.map((e) => `${e.extensions?.code ?? "ERROR"}: ${e.message}`).join("; "));
  }
  if (!res.ok || body.data === undefined) {
    throw new Error(`POST /graphql answered ${res.status}`);
  }
  return body.data;
}
