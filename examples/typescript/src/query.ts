// A typed query: the newest conversations with their people and last
// messages. The types come from the schema through GraphQL Code Generator
// (npm run codegen), so a renamed field fails to compile.
//
//   GATEWAY_URL=http://localhost:8080 GATEWAY_TOKEN=... npx tsx src/query.ts
import { request } from "./config.ts";
import { graphql } from "./gql/index.ts";
import type { ConversationStatus } from "./gql/graphql.ts";

const LatestConversations = graphql(`
  query LatestConversations($last: Int!) {
    conversations(last: $last) {
      totalCount
      edges {
        node {
          provider
          externalId
          status
          subject
          updatedAt
          requester {
            name
          }
          assignee {
            name
          }
          tags
          messages(last: 3) {
            edges {
              node {
                direction
                content
                createdAt
              }
            }
          }
        }
      }
    }
  }
`);

const data = await request(LatestConversations, { last: Number(process.env.LAST ?? "20") });
const byStatus = new Map<ConversationStatus, number>();
for (const { node: c } of data.conversations.edges) {
  byStatus.set(c.status, (byStatus.get(c.status) ?? 0) + 1);
  const updated: string = c.updatedAt; // Time is an RFC 3339 string
  console.log(
    `conversation ${c.provider} ${c.externalId} ${c.status} messages=${c.messages.edges.length}` +
      ` requester=${JSON.stringify(c.requester?.name ?? null)} assignee=${JSON.stringify(c.assignee?.name ?? null)}` +
      ` tags=${c.tags.join(",")} updated=${updated}`,
  );
}
console.log(`conversations ${data.conversations.totalCount}`);
console.log(`shown by status ${[...byStatus].map(([s, n]) => `${s}=${n}`).join(" ")}`);
