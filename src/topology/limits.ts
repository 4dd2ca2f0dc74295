// Service Bus's own limits on what topology.yaml declares, checked before `topics plan` says anything, so a
// value the namespace would refuse at `apply` (lockDuration: 10m, autoDeleteOnIdle: 1m) is an exit-65 error
// naming the entity and field instead of a plan that looks fine. Limits as Azure documents them
// (learn.microsoft.com "Service Bus quotas"; the sandbox's namespace applies the same ones).
import { formatDuration } from '../duration.js'
import { durationToMs } from './plan.js'
import type { Topology } from './schema.js'

const SECOND = 1000
const MINUTE = 60 * SECOND
const DAY = 24 * 60 * MINUTE

interface Range {
  min: number
  max?: number
}

const DURATION_LIMITS: Record<string, Range> = {
  lockDuration: { min: SECOND, max: 5 * MINUTE },
  defaultMessageTimeToLive: { min: SECOND },
  autoDeleteOnIdle: { min: 5 * MINUTE },
  duplicateDetectionHistoryTimeWindow: { min: 20 * SECOND, max: 7 * DAY },
}

/** Per topic, and per subscription. */
export const MAX_SUBSCRIPTIONS_PER_TOPIC = 2000
export const MAX_RULES_PER_SUBSCRIPTION = 2000

export interface LimitProblem {
  path: PropertyKey[]
  message: string
}

/** What in `settings` (at `path`) Service Bus would refuse. */
function settingProblems(settings: Record<string, unknown>, path: PropertyKey[]): LimitProblem[] {
  const problems: LimitProblem[] = []
  for (const [field, range] of Object.entries(DURATION_LIMITS)) {
    const value = settings[field]
    if (typeof value !== 'string') continue
    const ms = durationToMs(value)
    const bounds = range.max === undefined ? `at least ${formatDuration(range.min)}` : `between ${formatDuration(range.min)} and ${formatDuration(range.max)}`
    if (ms < range.min || (range.max !== undefined && ms > range.max)) problems.push({ path: [...path, field], message: `${value} is out of range: Service Bus takes ${bounds}` })
  }
  const size = settings.maxSizeInMegabytes
  if (typeof size === 'number' && (size < 1024 || size > 81920 || size % 1024 !== 0)) {
    problems.push({ path: [...path, 'maxSizeInMegabytes'], message: `${size} is not a size Service Bus offers: a multiple of 1024 from 1024 (Standard: up to 5120, Premium: up to 81920)` })
  }
  return problems
}

/** Every limit the file breaks, base settings and per-environment overrides alike, in file order. */
export function limitProblems(topology: Topology): LimitProblem[] {
  const problems: LimitProblem[] = []
  topology.queues.forEach((queue, i) => problems.push(...settingProblems(queue, ['queues', i])))
  topology.topics.forEach((topic, i) => {
    problems.push(...settingProblems(topic, ['topics', i]))
    if (topic.subscriptions.length > MAX_SUBSCRIPTIONS_PER_TOPIC) {
      problems.push({ path: ['topics', i, 'subscriptions'], message: `${topic.subscriptions.length} subscriptions; Service Bus allows ${MAX_SUBSCRIPTIONS_PER_TOPIC} per topic` })
    }
    topic.subscriptions.forEach((subscription, j) => {
      problems.push(...settingProblems(subscription, ['topics', i, 'subscriptions', j]))
      if (subscription.rules.length > MAX_RULES_PER_SUBSCRIPTION) {
        problems.push({ path: ['topics', i, 'subscriptions', j, 'rules'], message: `${subscription.rules.length} rules; Service Bus allows ${MAX_RULES_PER_SUBSCRIPTION} per subscription` })
      }
    })
  })
  for (const [env, overrides] of Object.entries(topology.environments)) {
    for (const kind of ['queues', 'topics', 'subscriptions'] as const) {
      for (const [name, settings] of Object.entries(overrides[kind])) problems.push(...settingProblems(settings, ['environments', env, kind, name]))
    }
  }
  return problems
}
