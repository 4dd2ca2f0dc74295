// mkt topics plan|apply|list through the built CLI against the sandbox's Service Bus, with the real
// ServiceBusAdministrationClient inside mkt. Write calls are counted at the sandbox.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { binPath, cleanEnv, parseEnvelope, runMkt, validateEnvelope } from '../helpers/cli.js'
import { sandboxRequest } from '../helpers/sandbox.js'

const dataDir = mkdtempSync(join(tmpdir(), 'mkt-topics-e2e-'))
const project = mkdtempSync(join(tmpdir(), 'mkt-topics-project-'))
const env = { MKT_SANDBOX_DIR: dataDir, MKT_SANDBOX_POD_START_DELAY_MS: '150' }
const mkt = (...args: string[]) => runMkt(args, { env, cwd: project, timeoutMs: 120_000 })
const topologyFile = () => join(project, 'topology.yaml')

const control = (method: string, path: string, body?: unknown) => sandboxRequest(dataDir, method, path, body)
const writes = async () => (await control('GET', '/_sandbox/servicebus/stats')).json.writes as number
const resetStats = () => control('POST', '/_sandbox/servicebus/stats/reset')

interface Change {
  action: string
  kind: string
  key: string
  fields: Array<{ field: string; from: unknown; to: unknown }>
}

beforeAll(async () => {
  expect((await mkt('init', '-q')).exitCode).toBe(0)
  expect((await mkt('sandbox', 'start', '-q')).exitCode).toBe(0)
})

afterAll(async () => {
  await mkt('sandbox', 'stop')
})

describe('mkt topics', () => {
  it('apply on an empty namespace creates the whole template topology; a second apply writes nothing; plan then exits 0', async () => {
    const plan = await mkt('topics', 'plan', '--exit-code', '--json')
    expect(plan.exitCode).toBe(2)
    const planned = parseEnvelope(plan)
    expect(validateEnvelope('topics plan', planned)).toEqual([])
    const changes = (planned.result as { changes: Change[] }).changes
    expect(changes.filter((c) => c.kind === 'queue')).toHaveLength(8)
    expect(changes.filter((c) => c.kind === 'topic')).toHaveLength(10)
    expect(changes.every((c) => c.action === 'create')).toBe(true)

    const apply = await mkt('topics', 'apply', '--json')
    expect(apply.exitCode, apply.stderr).toBe(0)
    const applied = parseEnvelope(apply)
    expect(validateEnvelope('topics apply', applied)).toEqual([])
    expect((applied.result as { applied: Change[]; failed: unknown[] }).failed).toEqual([])

    await resetStats()
    const again = await mkt('topics', 'apply', '--json')
    expect(again.exitCode).toBe(0)
    expect((parseEnvelope(again).result as { applied: Change[] }).applied).toEqual([])
    expect(await writes()).toBe(0)
    expect((await mkt('topics', 'plan', '--exit-code')).exitCode).toBe(0)
  })

  it('changing one subscription setting updates exactly that entity', async () => {
    const original = readFileSync(topologyFile(), 'utf8')
    writeFileSync(topologyFile(), original.replace('- { name: installation-worker, forwardTo: installation-worker }', '- { name: installation-worker, forwardTo: installation-worker, maxDeliveryCount: 3 }'))
    const plan = parseEnvelope(await mkt('topics', 'plan', '--json')).result as { changes: Change[] }
    expect(plan.changes).toEqual([
      { action: 'update', kind: 'subscription', key: 'marketplace.events/installation-requested/installation-worker', fields: [{ field: 'maxDeliveryCount', from: 10, to: 3 }] },
    ])
    await resetStats()
    expect((await mkt('topics', 'apply')).exitCode).toBe(0)
    expect(await writes()).toBe(1)
    expect((await mkt('topics', 'plan', '--exit-code')).exitCode).toBe(0)
  })

  it('a removed entity is reported, and deleted only with --prune --allow-deletes', async () => {
    const text = readFileSync(topologyFile(), 'utf8')
    writeFileSync(topologyFile(), text.replace('  - { name: review-rating-service, maxDeliveryCount: 10 }\n', '').replace(/ {2}- name: marketplace\.events\/review-submitted\n {4}subscriptions:\n {6}- \{ name: review-rating-service, forwardTo: review-rating-service \}\n/, ''))
    const plan = parseEnvelope(await mkt('topics', 'plan', '--json')).result as { changes: Change[]; unmanaged: Change[] }
    expect(plan.changes).toEqual([])
    expect(plan.unmanaged.map((c) => `${c.kind} ${c.key}`)).toEqual(['topic marketplace.events/review-submitted', 'queue review-rating-service'])
    expect((await mkt('topics', 'apply', '--exit-code')).exitCode).toBe(64) // no such flag on apply
    expect((await mkt('topics', 'apply', '--prune')).exitCode).toBe(64) // needs --allow-deletes
    expect((await mkt('topics', 'plan', '--prune', '--exit-code')).exitCode).toBe(2)
    const pruned = await mkt('topics', 'apply', '--prune', '--allow-deletes', '--json')
    expect(pruned.exitCode).toBe(0)
    expect((parseEnvelope(pruned).result as { applied: Change[] }).applied.map((c) => c.action)).toEqual(['delete', 'delete'])
    expect((await mkt('topics', 'plan', '--prune', '--exit-code')).exitCode).toBe(0)
  })

  it('throttling (429 with Retry-After) and 503 are survived', async () => {
    writeFileSync(topologyFile(), readFileSync(topologyFile(), 'utf8').replace('maxDeliveryCount: 3', 'maxDeliveryCount: 4'))
    // Rates low enough that the SDK's 6 retries always get through (a 7-in-a-row failure is ~1 in 3000 calls).
    await mkt('sandbox', 'fault', 'api', '--path', '/marketplace.events/**', '--status', '429', '--retry-after', '1', '--error-rate', '0.25')
    await mkt('sandbox', 'fault', 'api', '--path', '/*', '--status', '503', '--error-rate', '0.1')
    try {
      const run = await mkt('topics', 'apply', '--json')
      expect(run.exitCode, run.stdout).toBe(0)
    } finally {
      await mkt('sandbox', 'fault', 'clear')
    }
    expect((await mkt('topics', 'plan', '--exit-code')).exitCode).toBe(0)
  })

  it('an apply killed part way is finished by a rerun', async () => {
    const many = ['apiVersion: mkt/v1', 'topics:', ...Array.from({ length: 12 }, (_, i) => `  - { name: bulk-${i}, subscriptions: [{ name: a }, { name: b }] }`)].join('\n')
    const file = join(project, 'bulk.yaml')
    writeFileSync(file, `${many}\n`)
    await mkt('sandbox', 'fault', 'api', '--path', '/bulk-*/**', '--latency', '300ms')
    await mkt('sandbox', 'fault', 'api', '--path', '/bulk-*', '--latency', '300ms')
    const child = spawn(process.execPath, [binPath, 'topics', 'apply', '--file', file, '--concurrency', '2'], { env: cleanEnv(env), cwd: project })
    let stderr = ''
    const killed = new Promise<void>((resolve) => {
      child.stderr.on('data', (d) => {
        stderr += d
        if ((stderr.match(/^applied:/gm) ?? []).length >= 4) child.kill('SIGKILL')
      })
      child.on('close', () => resolve())
    })
    await killed
    expect(child.signalCode).toBe('SIGKILL')
    await mkt('sandbox', 'fault', 'clear')
    const left = parseEnvelope(await mkt('topics', 'plan', '--file', file, '--json')).result as { changes: Change[] }
    expect(left.changes.length).toBeGreaterThan(0)
    const rerun = await mkt('topics', 'apply', '--file', file)
    expect(rerun.exitCode, rerun.stderr).toBe(0)
    expect((await mkt('topics', 'plan', '--file', file, '--exit-code')).exitCode).toBe(0)
  })

  it('list shows entities with settings and message counts set in the sandbox', async () => {
    const set = await mkt('sandbox', 'fault', 'servicebus', '--backlog', 'installation-worker=1200', '--dead-letter', 'installation-worker=3')
    expect(set.exitCode, set.stderr).toBe(0)
    const run = await mkt('topics', 'list', '--json')
    expect(run.exitCode).toBe(0)
    const envelope = parseEnvelope(run)
    expect(validateEnvelope('topics list', envelope)).toEqual([])
    const queue = (envelope.result as { entities: Array<{ name: string; counts: { active: number; deadLetter: number } }> }).entities.find((e) => e.name === 'installation-worker')!
    expect(queue.counts).toMatchObject({ active: 1200, deadLetter: 3 })
  })

  it('an invalid topology file exits 65 naming the entity and field', async () => {
    const file = join(project, 'bad.yaml')
    writeFileSync(file, 'apiVersion: mkt/v1\ntopics:\n  - name: t\n    subscriptions:\n      - { name: s, lockDuration: forever }\n')
    const run = await mkt('topics', 'plan', '--file', file)
    expect(run.exitCode).toBe(65)
    expect(run.stderr).toMatch(/bad\.yaml:5:\d+: topics\[0\]\.subscriptions\[0\]\.lockDuration: must be a duration/)
  })
})
