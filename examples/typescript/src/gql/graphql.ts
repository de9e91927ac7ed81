/* eslint-disable */
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
export type MakeOptional<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]?: Maybe<T[SubKey]> };
export type MakeMaybe<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]: Maybe<T[SubKey]> };
export type MakeEmpty<T extends { [key: string]: unknown }, K extends keyof T> = { [_ in K]?: never };
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** Any JSON value; an event's payload is the body exactly as received. */
  JSON: { input: unknown; output: unknown; }
  /** An instant in RFC3339 format. */
  Time: { input: string; output: string; }
};

/** An API key. Its token is shown once, by createApiKey; only a hash is kept. */
export type ApiKey = {
  __typename?: 'ApiKey';
  /** When the key was created. */
  createdAt: Scalars['Time']['output'];
  /** The name of the key (or admin) that created it. */
  createdBy: Scalars['String']['output'];
  /** The key's id, for revokeApiKey. */
  id: Scalars['ID']['output'];
  /** When the key was last used, recorded at most once a minute; null if never. */
  lastUsedAt?: Maybe<Scalars['Time']['output']>;
  /** The name given at creation; createdBy and updatedBy of what the key changes show it. */
  name: Scalars['String']['output'];
  /** The first characters of the token, to recognise it. */
  prefix: Scalars['String']['output'];
  /** When the key was revoked; null while it works. */
  revokedAt?: Maybe<Scalars['Time']['output']>;
  /** What the key may do. */
  scope: ApiKeyScope;
};

/** What an API key may do. */
export type ApiKeyScope =
  /** Everything: queries, subscriptions, export, every mutation and the ADMIN-only queries. */
  | 'ADMIN'
  /** Queries (but the ADMIN-only ones), subscriptions and the export. */
  | 'READ';

/** How deliveries authenticate; the password and token are stored hashed. */
export type AuthorizationInput = {
  /** The Basic password; required with BASIC. */
  password?: InputMaybe<Scalars['String']['input']>;
  /** The token the Authorization header carries; required with TOKEN. */
  token?: InputMaybe<Scalars['String']['input']>;
  /** NONE, BASIC (username and password) or TOKEN (token). */
  type: AuthorizationType;
  /** The Basic username; required with BASIC. */
  username?: InputMaybe<Scalars['String']['input']>;
};

/** How a provider authenticates its deliveries to a webhook subscription, besides any signature. */
export type AuthorizationType =
  /** Authorization: Basic with the subscription's username and password. */
  | 'BASIC'
  /** No Authorization header is required. */
  | 'NONE'
  /** Authorization: Bearer (or Token) with the subscription's token. */
  | 'TOKEN';

/** A numbered test of a delivery's event and its conversation. */
export type Condition = {
  __typename?: 'Condition';
  /** What is tested. */
  field: ConditionField;
  /** The number the expression refers to. */
  id: Scalars['Int']['output'];
  /** How it is compared. */
  operator: ConditionOperator;
  /** What it is compared with. */
  values: Array<Scalars['String']['output']>;
};

/** Unified facts a condition can test. OPERATION_ORIGIN is Dixa's operation origin. */
export type ConditionField =
  /** The provider's id of the assigned agent. */
  | 'ASSIGNEE_ID'
  /** The conversation's channel. */
  | 'CHANNEL'
  /** The unified event type (MESSAGE_CREATED...). */
  | 'EVENT_TYPE'
  /** The provider's inbox id (Voxsig). */
  | 'INBOX_ID'
  /** Dixa's operation origin. */
  | 'OPERATION_ORIGIN'
  /** The provider's own event name. */
  | 'PROVIDER_EVENT_TYPE'
  /** The provider's queue id (Dixa). */
  | 'QUEUE_ID'
  /** The conversation's unified status (OPEN, CLOSED...). */
  | 'STATUS'
  /** The conversation's tags; the condition holds when some tag satisfies it. */
  | 'TAG';

/** A numbered test of a delivery's event and its conversation. */
export type ConditionInput = {
  /** What is tested. */
  field: ConditionField;
  /** The number the expression refers to. */
  id: Scalars['Int']['input'];
  /** How it is compared. */
  operator: ConditionOperator;
  /** What it is compared with: one value for EQUALS, NOT_EQUALS and CONTAINS. */
  values: Array<Scalars['String']['input']>;
};

/** How numbered conditions combine: all, any, or a logic expression such as (1 or 2) and 3. */
export type ConditionMatch =
  /** Every condition holds. */
  | 'ALL'
  /** At least one condition holds. */
  | 'ANY'
  /** The expression over the condition numbers holds. */
  | 'EXPRESSION';

/** Comparisons are case-insensitive. On TAG (several values) a condition holds when some tag satisfies it; NOT_EQUALS and IS_NOT_ONE_OF when none equals a value. */
export type ConditionOperator =
  /** Contains the value as a substring. */
  | 'CONTAINS'
  /** Equals the one value. */
  | 'EQUALS'
  /** Equals none of the values. */
  | 'IS_NOT_ONE_OF'
  /** Equals one of the values. */
  | 'IS_ONE_OF'
  /** Differs from the one value. */
  | 'NOT_EQUALS';

/** A provider's conversation, enquiry, ticket or call, as its events describe it. */
export type Conversation = Node & {
  __typename?: 'Conversation';
  /** Scopes externalId where the provider's ids are unique per account only (Dixa organization, Voxsig account). */
  account?: Maybe<Scalars['String']['output']>;
  /** The agent it is assigned to; null when unassigned or unknown. */
  assignee?: Maybe<Person>;
  /** The channel as the provider names it (EMAIL, WHATSAPP, Channel::WebWidget...). */
  channel?: Maybe<Scalars['String']['output']>;
  /** When the conversation began: the provider's creation time, or its earliest event's time if that is earlier. */
  createdAt: Scalars['Time']['output'];
  /** The conversation's events in stream order. */
  events: EventConnection;
  /** Dixa csid, Voxsig conversation id, CloudCX ticketId, CINNOX eid. */
  externalId: Scalars['String']['output'];
  /** The gateway's id of the conversation; node(id) fetches it, EventFilter.conversationId takes it. */
  id: Scalars['ID']['output'];
  /** What the provider calls it. */
  kind: ConversationKind;
  /** The conversation's messages and notes, oldest first; last: 10 gives the ten newest. */
  messages: MessageConnection;
  /** The provider the conversation lives at. */
  provider: Provider;
  /** The provider's raw status value. */
  providerStatus?: Maybe<Scalars['String']['output']>;
  /** The customer who started the conversation. */
  requester?: Maybe<Person>;
  /** Its status by its latest event; an older event arriving late never moves it back. */
  status: ConversationStatus;
  /** The subject or title, where the provider sends one. */
  subject?: Maybe<Scalars['String']['output']>;
  /** Its tags or labels, as the provider names them. */
  tags: Array<Scalars['String']['output']>;
  /** When the latest of its events happened. */
  updatedAt: Scalars['Time']['output'];
};


/** A provider's conversation, enquiry, ticket or call, as its events describe it. */
export type ConversationEventsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


/** A provider's conversation, enquiry, ticket or call, as its events describe it. */
export type ConversationMessagesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  before?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  last?: InputMaybe<Scalars['Int']['input']>;
};

/** One page of conversations. */
export type ConversationConnection = {
  __typename?: 'ConversationConnection';
  /** The page's conversations. */
  edges: Array<ConversationEdge>;
  /** Where the page starts and ends and whether more follow. */
  pageInfo: PageInfo;
  /** How many conversations pass the filter. */
  totalCount: Scalars['Int']['output'];
};

/** A conversation and its place in the list. */
export type ConversationEdge = {
  __typename?: 'ConversationEdge';
  /** The conversation's place: pass it as after (or before) to page on from here. */
  cursor: Scalars['String']['output'];
  /** The conversation. */
  node: Conversation;
};

/** Which conversations to list; every field given must hold. */
export type ConversationFilter = {
  /** The gateway id of the assigned agent (Person.id). */
  assigneeId?: InputMaybe<Scalars['ID']['input']>;
  /** Channel names as the providers send them, compared case-insensitively. */
  channels?: InputMaybe<Array<Scalars['String']['input']>>;
  /** Only these providers' conversations. */
  providers?: InputMaybe<Array<Provider>>;
  /** Case-insensitive text in the subject or the external id. */
  search?: InputMaybe<Scalars['String']['input']>;
  /** Only conversations in one of these statuses. */
  statuses?: InputMaybe<Array<ConversationStatus>>;
  /** Conversations updated at or after this instant. */
  updatedSince?: InputMaybe<Scalars['Time']['input']>;
};

/** What the provider calls the conversation. */
export type ConversationKind =
  /** A phone call (CINNOX). */
  | 'CALL'
  /** A Dixa or Voxsig conversation. */
  | 'CONVERSATION'
  /** A CINNOX enquiry. */
  | 'ENQUIRY'
  /** A CloudCX ticket. */
  | 'TICKET';

/** A conversation's status, mapped from each provider's own values (Conversation.providerStatus keeps the raw one). */
export type ConversationStatus =
  /** Finished. */
  | 'CLOSED'
  /** Deleted at the provider. */
  | 'DELETED'
  /** Waiting for an agent or being worked on. */
  | 'OPEN'
  /** Waiting for the customer or a third party. */
  | 'PENDING'
  /** Answered; the customer may still reopen it. */
  | 'RESOLVED'
  /** Put aside until a set time. */
  | 'SNOOZED'
  /** A provider status the gateway does not know; see providerStatus. */
  | 'UNKNOWN';

/** A new outbound webhook endpoint. */
export type CreateWebhookEndpointInput = {
  /** Numbered conditions an event must also meet, tested with its conversation's state when it is pushed; none: every event the filter selects. */
  conditions?: InputMaybe<Array<ConditionInput>>;
  /** False creates it disabled; true when absent. */
  enabled?: InputMaybe<Scalars['Boolean']['input']>;
  /** With match EXPRESSION: CloudCX's logic expression, e.g. (1 or 2) and 3. */
  expression?: InputMaybe<Scalars['String']['input']>;
  /** The events pushed; absent: every event. */
  filter?: InputMaybe<EventFilter>;
  /** How the conditions combine; ALL when absent. */
  match?: InputMaybe<ConditionMatch>;
  /** A name for people to recognise it by. */
  name: Scalars['String']['input'];
  /** ENDPOINT when absent. */
  ordering?: InputMaybe<EndpointOrdering>;
  /** The most attempts per second; absent: no limit. */
  rateLimit?: InputMaybe<Scalars['Float']['input']>;
  /** Each attempt's time limit in seconds; 10 when absent. */
  timeoutSeconds?: InputMaybe<Scalars['Float']['input']>;
  /** http or https; loopback, private and link-local addresses are refused unless the gateway allows private targets. */
  url: Scalars['String']['input'];
};

/** A new webhook subscription. */
export type CreateWebhookSubscriptionInput = {
  /** How deliveries authenticate; absent: NONE. */
  authorization?: InputMaybe<AuthorizationInput>;
  /** Numbered conditions a delivery must meet; none: every delivery. */
  conditions?: InputMaybe<Array<ConditionInput>>;
  /** Instead of conditions: Dixa's CombinedFilters. */
  dixaFilters?: InputMaybe<DixaFiltersInput>;
  /** False creates it disabled; true when absent. */
  enabled?: InputMaybe<Scalars['Boolean']['input']>;
  /** Provider event names to keep; empty or absent keeps all. */
  events?: InputMaybe<Array<Scalars['String']['input']>>;
  /** With match EXPRESSION: CloudCX's logic expression, e.g. (1 or 2) and 3. */
  expression?: InputMaybe<Scalars['String']['input']>;
  /** How the conditions combine; ALL when absent. */
  match?: InputMaybe<ConditionMatch>;
  /** A name for people to recognise it by. */
  name: Scalars['String']['input'];
  /** The provider that will deliver to it. */
  provider: Provider;
  /** The signing secret; generated when absent for providers that always sign (Dixa). */
  secretKey?: InputMaybe<Scalars['String']['input']>;
};

/** A new API key with its token, which is shown only in this answer. */
export type CreatedApiKey = {
  __typename?: 'CreatedApiKey';
  /** The key's id, for revokeApiKey. */
  id: Scalars['ID']['output'];
  /** The name given. */
  name: Scalars['String']['output'];
  /** What the key may do. */
  scope: ApiKeyScope;
  /** Send it as Authorization: Bearer <token>. It is shown only here. */
  token: Scalars['String']['output'];
};

/** How the gateway answered one delivery. */
export type DeliveryDetail = {
  __typename?: 'DeliveryDetail';
  /** When the delivery arrived. */
  deliveryTimestamp: Scalars['Time']['output'];
  /** The HTTP status of the answer. */
  responseCode: Scalars['Int']['output'];
  /** The answer's body, or what was wrong. */
  responseText: Scalars['String']['output'];
  /** True when the answer was 2xx. */
  success: Scalars['Boolean']['output'];
};

/** What the gateway did with a delivery. */
export type DeliveryOutcome =
  /** Its events were stored (answered 2xx once durable). */
  | 'ACCEPTED'
  /** A provider's URL verification (CINNOX challenge) answered with the challenge; nothing stored. */
  | 'CHALLENGE'
  /** A redelivery of events already stored: answered 2xx, nothing new stored. */
  | 'DUPLICATE'
  /** The subscription's event list or conditions kept none of its events: answered 2xx, nothing stored. */
  | 'FILTERED'
  /** Refused with a 4xx or 5xx: bad authorization or signature, disabled subscription, body too large or not JSON, store unavailable; nothing stored. */
  | 'REFUSED';

/** The latest delivery of an event: its DeliveryDetail, or NoRecentDelivery. */
export type DeliveryStatus = DeliveryDetail | NoRecentDelivery;

/** One of Dixa's filter conditions. */
export type DixaConditionInput = {
  /** InitialChannel, OperationOrigin or QueueId. */
  field: Scalars['String']['input'];
  /** IsOneOf or IsNotOneOf (Dixa's _type). */
  type: Scalars['String']['input'];
  /** The values compared with. */
  values: Array<Scalars['String']['input']>;
};

/** Dixa's CombinedFilters, accepted as an alternative to conditions and translated into them. */
export type DixaFiltersInput = {
  /** The conditions, combined by strategy. */
  conditions: Array<DixaConditionInput>;
  /** All or Any. */
  strategy: Scalars['String']['input'];
};

/** The events an endpoint receives. */
export type EndpointFilter = {
  __typename?: 'EndpointFilter';
  /** Only the events of this conversation. */
  conversationId?: Maybe<Scalars['ID']['output']>;
  /** Only these providers' events. */
  providers?: Maybe<Array<Provider>>;
  /** Only events that occurred at or after this instant. */
  since?: Maybe<Scalars['Time']['output']>;
  /** Only the events delivered to this webhook subscription. */
  subscriptionId?: Maybe<Scalars['ID']['output']>;
  /** Only events of these unified types. */
  types?: Maybe<Array<EventType>>;
  /** Only events that occurred before this instant. */
  until?: Maybe<Scalars['Time']['output']>;
};

/** The order in which an endpoint receives events. */
export type EndpointOrdering =
  /** In history order within each conversation; several conversations at once. */
  | 'CONVERSATION'
  /** One event at a time, in history order: a failing event holds back the ones after it until it is delivered or given up. */
  | 'ENDPOINT';

/** ACTIVE: the latest attempt succeeded (or none was made); FAILING: it failed and the event is being retried; DISABLED: nothing is delivered. */
export type EndpointState =
  /** The latest attempt succeeded, or none was made. */
  | 'ACTIVE'
  /** Nothing is delivered: disabled by a person, or by the gateway (see disabledReason). */
  | 'DISABLED'
  /** The latest attempt failed and the event is being retried. */
  | 'FAILING';

/** One thing a provider told the gateway, in the unified model. Events are append-only. */
export type Event = Node & {
  __typename?: 'Event';
  /** The conversation the event is about, in its current state; null for events about no conversation (contacts, staff). */
  conversation?: Maybe<Conversation>;
  /** The event that corrects this one, if its body was re-translated since; read the correction instead of this event. */
  correctedBy?: Maybe<Event>;
  /** The event this one corrects: a re-translation of a stored body is appended as a new event naming the one it corrects, which stays as it was; null once retention removed that one. */
  corrects?: Maybe<Event>;
  /** Its stream position; valid as `after` in Query.events and Subscription.eventStream. */
  cursor: Scalars['String']['output'];
  /** What identifies the provider's event: a redelivery has the same key and is stored once. */
  dedupeKey: Scalars['String']['output'];
  /** The gateway's id of the event; node(id) fetches it. */
  id: Scalars['ID']['output'];
  /** The message or note the event created or updated; null for events about no message. */
  message?: Maybe<Message>;
  /** When it happened, by the provider's clock (the time of receipt when the provider gives none). */
  occurredAt: Scalars['Time']['output'];
  /** The body exactly as received; `{}` once payload retention (PAYLOAD_RETENTION) removed it, with payloadExpired true. */
  payload: Scalars['JSON']['output'];
  /** Whether payload retention removed the body: payload then answers `{}`, and reprocessEvents cannot re-translate the event. */
  payloadExpired: Scalars['Boolean']['output'];
  /** The provider that sent the event. */
  provider: Provider;
  /** The provider's own name of the event. */
  providerEventType: Scalars['String']['output'];
  /** Why the delivery could not be translated, for OTHER events the adapter did not understand. */
  reason?: Maybe<Scalars['String']['output']>;
  /** When the gateway received the delivery. */
  receivedAt: Scalars['Time']['output'];
  /** The webhook subscription the event was delivered to; null once that subscription is deleted. */
  subscription?: Maybe<WebhookSubscription>;
  /** The unified kind of the event. */
  type: EventType;
};

/** One page of events in stream order. */
export type EventConnection = {
  __typename?: 'EventConnection';
  /** The page's events, oldest first. */
  edges: Array<EventEdge>;
  /** Where the page ends and whether more follow. */
  pageInfo: PageInfo;
};

/** A subscribed provider event and its latest delivery. */
export type EventDeliveryStatus = {
  __typename?: 'EventDeliveryStatus';
  /** Its latest delivery, or NoRecentDelivery. */
  deliveryStatus: DeliveryStatus;
  /** The provider's event name. */
  event: Scalars['String']['output'];
};

/** An event and its stream position. */
export type EventEdge = {
  __typename?: 'EventEdge';
  /** The event's stream position, the same as node.cursor. */
  cursor: Scalars['String']['output'];
  /** The event. */
  node: Event;
};

/** Which events to read; every field given must hold, an absent or null field filters nothing. */
export type EventFilter = {
  /** Only the events of this conversation (Conversation.id). */
  conversationId?: InputMaybe<Scalars['ID']['input']>;
  /** true: only the events a later event corrects; false: only the others, hiding corrected originals. Unset: both, so that a reader paging by cursor sees each correction arrive. A live stream tests it as events arrive, when none is corrected yet. */
  corrected?: InputMaybe<Scalars['Boolean']['input']>;
  /** Only these providers' events. */
  providers?: InputMaybe<Array<Provider>>;
  /** Events that occurred at or after this instant. */
  since?: InputMaybe<Scalars['Time']['input']>;
  /** Only the events delivered to this webhook subscription (WebhookSubscription.id). */
  subscriptionId?: InputMaybe<Scalars['ID']['input']>;
  /** Only events of these unified types. */
  types?: InputMaybe<Array<EventType>>;
  /** Events that occurred before this instant. */
  until?: InputMaybe<Scalars['Time']['input']>;
  /** true: only the events an adapter could not translate (kept as OTHER with a reason); false: only the others. */
  untranslated?: InputMaybe<Scalars['Boolean']['input']>;
};

/** One delivery a provider made to a webhook subscription, as the delivery log keeps it. */
export type EventLog = {
  __typename?: 'EventLog';
  /** How the gateway answered the delivery. */
  deliveryDetail: DeliveryDetail;
  /** The provider's event name, empty when the delivery was refused before it could be read. */
  event: Scalars['String']['output'];
  /** What the gateway did with the delivery. */
  outcome: DeliveryOutcome;
  /** The delivery's body as received (cut short when long). */
  payload: Scalars['String']['output'];
};

/**
 * The unified kind of an event, whatever the provider called it (Event.providerEventType keeps the
 * provider's own name).
 */
export type EventType =
  /** A phone call ended. */
  | 'CALL_ENDED'
  /** A phone call began. */
  | 'CALL_STARTED'
  /** A person was created: a contact (customer), or a CINNOX staff member. */
  | 'CONTACT_CREATED'
  /** A contact was deleted; the Person stays, with deleted: true. */
  | 'CONTACT_DELETED'
  /** A person's details changed: a contact's, or a CINNOX staff member's. */
  | 'CONTACT_UPDATED'
  /** A conversation was assigned, reassigned or unassigned; Conversation.assignee holds the result. */
  | 'CONVERSATION_ASSIGNED'
  /** A conversation, ticket or enquiry began (a call begins with CALL_STARTED). */
  | 'CONVERSATION_CREATED'
  /** The conversation was deleted or moved to the provider's recycle bin. */
  | 'CONVERSATION_DELETED'
  /** The customer rated the conversation. */
  | 'CONVERSATION_RATED'
  /** A conversation moved to another status; Conversation.status holds the new one. */
  | 'CONVERSATION_STATUS_CHANGED'
  /** A tag or label was added to or removed from a conversation; Conversation.tags holds the result. */
  | 'CONVERSATION_TAGGED'
  /** A conversation's details changed (subject, channel, custom attributes, priority...). */
  | 'CONVERSATION_UPDATED'
  /** Written by the gateway (provider GATEWAY) when it disables a webhook endpoint itself: payload {endpointId, name, url, reason}. */
  | 'ENDPOINT_DISABLED'
  /** A message from the customer or an agent; Event.message holds it. */
  | 'MESSAGE_CREATED'
  /** A message was edited or its delivery state changed. */
  | 'MESSAGE_UPDATED'
  /** An agents-only note was added; Event.message holds it, private. */
  | 'NOTE_ADDED'
  /**
   * Anything else: a provider event with no unified kind, or a delivery the adapter could not
   * translate (then Event.reason says why).
   */
  | 'OTHER'
  /** A service-level target was evaluated, achieved, breached or voided. */
  | 'SLA_UPDATED'
  /** Someone started typing in a conversation. */
  | 'TYPING_STARTED'
  /** Someone stopped typing in a conversation. */
  | 'TYPING_STOPPED'
  /** A visitor opened the website chat widget. */
  | 'WIDGET_OPENED';

/** A message or note. Thin providers (CloudCX) send only its id and direction. */
export type Message = Node & {
  __typename?: 'Message';
  /** Who wrote it; null when the provider does not say. */
  author?: Maybe<Person>;
  /** The text as the provider sent it (plain text or HTML, see contentType); null for thin providers. */
  content?: Maybe<Scalars['String']['output']>;
  /** The content's format as the provider names it, such as text/plain or text/html. */
  contentType?: Maybe<Scalars['String']['output']>;
  /** The conversation the message belongs to. */
  conversation?: Maybe<Conversation>;
  /** When the message was written, by the provider's clock. */
  createdAt: Scalars['Time']['output'];
  /** Who the message is from or for; null when the provider does not say. */
  direction?: Maybe<MessageDirection>;
  /** The provider's id of the message. */
  externalId: Scalars['String']['output'];
  /** The gateway's id of the message; node(id) fetches it. */
  id: Scalars['ID']['output'];
  /** True for agents-only notes. */
  private: Scalars['Boolean']['output'];
  /** When the message last changed (edited, delivered, seen), by the provider's clock. */
  updatedAt: Scalars['Time']['output'];
};

/** One page of a conversation's messages, oldest first. */
export type MessageConnection = {
  __typename?: 'MessageConnection';
  /** The page's messages. */
  edges: Array<MessageEdge>;
  /** Where the page starts and ends and whether more follow. */
  pageInfo: PageInfo;
};

/** INBOUND: from the customer; OUTBOUND: to the customer; INTERNAL: agents only (notes, activity). */
export type MessageDirection =
  /** From the customer. */
  | 'INBOUND'
  /** Agents only: notes and activity. */
  | 'INTERNAL'
  /** To the customer. */
  | 'OUTBOUND';

/** A message and its place in the conversation's list. */
export type MessageEdge = {
  __typename?: 'MessageEdge';
  /** The message's place: pass it as after (or before) to page on from here. */
  cursor: Scalars['String']['output'];
  /** The message. */
  node: Message;
};

/** Changes. Every mutation needs an ADMIN token; a READ token is refused with FORBIDDEN. */
export type Mutation = {
  __typename?: 'Mutation';
  /** ADMIN keys may do everything; READ keys may query, subscribe and export. */
  createApiKey: CreatedApiKey;
  /** Pushes the events after its creation to url; the answer shows the signing secret in full. */
  createWebhookEndpoint: WebhookEndpoint;
  /** Creates a webhook subscription; the answer shows its url to register at the provider and the signing secret in full. */
  createWebhookSubscription: WebhookSubscription;
  /** Deletes the endpoint and its attempts. NOT_FOUND when there is none. */
  deleteWebhookEndpoint: Scalars['Boolean']['output'];
  /** Deletes the subscription and its delivery log; its events stay in the history. NOT_FOUND when there is none. */
  deleteWebhookSubscription: Scalars['Boolean']['output'];
  /** Stops deliveries; the cursor stays, so enabling resumes where it stopped. */
  disableWebhookEndpoint: WebhookEndpoint;
  /** A disabled subscription refuses deliveries with 403. */
  disableWebhookSubscription: WebhookSubscription;
  /** Enabling resumes from the cursor and clears the failing state. */
  enableWebhookEndpoint: WebhookEndpoint;
  /** Accepts deliveries again. */
  enableWebhookSubscription: WebhookSubscription;
  /** Pushes again the events after the cursor `after`, or those received since `since`; neither: the whole history. */
  replayWebhookEndpoint: WebhookEndpoint;
  /**
   * Re-runs translation over stored bodies, after an adapter was fixed: the events that pass the
   * filter (by default only the untranslated ones; all: true for every event) and that no event
   * corrects yet are translated again. Where the translation changed, a correction is appended at the
   * head of the history (Event.corrects names the original, which stays as it was; see
   * docs/corrections.md). Running it twice stores nothing twice.
   */
  reprocessEvents: ReprocessResult;
  /** The key stops working at once, on open websockets too. */
  revokeApiKey: Scalars['Boolean']['output'];
  /**
   * Replaces the signing secret with a generated one. The old one keeps signing beside it for
   * gracePeriodSeconds (default 86400; 0 stops it at once). The answer shows the new secret in full.
   */
  rotateWebhookEndpointSecret: WebhookEndpoint;
  /**
   * Replaces the signing secret with secretKey, or a generated one. The old secret keeps verifying for
   * gracePeriodSeconds (default 86400; 0 stops it at once). The answer shows the new secret in full.
   */
  rotateWebhookSecret: WebhookSubscription;
  /** Patch semantics: absent fields are unchanged. */
  updateWebhookEndpoint: WebhookEndpoint;
  /** Patch semantics: absent fields are unchanged. */
  updateWebhookSubscription: WebhookSubscription;
};


/** Changes. Every mutation needs an ADMIN token; a READ token is refused with FORBIDDEN. */
export type MutationCreateApiKeyArgs = {
  name: Scalars['String']['input'];
  scope: ApiKeyScope;
};


/** Changes. Every mutation needs an ADMIN token; a READ token is refused with FORBIDDEN. */
export type MutationCreateWebhookEndpointArgs = {
  input: CreateWebhookEndpointInput;
};


/** Changes. Every mutation needs an ADMIN token; a READ token is refused with FORBIDDEN. */
export type MutationCreateWebhookSubscriptionArgs = {
  input: CreateWebhookSubscriptionInput;
};


/** Changes. Every mutation needs an ADMIN token; a READ token is refused with FORBIDDEN. */
export type MutationDeleteWebhookEndpointArgs = {
  id: Scalars['ID']['input'];
};


/** Changes. Every mutation needs an ADMIN token; a READ token is refused with FORBIDDEN. */
export type MutationDeleteWebhookSubscriptionArgs = {
  id: Scalars['ID']['input'];
};


/** Changes. Every mutation needs an ADMIN token; a READ token is refused with FORBIDDEN. */
export type MutationDisableWebhookEndpointArgs = {
  id: Scalars['ID']['input'];
};


/** Changes. Every mutation needs an ADMIN token; a READ token is refused with FORBIDDEN. */
export type MutationDisableWebhookSubscriptionArgs = {
  id: Scalars['ID']['input'];
};


/** Changes. Every mutation needs an ADMIN token; a READ token is refused with FORBIDDEN. */
export type MutationEnableWebhookEndpointArgs = {
  id: Scalars['ID']['input'];
};


/** Changes. Every mutation needs an ADMIN token; a READ token is refused with FORBIDDEN. */
export type MutationEnableWebhookSubscriptionArgs = {
  id: Scalars['ID']['input'];
};


/** Changes. Every mutation needs an ADMIN token; a READ token is refused with FORBIDDEN. */
export type MutationReplayWebhookEndpointArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  id: Scalars['ID']['input'];
  since?: InputMaybe<Scalars['Time']['input']>;
};


/** Changes. Every mutation needs an ADMIN token; a READ token is refused with FORBIDDEN. */
export type MutationReprocessEventsArgs = {
  all?: InputMaybe<Scalars['Boolean']['input']>;
  filter?: InputMaybe<EventFilter>;
};


/** Changes. Every mutation needs an ADMIN token; a READ token is refused with FORBIDDEN. */
export type MutationRevokeApiKeyArgs = {
  id: Scalars['ID']['input'];
};


/** Changes. Every mutation needs an ADMIN token; a READ token is refused with FORBIDDEN. */
export type MutationRotateWebhookEndpointSecretArgs = {
  gracePeriodSeconds?: InputMaybe<Scalars['Int']['input']>;
  id: Scalars['ID']['input'];
};


/** Changes. Every mutation needs an ADMIN token; a READ token is refused with FORBIDDEN. */
export type MutationRotateWebhookSecretArgs = {
  gracePeriodSeconds?: InputMaybe<Scalars['Int']['input']>;
  id: Scalars['ID']['input'];
  secretKey?: InputMaybe<Scalars['String']['input']>;
};


/** Changes. Every mutation needs an ADMIN token; a READ token is refused with FORBIDDEN. */
export type MutationUpdateWebhookEndpointArgs = {
  id: Scalars['ID']['input'];
  input: UpdateWebhookEndpointInput;
};


/** Changes. Every mutation needs an ADMIN token; a READ token is refused with FORBIDDEN. */
export type MutationUpdateWebhookSubscriptionArgs = {
  id: Scalars['ID']['input'];
  input: UpdateWebhookSubscriptionInput;
};

/** A subscribed event the log holds no delivery of. */
export type NoRecentDelivery = {
  __typename?: 'NoRecentDelivery';
  /** The provider's event name. */
  event: Scalars['String']['output'];
};

/** Anything with a global id: node(id) fetches it. */
export type Node = {
  /** The object's global id. */
  id: Scalars['ID']['output'];
};

/** Relay page information. */
export type PageInfo = {
  __typename?: 'PageInfo';
  /**
   * The cursor of the page's last item: pass it as after for the next page. On an empty page asked for
   * after a cursor it is that cursor, so a reader keeps its place; null on an empty first page.
   */
  endCursor?: Maybe<Scalars['String']['output']>;
  /**
   * True when more items follow this page, or when a page asked for before a cursor (paging backward)
   * has items after it. A page of events may also end early because its payloads reached the
   * response's byte limit: page on with endCursor either way.
   */
  hasNextPage: Scalars['Boolean']['output'];
  /** True when items come before this page: it was asked for after a cursor, or more precede it when paging backward with last. */
  hasPreviousPage: Scalars['Boolean']['output'];
  /** The cursor of the page's first item; null when the page is empty. */
  startCursor?: Maybe<Scalars['String']['output']>;
};

/** A contact (customer) or an agent, as the provider last described them. */
export type Person = Node & {
  __typename?: 'Person';
  /** The address of the person's picture. */
  avatarUrl?: Maybe<Scalars['String']['output']>;
  /** The organisation the person belongs to. */
  company?: Maybe<Scalars['String']['output']>;
  /** True once a contact-deleted event named the person; the record stays for history. */
  deleted: Scalars['Boolean']['output'];
  /** The address to show first. */
  email?: Maybe<Scalars['String']['output']>;
  /** Every address the provider lists, email first. */
  emails: Array<Scalars['String']['output']>;
  /** The provider's id of the person (scoped by account where the provider's ids are). */
  externalId: Scalars['String']['output'];
  /** The given name, where the provider sends the parts of the name apart. */
  firstName?: Maybe<Scalars['String']['output']>;
  /** The gateway's id of the person; node(id) fetches it. */
  id: Scalars['ID']['output'];
  /** The family name, where the provider sends the parts of the name apart. */
  lastName?: Maybe<Scalars['String']['output']>;
  /** The whole name, as the provider shows it. */
  name?: Maybe<Scalars['String']['output']>;
  /** The number to show first. */
  phone?: Maybe<Scalars['String']['output']>;
  /** Every number the provider sends, with its kind; phone is among them. */
  phones: Array<Phone>;
  /** The provider that knows the person. */
  provider: Provider;
  /** Customer, agent or system. */
  role: PersonRole;
  /** When the facts shown were true: the provider's update time, or else the time of the event that told them. */
  updatedAt: Scalars['Time']['output'];
};

/** One page of contacts or agents. */
export type PersonConnection = {
  __typename?: 'PersonConnection';
  /** The page's people. */
  edges: Array<PersonEdge>;
  /** Where the page starts and ends and whether more follow. */
  pageInfo: PageInfo;
  /** How many people match the search, on every page. */
  totalCount: Scalars['Int']['output'];
};

/** A person and their place in the list. */
export type PersonEdge = {
  __typename?: 'PersonEdge';
  /** The person's place: pass it as after to page on from here. */
  cursor: Scalars['String']['output'];
  /** The person. */
  node: Person;
};

/** Which side of the helpdesk a person is on. */
export type PersonRole =
  /** A member of the helpdesk team. */
  | 'AGENT'
  /** A customer. */
  | 'CONTACT'
  /** The helpdesk itself: bots, automations. */
  | 'SYSTEM';

/** One of a person's phone numbers. */
export type Phone = {
  __typename?: 'Phone';
  /** What the number is for. */
  kind: PhoneKind;
  /** The number as the provider sent it. */
  number: Scalars['String']['output'];
};

/**
 * What a phone number is for. PHONE: the provider's one phone field, whose kind it does not say;
 * OTHER: a number whose label names none of the other kinds.
 */
export type PhoneKind =
  /** A fax number. */
  | 'FAX'
  /** A home number. */
  | 'HOME'
  /** A mobile number. */
  | 'MOBILE'
  /** A work number. */
  | 'OFFICE'
  /** A number whose label names none of the kinds above. */
  | 'OTHER'
  /** The provider's one phone field, of unstated kind. */
  | 'PHONE'
  /** A number for text messages. */
  | 'SMS'
  /** A WhatsApp number. */
  | 'WHATSAPP';

/**
 * A helpdesk provider whose webhooks the gateway receives. Its webhook URL path uses the lower-case
 * name: /webhooks/cinnox/{subscriptionId}, and so on.
 */
export type Provider =
  /** CINNOX: enquiries, calls, contacts and staff; its URL challenge is answered. */
  | 'CINNOX'
  /** CloudCX: tickets and contacts; its notifications carry ids rather than content. */
  | 'CLOUDCX'
  /** Dixa: conversation events carrying the conversation's snapshot; signed (X-DIXA-SIGNATURE). */
  | 'DIXA'
  /** The gateway itself, for events it writes of its own accord (ENDPOINT_DISABLED). */
  | 'GATEWAY'
  /** Voxsig: conversations, messages and contacts; signed (X-Chatwoot-Signature) when the subscription has a secret. */
  | 'VOXSIG';

/**
 * The read side. Every query needs a bearer token: ADMIN or READ scope, except where a field says
 * ADMIN only.
 */
export type Query = {
  __typename?: 'Query';
  /** Agents, in the order the gateway first saw them. */
  agents: PersonConnection;
  /** Every API key, newest first, revoked ones too (ADMIN only). */
  apiKeys: Array<ApiKey>;
  /** Customers, in the order the gateway first saw them. */
  contacts: PersonConnection;
  /** A conversation by its gateway id; null when there is none. */
  conversation?: Maybe<Conversation>;
  /** Conversations in the order the gateway first saw them; page forward with first/after, backward with last/before. */
  conversations: ConversationConnection;
  /**
   * The event history in stream order (oldest first). Page with `after` = the last `endCursor`: each
   * event appears exactly once across the pages, and events committed later appear on later pages.
   */
  events: EventConnection;
  /** Any object by its global id; null when there is none. */
  node?: Maybe<Node>;
  /** An outbound webhook endpoint by its id; null when there is none (ADMIN only). */
  webhookEndpoint?: Maybe<WebhookEndpoint>;
  /** Outbound webhook endpoints, oldest first (ADMIN only). */
  webhookEndpoints: Array<WebhookEndpoint>;
  /** A webhook subscription by its id; null when there is none. */
  webhookSubscription?: Maybe<WebhookSubscription>;
  /** Every webhook subscription, oldest first; secrets are masked. */
  webhookSubscriptions: Array<WebhookSubscription>;
};


/**
 * The read side. Every query needs a bearer token: ADMIN or READ scope, except where a field says
 * ADMIN only.
 */
export type QueryAgentsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  search?: InputMaybe<Scalars['String']['input']>;
};


/**
 * The read side. Every query needs a bearer token: ADMIN or READ scope, except where a field says
 * ADMIN only.
 */
export type QueryContactsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  search?: InputMaybe<Scalars['String']['input']>;
};


/**
 * The read side. Every query needs a bearer token: ADMIN or READ scope, except where a field says
 * ADMIN only.
 */
export type QueryConversationArgs = {
  id: Scalars['ID']['input'];
};


/**
 * The read side. Every query needs a bearer token: ADMIN or READ scope, except where a field says
 * ADMIN only.
 */
export type QueryConversationsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  before?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<ConversationFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
  last?: InputMaybe<Scalars['Int']['input']>;
};


/**
 * The read side. Every query needs a bearer token: ADMIN or READ scope, except where a field says
 * ADMIN only.
 */
export type QueryEventsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<EventFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


/**
 * The read side. Every query needs a bearer token: ADMIN or READ scope, except where a field says
 * ADMIN only.
 */
export type QueryNodeArgs = {
  id: Scalars['ID']['input'];
};


/**
 * The read side. Every query needs a bearer token: ADMIN or READ scope, except where a field says
 * ADMIN only.
 */
export type QueryWebhookEndpointArgs = {
  id: Scalars['ID']['input'];
};


/**
 * The read side. Every query needs a bearer token: ADMIN or READ scope, except where a field says
 * ADMIN only.
 */
export type QueryWebhookSubscriptionArgs = {
  id: Scalars['ID']['input'];
};

/** What reprocessEvents did. */
export type ReprocessResult = {
  __typename?: 'ReprocessResult';
  /** Events appended because a body now translates into more than one event. */
  appended: Scalars['Int']['output'];
  /** Stored events read. */
  examined: Scalars['Int']['output'];
  /** Events left as they are because payload retention removed their body. */
  payloadExpired: Scalars['Int']['output'];
  /** Stored events whose new translation was appended as their correction. */
  retranslated: Scalars['Int']['output'];
  /** Events an adapter still cannot translate. */
  stillUntranslated: Scalars['Int']['output'];
};

/**
 * Live streams, over websocket (graphql-transport-ws or graphql-ws) or SSE, with a bearer token of
 * ADMIN or READ scope.
 */
export type Subscription = {
  __typename?: 'Subscription';
  /** The conversation's new state after each of its events. */
  conversationUpdated: Conversation;
  /**
   * Streams the events that commit from the moment the subscription is established. With `after`,
   * it first replays the stored events after that cursor, then follows: no gap, no duplicate; with
   * `fromBeginning: true`, it replays the whole stored history first (`after` wins when both are given).
   * Conditions (as on webhook subscriptions) test the event and its conversation's current state.
   * A reader that falls behind is closed (websocket code 4008) with the cursor to resume from.
   */
  eventStream: Event;
};


/**
 * Live streams, over websocket (graphql-transport-ws or graphql-ws) or SSE, with a bearer token of
 * ADMIN or READ scope.
 */
export type SubscriptionConversationUpdatedArgs = {
  id: Scalars['ID']['input'];
};


/**
 * Live streams, over websocket (graphql-transport-ws or graphql-ws) or SSE, with a bearer token of
 * ADMIN or READ scope.
 */
export type SubscriptionEventStreamArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  conditions?: InputMaybe<Array<ConditionInput>>;
  expression?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<EventFilter>;
  fromBeginning?: InputMaybe<Scalars['Boolean']['input']>;
  match?: InputMaybe<ConditionMatch>;
};

/** Patch: an absent field is unchanged, an explicit null clears it (name, url, ordering and enabled cannot be null). */
export type UpdateWebhookEndpointInput = {
  /** New conditions; null clears them (and match and expression). */
  conditions?: InputMaybe<Array<ConditionInput>>;
  /** False stops deliveries; true resumes them from the cursor. */
  enabled?: InputMaybe<Scalars['Boolean']['input']>;
  /** With match EXPRESSION: the logic expression over the conditions' ids; null clears it. */
  expression?: InputMaybe<Scalars['String']['input']>;
  /** The events pushed; null: every event. */
  filter?: InputMaybe<EventFilter>;
  /** How the conditions combine; null: ALL. */
  match?: InputMaybe<ConditionMatch>;
  /** A new name. */
  name?: InputMaybe<Scalars['String']['input']>;
  /** The order events are pushed in. */
  ordering?: InputMaybe<EndpointOrdering>;
  /** The most attempts per second; null: no limit. */
  rateLimit?: InputMaybe<Scalars['Float']['input']>;
  /** Each attempt's time limit in seconds; null: 10. */
  timeoutSeconds?: InputMaybe<Scalars['Float']['input']>;
  /** A new URL, checked as on create. */
  url?: InputMaybe<Scalars['String']['input']>;
};

/** Patch: an absent field is unchanged, an explicit null clears it (name and enabled cannot be null). */
export type UpdateWebhookSubscriptionInput = {
  /** New authorization; null: none. */
  authorization?: InputMaybe<AuthorizationInput>;
  /** null clears the conditions (and match and expression). */
  conditions?: InputMaybe<Array<ConditionInput>>;
  /** Instead of conditions: Dixa's CombinedFilters. */
  dixaFilters?: InputMaybe<DixaFiltersInput>;
  /** False refuses deliveries with 403; true accepts them again. */
  enabled?: InputMaybe<Scalars['Boolean']['input']>;
  /** The provider event names to keep; null or empty keeps all. */
  events?: InputMaybe<Array<Scalars['String']['input']>>;
  /** With match EXPRESSION: the logic expression, e.g. (1 or 2) and 3. */
  expression?: InputMaybe<Scalars['String']['input']>;
  /** How the conditions combine. */
  match?: InputMaybe<ConditionMatch>;
  /** A new name. */
  name?: InputMaybe<Scalars['String']['input']>;
  /** A new signing secret, replacing the old one at once (rotateWebhookSecret keeps the old one for a while); null turns signature checks off. */
  secretKey?: InputMaybe<Scalars['String']['input']>;
};

/** One HTTP request that pushed an event to an endpoint. */
export type WebhookAttempt = {
  __typename?: 'WebhookAttempt';
  /** When the attempt was made. */
  at: Scalars['Time']['output'];
  /** The event's attempts are numbered from 1. */
  attempt: Scalars['Int']['output'];
  /** Why no usable answer came (connection refused, timeout...); null when one came. */
  error?: Maybe<Scalars['String']['output']>;
  /** The event pushed; null when it is no longer stored. */
  event?: Maybe<Event>;
  /** The id of the event pushed. */
  eventId: Scalars['ID']['output'];
  /** The attempt's id. */
  id: Scalars['ID']['output'];
  /** How long the answer took, in milliseconds. */
  latencyMs: Scalars['Float']['output'];
  /** delivered, retry (tried again at retryAt) or failed (given up; the cursor moved on). */
  outcome: Scalars['String']['output'];
  /** The start of the response body. */
  response: Scalars['String']['output'];
  /** When the event is tried again, for outcome retry. */
  retryAt?: Maybe<Scalars['Time']['output']>;
  /** The HTTP status; null when no answer came. */
  status?: Maybe<Scalars['Int']['output']>;
};

/** One page of an endpoint's attempts, newest first. */
export type WebhookAttemptConnection = {
  __typename?: 'WebhookAttemptConnection';
  /** The page's attempts. */
  edges: Array<WebhookAttemptEdge>;
  /** Where the page ends and whether more follow. */
  pageInfo: PageInfo;
};

/** An attempt and its place in the list. */
export type WebhookAttemptEdge = {
  __typename?: 'WebhookAttemptEdge';
  /** The attempt's place: pass it as after to page on from here. */
  cursor: Scalars['String']['output'];
  /** The attempt. */
  node: WebhookAttempt;
};

/** An integrator's URL the gateway pushes the event history to, signed per the Standard Webhooks specification. */
export type WebhookEndpoint = {
  __typename?: 'WebhookEndpoint';
  /** The attempts, newest first. */
  attempts: WebhookAttemptConnection;
  /** Numbered conditions an event must also meet; empty: none. */
  conditions: Array<Condition>;
  /** When the endpoint was created. */
  createdAt: Scalars['Time']['output'];
  /** Every event up to this cursor was delivered or given up; null: none yet. */
  cursor?: Maybe<Scalars['String']['output']>;
  /** Events delivered so far. */
  delivered: Scalars['Int']['output'];
  /** The gateway process delivering to the endpoint, while its lease lasts. */
  deliveredBy?: Maybe<Scalars['String']['output']>;
  /** Why the gateway disabled the endpoint itself (410 Gone, failing too long). */
  disabledReason?: Maybe<Scalars['String']['output']>;
  /** False: nothing is delivered until it is enabled again. */
  enabled: Scalars['Boolean']['output'];
  /** With match EXPRESSION: the logic expression over the conditions' ids, e.g. (1 or 2) and 3. */
  expression?: Maybe<Scalars['String']['output']>;
  /** Events given up after their retries so far. */
  failed: Scalars['Int']['output'];
  /** The events pushed; null: every event. */
  filter?: Maybe<EndpointFilter>;
  /** The endpoint's id. */
  id: Scalars['ID']['output'];
  /** Events still to deliver: those after the cursor that the filter selects (conditions are tested as they are pushed). */
  lagEvents: Scalars['Int']['output'];
  /** How long ago the oldest event still to deliver was received; 0 when none. */
  lagSeconds: Scalars['Float']['output'];
  /** How the conditions combine; null when there are none. */
  match?: Maybe<ConditionMatch>;
  /** A name for people to recognise it by. */
  name: Scalars['String']['output'];
  /** The order events are pushed in. */
  ordering: EndpointOrdering;
  /** When secrets replaced by rotateWebhookEndpointSecret stop signing. */
  previousSecretsExpireAt: Array<Scalars['Time']['output']>;
  /** The most attempts per second; null: no limit. */
  rateLimit?: Maybe<Scalars['Float']['output']>;
  /** The signing secret (whsec_...): in full only in the answers of create and rotate, masked elsewhere. */
  secret?: Maybe<Scalars['String']['output']>;
  /** Whether deliveries succeed, are being retried, or are off. */
  state: EndpointState;
  /** Each attempt's time limit, in seconds. */
  timeoutSeconds: Scalars['Float']['output'];
  /** When the endpoint last changed. */
  updatedAt: Scalars['Time']['output'];
  /** Where the events are POSTed. */
  url: Scalars['String']['output'];
};


/** An integrator's URL the gateway pushes the event history to, signed per the Standard Webhooks specification. */
export type WebhookEndpointAttemptsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};

/** An endpoint a provider delivers webhooks to. */
export type WebhookSubscription = Node & {
  __typename?: 'WebhookSubscription';
  /** How deliveries authenticate, besides any signature. */
  authorizationType: AuthorizationType;
  /** The BASIC username; passwords and tokens are stored hashed and never shown. */
  authorizationUsername?: Maybe<Scalars['String']['output']>;
  /** Numbered conditions a delivery's events must meet to be kept; empty: every delivery is kept. */
  conditions: Array<Condition>;
  /** When the subscription was created. */
  createdAt: Scalars['Time']['output'];
  /** The name of the API key (or admin) that created it. */
  createdBy: Scalars['String']['output'];
  /** The latest delivery of each subscribed event. */
  deliveryStatuses: Array<EventDeliveryStatus>;
  /** False: deliveries are refused with 403 and nothing is stored. */
  enabled: Scalars['Boolean']['output'];
  /** The latest deliveries, newest first. The log keeps the latest DELIVERY_LOG_LIMIT (1000 by default) of each subscription; refusals are logged by sample. */
  eventLogs: Array<EventLog>;
  /** With match EXPRESSION, the logic expression over the condition numbers. */
  expression?: Maybe<Scalars['String']['output']>;
  /** The subscription's id: the last part of its url. */
  id: Scalars['ID']['output'];
  /** How the conditions combine; null when there are none. */
  match?: Maybe<ConditionMatch>;
  /** A name for people to recognise it by. */
  name: Scalars['String']['output'];
  /** When secrets replaced by rotateWebhookSecret stop verifying. */
  previousSecretsExpireAt: Array<Scalars['Time']['output']>;
  /** The provider that delivers to it; deliveries from another provider's path are refused with 404. */
  provider: Provider;
  /** The signing secret: in full only in the answer of create, masked elsewhere. */
  secretKey?: Maybe<Scalars['String']['output']>;
  /** Provider event names kept; empty means all. */
  subscribedEvents: Array<Scalars['String']['output']>;
  /** When the subscription last changed. */
  updatedAt: Scalars['Time']['output'];
  /** The name of the API key (or admin) that changed it last. */
  updatedBy: Scalars['String']['output'];
  /** The ingest URL to register at the provider. */
  url: Scalars['String']['output'];
};


/** An endpoint a provider delivers webhooks to. */
export type WebhookSubscriptionEventLogsArgs = {
  event?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};

export type LatestConversationsQueryVariables = Exact<{
  last: Scalars['Int']['input'];
}>;


export type LatestConversationsQuery = { __typename?: 'Query', conversations: { __typename?: 'ConversationConnection', totalCount: number, edges: Array<{ __typename?: 'ConversationEdge', node: { __typename?: 'Conversation', provider: Provider, externalId: string, status: ConversationStatus, subject?: string | null, updatedAt: string, tags: Array<string>, requester?: { __typename?: 'Person', name?: string | null } | null, assignee?: { __typename?: 'Person', name?: string | null } | null, messages: { __typename?: 'MessageConnection', edges: Array<{ __typename?: 'MessageEdge', node: { __typename?: 'Message', direction?: MessageDirection | null, content?: string | null, createdAt: string } }> } } }> } };

export type StreamEventsSubscriptionVariables = Exact<{
  after?: InputMaybe<Scalars['String']['input']>;
}>;


export type StreamEventsSubscription = { __typename?: 'Subscription', eventStream: { __typename?: 'Event', id: string, cursor: string, provider: Provider, type: EventType, providerEventType: string, occurredAt: string, conversation?: { __typename?: 'Conversation', id: string, status: ConversationStatus } | null } };

export type HeadCursorQueryVariables = Exact<{
  after?: InputMaybe<Scalars['String']['input']>;
}>;


export type HeadCursorQuery = { __typename?: 'Query', events: { __typename?: 'EventConnection', pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor?: string | null } } };


export const LatestConversationsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"LatestConversations"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"last"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"conversations"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"last"},"value":{"kind":"Variable","name":{"kind":"Name","value":"last"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"externalId"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"subject"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"requester"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"assignee"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"tags"}},{"kind":"Field","name":{"kind":"Name","value":"messages"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"last"},"value":{"kind":"IntValue","value":"3"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"direction"}},{"kind":"Field","name":{"kind":"Name","value":"content"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<LatestConversationsQuery, LatestConversationsQueryVariables>;
export const StreamEventsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"StreamEvents"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"eventStream"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"providerEventType"}},{"kind":"Field","name":{"kind":"Name","value":"occurredAt"}},{"kind":"Field","name":{"kind":"Name","value":"conversation"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]}}]} as unknown as DocumentNode<StreamEventsSubscription, StreamEventsSubscriptionVariables>;
export const HeadCursorDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"HeadCursor"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"events"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"1000"}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<HeadCursorQuery, HeadCursorQueryVariables>;