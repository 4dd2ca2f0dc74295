// Reading a Service Bus namespace into entities, and applying a plan to it with the real
// ServiceBusAdministrationClient: bounded concurrency, parents before children, races (409) resolved by
// reading again, and a report of what was applied and what was not, so a rerun finishes the job.
import type { CorrelationRuleFilter, RuleProperties, ServiceBusAdministrationClient, SqlRuleFilter } from '@azure/service-bus'
import { withPool } from '../pool.js'
import { DEFAULT_RULE, msToIso, normaliseSettings, type Change, type Entity, type RuleBody, type SettingValue } from './plan.js'

const QUEUE_FIELDS = ['lockDuration', 'maxDeliveryCount', 'defaultMessageTimeToLive', 'deadLetteringOnMessageExpiration', 'requiresSession', 'requiresDuplicateDetection', 'duplicateDetectionHistoryTimeWindow', 'forwardTo', 'forwardDeadLetteredMessagesTo', 'autoDeleteOnIdle', 'maxSizeInMegabytes']
const TOPIC_FIELDS = ['defaultMessageTimeToLive', 'requiresDuplicateDetection', 'duplicateDetectionHistoryTimeWindow', 'autoDeleteOnIdle', 'maxSizeInMegabytes', 'supportOrdering']
const SUBSCRIPTION_FIELDS = ['lockDuration', 'maxDeliveryCount', 'defaultMessageTimeToLive', 'deadLetteringOnMessageExpiration', 'deadLetteringOnFilterEvaluationExceptions', 'requiresSession', 'forwardTo', 'forwardDeadLetteredMessagesTo', 'autoDeleteOnIdle']
const pick = (object: object, fields: string[]) => Object.fromEntries(fields.map((f) => [f, (object as Record<string, unknown>)[f]]))

async function all<T>(iterator: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = []
  for await (const item of iterator) items.push(item)
  return items
}

export function ruleBodyFromSdk(rule: Pick<RuleProperties, 'filter' | 'action'>): RuleBody {
  const filter = rule.filter as Partial<SqlRuleFilter & CorrelationRuleFilter>
  const action = (rule.action as { sqlExpression?: string } | undefined)?.sqlExpression?.trim() || null
  if (typeof filter.sqlExpression === 'string') return { filter: { sql: filter.sqlExpression.trim() }, action }
  const correlation: Record<string, SettingValue | Record<string, SettingValue>> = {}
  for (const key of ['correlationId', 'messageId', 'to', 'replyTo', 'subject', 'sessionId', 'replyToSessionId', 'contentType'] as const) {
    const value = filter[key]
    if (value !== undefined && value !== null && value !== '') correlation[key] = value
  }
  const props = filter.applicationProperties as Record<string, SettingValue> | undefined
  if (props && Object.keys(props).length > 0) correlation.applicationProperties = Object.fromEntries(Object.entries(props).sort(([a], [b]) => a.localeCompare(b)))
  return { filter: { correlation }, action }
}

/** Everything in the namespace, as entities comparable with the desired ones. */
export async function readNamespace(client: ServiceBusAdministrationClient): Promise<Entity[]> {
  const [queues, topics] = await Promise.all([all(client.listQueues()), all(client.listTopics())])
  const entities: Entity[] = queues.map((q) => ({ kind: 'queue', key: q.name, settings: normaliseSettings(pick(q, QUEUE_FIELDS)) }))
  const perTopic = await withPool(
    topics.map((topic) => async () => {
      const subscriptions = await all(client.listSubscriptions(topic.name))
      const rules = await withPool(subscriptions.map((s) => () => all(client.listRules(topic.name, s.subscriptionName))), 8)
      return [
        { kind: 'topic' as const, key: topic.name, settings: normaliseSettings(pick(topic, TOPIC_FIELDS)) },
        ...subscriptions.flatMap((s, i) => [
          { kind: 'subscription' as const, key: `${topic.name}/${s.subscriptionName}`, settings: normaliseSettings(pick(s, SUBSCRIPTION_FIELDS)) },
          ...rules[i]!.map((r) => ({ kind: 'rule' as const, key: `${topic.name}/${s.subscriptionName}/${r.name}`, settings: {}, rule: ruleBodyFromSdk(r) })),
        ]),
      ]
    }),
    8,
  )
  return [...entities, ...perTopic.flat()]
}

/** Settings as the SDK takes them: durations back to ISO 8601. */
function sdkSettings(settings: Record<string, SettingValue>): Record<string, SettingValue> {
  const out: Record<string, SettingValue> = {}
  for (const [key, value] of Object.entries(settings)) {
    out[key] = ['lockDuration', 'defaultMessageTimeToLive', 'duplicateDetectionHistoryTimeWindow', 'autoDeleteOnIdle'].includes(key) && typeof value === 'number' ? msToIso(value) : value
  }
  return out
}

function sdkFilter(rule: RuleBody): SqlRuleFilter | CorrelationRuleFilter {
  if ('sql' in rule.filter) return { sqlExpression: rule.filter.sql }
  return { ...(rule.filter.correlation as CorrelationRuleFilter) }
}

const sdkAction = (rule: RuleBody) => (rule.action ? { sqlExpression: rule.action } : undefined)

export type ChangeOutcome = Change & { status: 'applied' | 'failed' | 'skipped'; error?: string }

const codeOf = (error: unknown) => (error as { code?: string }).code

/** One change, idempotently: a create that races an existing entity turns into a read and an update. */
async function applyOne(client: ServiceBusAdministrationClient, change: Change, plan: Change[]): Promise<void> {
  const parts = change.key.split('/')
  const [topic, subscription, rule] = change.kind === 'queue' || change.kind === 'topic' ? [change.key] : change.kind === 'subscription' ? [parts.slice(0, -1).join('/'), parts.at(-1)!] : [parts.slice(0, -2).join('/'), parts.at(-2)!, parts.at(-1)!]
  const settings = sdkSettings(change.settings)
  try {
    if (change.action === 'delete') {
      if (change.kind === 'queue') await client.deleteQueue(change.key)
      else if (change.kind === 'topic') await client.deleteTopic(change.key)
      else if (change.kind === 'subscription') await client.deleteSubscription(topic!, subscription!)
      else await client.deleteRule(topic!, subscription!, rule!)
      return
    }
    if (change.action === 'create') {
      if (change.kind === 'queue') await client.createQueue(change.key, settings)
      else if (change.kind === 'topic') await client.createTopic(change.key, settings)
      else if (change.kind === 'subscription') {
        // Create it with its first declared rule instead of the $Default TrueFilter: no window in which the
        // subscription takes every message, and nothing to delete afterwards.
        const firstRule = plan.find((c) => c.kind === 'rule' && c.action === 'create' && c.key.startsWith(`${change.key}/`))
        const defaultRuleOptions = firstRule && !firstRule.key.endsWith(`/${DEFAULT_RULE}`) ? { name: firstRule.key.split('/').at(-1)!, filter: sdkFilter(firstRule.rule!), ...(sdkAction(firstRule.rule!) ? { action: sdkAction(firstRule.rule!) } : {}) } : undefined
        await client.createSubscription(topic!, subscription!, { ...settings, ...(defaultRuleOptions ? { defaultRuleOptions } : {}) })
      } else if (!(await ruleExists(client, topic!, subscription!, rule!))) {
        const action = sdkAction(change.rule!)
        if (action) await client.createRule(topic!, subscription!, rule!, sdkFilter(change.rule!), action)
        else await client.createRule(topic!, subscription!, rule!, sdkFilter(change.rule!))
      }
      return
    }
    await update(client, change, topic!, subscription, rule, settings)
  } catch (error) {
    if (change.action === 'create' && codeOf(error) === 'MessageEntityAlreadyExistsError') {
      // Someone (a concurrent apply, a rerun) created it meanwhile: make it what we want instead.
      await update(client, change, topic!, subscription, rule, settings)
      return
    }
    throw error
  }
}

async function ruleExists(client: ServiceBusAdministrationClient, topic: string, subscription: string, rule: string): Promise<boolean> {
  // The subscription's create may just have made this rule as its default rule.
  try {
    await client.getRule(topic, subscription, rule)
    return true
  } catch (error) {
    if (codeOf(error) === 'MessageEntityNotFoundError') return false
    throw error
  }
}

/** Updates are full replaces: start from what the namespace has and change the declared fields. */
async function update(client: ServiceBusAdministrationClient, change: Change, topic: string, subscription: string | undefined, rule: string | undefined, settings: Record<string, SettingValue>) {
  if (change.kind === 'queue') await client.updateQueue({ ...(await client.getQueue(change.key)), ...settings })
  else if (change.kind === 'topic') await client.updateTopic({ ...(await client.getTopic(change.key)), ...settings })
  else if (change.kind === 'subscription') await client.updateSubscription({ ...(await client.getSubscription(topic, subscription!)), ...settings })
  else {
    const current = await client.getRule(topic, subscription!, rule!)
    await client.updateRule(topic, subscription!, { ...current, filter: sdkFilter(change.rule!), action: sdkAction(change.rule!) ?? { sqlExpression: '' } } as never)
  }
}

/**
 * Applies changes phase by phase (the plan's order: queues, topics, subscriptions, rules; deletions children
 * first), each phase with bounded concurrency. A change whose parent failed is skipped, not attempted.
 */
export async function applyChanges(client: ServiceBusAdministrationClient, changes: Change[], concurrency: number, onChange: (outcome: ChangeOutcome) => void): Promise<ChangeOutcome[]> {
  const outcomes: ChangeOutcome[] = []
  const failedKeys = new Set<string>()
  const phases: Change[][] = []
  for (const change of changes) {
    const phase = `${change.action === 'delete' ? 'd' : 'c'}:${change.kind}`
    const last = phases.at(-1)
    if (last && `${last[0]!.action === 'delete' ? 'd' : 'c'}:${last[0]!.kind}` === phase) last.push(change)
    else phases.push([change])
  }
  for (const phase of phases) {
    const results = await withPool(
      phase.map((change) => async (): Promise<ChangeOutcome> => {
        const parentFailed = [...failedKeys].some((key) => change.key.toLowerCase().startsWith(`${key.toLowerCase()}/`))
        if (parentFailed) return { ...change, status: 'skipped', error: 'its parent failed' }
        try {
          await applyOne(client, change, changes)
          return { ...change, status: 'applied' }
        } catch (error) {
          failedKeys.add(change.key)
          return { ...change, status: 'failed', error: (error as Error).message.split('\n')[0] }
        }
      }),
      concurrency,
    )
    for (const result of results) onChange(result)
    outcomes.push(...results)
  }
  return outcomes
}
