/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query LatestConversations($last: Int!) {\n    conversations(last: $last) {\n      totalCount\n      edges {\n        node {\n          provider\n          externalId\n          status\n          subject\n          updatedAt\n          requester {\n            name\n          }\n          assignee {\n            name\n          }\n          tags\n          messages(last: 3) {\n            edges {\n              node {\n                direction\n                content\n                createdAt\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n": typeof types.LatestConversationsDocument,
    "\n  subscription StreamEvents($after: String) {\n    eventStream(after: $after) {\n      id\n      cursor\n      provider\n      type\n      providerEventType\n      occurredAt\n      conversation {\n        id\n        status\n      }\n    }\n  }\n": typeof types.StreamEventsDocument,
    "\n  query HeadCursor($after: String) {\n    events(first: 1000, after: $after) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.HeadCursorDocument,
};
const documents: Documents = {
    "\n  query LatestConversations($last: Int!) {\n    conversations(last: $last) {\n      totalCount\n      edges {\n        node {\n          provider\n          externalId\n          status\n          subject\n          updatedAt\n          requester {\n            name\n          }\n          assignee {\n            name\n          }\n          tags\n          messages(last: 3) {\n            edges {\n              node {\n                direction\n                content\n                createdAt\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n": types.LatestConversationsDocument,
    "\n  subscription StreamEvents($after: String) {\n    eventStream(after: $after) {\n      id\n      cursor\n      provider\n      type\n      providerEventType\n      occurredAt\n      conversation {\n        id\n        status\n      }\n    }\n  }\n": types.StreamEventsDocument,
    "\n  query HeadCursor($after: String) {\n    events(first: 1000, after: $after) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.HeadCursorDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query LatestConversations($last: Int!) {\n    conversations(last: $last) {\n      totalCount\n      edges {\n        node {\n          provider\n          externalId\n          status\n          subject\n          updatedAt\n          requester {\n            name\n          }\n          assignee {\n            name\n          }\n          tags\n          messages(last: 3) {\n            edges {\n              node {\n                direction\n                content\n                createdAt\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query LatestConversations($last: Int!) {\n    conversations(last: $last) {\n      totalCount\n      edges {\n        node {\n          provider\n          externalId\n          status\n          subject\n          updatedAt\n          requester {\n            name\n          }\n          assignee {\n            name\n          }\n          tags\n          messages(last: 3) {\n            edges {\n              node {\n                direction\n                content\n                createdAt\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription StreamEvents($after: String) {\n    eventStream(after: $after) {\n      id\n      cursor\n      provider\n      type\n      providerEventType\n      occurredAt\n      conversation {\n        id\n        status\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription StreamEvents($after: String) {\n    eventStream(after: $after) {\n      id\n      cursor\n      provider\n      type\n      providerEventType\n      occurredAt\n      conversation {\n        id\n        status\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query HeadCursor($after: String) {\n    events(first: 1000, after: $after) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query HeadCursor($after: String) {\n    events(first: 1000, after: $after) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;