// Desired Service Bus state from topology.yaml, and the diff against what a namespace has: pure functions.
// Only settings the file declares are compared and written; entities the file does not mention are
// reported as deletions, applied only with --prune --allow-deletes.
import { formatDuration } from '../duration.js'
import type { RuleSpec, Topology } from './schema.js'

export type EntityKind = 'queue' | 'topic' | 'subscription' | 'rule'
export type SettingValue = string | number | boolean

/** A rule's filter and action, normalised so a namespace's answer compares equal to the file's. */
export interface RuleBody {
  filter: { sql: string } | { correlation: Record<string, SettingValue | Record<string, SettingValue>> }
  action: string | null
}

export interface Entity {
  kind: EntityKind
  /** `queue`, `topic`, `topic/subscription`, `topic/subscription/rule`. */
  key: string
  settings: Record<string, SettingValue>
  rule?: RuleBody
}

export interface FieldChange {
  field: string
  from: SettingValue | null
  to: SettingValue
}

export interface Change {
  action: 'create' | 'update' | 'delete'
  kind: EntityKind
  key: string
  fields: FieldChange[]
  /** For creates and updates: the settings to write (declared ones; updates start from the namespace's). */
  settings: Record<string, SettingValue>
  rule?: RuleBody
}

export interface TopologyPlan {
  changes: Change[]
  /** Deletions found but not to be applied (no --prune). */
  unmanaged: Change[]
}

export const DEFAULT_RULE = '$Default'
const DURATION_FIELDS = new Set(['lockDuration', 'defaultMessageTimeToLive', 'duplicateDetectionHistoryTimeWindow', 'autoDeleteOnIdle'])

/** `30s`/`5m`/`1h`/`14d`/`1m30s` or ISO 8601 `PT1M30S`/`P14D` to milliseconds. */
export function durationToMs(text: string): number {
  const iso = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text)
  if (iso) return Math.round(((Number(iso[1] ?? 0) * 24 + Number(iso[2] ?? 0)) * 3600 + Number(iso[3] ?? 0) * 60 + Number(iso[4] ?? 0)) * 1000)
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
  let total = 0
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|s|m|h|d)/g)) total += Number(n) * units[unit!]!
  return total
}

/** Milliseconds to the ISO 8601 duration Service Bus speaks (`PT1M`, `P14D`, `PT1M30.5S`). */
export function msToIso(ms: number): string {
  const days = Math.floor(ms / 86_400_000)
  let rest = ms - days * 86_400_000
  const hours = Math.floor(rest / 3_600_000)
  rest -= hours * 3_600_000
  const minutes = Math.floor(rest / 60_000)
  const seconds = (rest - minutes * 60_000) / 1000
  const time = `${hours ? `${hours}H` : ''}${minutes ? `${minutes}M` : ''}${seconds ? `${seconds}S` : ''}`
  return `P${days ? `${days}D` : ''}${time ? `T${time}` : days ? '' : 'T0S'}`
}

/** Settings as compared: durations in milliseconds, forward targets as bare entity names. */
export function normaliseSettings(settings: Record<string, unknown>): Record<string, SettingValue> {
  const out: Record<string, SettingValue> = {}
  for (const [key, value] of Object.entries(settings)) {
    if (value === undefined || value === null || value === '') continue
    if (DURATION_FIELDS.has(key) && typeof value === 'string') out[key] = durationToMs(value)
    else if ((key === 'forwardTo' || key === 'forwardDeadLetteredMessagesTo') && typeof value === 'string') out[key] = forwardTargetName(value)
    else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out[key] = value
  }
  return out
}

/** Service Bus answers forwardTo as an absolute `sb://host/name` URL; the file says `name`. */
export function forwardTargetName(value: string): string {
  const match = /^sb:\/\/[^/]+\/(.+)$/i.exec(value)
  return (match ? match[1]! : value).toLowerCase()
}

export function ruleBodyOf(rule: RuleSpec): RuleBody {
  return {
    filter: rule.sql !== undefined ? { sql: rule.sql.trim() } : { correlation: correlationOf(rule.correlation ?? {}) },
    action: rule.action?.trim() ?? null,
  }
}

function correlationOf(filter: Record<string, unknown>): Record<string, SettingValue | Record<string, SettingValue>> {
  const out: Record<string, SettingValue | Record<string, SettingValue>> = {}
  for (const [key, value] of Object.entries(filter)) {
    if (value === undefined || value === null || value === '') continue
    if (key === 'applicationProperties' && typeof value === 'object') {
      if (Object.keys(value as object).length > 0) out[key] = Object.fromEntries(Object.entries(value as Record<string, SettingValue>).sort(([a], [b]) => a.localeCompare(b)))
    } else out[key] = value as SettingValue
  }
  return out
}

/** What the file asks for in one environment (overrides applied), parents before children. */
export function desiredEntities(topology: Topology, environment: string): Entity[] {
  const overrides = topology.environments[environment] ?? { queues: {}, topics: {}, subscriptions: {} }
  const entities: Entity[] = []
  for (const { name, ...settings } of topology.queues) {
    entities.push({ kind: 'queue', key: name, settings: normaliseSettings({ ...settings, ...overrides.queues[name] }) })
  }
  for (const { name, subscriptions, ...settings } of topology.topics) {
    entities.push({ kind: 'topic', key: name, settings: normaliseSettings({ ...settings, ...overrides.topics[name] }) })
    for (const { name: subName, rules, keepDefaultRule, ...subSettings } of subscriptions) {
      const key = `${name}/${subName}`
      entities.push({ kind: 'subscription', key, settings: normaliseSettings({ ...subSettings, ...overrides.subscriptions[key] }) })
      for (const rule of rules) entities.push({ kind: 'rule', key: `${key}/${rule.name}`, settings: {}, rule: ruleBodyOf(rule) })
      if (keepDefaultRule || rules.length === 0) entities.push({ kind: 'rule', key: `${key}/${DEFAULT_RULE}`, settings: {}, rule: { filter: { sql: '1=1' }, action: null } })
    }
  }
  return entities
}

const ORDER: Record<EntityKind, number> = { queue: 0, topic: 1, subscription: 2, rule: 3 }
const keyOf = (e: Pick<Entity, 'kind' | 'key'>) => `${e.kind}\u0000${e.key.toLowerCase()}`

/**
 * Desired against actual. Creates come parents first (queues before subscriptions that forward to them),
 * deletions children first. `prune` moves deletions from `unmanaged` into `changes`.
 */
export function planTopology(desired: Entity[], actual: Entity[], options: { prune: boolean }): TopologyPlan {
  const have = new Map(actual.map((e) => [keyOf(e), e]))
  const want = new Set(desired.map(keyOf))
  const changes: Change[] = []
  for (const entity of desired) {
    const current = have.get(keyOf(entity))
    if (!current) {
      changes.push({ action: 'create', kind: entity.kind, key: entity.key, fields: fieldsOf(entity, undefined), settings: entity.settings, ...(entity.rule ? { rule: entity.rule } : {}) })
      continue
    }
    const fields = fieldsOf(entity, current)
    if (fields.length > 0) changes.push({ action: 'update', kind: entity.kind, key: entity.key, fields, settings: entity.settings, ...(entity.rule ? { rule: entity.rule } : {}) })
  }
  const deletions: Change[] = actual
    .filter((e) => !want.has(keyOf(e)))
    // A child of something being deleted goes with its parent.
    .filter((e) => !actual.some((parent) => parent !== e && !want.has(keyOf(parent)) && isChildOf(e, parent)))
    .map((e) => ({ action: 'delete' as const, kind: e.kind, key: e.key, fields: [], settings: {} }))
  changes.sort((a, b) => ORDER[a.kind] - ORDER[b.kind] || a.key.localeCompare(b.key))
  deletions.sort((a, b) => ORDER[b.kind] - ORDER[a.kind] || a.key.localeCompare(b.key))
  return options.prune ? { changes: [...changes, ...deletions], unmanaged: [] } : { changes, unmanaged: deletions }
}

function isChildOf(child: Entity, parent: Entity): boolean {
  if (parent.kind === 'topic') return (child.kind === 'subscription' || child.kind === 'rule') && child.key.toLowerCase().startsWith(`${parent.key.toLowerCase()}/`)
  if (parent.kind === 'subscription') return child.kind === 'rule' && child.key.toLowerCase().startsWith(`${parent.key.toLowerCase()}/`)
  return false
}

/** Declared settings that differ (or, for a rule, its filter and action). */
function fieldsOf(entity: Entity, current: Entity | undefined): FieldChange[] {
  const fields: FieldChange[] = []
  for (const [field, to] of Object.entries(entity.settings)) {
    const from = current?.settings[field]
    if (from !== to) fields.push({ field, from: from ?? null, to })
  }
  if (entity.rule) {
    const to = describeRule(entity.rule)
    const from = current?.rule ? describeRule(current.rule) : null
    if (from !== to) fields.push({ field: 'rule', from, to })
  }
  return fields
}

export function describeRule(rule: RuleBody): string {
  const filter = 'sql' in rule.filter ? `sql: ${rule.filter.sql}` : `correlation: ${JSON.stringify(rule.filter.correlation)}`
  return rule.action ? `${filter}; action: ${rule.action}` : filter
}

export const hasTopologyChanges = (plan: TopologyPlan) => plan.changes.length > 0

/** `+ queue orders`, `~ subscription t/s: maxDeliveryCount 10 -> 5`, `- rule t/s/old`. */
export function describeChange(change: Change): string {
  const sign = change.action === 'create' ? '+' : change.action === 'update' ? '~' : '-'
  const fields = change.action === 'update' ? `: ${change.fields.map((f) => `${f.field} ${formatValue(f.field, f.from)} -> ${formatValue(f.field, f.to)}`).join(', ')}` : ''
  return `${sign} ${change.kind} ${change.key}${fields}`
}

/** Durations as people write them in topology.yaml (`5m`, `14d`), not the milliseconds they are compared in. */
function formatValue(field: string, value: SettingValue | null): string {
  if (value === null) return '(unset)'
  if (DURATION_FIELDS.has(field) && typeof value === 'number') return formatDays(value)
  return String(value)
}

const DAY_MS = 86_400_000
/** Service Bus's "forever" (TimeSpan.MaxValue, about 29,000 years) reads as `max`. */
const formatDays = (ms: number) => (ms >= 10_000 * 365 * DAY_MS ? 'max' : ms >= DAY_MS && ms % DAY_MS === 0 ? `${ms / DAY_MS}d` : formatDuration(ms))

/** `3 to create, 1 to update, 2 to delete` (kinds that have none are left out); `no changes`. */
export function summarizeChanges(changes: Change[]): string {
  const count = (action: Change['action']) => changes.filter((c) => c.action === action).length
  const parts = (['create', 'update', 'delete'] as const).filter((a) => count(a) > 0).map((a) => `${count(a)} to ${a}`)
  return parts.length === 0 ? 'no changes' : parts.join(', ')
}
