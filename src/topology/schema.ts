// topology.yaml: the Service Bus topology the MassTransit way (a topic per event type, a subscription per
// consuming endpoint forwarding to that endpoint's queue, rules that filter), with per-environment overrides.
// The shape follows the Service Bus emulator's Config.json, in YAML and camelCase. Only the settings a file
// declares are managed: the rest keeps whatever the namespace has (Service Bus defaults on create).
import { z } from 'zod'

const entityName = z
  .string()
  .regex(/^[A-Za-z0-9]$|^[A-Za-z0-9][\w.\-/]*[A-Za-z0-9]$/, 'must start and end with a letter or digit and contain only letters, digits, ".", "-", "_" or "/"')
  .max(260)
const shortName = z.string().regex(/^[A-Za-z0-9]$|^[A-Za-z0-9][\w.-]*[A-Za-z0-9]$/, 'must start and end with a letter or digit and contain only letters, digits, ".", "-" or "_"').max(50)
/** `30s`, `5m`, `1h`, `14d`, or ISO 8601 (`PT1M`, `P14D`). */
const duration = z.string().regex(/^(\d+(ms|s|m|h|d))+$|^P(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/, 'must be a duration like 30s, 5m, 1h, 14d or ISO 8601 like PT1M')

const queueSettings = z
  .object({
    lockDuration: duration.optional(),
    maxDeliveryCount: z.number().int().min(1).max(2000).optional(),
    defaultMessageTimeToLive: duration.optional(),
    deadLetteringOnMessageExpiration: z.boolean().optional(),
    requiresSession: z.boolean().optional(),
    requiresDuplicateDetection: z.boolean().optional(),
    duplicateDetectionHistoryTimeWindow: duration.optional(),
    forwardTo: entityName.optional(),
    forwardDeadLetteredMessagesTo: entityName.optional(),
    autoDeleteOnIdle: duration.optional(),
    maxSizeInMegabytes: z.number().int().positive().optional(),
  })
  .strict()

const topicSettings = z
  .object({
    defaultMessageTimeToLive: duration.optional(),
    requiresDuplicateDetection: z.boolean().optional(),
    duplicateDetectionHistoryTimeWindow: duration.optional(),
    autoDeleteOnIdle: duration.optional(),
    maxSizeInMegabytes: z.number().int().positive().optional(),
    supportOrdering: z.boolean().optional(),
  })
  .strict()

const subscriptionSettings = z
  .object({
    lockDuration: duration.optional(),
    maxDeliveryCount: z.number().int().min(1).max(2000).optional(),
    defaultMessageTimeToLive: duration.optional(),
    deadLetteringOnMessageExpiration: z.boolean().optional(),
    deadLetteringOnFilterEvaluationExceptions: z.boolean().optional(),
    requiresSession: z.boolean().optional(),
    forwardTo: entityName.optional(),
    forwardDeadLetteredMessagesTo: entityName.optional(),
    autoDeleteOnIdle: duration.optional(),
  })
  .strict()

const correlationFilter = z
  .object({
    correlationId: z.string().optional(),
    messageId: z.string().optional(),
    to: z.string().optional(),
    replyTo: z.string().optional(),
    subject: z.string().optional().describe('The Label of the emulator Config.json'),
    sessionId: z.string().optional(),
    replyToSessionId: z.string().optional(),
    contentType: z.string().optional(),
    applicationProperties: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  })
  .strict()
  .refine((f) => Object.values(f).some((v) => v !== undefined), 'a correlation filter needs at least one property')

export const ruleSchema = z
  .object({
    name: shortName,
    sql: z.string().min(1).optional().describe('SQL filter expression'),
    correlation: correlationFilter.optional(),
    action: z.string().min(1).optional().describe('SQL action, like SET sys.To = \'x\''),
  })
  .strict()
  .refine((r) => (r.sql === undefined) !== (r.correlation === undefined), 'a rule needs exactly one of sql or correlation')

export const subscriptionSchema = subscriptionSettings.extend({
  name: shortName,
  rules: z.array(ruleSchema).default([]),
  keepDefaultRule: z.boolean().default(false).describe('Keep the $Default TrueFilter rule Service Bus creates (dropped by default when rules are declared)'),
})

export const topicSchema = topicSettings.extend({ name: entityName, subscriptions: z.array(subscriptionSchema).default([]) })
export const queueSchema = queueSettings.extend({ name: entityName })

const overrides = z
  .object({
    queues: z.record(z.string(), queueSettings).default({}),
    topics: z.record(z.string(), topicSettings).default({}),
    subscriptions: z.record(z.string(), subscriptionSettings).default({}).describe('Keyed "topic/subscription"'),
  })
  .strict()

export const topologySchema = z
  .object({
    $schema: z.string().optional(),
    apiVersion: z.literal('mkt/v1'),
    queues: z.array(queueSchema).default([]),
    topics: z.array(topicSchema).default([]),
    environments: z.record(z.string(), overrides).default({}).describe('Per-environment settings that override the ones above'),
  })
  .strict()

export type Topology = z.output<typeof topologySchema>
export type QueueSettings = z.output<typeof queueSettings>
export type TopicSettings = z.output<typeof topicSettings>
export type SubscriptionSettings = z.output<typeof subscriptionSettings>
export type RuleSpec = z.output<typeof ruleSchema>
