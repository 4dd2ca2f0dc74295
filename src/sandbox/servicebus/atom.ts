// The ATOM/XML of the Service Bus administration API: reading the entries clients PUT, and writing
// entries, feeds and errors exactly as @azure/service-bus 7.9.5's deserializers need them (see
// shared/reference/azure.md §1.4–1.7): entity names come from the entry <id>, every element the SDK
// requires is present, typed values carry `i:type="d6p1:<type>"` (a 4-character prefix, which the SDK
// strips with substring(5)), and `CountDetails` declares exactly one namespace prefix.
import { randomUUID } from 'node:crypto'
import {
  badRequest,
  CORRELATION_FIELDS,
  NEVER,
  totalMessages,
  type AuthorizationRule,
  type AuthorizationRuleInput,
  type EntityInput,
  type KeyValue,
  type MessageCounts,
  type PropertyValue,
  type Queue,
  type Rule,
  type RuleAction,
  type RuleFilter,
  type RuleInput,
  type ServiceBusError,
  type Subscription,
  type Topic,
} from './entities.js'
import { attributeOf, childElements, childrenNamed, el, firstChild, leaf, parseXml, resolveQName, serializeXml, textOf, XmlParseError, type XmlElement, type XmlOut } from './xml.js'

export const ATOM_NS = 'http://www.w3.org/2005/Atom'
export const SB_NS = 'http://schemas.microsoft.com/netservices/2010/10/servicebus/connect'
export const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance'
export const XSD_NS = 'http://www.w3.org/2001/XMLSchema'
/** The namespace of `CountDetails`' children. */
export const COUNTS_NS = 'http://schemas.microsoft.com/netservices/2011/06/servicebus'

export const ENTRY_CONTENT_TYPE = 'application/atom+xml;type=entry;charset=utf-8'
export const FEED_CONTENT_TYPE = 'application/atom+xml;type=feed;charset=utf-8'
export const ERROR_CONTENT_TYPE = 'application/xml; charset=utf-8'

// ---- reading requests ----------------------------------------------------------------------------

export const DESCRIPTION_KINDS = ['QueueDescription', 'TopicDescription', 'SubscriptionDescription', 'RuleDescription'] as const
export type DescriptionKind = (typeof DESCRIPTION_KINDS)[number]

export type ParsedEntry = { kind: 'RuleDescription'; rule: RuleInput } | { kind: Exclude<DescriptionKind, 'RuleDescription'>; input: EntityInput }

/** Reads a PUT body: `<entry><content><XDescription>…</XDescription></content></entry>`. */
export function parseEntry(body: string): ParsedEntry {
  let root: XmlElement
  try {
    root = parseXml(body)
  } catch (error) {
    if (error instanceof XmlParseError) throw badRequest(`The request body is not well-formed XML: ${error.message}.`)
    throw error
  }
  if (root.local !== 'entry') throw badRequest(`The request body must be an ATOM <entry>, not <${root.name}>.`)
  const content = firstChild(root, 'content')
  const description = content === undefined ? undefined : childElements(content)[0]
  if (description === undefined) throw badRequest('The entry has no <content> description.')
  const kind = (DESCRIPTION_KINDS as readonly string[]).includes(description.local) ? (description.local as DescriptionKind) : undefined
  if (kind === undefined) throw badRequest(`Unknown description <${description.local}>; expected one of ${DESCRIPTION_KINDS.join(', ')}.`)
  if (kind === 'RuleDescription') return { kind, rule: readRule(description) }
  return { kind, input: readEntityInput(description) }
}

function readEntityInput(description: XmlElement): EntityInput {
  const fields: Record<string, string> = {}
  let authorizationRules: AuthorizationRuleInput[] | undefined
  let defaultRule: RuleInput | undefined
  for (const child of childElements(description)) {
    if (child.local === 'AuthorizationRules') authorizationRules = childrenNamed(child, 'AuthorizationRule').map(readAuthorizationRule)
    else if (child.local === 'DefaultRuleDescription') defaultRule = readRule(child)
    else if (childElements(child).length === 0) fields[child.local] = textOf(child)
  }
  return { fields, authorizationRules, defaultRule }
}

function readAuthorizationRule(rule: XmlElement): AuthorizationRuleInput {
  const text = (name: string): string | undefined => {
    const child = firstChild(rule, name)
    return child === undefined ? undefined : textOf(child).trim()
  }
  const rights = firstChild(rule, 'Rights')
  return {
    claimType: text('ClaimType'),
    claimValue: text('ClaimValue'),
    rights: rights === undefined ? [] : childrenNamed(rights, 'AccessRights').map((r) => textOf(r).trim()),
    keyName: text('KeyName'),
    primaryKey: text('PrimaryKey'),
    secondaryKey: text('SecondaryKey'),
  }
}

/** The local type name of an `xsi:type` attribute (`p4:type="SqlFilter"` → SqlFilter). */
function xsiType(element: XmlElement): string | undefined {
  const value = attributeOf(element, 'type', XSI_NS)
  return value === undefined ? undefined : value.slice(value.indexOf(':') + 1)
}

function readKeyValues(list: XmlElement | undefined): KeyValue[] {
  if (list === undefined) return []
  return childrenNamed(list, 'KeyValueOfstringanyType').map((pair) => {
    const key = firstChild(pair, 'Key')
    const value = firstChild(pair, 'Value')
    if (key === undefined || value === undefined) throw badRequest('A KeyValueOfstringanyType needs a Key and a Value.')
    const typeName = attributeOf(value, 'type', XSI_NS)
    const type = typeName === undefined ? undefined : resolveQName(value, typeName)
    if (type === undefined || type.namespace !== XSD_NS) throw badRequest(`The value of '${textOf(key)}' needs an XML Schema type (i:type="xs:string"…).`)
    return { key: textOf(key), type: type.local, value: textOf(value) }
  })
}

function readFilter(filter: XmlElement | undefined): RuleFilter {
  if (filter === undefined) throw badRequest('A rule needs a Filter.')
  const type = xsiType(filter)
  const sql = firstChild(filter, 'SqlExpression')
  switch (type) {
    case 'SqlFilter':
    case 'TrueFilter':
    case 'FalseFilter':
      return { type, sqlExpression: sql === undefined ? (type === 'TrueFilter' ? '1=1' : type === 'FalseFilter' ? '1=0' : '') : textOf(sql), parameters: readKeyValues(firstChild(filter, 'Parameters')) }
    case 'CorrelationFilter': {
      const fields: Partial<Record<(typeof CORRELATION_FIELDS)[number], string>> = {}
      for (const field of CORRELATION_FIELDS) {
        const child = firstChild(filter, field)
        if (child !== undefined) fields[field] = textOf(child)
      }
      return { type, fields, properties: readKeyValues(firstChild(filter, 'Properties')) }
    }
    default:
      throw badRequest(`Unknown filter type '${type ?? '(none)'}'; expected SqlFilter, TrueFilter, FalseFilter or CorrelationFilter.`)
  }
}

function readAction(action: XmlElement | undefined): RuleAction {
  const type = action === undefined ? 'EmptyRuleAction' : xsiType(action)
  if (type === 'EmptyRuleAction') return { type }
  if (type === 'SqlRuleAction' && action !== undefined) {
    const sql = firstChild(action, 'SqlExpression')
    return { type, sqlExpression: sql === undefined ? '' : textOf(sql), parameters: readKeyValues(firstChild(action, 'Parameters')) }
  }
  throw badRequest(`Unknown rule action type '${type ?? '(none)'}'; expected EmptyRuleAction or SqlRuleAction.`)
}

function readRule(description: XmlElement): RuleInput {
  const name = firstChild(description, 'Name')
  return { name: name === undefined ? undefined : textOf(name).trim(), filter: readFilter(firstChild(description, 'Filter')), action: readAction(firstChild(description, 'Action')) }
}

// ---- writing responses ---------------------------------------------------------------------------

/** What responses need from the request: where the namespace is and which api-version was asked for. */
export interface RenderContext {
  /** host[:port] as the client addressed it (`127.0.0.1:5443`). */
  host: string
  apiVersion: string
  /** The namespace name (author of entries, NamespaceInfo.Name). */
  namespaceName: string
  now: string
}

/** `https://host/path?api-version=…`: an entity's id and self link. */
export function entityUrl(ctx: RenderContext, path: string): string {
  return `https://${ctx.host}/${path}?api-version=${encodeURIComponent(ctx.apiVersion)}`
}

const description = (name: string, ...children: (XmlOut | undefined)[]): XmlOut => el(name, { xmlns: SB_NS, 'xmlns:i': XSI_NS }, ...children)

function typedValue(name: string, kv: KeyValue): XmlOut {
  return el(name, { 'i:type': `d6p1:${kv.type}`, 'xmlns:d6p1': XSD_NS }, kv.value)
}

function keyValues(name: string, values: KeyValue[]): XmlOut | undefined {
  if (values.length === 0) return undefined
  return el(name, undefined, ...values.map((kv) => el('KeyValueOfstringanyType', undefined, leaf('Key', kv.key), typedValue('Value', kv))))
}

function filterElement(filter: RuleFilter): XmlOut {
  if (filter.type === 'CorrelationFilter') {
    return el('Filter', { 'i:type': filter.type }, ...CORRELATION_FIELDS.map((f) => (filter.fields[f] === undefined ? undefined : leaf(f, filter.fields[f]))), keyValues('Properties', filter.properties))
  }
  return el('Filter', { 'i:type': filter.type }, leaf('SqlExpression', filter.sqlExpression), leaf('CompatibilityLevel', 20), keyValues('Parameters', filter.parameters))
}

function actionElement(action: RuleAction): XmlOut {
  if (action.type === 'EmptyRuleAction') return el('Action', { 'i:type': action.type })
  return el('Action', { 'i:type': action.type }, leaf('SqlExpression', action.sqlExpression), leaf('CompatibilityLevel', 20), keyValues('Parameters', action.parameters))
}

export function ruleDescription(rule: Rule): XmlOut {
  return description('RuleDescription', filterElement(rule.filter), actionElement(rule.action), leaf('CreatedAt', rule.createdAt), leaf('Name', rule.name))
}

/** `CountDetails` with one declared prefix (the SDK reads it back from the single xmlns attribute). */
function countDetails(counts: MessageCounts, prefix: 'd2p1' | 'd3p1'): XmlOut {
  return el(
    'CountDetails',
    { [`xmlns:${prefix}`]: COUNTS_NS },
    leaf(`${prefix}:ActiveMessageCount`, counts.active),
    leaf(`${prefix}:DeadLetterMessageCount`, counts.deadLetter),
    leaf(`${prefix}:ScheduledMessageCount`, counts.scheduled),
    leaf(`${prefix}:TransferMessageCount`, counts.transfer),
    leaf(`${prefix}:TransferDeadLetterMessageCount`, counts.transferDeadLetter),
  )
}

function authorizationRules(rules: AuthorizationRule[]): XmlOut {
  return el(
    'AuthorizationRules',
    undefined,
    ...rules.map((rule) =>
      el(
        'AuthorizationRule',
        { 'i:type': 'SharedAccessAuthorizationRule' },
        leaf('ClaimType', rule.claimType),
        leaf('ClaimValue', rule.claimValue),
        el('Rights', undefined, ...rule.rights.map((r) => leaf('AccessRights', r))),
        leaf('CreatedTime', rule.createdTime),
        leaf('ModifiedTime', rule.modifiedTime),
        leaf('KeyName', rule.keyName),
        leaf('PrimaryKey', rule.primaryKey),
        leaf('SecondaryKey', rule.secondaryKey),
      ),
    ),
  )
}

type AnyEntity = Queue | Topic | Subscription

/** Elements computed from the entity rather than stored as settable properties. */
const RUNTIME: Record<string, (entity: AnyEntity) => XmlOut> = {
  SizeInBytes: (e) => leaf('SizeInBytes', e.sizeInBytes),
  MessageCount: (e) => leaf('MessageCount', totalMessages(e.counts)),
  IsAnonymousAccessible: () => leaf('IsAnonymousAccessible', false),
  AuthorizationRules: (e) => authorizationRules('authorizationRules' in e ? e.authorizationRules : []),
  CreatedAt: (e) => leaf('CreatedAt', e.createdAt),
  UpdatedAt: (e) => leaf('UpdatedAt', e.updatedAt),
  AccessedAt: (e) => leaf('AccessedAt', e.accessedAt || NEVER),
  QueueSupportOrdering: () => leaf('SupportOrdering', true),
  CountDetails: (e) => countDetails(e.counts, 'topic' in e ? 'd3p1' : 'd2p1'),
  SubscriptionCount: (e) => leaf('SubscriptionCount', 'subscriptions' in e ? e.subscriptions.size : 0),
  FilteringMessagesBeforePublishing: () => leaf('FilteringMessagesBeforePublishing', false),
  IsExpress: (e) => leaf('IsExpress', e.properties.EnableExpress === true),
  EntityAvailabilityStatus: () => leaf('EntityAvailabilityStatus', 'Available'),
  EnableSubscriptionPartitioning: () => leaf('EnableSubscriptionPartitioning', false),
}

/** Element order of each description as Service Bus writes it (settable properties and RUNTIME entries). */
export const QUEUE_LAYOUT = ['LockDuration', 'MaxSizeInMegabytes', 'RequiresDuplicateDetection', 'RequiresSession', 'DefaultMessageTimeToLive', 'DeadLetteringOnMessageExpiration', 'DuplicateDetectionHistoryTimeWindow', 'MaxDeliveryCount', 'EnableBatchedOperations', 'SizeInBytes', 'MessageCount', 'IsAnonymousAccessible', 'AuthorizationRules', 'Status', 'ForwardTo', 'CreatedAt', 'UpdatedAt', 'AccessedAt', 'QueueSupportOrdering', 'CountDetails', 'UserMetadata', 'AutoDeleteOnIdle', 'EnablePartitioning', 'EntityAvailabilityStatus', 'ForwardDeadLetteredMessagesTo', 'EnableExpress', 'MaxMessageSizeInKilobytes']
export const TOPIC_LAYOUT = ['DefaultMessageTimeToLive', 'MaxSizeInMegabytes', 'RequiresDuplicateDetection', 'DuplicateDetectionHistoryTimeWindow', 'EnableBatchedOperations', 'SizeInBytes', 'FilteringMessagesBeforePublishing', 'IsAnonymousAccessible', 'AuthorizationRules', 'Status', 'UserMetadata', 'CreatedAt', 'UpdatedAt', 'AccessedAt', 'SupportOrdering', 'CountDetails', 'SubscriptionCount', 'AutoDeleteOnIdle', 'EnablePartitioning', 'IsExpress', 'EntityAvailabilityStatus', 'EnableSubscriptionPartitioning', 'EnableExpress', 'MaxMessageSizeInKilobytes']
export const SUBSCRIPTION_LAYOUT = ['LockDuration', 'RequiresSession', 'DefaultMessageTimeToLive', 'DeadLetteringOnMessageExpiration', 'DeadLetteringOnFilterEvaluationExceptions', 'MessageCount', 'MaxDeliveryCount', 'EnableBatchedOperations', 'Status', 'ForwardTo', 'CreatedAt', 'UpdatedAt', 'AccessedAt', 'CountDetails', 'UserMetadata', 'ForwardDeadLetteredMessagesTo', 'AutoDeleteOnIdle', 'EntityAvailabilityStatus']

const FORWARDING = new Set(['ForwardTo', 'ForwardDeadLetteredMessagesTo'])

function propertyElement(name: string, value: PropertyValue | undefined, ctx: RenderContext): XmlOut | undefined {
  if (value === undefined) return undefined
  // Forwarding targets are reported in absolute form, the way the SDK sends them.
  if (FORWARDING.has(name)) return leaf(name, `sb://${ctx.host}/${String(value)}`)
  return leaf(name, value)
}

function laidOut(layout: readonly string[], entity: AnyEntity, ctx: RenderContext): (XmlOut | undefined)[] {
  return layout.map((name) => (RUNTIME[name] !== undefined ? RUNTIME[name](entity) : propertyElement(name, entity.properties[name], ctx)))
}

export function queueDescription(queue: Queue, ctx: RenderContext): XmlOut {
  return description('QueueDescription', ...laidOut(QUEUE_LAYOUT, queue, ctx))
}

export function topicDescription(topic: Topic, ctx: RenderContext): XmlOut {
  return description('TopicDescription', ...laidOut(TOPIC_LAYOUT, topic, ctx))
}

export function subscriptionDescription(subscription: Subscription, ctx: RenderContext): XmlOut {
  return description('SubscriptionDescription', ...laidOut(SUBSCRIPTION_LAYOUT, subscription, ctx))
}

export function namespaceInfo(createdAt: string, ctx: RenderContext): XmlOut {
  return description('NamespaceInfo', leaf('CreatedTime', createdAt), leaf('MessagingSKU', 'Standard'), leaf('ModifiedTime', createdAt), leaf('Name', ctx.namespaceName), leaf('NamespaceType', 'Messaging'))
}

/** One ATOM entry. `id` is what the SDK takes the entity's name(s) from. */
export function entry(id: string, title: string, times: { published: string; updated: string }, content: XmlOut, ctx: RenderContext, root = true): XmlOut {
  return el(
    'entry',
    root ? { xmlns: ATOM_NS } : undefined,
    leaf('id', id),
    el('title', { type: 'text' }, title),
    leaf('published', times.published),
    leaf('updated', times.updated),
    el('author', undefined, leaf('name', ctx.namespaceName)),
    el('link', { rel: 'self', href: id }),
    el('content', { type: 'application/xml' }, content),
  )
}

/**
 * A list page. The `self` link is always written: the SDK only looks for `rel="next"` when `link` is
 * an array, i.e. when there are two links.
 */
export function feed(title: string, selfUrl: string, nextUrl: string | undefined, entries: XmlOut[], ctx: RenderContext): XmlOut {
  return el('feed', { xmlns: ATOM_NS }, el('title', { type: 'text' }, title), leaf('id', selfUrl), leaf('updated', ctx.now), el('link', { rel: 'self', href: selfUrl }), nextUrl === undefined ? undefined : el('link', { rel: 'next', href: nextUrl }), ...entries)
}

/** What Service Bus answers (200) for a GET of an entity that does not exist; the SDK turns it into MessageEntityNotFoundError. */
export function emptyFeed(ctx: RenderContext): XmlOut {
  return el(
    'feed',
    { xmlns: ATOM_NS },
    el('title', { type: 'text' }, 'Publicly Listed Services'),
    el('subtitle', { type: 'text' }, 'This is the list of publicly-listed services currently available.'),
    leaf('id', `uuid:${randomUUID()};id=1`),
    leaf('updated', ctx.now),
    leaf('generator', 'Service Bus 1.1'),
  )
}

/** `<Error><Code>…</Code><Detail>…</Detail></Error>` with the tracking suffix Service Bus appends. */
export function errorDocument(error: ServiceBusError, tracker: string, ctx: Pick<RenderContext, 'now'>): string {
  const detail = `${error.message} TrackingId:${randomUUID()}_G0, SystemTracker:${tracker}, Timestamp:${ctx.now}`
  return serializeXml(el('Error', undefined, leaf('Code', error.status), leaf('Detail', detail)))
}

export function document(node: XmlOut): string {
  return serializeXml(node)
}
