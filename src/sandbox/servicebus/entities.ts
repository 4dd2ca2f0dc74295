// The Service Bus namespace the sandbox serves: queues, topics, subscriptions and rules with Azure's
// defaults, validation and create/update/delete semantics (409 on a duplicate create, updates as
// full replaces, properties fixed at creation, forwarding targets that must exist, `$Default` rule on
// a new subscription). Pure: no I/O and no XML; the clock and key generator are injected.
import { MAX_DURATION, parseDuration, formatDuration, TICKS_PER_DAY, TICKS_PER_MINUTE, TICKS_PER_SECOND } from './duration.js'

// ---- errors ------------------------------------------------------------------------------------

/** A failure answered as `<Error><Code>status</Code><Detail>message …</Detail></Error>`. */
export class ServiceBusError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message)
    this.name = 'ServiceBusError'
  }
}

export function badRequest(message: string): ServiceBusError {
  return new ServiceBusError(400, `SubCode=40000. ${message}`)
}

/** The 409 of a create that finds the entity there (the SDK maps it to MessageEntityAlreadyExistsError). */
export function alreadyExists(path: string): ServiceBusError {
  return new ServiceBusError(409, `SubCode=40900. Conflict. You're requesting an operation that isn't allowed in the resource's current state. To know more visit https://aka.ms/sbResourceMgrExceptions. The messaging entity '${path}' already exists.`)
}

/** What Service Bus answers for a DELETE (or update) of a missing entity. */
export function noService(): ServiceBusError {
  return new ServiceBusError(404, 'No service is hosted at the specified address.')
}

export function parentNotFound(kind: string, path: string): ServiceBusError {
  return new ServiceBusError(404, `SubCode=40400. Not Found. The Operation doesn't exist. To know more visit https://aka.ms/sbResourceMgrExceptions. The ${kind} '${path}' does not exist.`)
}

export function unauthorized(reason: string): ServiceBusError {
  return new ServiceBusError(401, `SubCode=40100. Unauthorized : ${reason}`)
}

// ---- properties --------------------------------------------------------------------------------

export type PropertyValue = string | number | boolean
type PropertyType = 'duration' | 'boolean' | 'integer' | 'text' | 'status' | 'entity'

interface PropertySpec {
  /** The element name in the description (`LockDuration`). */
  name: string
  type: PropertyType
  /** Applied when a create or update leaves the property out (updates are full replaces). */
  default?: PropertyValue
  /** Fixed at creation: an update that changes it is refused with 400, as by Service Bus. */
  immutable?: boolean
  /** A range check on the parsed value; returns what is wrong. */
  check?: (value: PropertyValue) => string | undefined
}

export const ENTITY_STATUSES = ['Active', 'Disabled', 'SendDisabled', 'ReceiveDisabled'] as const

const ticksOf = (value: PropertyValue): bigint => parseDuration(String(value)) ?? 0n
const durationAtLeast = (min: bigint, label: string) => (value: PropertyValue) => (ticksOf(value) < min ? `must be at least ${label}` : undefined)
const durationBetween = (min: bigint, max: bigint, label: string) => (value: PropertyValue) => (ticksOf(value) < min || ticksOf(value) > max ? `must be between ${label}` : undefined)
const atLeastOne = (value: PropertyValue) => (Number(value) < 1 ? 'must be at least 1' : undefined)
/** Standard namespaces take 1–5 GB, Premium up to 80 GB; always whole gigabytes. */
const maxSizeCheck = (value: PropertyValue) => (Number(value) < 1024 || Number(value) > 81920 || Number(value) % 1024 !== 0 ? 'must be a multiple of 1024 between 1024 and 81920' : undefined)
const metadataCheck = (value: PropertyValue) => (String(value).length > 1024 ? 'must be at most 1024 characters' : undefined)

const LOCK_DURATION: PropertySpec = { name: 'LockDuration', type: 'duration', default: 'PT1M', check: durationBetween(TICKS_PER_SECOND, 5n * TICKS_PER_MINUTE, 'PT1S and PT5M') }
const TTL: PropertySpec = { name: 'DefaultMessageTimeToLive', type: 'duration', default: MAX_DURATION, check: durationAtLeast(TICKS_PER_SECOND, 'PT1S') }
const AUTO_DELETE: PropertySpec = { name: 'AutoDeleteOnIdle', type: 'duration', default: MAX_DURATION, check: durationAtLeast(5n * TICKS_PER_MINUTE, 'PT5M') }
const DUPLICATE_WINDOW: PropertySpec = { name: 'DuplicateDetectionHistoryTimeWindow', type: 'duration', default: 'PT10M', check: durationBetween(20n * TICKS_PER_SECOND, 7n * TICKS_PER_DAY, 'PT20S and P7D') }
const MAX_SIZE: PropertySpec = { name: 'MaxSizeInMegabytes', type: 'integer', default: 1024, check: maxSizeCheck }
const MAX_DELIVERY: PropertySpec = { name: 'MaxDeliveryCount', type: 'integer', default: 10, check: atLeastOne }
const STATUS: PropertySpec = { name: 'Status', type: 'status', default: 'Active' }
const USER_METADATA: PropertySpec = { name: 'UserMetadata', type: 'text', check: metadataCheck }
const FORWARD_TO: PropertySpec = { name: 'ForwardTo', type: 'entity' }
const FORWARD_DLQ_TO: PropertySpec = { name: 'ForwardDeadLetteredMessagesTo', type: 'entity' }
const BATCHED: PropertySpec = { name: 'EnableBatchedOperations', type: 'boolean', default: true }
/** Premium only; kept when a client sets it, never invented (a Standard namespace does not report it). */
const MAX_MESSAGE_SIZE: PropertySpec = { name: 'MaxMessageSizeInKilobytes', type: 'integer', check: atLeastOne }

export const QUEUE_PROPERTIES: readonly PropertySpec[] = [
  LOCK_DURATION,
  MAX_SIZE,
  { name: 'RequiresDuplicateDetection', type: 'boolean', default: false, immutable: true },
  { name: 'RequiresSession', type: 'boolean', default: false, immutable: true },
  TTL,
  { name: 'DeadLetteringOnMessageExpiration', type: 'boolean', default: false },
  DUPLICATE_WINDOW,
  MAX_DELIVERY,
  BATCHED,
  STATUS,
  FORWARD_TO,
  USER_METADATA,
  AUTO_DELETE,
  { name: 'EnablePartitioning', type: 'boolean', default: false, immutable: true },
  FORWARD_DLQ_TO,
  { name: 'EnableExpress', type: 'boolean', default: false },
  MAX_MESSAGE_SIZE,
]

export const TOPIC_PROPERTIES: readonly PropertySpec[] = [
  TTL,
  MAX_SIZE,
  { name: 'RequiresDuplicateDetection', type: 'boolean', default: false, immutable: true },
  DUPLICATE_WINDOW,
  BATCHED,
  STATUS,
  USER_METADATA,
  { name: 'SupportOrdering', type: 'boolean', default: true },
  AUTO_DELETE,
  { name: 'EnablePartitioning', type: 'boolean', default: false, immutable: true },
  { name: 'EnableExpress', type: 'boolean', default: false },
  MAX_MESSAGE_SIZE,
]

export const SUBSCRIPTION_PROPERTIES: readonly PropertySpec[] = [
  LOCK_DURATION,
  { name: 'RequiresSession', type: 'boolean', default: false, immutable: true },
  TTL,
  { name: 'DeadLetteringOnMessageExpiration', type: 'boolean', default: false },
  { name: 'DeadLetteringOnFilterEvaluationExceptions', type: 'boolean', default: true },
  MAX_DELIVERY,
  BATCHED,
  STATUS,
  FORWARD_TO,
  USER_METADATA,
  FORWARD_DLQ_TO,
  AUTO_DELETE,
]

/** The target entity's name from a forwarding address: `sb://host/name`, `https://host/name` or `name`. */
export function forwardTargetName(address: string): string {
  const trimmed = address.trim()
  const scheme = /^(sb|https?):\/\//i.exec(trimmed)
  if (scheme === null) return trimmed.replace(/^\/+|\/+$/g, '')
  try {
    const url = new URL(`https://${trimmed.slice(scheme[0].length)}`)
    return decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, '')
  } catch {
    throw badRequest(`The forwarding address '${address}' is not a valid URI.`)
  }
}

function parseValue(spec: PropertySpec, raw: string, kind: string): PropertyValue {
  const invalid = (what: string) => badRequest(`The value '${raw}' of ${spec.name} on a ${kind} ${what}.`)
  switch (spec.type) {
    case 'duration': {
      const ticks = parseDuration(raw)
      if (ticks === undefined) throw invalid('is not a valid ISO 8601 duration')
      if (ticks <= 0n) throw invalid('must be a positive duration')
      return formatDuration(ticks)
    }
    case 'boolean': {
      const value = raw.trim().toLowerCase()
      if (value !== 'true' && value !== 'false') throw invalid('is not a boolean')
      return value === 'true'
    }
    case 'integer': {
      if (!/^\s*-?\d+\s*$/.test(raw) || !Number.isSafeInteger(Number(raw))) throw invalid('is not an integer')
      return Number(raw)
    }
    case 'status':
      if (!(ENTITY_STATUSES as readonly string[]).includes(raw.trim())) throw invalid(`is not one of ${ENTITY_STATUSES.join(', ')}`)
      return raw.trim()
    case 'entity':
      return forwardTargetName(raw)
    case 'text':
      return raw
  }
}

/**
 * The properties a create or update sets, from the description's elements (raw text by element
 * name): validated, canonical (durations as Service Bus writes them), defaults for what is left out.
 * Elements that are not settable (CreatedAt, MessageCount, …) are ignored like the service does.
 */
export function parseProperties(specs: readonly PropertySpec[], fields: Readonly<Record<string, string>>, kind: string): Record<string, PropertyValue> {
  const properties: Record<string, PropertyValue> = {}
  for (const spec of specs) {
    const raw = fields[spec.name]
    // An empty forwarding address clears it, as does leaving it out (the emulator's Config.json writes "").
    const absent = raw === undefined || (raw.trim() === '' && spec.type !== 'text')
    if (absent) {
      if (spec.default !== undefined) properties[spec.name] = spec.default
      continue
    }
    const value = parseValue(spec, raw, kind)
    const problem = spec.check?.(value)
    if (problem !== undefined) throw badRequest(`The value '${raw}' of ${spec.name} on a ${kind} ${problem}.`)
    properties[spec.name] = value
  }
  return properties
}

/** Refuses an update that changes a property fixed at creation (RequiresSession, EnablePartitioning, …). */
export function checkImmutable(specs: readonly PropertySpec[], before: Record<string, PropertyValue>, after: Record<string, PropertyValue>, kind: string): void {
  for (const spec of specs) {
    if (spec.immutable && before[spec.name] !== after[spec.name]) {
      throw badRequest(`The value for the '${spec.name}' property of an existing ${kind} cannot be changed.`)
    }
  }
}

// ---- names ---------------------------------------------------------------------------------------

const ENTITY_NAME = /^[A-Za-z0-9]$|^[A-Za-z0-9][A-Za-z0-9._\-/]*[A-Za-z0-9]$/
const CHILD_NAME = /^[A-Za-z0-9]$|^[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9]$/
const RULE_NAME = /^\$?[A-Za-z0-9._-]+$/

/** Queue and topic names: up to 260 characters, letters, digits, `.`, `-`, `_` and `/` between segments. */
export function checkEntityName(name: string): void {
  if (name.length > 260 || !ENTITY_NAME.test(name) || name.includes('//')) {
    throw badRequest(`The entity name '${name}' is invalid: up to 260 letters, digits, periods, hyphens, underscores and slashes, starting and ending with a letter or digit.`)
  }
}

export function checkSubscriptionName(name: string): void {
  if (name.length > 50 || !CHILD_NAME.test(name)) {
    throw badRequest(`The subscription name '${name}' is invalid: up to 50 letters, digits, periods, hyphens and underscores, starting and ending with a letter or digit.`)
  }
}

export function checkRuleName(name: string): void {
  if (name.length > 50 || !RULE_NAME.test(name)) throw badRequest(`The rule name '${name}' is invalid: up to 50 letters, digits, periods, hyphens and underscores.`)
}

/** Entity names are case-insensitive in Service Bus. */
const keyOf = (name: string): string => name.toLowerCase()

// ---- rules ---------------------------------------------------------------------------------------

export const DEFAULT_RULE_NAME = '$Default'

/** A typed value in a SQL parameter or correlation property list (`type` is the XML Schema type). */
export interface KeyValue {
  key: string
  type: string
  value: string
}

export const CORRELATION_FIELDS = ['CorrelationId', 'MessageId', 'To', 'ReplyTo', 'Label', 'SessionId', 'ReplyToSessionId', 'ContentType'] as const
export type CorrelationField = (typeof CORRELATION_FIELDS)[number]

export type RuleFilter = { type: 'SqlFilter' | 'TrueFilter' | 'FalseFilter'; sqlExpression: string; parameters: KeyValue[] } | { type: 'CorrelationFilter'; fields: Partial<Record<CorrelationField, string>>; properties: KeyValue[] }

export type RuleAction = { type: 'EmptyRuleAction' } | { type: 'SqlRuleAction'; sqlExpression: string; parameters: KeyValue[] }

export interface RuleInput {
  name?: string
  filter: RuleFilter
  action: RuleAction
}

export interface Rule {
  name: string
  filter: RuleFilter
  action: RuleAction
  createdAt: string
}

const VALUE_TYPES: Record<string, (value: string) => boolean> = {
  string: () => true,
  int: (v) => /^-?\d+$/.test(v.trim()),
  long: (v) => /^-?\d+$/.test(v.trim()),
  double: (v) => v.trim() !== '' && (Number.isFinite(Number(v)) || ['INF', '-INF', 'NaN'].includes(v.trim())),
  decimal: (v) => /^-?\d+(\.\d+)?$/.test(v.trim()),
  boolean: (v) => ['true', 'false'].includes(v.trim().toLowerCase()),
  dateTime: (v) => !Number.isNaN(Date.parse(v)),
}

function checkKeyValues(values: KeyValue[], what: string): void {
  const seen = new Set<string>()
  for (const kv of values) {
    const valid = VALUE_TYPES[kv.type]
    if (valid === undefined) throw badRequest(`The ${what} '${kv.key}' has the unsupported type '${kv.type}'.`)
    if (!valid(kv.value)) throw badRequest(`The ${what} '${kv.key}' has the value '${kv.value}', which is not a valid ${kv.type}.`)
    if (seen.has(kv.key)) throw badRequest(`The ${what} '${kv.key}' appears twice.`)
    seen.add(kv.key)
  }
}

/** Validates a rule as created or updated; the filter's SQL is stored as sent (not parsed). */
export function validateRule(input: RuleInput, name: string, now: string): Rule {
  checkRuleName(name)
  const filter = input.filter
  if (filter.type === 'CorrelationFilter') {
    const hasField = CORRELATION_FIELDS.some((f) => filter.fields[f] !== undefined)
    if (!hasField && filter.properties.length === 0) throw badRequest('A CorrelationFilter needs at least one system or application property to match.')
    checkKeyValues(filter.properties, 'correlation filter property')
  } else {
    if (filter.sqlExpression.trim() === '') throw badRequest(`The ${filter.type} of rule '${name}' has an empty SqlExpression.`)
    checkKeyValues(filter.parameters, 'SQL filter parameter')
  }
  let action = input.action
  if (action.type === 'SqlRuleAction') {
    // The SDK sends `{ sqlExpression: "" }` for "no action" when a caller passes one; Service Bus has
    // nothing to run either way, so it is stored as the EmptyRuleAction it means.
    if (action.sqlExpression.trim() === '') action = { type: 'EmptyRuleAction' }
    else checkKeyValues(action.parameters, 'SQL action parameter')
  }
  return { name, filter, action, createdAt: now }
}

export function trueFilterRule(now: string): Rule {
  return { name: DEFAULT_RULE_NAME, filter: { type: 'TrueFilter', sqlExpression: '1=1', parameters: [] }, action: { type: 'EmptyRuleAction' }, createdAt: now }
}

// ---- entities ------------------------------------------------------------------------------------

/** Message counts as `CountDetails` reports them (set through the sandbox's control route). */
export interface MessageCounts {
  active: number
  deadLetter: number
  scheduled: number
  transfer: number
  transferDeadLetter: number
}

export const COUNT_FIELDS = ['active', 'deadLetter', 'scheduled', 'transfer', 'transferDeadLetter'] as const

export function zeroCounts(): MessageCounts {
  return { active: 0, deadLetter: 0, scheduled: 0, transfer: 0, transferDeadLetter: 0 }
}

/** `MessageCount`: every message the entity holds, its sub-queues included. */
export function totalMessages(counts: MessageCounts): number {
  return counts.active + counts.deadLetter + counts.scheduled + counts.transfer + counts.transferDeadLetter
}

export interface AuthorizationRuleInput {
  claimType?: string
  claimValue?: string
  rights: string[]
  keyName?: string
  primaryKey?: string
  secondaryKey?: string
}

/** An entity-level shared access rule: stored and reported (the sandbox authenticates with the namespace key only). */
export interface AuthorizationRule {
  claimType: string
  claimValue: string
  rights: string[]
  keyName: string
  primaryKey: string
  secondaryKey: string
  createdTime: string
  modifiedTime: string
}

/** What a PUT body describes (atom.ts reads it from the XML). */
export interface EntityInput {
  /** The description's simple elements: element name → text. */
  fields: Record<string, string>
  authorizationRules?: AuthorizationRuleInput[]
  /** A subscription's `DefaultRuleDescription` (used on create only). */
  defaultRule?: RuleInput
}

interface Described {
  name: string
  properties: Record<string, PropertyValue>
  createdAt: string
  updatedAt: string
  accessedAt: string
  counts: MessageCounts
  sizeInBytes: number
}

export interface Queue extends Described {
  authorizationRules: AuthorizationRule[]
}

export interface Topic extends Described {
  authorizationRules: AuthorizationRule[]
  subscriptions: Map<string, Subscription>
}

export interface Subscription extends Described {
  topic: string
  rules: Map<string, Rule>
}

/** `AccessedAt` of an entity nobody sent to or received from (what Service Bus reports). */
export const NEVER = '0001-01-01T00:00:00Z'

export type PutMode = 'create' | 'update'

export interface NamespaceOptions {
  now: () => Date
  /** A new shared access key (authorization rules created without one). */
  newKey: () => string
}

/** servicebus.json: the namespace as persisted. */
export interface NamespaceSnapshot {
  version: 1
  createdAt: string
  queues: Queue[]
  topics: (Omit<Topic, 'subscriptions'> & { subscriptions: (Omit<Subscription, 'rules'> & { rules: Rule[] })[] })[]
}

const byName = <T extends { name: string }>(a: T, b: T): number => (keyOf(a.name) < keyOf(b.name) ? -1 : keyOf(a.name) > keyOf(b.name) ? 1 : 0)

/** The path of a subscription as the control route and messages name it: `topic/Subscriptions/sub`. */
export const subscriptionPath = (topic: string, subscription: string): string => `${topic}/Subscriptions/${subscription}`

export class ServiceBusNamespace {
  readonly createdAt: string
  private readonly queues = new Map<string, Queue>()
  private readonly topics = new Map<string, Topic>()

  constructor(
    private readonly options: NamespaceOptions,
    snapshot?: NamespaceSnapshot,
  ) {
    this.createdAt = snapshot?.createdAt ?? this.now()
    for (const queue of snapshot?.queues ?? []) this.queues.set(keyOf(queue.name), { ...queue, counts: { ...zeroCounts(), ...queue.counts } })
    for (const stored of snapshot?.topics ?? []) {
      const subscriptions = new Map<string, Subscription>()
      for (const s of stored.subscriptions) subscriptions.set(keyOf(s.name), { ...s, counts: { ...zeroCounts(), ...s.counts }, rules: new Map(s.rules.map((r) => [keyOf(r.name), r])) })
      this.topics.set(keyOf(stored.name), { ...stored, counts: { ...zeroCounts(), ...stored.counts }, subscriptions })
    }
  }

  private now(): string {
    return this.options.now().toISOString()
  }

  // ---- reads ----

  queue(name: string): Queue | undefined {
    return this.queues.get(keyOf(name))
  }

  topic(name: string): Topic | undefined {
    return this.topics.get(keyOf(name))
  }

  subscription(topic: string, name: string): Subscription | undefined {
    return this.topic(topic)?.subscriptions.get(keyOf(name))
  }

  rule(topic: string, subscription: string, name: string): Rule | undefined {
    return this.subscription(topic, subscription)?.rules.get(keyOf(name))
  }

  listQueues(): Queue[] {
    return [...this.queues.values()].sort(byName)
  }

  listTopics(): Topic[] {
    return [...this.topics.values()].sort(byName)
  }

  listSubscriptions(topic: string): Subscription[] {
    const parent = this.topic(topic)
    if (parent === undefined) throw parentNotFound('topic', topic)
    return [...parent.subscriptions.values()].sort(byName)
  }

  listRules(topic: string, subscription: string): Rule[] {
    const parent = this.requireSubscription(topic, subscription)
    return [...parent.rules.values()].sort(byName)
  }

  counts(): { queues: number; topics: number; subscriptions: number; rules: number } {
    let subscriptions = 0
    let rules = 0
    for (const topic of this.topics.values()) {
      subscriptions += topic.subscriptions.size
      for (const s of topic.subscriptions.values()) rules += s.rules.size
    }
    return { queues: this.queues.size, topics: this.topics.size, subscriptions, rules }
  }

  private requireTopic(name: string): Topic {
    const topic = this.topic(name)
    if (topic === undefined) throw parentNotFound('topic', name)
    return topic
  }

  private requireSubscription(topic: string, name: string): Subscription {
    const subscription = this.requireTopic(topic).subscriptions.get(keyOf(name))
    if (subscription === undefined) throw parentNotFound('subscription', subscriptionPath(topic, name))
    return subscription
  }

  /** Forwarding needs a target that exists ("the destination entity must exist when the source is created"). */
  private checkForwarding(properties: Record<string, PropertyValue>, self: string | undefined): void {
    for (const field of ['ForwardTo', 'ForwardDeadLetteredMessagesTo']) {
      const target = properties[field]
      if (typeof target !== 'string') continue
      if (self !== undefined && keyOf(target) === keyOf(self)) throw badRequest(`The entity '${self}' cannot forward to itself (${field}).`)
      checkEntityName(target)
      if (this.queue(target) === undefined && this.topic(target) === undefined) {
        throw badRequest(`The ${field} target '${target}' does not exist; create it first.`)
      }
    }
  }

  private authorizationRules(inputs: AuthorizationRuleInput[] | undefined, before: AuthorizationRule[] | undefined): AuthorizationRule[] {
    const now = this.now()
    return (inputs ?? []).map((input) => {
      const keyName = input.keyName?.trim()
      if (!keyName) throw badRequest('An authorization rule needs a KeyName.')
      const rights = [...new Set(input.rights)]
      for (const right of rights) if (!['Manage', 'Send', 'Listen'].includes(right)) throw badRequest(`The access right '${right}' is not one of Manage, Send, Listen.`)
      if (rights.includes('Manage') && !(rights.includes('Send') && rights.includes('Listen'))) throw badRequest(`The rule '${keyName}': Manage requires Send and Listen.`)
      const previous = before?.find((r) => r.keyName === keyName)
      return {
        claimType: input.claimType || 'SharedAccessKey',
        claimValue: input.claimValue || 'None',
        rights,
        keyName,
        primaryKey: input.primaryKey || previous?.primaryKey || this.options.newKey(),
        secondaryKey: input.secondaryKey || previous?.secondaryKey || this.options.newKey(),
        createdTime: previous?.createdTime ?? now,
        modifiedTime: now,
      }
    })
  }

  /**
   * The parts a create or update of a queue or topic shares: the properties replaced in full, the
   * immutable ones checked against what was there.
   */
  private described<T extends Described>(specs: readonly PropertySpec[], input: EntityInput, kind: string, name: string, existing: T | undefined): Pick<Described, 'properties' | 'createdAt' | 'updatedAt'> {
    const properties = parseProperties(specs, input.fields, kind)
    if (existing !== undefined) checkImmutable(specs, existing.properties, properties, kind)
    this.checkForwarding(properties, name)
    const now = this.now()
    return { properties, createdAt: existing?.createdAt ?? now, updatedAt: now }
  }

  // ---- writes ----

  putQueue(name: string, input: EntityInput, mode: PutMode): { entity: Queue; created: boolean } {
    checkEntityName(name)
    const existing = this.queue(name)
    if (this.topic(name) !== undefined) throw alreadyExists(name)
    if (mode === 'create' && existing !== undefined) throw alreadyExists(name)
    if (mode === 'update' && existing === undefined) throw noService()
    const queue: Queue = {
      name: existing?.name ?? name,
      ...this.described(QUEUE_PROPERTIES, input, 'Queue', name, existing),
      accessedAt: existing?.accessedAt ?? NEVER,
      counts: existing?.counts ?? zeroCounts(),
      sizeInBytes: existing?.sizeInBytes ?? 0,
      authorizationRules: this.authorizationRules(input.authorizationRules, existing?.authorizationRules),
    }
    this.queues.set(keyOf(name), queue)
    return { entity: queue, created: existing === undefined }
  }

  putTopic(name: string, input: EntityInput, mode: PutMode): { entity: Topic; created: boolean } {
    checkEntityName(name)
    const existing = this.topic(name)
    if (this.queue(name) !== undefined) throw alreadyExists(name)
    if (mode === 'create' && existing !== undefined) throw alreadyExists(name)
    if (mode === 'update' && existing === undefined) throw noService()
    const topic: Topic = {
      name: existing?.name ?? name,
      ...this.described(TOPIC_PROPERTIES, input, 'Topic', name, existing),
      accessedAt: existing?.accessedAt ?? NEVER,
      counts: existing?.counts ?? zeroCounts(),
      sizeInBytes: existing?.sizeInBytes ?? 0,
      authorizationRules: this.authorizationRules(input.authorizationRules, existing?.authorizationRules),
      subscriptions: existing?.subscriptions ?? new Map(),
    }
    this.topics.set(keyOf(name), topic)
    return { entity: topic, created: existing === undefined }
  }

  /**
   * A new subscription gets the rule in its `DefaultRuleDescription`, or `$Default` (TrueFilter): it
   * receives every message until that rule is removed. On update the default rule is ignored.
   */
  putSubscription(topicName: string, name: string, input: EntityInput, mode: PutMode): { entity: Subscription; created: boolean } {
    checkSubscriptionName(name)
    const topic = this.requireTopic(topicName)
    const existing = topic.subscriptions.get(keyOf(name))
    const path = subscriptionPath(topic.name, name)
    if (mode === 'create' && existing !== undefined) throw alreadyExists(path)
    if (mode === 'update' && existing === undefined) throw noService()
    const described = this.described(SUBSCRIPTION_PROPERTIES, input, 'Subscription', path, existing)
    let rules = existing?.rules
    if (rules === undefined) {
      const defaultRule = input.defaultRule === undefined ? trueFilterRule(described.createdAt) : validateRule(input.defaultRule, input.defaultRule.name ?? DEFAULT_RULE_NAME, described.createdAt)
      rules = new Map([[keyOf(defaultRule.name), defaultRule]])
    }
    const subscription: Subscription = {
      name: existing?.name ?? name,
      topic: topic.name,
      ...described,
      accessedAt: existing?.accessedAt ?? NEVER,
      counts: existing?.counts ?? zeroCounts(),
      sizeInBytes: existing?.sizeInBytes ?? 0,
      rules,
    }
    topic.subscriptions.set(keyOf(name), subscription)
    return { entity: subscription, created: existing === undefined }
  }

  putRule(topicName: string, subscriptionName: string, name: string, input: RuleInput, mode: PutMode): { entity: Rule; created: boolean } {
    const subscription = this.requireSubscription(topicName, subscriptionName)
    const existing = subscription.rules.get(keyOf(name))
    if (mode === 'create' && existing !== undefined) throw alreadyExists(`${subscriptionPath(subscription.topic, subscription.name)}/Rules/${name}`)
    if (mode === 'update' && existing === undefined) throw noService()
    const rule = validateRule(input, existing?.name ?? name, existing?.createdAt ?? this.now())
    subscription.rules.set(keyOf(name), rule)
    return { entity: rule, created: existing === undefined }
  }

  /** Deletes a queue or a topic (with its subscriptions and rules); 404 when there is none. */
  deleteEntity(name: string): void {
    if (this.queues.delete(keyOf(name)) || this.topics.delete(keyOf(name))) return
    throw noService()
  }

  deleteSubscription(topic: string, name: string): void {
    if (this.topic(topic)?.subscriptions.delete(keyOf(name))) return
    throw noService()
  }

  deleteRule(topic: string, subscription: string, name: string): void {
    if (this.subscription(topic, subscription)?.rules.delete(keyOf(name))) return
    throw noService()
  }

  /**
   * Sets message counts (the sandbox's stand-in for traffic): `entity` is a queue or topic name, or
   * `topic/Subscriptions/sub`. Fields left out keep their value.
   */
  setCounts(entity: string, counts: Partial<MessageCounts> & { sizeInBytes?: number }): { kind: 'queue' | 'topic' | 'subscription'; entity: Queue | Topic | Subscription } {
    const target = this.resolveCountTarget(entity)
    for (const field of COUNT_FIELDS) {
      const value = counts[field]
      if (value !== undefined) target.entity.counts[field] = value
    }
    if (counts.sizeInBytes !== undefined) target.entity.sizeInBytes = counts.sizeInBytes
    return target
  }

  private resolveCountTarget(entity: string): { kind: 'queue' | 'topic' | 'subscription'; entity: Queue | Topic | Subscription } {
    const split = /^(.+)\/subscriptions\/([^/]+)$/i.exec(entity.replace(/\/+$/, ''))
    if (split !== null) {
      const subscription = this.subscription(split[1]!, split[2]!)
      if (subscription === undefined) throw parentNotFound('subscription', entity)
      return { kind: 'subscription', entity: subscription }
    }
    const queue = this.queue(entity)
    if (queue !== undefined) return { kind: 'queue', entity: queue }
    const topic = this.topic(entity)
    if (topic !== undefined) return { kind: 'topic', entity: topic }
    throw parentNotFound('entity', entity)
  }

  snapshot(): NamespaceSnapshot {
    return {
      version: 1,
      createdAt: this.createdAt,
      queues: this.listQueues(),
      topics: this.listTopics().map((topic) => ({
        ...topic,
        subscriptions: [...topic.subscriptions.values()].sort(byName).map((s) => ({ ...s, rules: [...s.rules.values()].sort(byName) })),
      })),
    }
  }
}
