// Azure Container Apps as a runtime, through the built CLI with default flags, against the sandbox's ARM endpoint
// (the built-in `containerapps` environment), observed with the real ContainerAppsAPIClient:
// - health: a row per app (16) with the revision's probes and /health/ready through its FQDN, exit 0;
// - env show and login cover the region;
// - a rolling deploy makes a new revision, moves 100% of the traffic to it, deactivates the old one, records passed;
// - a canary moves traffic 25 → 50 → 100 (seen through the SDK while it runs);
// - a --not-ready release is rolled back by traffic (exit 80): the previous revision serves 100%, the new one is
//   deactivated, its verdict is rolled-back;
// - an image pull failure fails before any traffic moves; a canary whose replicas start crash-looping at 25% is
//   rolled back by traffic (exit 80);
// - mkt rollback sends the traffic to the last verified revision (activating it); mkt history shows them all;
// - a lock tag held by someone else stops a deploy (exit 73); a single-revision app is switched only with --yes.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ContainerAppsAPIClient, ContainerApp, Revision } from '@azure/arm-appcontainers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseEnvelope, runMkt, validateEnvelope } from '../helpers/cli.js'
import { startSandboxForContainerApps, SANDBOX_RESOURCE_GROUP as RG, strandLock } from '../helpers/sandbox.js'

const dataDir = mkdtempSync(join(tmpdir(), 'mkt-containerapps-e2e-'))
const cwd = mkdtempSync(join(tmpdir(), 'mkt-containerapps-cwd-'))
const env = { MKT_SANDBOX_DIR: dataDir }
const mkt = (...args: string[]) => runMkt([...args, '--env', 'containerapps'], { env, cwd, timeoutMs: 240_000 })
let client: ContainerAppsAPIClient

interface Item {
  component: string
  outcome: string
  fromRevision: number
  toRevision: number
  reason: string
  rollback: { outcome: string; toRevision: number } | null
  gates: Array<{ gate: string; status: string }>
}
interface Entry {
  revision: number
  current: boolean
  image: string
  replicaSet: string
  verdict: string
  verdictReason: string | null
  deployedBy: string | null
  reason: string | null
}

const app = (name: string) => client.containerApps.get(RG, name)
async function revisions(name: string): Promise<Revision[]> {
  const all: Revision[] = []
  for await (const r of client.containerAppsRevisions.listRevisions(RG, name)) all.push(r)
  return all
}
const trafficOf = (a: ContainerApp) => (a.configuration?.ingress?.traffic ?? []).filter((t) => (t.weight ?? 0) > 0).map((t) => ({ revisionName: t.revisionName, weight: t.weight }))
async function history(component: string): Promise<Entry[]> {
  const run = await mkt('history', component, '--json')
  expect(run.exitCode, run.stderr).toBe(0)
  const envelope = parseEnvelope(run)
  expect(validateEnvelope('history', envelope)).toEqual([])
  return (envelope.result as { regions: Array<{ revisions: Entry[] }> }).regions[0]!.revisions
}

beforeAll(async () => {
  client = await startSandboxForContainerApps(dataDir, { env, cwd })
}, 150_000)

afterAll(async () => {
  await runMkt(['sandbox', 'stop'], { env, cwd })
})

describe('Container Apps through the built CLI', () => {
  it('mkt health shows a row per app, healthy: exit 0', async () => {
    const run = await mkt('health', '--json')
    expect(run.exitCode, run.stderr).toBe(0)
    const envelope = parseEnvelope(run)
    expect(validateEnvelope('health', envelope)).toEqual([])
    const model = envelope.result as { counts: Record<string, number>; components: Array<{ name: string; regions: Array<{ explanation: string; replicas: { desired: number; ready: number }; pods: unknown[]; probes: Array<{ target: string; health: string; httpStatus: number | null }> }> }> }
    expect(model.counts).toEqual({ Healthy: 16, Degraded: 0, Unhealthy: 0, Unknown: 0 })
    const catalog = model.components.find((c) => c.name === 'marketplace-catalog-service')!.regions[0]!
    expect(catalog.replicas).toMatchObject({ desired: 2, ready: 2 })
    expect(catalog.pods).toHaveLength(2)
    // The revision's own health probes, and mkt's probe of /health/ready through the revision's FQDN.
    expect(catalog.probes.map((p) => [p.target.replace(/--[a-z0-9]+/, '--*'), p.health, p.httpStatus])).toEqual([
      ['revision marketplace-catalog-service--*', 'Healthy', null],
      ['https://marketplace-catalog-service--*.local.azurecontainerapps.sandbox/health/ready', 'Healthy', 200],
    ])
    expect(catalog.explanation).toMatch(/^2\/2 replicas ready \(marketplace-catalog-service--/)
  }, 60_000)

  it('env show and login cover the Container Apps region (the roles to grant named)', async () => {
    const shown = await runMkt(['env', 'show', 'containerapps', '--json'], { env, cwd })
    expect(shown.exitCode, shown.stderr).toBe(0)
    const envelope = parseEnvelope(shown)
    expect(validateEnvelope('env show', envelope)).toEqual([])
    const region = (envelope.result as { environment: { regions: Array<{ cluster: Record<string, unknown> }> } }).environment.regions[0]!
    expect(region.cluster).toEqual({ type: 'containerApps', subscription: '00000000-0000-0000-0000-000000000000', resourceGroup: RG, environment: 'cae-marketplace-local', sandbox: true })
    const login = await runMkt(['login', '--env', 'containerapps', '--json'], { env, cwd, timeoutMs: 60_000 })
    expect(login.exitCode, login.stderr).toBe(0)
    const checks = (parseEnvelope(login).result as { checks: Array<{ check: string; status: string; detail: string }> }).checks
    expect(checks.find((c) => c.check === 'cluster')).toMatchObject({ status: 'ok', detail: expect.stringContaining('"Container Apps Contributor"') })
  }, 60_000)

  it('a rolling deploy makes a revision, moves all traffic to it and deactivates the old one', async () => {
    const before = await revisions('marketplace-catalog-service')
    const run = await mkt('deploy', 'service', 'catalog', '--image', '2.0.0', '--reason', 'PRJ-17 rolling', '--json')
    expect(run.exitCode, run.stderr).toBe(0)
    const envelope = parseEnvelope(run)
    expect(validateEnvelope('deploy service', envelope)).toEqual([])
    const item = (envelope.result as { items: Item[] }).items[0]!
    expect(item).toMatchObject({ component: 'marketplace-catalog-service', outcome: 'deployed', fromRevision: 1, toRevision: 2 })
    expect(item.gates.map((g) => [g.gate, g.status])).toEqual([['progress', 'passed'], ['pods', 'passed'], ['readiness', 'passed'], ['bake', 'passed']])

    const after = await revisions('marketplace-catalog-service')
    expect(after).toHaveLength(before.length + 1)
    const created = after.find((r) => !before.some((b) => b.name === r.name))!
    expect(created.template?.containers?.[0]?.image).toBe('marketplace-catalog-service:2.0.0')
    expect(trafficOf(await app('marketplace-catalog-service'))).toEqual([{ revisionName: created.name, weight: 100 }])
    expect(after.find((r) => r.name === before[0]!.name)).toMatchObject({ active: false, replicas: 0 })

    const entries = await history('catalog')
    expect(entries.map((e) => [e.revision, e.current, e.verdict])).toEqual([
      [1, false, 'passed'],
      [2, true, 'passed'],
    ])
    expect(entries[1]).toMatchObject({ image: 'marketplace-catalog-service:2.0.0', reason: 'PRJ-17 rolling', replicaSet: created.name })
    expect(entries[1]!.deployedBy).toMatch(/@/)
  }, 120_000)

  it('a canary moves the traffic 25 → 50 → 100, as the SDK sees it', async () => {
    const seen: number[] = []
    let done = false
    const watch = (async () => {
      while (!done) {
        const weight = (await app('marketplace-search-service')).configuration?.ingress?.traffic?.find((t) => t.revisionName?.includes('--mkt-2-0-0-'))?.weight
        if (weight !== undefined && seen.at(-1) !== weight) seen.push(weight)
        await new Promise((resolve) => setTimeout(resolve, 250))
      }
    })()
    const run = await mkt('deploy', 'service', 'search', '--image', '2.0.0', '--strategy', 'canary', '--json')
    done = true
    await watch
    expect(run.exitCode, run.stderr).toBe(0)
    expect(seen).toEqual([25, 50, 100])
    const item = (parseEnvelope(run).result as { items: Item[] }).items[0]!
    expect(item).toMatchObject({ outcome: 'deployed', toRevision: 2 })
    expect((await revisions('marketplace-search-service')).filter((r) => r.active)).toHaveLength(1)
  }, 180_000)

  it('a --not-ready release is rolled back by traffic: exit 80, the new revision deactivated, verdict recorded', async () => {
    const fault = await runMkt(['sandbox', 'fault', 'set', 'catalog', '--not-ready', '--image-tag', '3.0.0'], { env, cwd })
    expect(fault.exitCode, fault.stderr).toBe(0)
    const serving = trafficOf(await app('marketplace-catalog-service'))
    const run = await mkt('deploy', 'service', 'catalog', '--image', '3.0.0', '--json')
    expect(run.exitCode, run.stderr).toBe(80)
    const envelope = parseEnvelope(run)
    expect(validateEnvelope('deploy service', envelope)).toEqual([])
    expect(envelope.error).toMatchObject({ code: 'ROLLED_BACK', exitCode: 80 })
    const item = (envelope.result as { items: Item[] }).items[0]!
    expect(item).toMatchObject({ outcome: 'rolled-back', fromRevision: 2, toRevision: 3, rollback: { outcome: 'healthy', toRevision: 2 } })
    expect(item.reason).toMatch(/not ready after \d+ s: Readiness probe failed/)
    // …with the application's own answer, through the revision's FQDN.
    expect(item.reason).toMatch(/https:\/\/marketplace-catalog-service--mkt-3-0-0-[a-z0-9]+\.local\.azurecontainerapps\.sandbox\/health\/ready: .*Unhealthy.*startup/)

    expect(trafficOf(await app('marketplace-catalog-service'))).toEqual(serving)
    const failed = (await revisions('marketplace-catalog-service')).find((r) => r.template?.containers?.[0]?.image === 'marketplace-catalog-service:3.0.0')!
    expect(failed).toMatchObject({ active: false, trafficWeight: 0 })
    const entries = await history('catalog')
    expect(entries.find((e) => e.revision === 3)).toMatchObject({ verdict: 'rolled-back', current: false })
    expect(entries.find((e) => e.revision === 2)).toMatchObject({ verdict: 'passed', current: true })
    await runMkt(['sandbox', 'fault', 'clear'], { env, cwd })
  }, 180_000)

  it('an image that cannot be pulled fails the revision before it gets traffic: exit 80, nothing moved', async () => {
    await runMkt(['sandbox', 'fault', 'set', 'reviews', '--image-pull-error', '--image-tag', '4.0.0'], { env, cwd })
    const run = await mkt('deploy', 'service', 'reviews', '--image', '4.0.0', '--json')
    expect(run.exitCode, run.stderr).toBe(80)
    const item = (parseEnvelope(run).result as { items: Item[] }).items[0]!
    expect(item.reason).toMatch(/failed to provision: .*ImagePullBackOff/)
    const revs = await revisions('review-rating-service')
    expect(revs.map((r) => [r.trafficWeight, r.active])).toEqual([
      [100, true],
      [0, false],
    ])
    await runMkt(['sandbox', 'fault', 'clear'], { env, cwd })
  }, 120_000)

  it('a canary that starts crash-looping at its 25% step is rolled back by traffic: exit 80', async () => {
    let faulted = false
    let done = false
    const watch = (async () => {
      while (!done && !faulted) {
        const weight = (await app('asset-version-service')).configuration?.ingress?.traffic?.find((t) => t.revisionName?.includes('--mkt-5-0-0-'))?.weight
        if (weight === 25) {
          // The canary is live at 25%: now its replicas crash.
          await runMkt(['sandbox', 'fault', 'set', 'asset-version', '--crashloop', '--image-tag', '5.0.0'], { env, cwd })
          faulted = true
        }
        await new Promise((resolve) => setTimeout(resolve, 250))
      }
    })()
    const run = await mkt('deploy', 'service', 'asset-version', '--image', '5.0.0', '--strategy', 'canary', '--json')
    done = true
    await watch
    expect(faulted).toBe(true)
    expect(run.exitCode, run.stderr).toBe(80)
    const item = (parseEnvelope(run).result as { items: Item[] }).items[0]!
    expect(item).toMatchObject({ outcome: 'rolled-back', rollback: { outcome: 'healthy', toRevision: 1 } })
    expect(item.reason).toContain('CrashLoopBackOff')
    const revs = await revisions('asset-version-service')
    expect(trafficOf(await app('asset-version-service'))).toEqual([{ revisionName: revs[0]!.name, weight: 100 }])
    expect(revs.find((r) => r.name?.includes('--mkt-5-0-0-'))).toMatchObject({ active: false })
    await runMkt(['sandbox', 'fault', 'clear'], { env, cwd })
  }, 180_000)

  it('mkt rollback sends the traffic to the last verified revision, activating it', async () => {
    const run = await mkt('rollback', 'catalog', '--reason', 'incident drill', '--json')
    expect(run.exitCode, run.stderr).toBe(0)
    expect(validateEnvelope('rollback', parseEnvelope(run))).toEqual([])
    const first = (await revisions('marketplace-catalog-service'))[0]!
    expect(first.active).toBe(true)
    expect(trafficOf(await app('marketplace-catalog-service'))).toEqual([{ revisionName: first.name, weight: 100 }])
    const entries = await history('catalog')
    expect(entries.map((e) => [e.revision, e.current, e.verdict])).toEqual([
      [1, true, 'passed'],
      [2, false, 'rolled-back'],
      [3, false, 'rolled-back'],
    ])
  }, 120_000)

  it('a lock tag held by another operation stops a deploy with exit 73, naming the holder; lock status shows it', async () => {
    await strandLock(client, 'pricing-service', 'alice@laptop/4242', 'deploy 9.9.9')
    const run = await mkt('deploy', 'service', 'pricing', '--image', '2.0.0', '--json')
    expect(run.exitCode, run.stderr).toBe(73)
    expect(parseEnvelope(run).error?.message).toContain('alice@laptop/4242')
    expect(await revisions('pricing-service')).toHaveLength(1)
    const status = await mkt('lock', 'status', 'pricing', '--json')
    expect(status.exitCode, status.stderr).toBe(0)
    const envelope = parseEnvelope(status)
    expect(validateEnvelope('lock status', envelope)).toEqual([])
    expect((envelope.result as { locks: unknown[] }).locks).toEqual([expect.objectContaining({ region: 'local', component: 'pricing-service', holder: 'alice@laptop/4242', operation: 'deploy 9.9.9', expired: false })])
  }, 60_000)

  it('a single-revision app is switched to multiple-revision mode only with --yes, and says so', async () => {
    const license = await app('license-service')
    await client.containerApps.beginUpdateAndWait(RG, 'license-service', { location: license.location!, configuration: { activeRevisionsMode: 'Single' } }, { updateIntervalInMs: 200 })
    const refused = await mkt('deploy', 'service', 'license', '--image', '2.0.0')
    expect(refused.exitCode, refused.stderr).toBe(64)
    expect(refused.stderr).toContain('single-revision mode')
    expect(refused.stderr).toContain('--yes')
    expect(await revisions('license-service')).toHaveLength(1)
    const run = await mkt('deploy', 'service', 'license', '--image', '2.0.0', '--yes')
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.stderr).toContain('switching license-service to multiple-revision mode (--yes)')
    expect((await app('license-service')).configuration?.activeRevisionsMode).toBe('Multiple')
  }, 120_000)
})
