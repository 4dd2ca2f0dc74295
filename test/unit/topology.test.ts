import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { desiredEntities, describeChange, durationToMs, forwardTargetName, msToIso, planTopology, type Entity } from '../../src/topology/plan.js'
import { loadTopology } from '../../src/topology/service.js'
import { ruleBodyFromSdk } from '../../src/topology/namespace.js'
import { errorOf } from '../helpers/errors.js'

const template = join(__dirname, '..', '..', 'templates', 'topology.yaml')
const write = (text: string) => {
  const file = join(mkdtempSync(join(tmpdir(), 'mkt-topology-')), 'topology.yaml')
  writeFileSync(file, text)
  return file
}

describe('durations', () => {
  it('reads friendly and ISO 8601 forms and writes ISO 8601', () => {
    expect(durationToMs('1m30s')).toBe(90_000)
    expect(durationToMs('14d')).toBe(14 * 86_400_000)
    expect(durationToMs('PT1M')).toBe(60_000)
    expect(durationToMs('P14D')).toBe(14 * 86_400_000)
    expect(durationToMs('P1DT2H3M4.5S')).toBe(((24 + 2) * 3600 + 3 * 60 + 4.5) * 1000)
    expect(msToIso(60_000)).toBe('PT1M')
    expect(msToIso(14 * 86_400_000)).toBe('P14D')
    expect(msToIso(90_500)).toBe('PT1M30.5S')
    for (const ms of [1000, 61_000, 3_600_000, 90_061_000]) expect(durationToMs(msToIso(ms))).toBe(ms)
  })

  it('forward targets compare by entity name, whatever form the namespace answers in', () => {
    expect(forwardTargetName('sb://sb-x.servicebus.windows.net/Installation-Worker')).toBe('installation-worker')
    expect(forwardTargetName('installation-worker')).toBe('installation-worker')
  })
})

describe('topology.yaml', () => {
  it('the template is valid, with per-environment overrides', () => {
    const topology = loadTopology(template)
    const dev = desiredEntities(topology, 'dev')
    const prod = desiredEntities(topology, 'prod')
    const scan = (entities: Entity[]) => entities.find((e) => e.key === 'asset-quality-scan-worker')!.settings.maxDeliveryCount
    expect(scan(dev)).toBe(5)
    expect(scan(prod)).toBe(10)
    expect(dev.filter((e) => e.kind === 'queue')).toHaveLength(8)
    // a subscription without rules keeps the $Default TrueFilter; one with rules does not
    expect(dev.some((e) => e.key === 'marketplace.events/asset-published/asset-indexing-worker/$Default')).toBe(true)
    expect(dev.some((e) => e.key === 'marketplace.events/asset-submitted/asset-quality-scan-worker/$Default')).toBe(false)
  })

  it('invalid files exit 65 naming the entity and field', () => {
    const bad = errorOf(() => loadTopology(write('apiVersion: mkt/v1\nqueues:\n  - name: orders\n    maxDeliveryCount: zero\n')))
    expect(bad.exitCode).toBe(65)
    expect(bad.message).toMatch(/topology\.yaml:4:23: queues\[0\]\.maxDeliveryCount: /)
    const forward = errorOf(() => loadTopology(write('apiVersion: mkt/v1\ntopics:\n  - name: t\n    subscriptions:\n      - { name: s, forwardTo: nowhere }\n')))
    expect(forward.message).toMatch(/topics\[0\]\.subscriptions\[0\]\.forwardTo: forwards to "nowhere", which is not a queue or topic/)
    const twice = errorOf(() => loadTopology(write('apiVersion: mkt/v1\nqueues:\n  - name: a\n  - name: A\n')))
    expect(twice.message).toMatch(/queues\[1\]\.name: "A" is declared twice/)
    const rule = errorOf(() => loadTopology(write('apiVersion: mkt/v1\ntopics:\n  - name: t\n    subscriptions:\n      - name: s\n        rules: [{ name: r }]\n')))
    expect(rule.message).toMatch(/rules\[0\]: a rule needs exactly one of sql or correlation/)
    const override = errorOf(() => loadTopology(write('apiVersion: mkt/v1\nenvironments:\n  prod:\n    queues:\n      ghost: { maxDeliveryCount: 2 }\n')))
    expect(override.message).toMatch(/environments\.prod\.queues\.ghost: unknown queue "ghost"/)
  })
})

describe('planning', () => {
  const desired: Entity[] = [
    { kind: 'queue', key: 'q', settings: { maxDeliveryCount: 5, lockDuration: 60_000 } },
    { kind: 'topic', key: 't', settings: {} },
    { kind: 'subscription', key: 't/s', settings: { forwardTo: 'q' } },
    { kind: 'rule', key: 't/s/r', settings: {}, rule: { filter: { sql: 'a = 1' }, action: null } },
  ]

  it('an empty namespace: everything created, parents first', () => {
    const plan = planTopology(desired, [], { prune: false })
    expect(plan.changes.map((c) => `${c.action} ${c.kind} ${c.key}`)).toEqual(['create queue q', 'create topic t', 'create subscription t/s', 'create rule t/s/r'])
  })

  it('only declared settings are compared; a changed one is an update naming the field', () => {
    const actual: Entity[] = [
      { kind: 'queue', key: 'q', settings: { maxDeliveryCount: 10, lockDuration: 60_000, requiresSession: false } },
      { kind: 'topic', key: 't', settings: { supportOrdering: true } },
      { kind: 'subscription', key: 't/s', settings: { forwardTo: 'q', maxDeliveryCount: 10 } },
      { kind: 'rule', key: 't/s/r', settings: {}, rule: { filter: { sql: 'a = 1' }, action: null } },
    ]
    const plan = planTopology(desired, actual, { prune: false })
    expect(plan.changes).toHaveLength(1)
    expect(describeChange(plan.changes[0]!)).toBe('~ queue q: maxDeliveryCount 10 -> 5')
    expect(planTopology(desired, [...actual.slice(0, 3), { ...actual[3]!, rule: { filter: { sql: 'a = 2' }, action: null } }], { prune: false }).changes.map((c) => c.key)).toEqual(['q', 't/s/r'])
  })

  it('entities not in the file are reported; deleted only with prune, children first, children of deleted parents folded in', () => {
    const actual: Entity[] = [
      ...desired,
      { kind: 'queue', key: 'old-queue', settings: {} },
      { kind: 'topic', key: 'old-topic', settings: {} },
      { kind: 'subscription', key: 'old-topic/s', settings: {} },
      { kind: 'rule', key: 't/s/$Default', settings: {}, rule: { filter: { sql: '1=1' }, action: null } },
    ]
    const reported = planTopology(desired, actual, { prune: false })
    expect(reported.changes).toEqual([])
    expect(reported.unmanaged.map((c) => `${c.kind} ${c.key}`)).toEqual(['rule t/s/$Default', 'topic old-topic', 'queue old-queue'])
    const pruned = planTopology(desired, actual, { prune: true })
    expect(pruned.changes.map((c) => c.action)).toEqual(['delete', 'delete', 'delete'])
  })

  it('reads SDK rules into the same shape as the file', () => {
    expect(ruleBodyFromSdk({ filter: { sqlExpression: ' x = 1 ', sqlParameters: {} } as never, action: { sqlExpression: '' } as never })).toEqual({ filter: { sql: 'x = 1' }, action: null })
    expect(ruleBodyFromSdk({ filter: { subject: 'Incompatible', applicationProperties: { b: 1, a: 'x' } } as never, action: undefined as never })).toEqual({
      filter: { correlation: { subject: 'Incompatible', applicationProperties: { a: 'x', b: 1 } } },
      action: null,
    })
  })
})
