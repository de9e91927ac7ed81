// The console and GraphiQL speak only to the gateway's public GraphQL API
// on their own origin: /graphql over HTTP, and over a graphql-transport-ws
// websocket for subscriptions.
import { createClient, type Client } from "graphql-ws";

// tokenKey names the bearer token in sessionStorage, shared by the console
// and GraphiQL so that signing in to one signs in to the other, and
// forgotten when the tab closes.
const tokenKey = "gateway.token";

export function getToken(): string {
  return sessionStorage.getItem(tokenKey) ?? "";
}

export function setToken(token: string): void {
  if (token) sessionStorage.setItem(tokenKey, token);
  else sessionStorage.removeItem(tokenKey);
}

export function authHeader(token: string): Record<string, string> {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

// ApiError is a refusal of the gateway, with the GraphQL error code
// (extensions.code) when it gave one.
export class ApiError extends Error {
  constructor(message: string, readonly code: string | undefined, readonly status: number) {
    super(message);
  }
  get unauthenticated(): boolean {
    return this.code === "UNAUTHENTICATED" || this.status === 401;
  }
}

type Body = { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };

export async function gql<T>(query: string, variables: Record<string, unknown> = {}, token = getToken()): Promise<T> {
  let res: Response;
  try {
    res = await fetch("/graphql", {
      method: "POST",
      headers: { "Content-Type": "application/json", ...authHeader(token) },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ApiError("The gateway cannot be reached.", "NETWORK", 0);
  }
  let body: Body;
  try {
    body = (await res.json()) as Body;
  } catch {
    throw new ApiError(`The gateway answered ${res.status} ${res.statusText}.`, undefined, res.status);
  }
  if (body.errors?.length) {
    throw new ApiError(body.errors.map((e) => e.message).join("; "), body.errors[0].extensions?.code, res.status);
  }
  if (!res.ok || body.data == null) {
    throw new ApiError(`The gateway answered ${res.status} ${res.statusText}.`, undefined, res.status);
  }
  return body.data as T;
}

// socket opens graphql-transport-ws connections on first use; retries is
// how often a dropped connection is reopened on its own.
export function socket(token: string, retries = 3): Client {
  const url = new URL("/graphql", location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return createClient({
    url: url.href,
    connectionParams: authHeader(token),
    lazy: true,
    retryAttempts: retries,
  });
}
