// Multi-region on one laptop (issue #19): the built CLI against the built-in `local-multi` environment
// (westeurope primary, northeurope), two regional clusters of one sandbox, default flags throughout (no probe
// interval or pod start knobs). Each scenario uses its own component, so the order does not matter.
import { execFileSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseEnvelope, runMkt, runMktWatching, validateEnvelope } from '../helpers/cli.js'
import { kubectlPath } from '../helpers/kubectl.js'

const dataDir = mkdtempSync(join(tmpdir(), 'mkt-multi-region-e2e-'))
const env = { MKT_SANDBOX_DIR: dataDir }
const mkt = (...args: string[]) => runMkt(args, { env, timeoutMs: 300_000 })
const multi = (...args: string[]) => mkt(...args, '--env', 'local-multi')
const REGIONS = ['westeurope', 'northeurope'] as const
type RegionName = (typeof REGIONS)[number]

let kubectl = ''
const kubeconfigs: Record<string, string> = {}
const kc = (region: RegionName, ...args: string[]) => execFileSync(kubectl, ['--kubeconfig', kubeconfigs[region]!, '--cache-dir', join(dataDir, `kc-${region}`), '-n', 'marketplace', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
const imageOf = (region: RegionName, deployment: string) => kc(region, 'get', `deployment/${deployment}`, '-o', 'jsonpath={.spec.template.spec.containers[0].image}')

interface Revision {
  revision: number
  current: boolean
  image: string
  verdict: string
}
async function historyOf(component: string): Promise<Record<string, Revision[]>> {
  const result = parseEnvelope(await multi('history', component, '--json')).result as { regions: Array<{ region: string; revisions: Revision[] }> }
  return Object.fromEntries(result.regions.map((r) => [r.region, r.revisions]))
}

const runWatching = (args: string[], when: Parameters<typeof runMktWatching>[2]) => runMktWatching(args, env, when)

beforeAll(async () => {
  kubectl = await kubectlPath()
  // The first command on local-multi starts the sandbox and both regional clusters, each seeded and Available.
  const health = await multi('health')
  expect(health.exitCode, health.stdout + health.stderr).toBe(0)
  // The start notice names the environment this command was for.
  expect(health.stderr).toContain(`starting the sandbox in ${dataDir} (the local-multi environment;`)
  const regions = parseEnvelope(await mkt('sandbox', 'region', 'list', '--json')).result as { regions: Array<{ region: string; kubeconfigPath: string; up: boolean }> }
  for (const r of regions.regions) kubeconfigs[r.region] = r.kubeconfigPath
  expect(Object.keys(kubeconfigs).sort()).toEqual(['northeurope', 'westeurope'])
}, 240_000)

afterAll(async () => {
  await mkt('sandbox', 'stop')
})

describe('local-multi: two regional clusters', () => {
  it('are independent clusters: own API, objects and faults; health has a column per region', async () => {
    const [west, north] = REGIONS.map((r) => kc(r, 'config', 'view', '--minify', '-o', 'jsonpath={.clusters[0].cluster.server} {.contexts[0].name}'))
    expect(west).not.toBe(north.split(' ')[0])
    expect(west).toMatch(/ mkt-sandbox-westeurope$/)
    expect(north).toMatch(/ mkt-sandbox-northeurope$/)

    const fault = await mkt('sandbox', 'fault', 'set', 'reviews', '--unhealthy', 'database', '--region', 'northeurope', '--json')
    expect(fault.exitCode, fault.stderr).toBe(0)
    const id = (parseEnvelope(fault).result as { fault: { id: string } }).fault.id
    try {
      expect((parseEnvelope(await mkt('sandbox', 'fault', 'list', '--region', 'northeurope', '--json')).result as { faults: unknown[] }).faults).toHaveLength(1)
      expect((parseEnvelope(await mkt('sandbox', 'fault', 'list', '--json')).result as { faults: unknown[] }).faults).toHaveLength(0)
      // A typo never starts a new, empty cluster.
      const typo = await mkt('sandbox', 'fault', 'list', '--region', 'northeuropa')
      expect(typo.exitCode).toBe(64)
      expect(typo.stderr).toMatch(/"northeuropa" is not a sandbox region of any environment in mkt\.yaml/)
      const health = await multi('health', '-c', 'reviews', '-c', 'catalog')
      expect(health.exitCode, health.stderr).toBe(82)
      const lines = health.stdout.split('\n')
      expect(lines[0]).toMatch(/^COMPONENT\s+KIND\s+WESTEUROPE\s+NORTHEUROPE\s+WHY$/)
      expect(lines.find((l) => l.startsWith('review-rating-service'))).toMatch(/✓ healthy\s+✗ unhealthy\s+northeurope: /)
      expect(lines.find((l) => l.startsWith('marketplace-catalog-service'))).toMatch(/✓ healthy\s+✓ healthy/)
    } finally {
      expect((await mkt('sandbox', 'fault', 'clear', id, '--region', 'northeurope')).exitCode).toBe(0)
    }
    // Both regions were seeded with the environment's configuration: nothing to push on a fresh sandbox.
    const config = await multi('config', 'plan', '--exit-code')
    expect(config.exitCode, config.stdout + config.stderr).toBe(0)
  }, 180_000)

  it('health with northeurope down exits 69 naming it, and still reports westeurope', async () => {
    const down = await mkt('sandbox', 'region', 'down', 'northeurope')
    expect(down.exitCode, down.stderr).toBe(0)
    try {
      // Like a dead API server: the connection is refused.
      expect(() => kc('northeurope', 'get', 'deployments', '--request-timeout=5s')).toThrow(/connection refused/)
      const json = await multi('health', '--json')
      expect(json.exitCode, json.stderr).toBe(69)
      const envelope = parseEnvelope(json)
      expect(envelope.error!.message).toMatch(/region northeurope is unreachable/)
      expect(validateEnvelope('health', envelope)).toEqual([])
      const model = envelope.result as {
        health: string
        counts: Record<string, number>
        regions: Array<{ region: string; reachable: boolean; health: string; counts: Record<string, number> }>
        components: Array<{ name: string; health: string; regions: Array<{ region: string; health: string; explanation: string }> }>
      }
      // The summary is true per region: westeurope's 16 components as they are, northeurope's unknown (not unhealthy).
      expect(model.regions).toEqual([
        expect.objectContaining({ region: 'westeurope', reachable: true, health: 'Healthy', counts: { Healthy: 16, Degraded: 0, Unhealthy: 0, Unknown: 0 } }),
        expect.objectContaining({ region: 'northeurope', reachable: false, health: 'Unknown', counts: { Healthy: 0, Degraded: 0, Unhealthy: 0, Unknown: 16 } }),
      ])
      for (const component of model.components) {
        expect(component.regions.map((r) => [r.region, r.health])).toEqual([['westeurope', 'Healthy'], ['northeurope', 'Unknown']])
        expect(component.regions[1]!.explanation).toBe('region unreachable')
        // Healthy where it could be seen, unknown where it could not: not proven healthy, not known unhealthy.
        expect(component.health).toBe('Unknown')
      }
      expect(model.counts).toEqual({ Healthy: 0, Degraded: 0, Unhealthy: 0, Unknown: 16 })
      expect(model.health).toBe('Unknown')

      const human = await multi('health')
      expect(human.exitCode).toBe(69)
      expect(human.stdout).toMatch(/^marketplace-catalog-service\s+service\s+✓ healthy\s+\? unknown\s+northeurope: region unreachable/m)
      expect(human.stdout).not.toMatch(/✗ unhealthy/)
      expect(human.stdout).toMatch(/region northeurope unreachable: .*ECONNREFUSED/)
      expect(human.stdout).toMatch(/^local-multi: \? unknown \(westeurope: 16 healthy, 0 degraded, 0 unhealthy; northeurope: unreachable, 16 unknown\) in \d+\.\ds$/m)
      expect(human.stderr).toMatch(/Error: region northeurope is unreachable/)

      // During the outage: a deploy to every region stops before changing anything, naming the region;
      // --regions westeurope deploys the healthy region only.
      const everywhere = await multi('deploy', 'service', 'license', '--image', '3.0.0')
      expect(everywhere.exitCode, everywhere.stderr).toBe(69)
      expect(everywhere.stderr).toMatch(/region northeurope .*ECONNREFUSED/)
      expect(imageOf('westeurope', 'license-service')).toBe('license-service:1.0.0')
      const westOnly = await multi('deploy', 'service', 'license', '--image', '3.0.0', '--regions', 'westeurope')
      expect(westOnly.exitCode, westOnly.stderr).toBe(0)
      expect(westOnly.stdout).not.toMatch(/northeurope/)
      expect(imageOf('westeurope', 'license-service')).toBe('license-service:3.0.0')
    } finally {
      expect((await mkt('sandbox', 'region', 'up', 'northeurope')).exitCode).toBe(0)
    }
    const back = await multi('health')
    expect(back.exitCode, back.stdout + back.stderr).toBe(0)
    expect(imageOf('northeurope', 'license-service')).toBe('license-service:1.0.0')
  }, 180_000)

  it('a release that fails its gate in northeurope after westeurope went live rolls both back (exit 80, verdicts in both)', async () => {
    const fault = await mkt('sandbox', 'fault', 'set', 'catalog', '--image-tag', '2.0.0', '--crashloop', '--region', 'northeurope')
    expect(fault.exitCode, fault.stderr).toBe(0)
    const run = await multi('deploy', 'service', 'catalog', '--image', '2.0.0', '--reason', 'PRJ-19 regional failure')
    expect(run.exitCode, run.stderr).toBe(80)
    // westeurope went live (its gates passed) before northeurope started.
    const live = run.stderr.indexOf('westeurope/marketplace-catalog-service passed:')
    const second = run.stderr.indexOf('northeurope/marketplace-catalog-service patch:')
    expect(live, run.stderr).toBeGreaterThan(-1)
    expect(second).toBeGreaterThan(live)
    expect(run.stderr).toMatch(/Error: deploy of 2\.0\.0 failed and was rolled back: northeurope\/marketplace-catalog-service: pods: .*CrashLoopBackOff/)
    expect(run.stdout).toMatch(/^westeurope\s+marketplace-catalog-service\s+.*rolled-back\s+rolled back because northeurope\/marketplace-catalog-service failed/m)
    expect(run.stdout).toMatch(/^northeurope\s+marketplace-catalog-service\s+.*rolled-back\s+pods: /m)
    for (const region of REGIONS) expect(imageOf(region, 'marketplace-catalog-service')).toBe('marketplace-catalog-service:1.0.0')
    const history = await historyOf('catalog')
    for (const region of REGIONS) {
      expect(history[region]!.find((r) => r.image === 'marketplace-catalog-service:2.0.0')?.verdict, region).toBe('rolled-back')
      expect(history[region]!.find((r) => r.current)?.image, region).toBe('marketplace-catalog-service:1.0.0')
    }
  }, 240_000)

  it('SIGINT during the second region rolls back both (exit 130)', async () => {
    // northeurope's new pods take a minute to become ready: the release is still in its second region at Ctrl-C.
    const fault = await mkt('sandbox', 'fault', 'set', 'search', '--image-tag', '2.0.0', '--slow-ready', '60s', '--region', 'northeurope')
    expect(fault.exitCode, fault.stderr).toBe(0)
    let interruptedAt = ''
    const run = await runWatching(['deploy', 'service', 'search', '--env', 'local-multi', '--image', '2.0.0'], (stderr, child) => {
      if (!/northeurope\/marketplace-search-service wait: /.test(stderr)) return false
      interruptedAt = stderr
      child.kill('SIGINT')
      return true
    })
    expect(run.exitCode, run.stderr).toBe(130)
    expect(interruptedAt).toMatch(/westeurope\/marketplace-search-service passed:/)
    for (const region of REGIONS) expect(imageOf(region, 'marketplace-search-service'), region).toBe('marketplace-search-service:1.0.0')
    const history = await historyOf('search')
    for (const region of REGIONS) expect(history[region]!.find((r) => r.current)?.image, region).toBe('marketplace-search-service:1.0.0')
    for (const region of REGIONS) expect(kc(region, 'get', 'leases', '-l', 'mkt.dev/lock=true', '-o', 'name'), region).toBe('')
  }, 240_000)

  it('migrations run once, in the primary region', async () => {
    const run = await multi('migrate', 'run', '--image', '1.0.0', '--reason', 'PRJ-19', '--json')
    expect(run.exitCode, run.stderr).toBe(0)
    expect(kc('westeurope', 'get', 'jobs', '-o', 'name').trim().split('\n').filter(Boolean)).toHaveLength(1)
    expect(kc('northeurope', 'get', 'jobs', '-o', 'name').trim()).toBe('')
    const status = await multi('migrate', 'status', '--json')
    expect(status.exitCode, status.stderr).toBe(0)
    expect(JSON.stringify(parseEnvelope(status).result)).toMatch(/1\.0\.0/)
  }, 180_000)

  it('rollback after the regions’ revision numbers diverged restores the same image in both, explaining each region', async () => {
    const pricing = 'pricing-service'
    // A restart in northeurope only (someone ran kubectl there): its revision numbers run one ahead from now on.
    kc('northeurope', 'rollout', 'restart', `deployment/${pricing}`)
    kc('northeurope', 'rollout', 'status', `deployment/${pricing}`, '--timeout=120s')
    for (const [image, regions] of [
      ['1.1.0', undefined],
      ['1.2.0', 'northeurope'], // a northeurope-only hotfix: its own newest verified revision is not westeurope's image
      ['1.3.0', undefined],
    ] as const) {
      const deploy = await multi('deploy', 'service', 'pricing', '--image', image, ...(regions ? ['--regions', regions] : []))
      expect(deploy.exitCode, deploy.stderr).toBe(0)
    }
    const before = await historyOf('pricing')
    const revisionOf = (region: RegionName, image: string) => before[region]!.find((r) => r.image === `${pricing}:${image}`)!.revision
    expect(revisionOf('westeurope', '1.1.0')).not.toBe(revisionOf('northeurope', '1.1.0'))

    const rollback = await multi('rollback', 'pricing', '--reason', 'INC-19')
    expect(rollback.exitCode, rollback.stderr).toBe(0)
    const [west, north] = [revisionOf('westeurope', '1.1.0'), revisionOf('northeurope', '1.1.0')]
    // Said per region before anything changed: what it does there, and why that revision.
    expect(rollback.stderr).toMatch(new RegExp(`westeurope: revision ${revisionOf('westeurope', '1.3.0')} \\(${pricing}:1\\.3\\.0\\) -> revision ${west} \\(${pricing}:1\\.1\\.0\\): its newest verified revision before the current one`))
    expect(rollback.stderr).toMatch(
      new RegExp(`northeurope: revision ${revisionOf('northeurope', '1.3.0')} \\(${pricing}:1\\.3\\.0\\) -> revision ${north} \\(${pricing}:1\\.1\\.0\\): the same image as westeurope: .*\\(revision numbers differ per region: ${north} here, ${west} in westeurope\\)`),
    )
    expect(rollback.stdout).toMatch(new RegExp(`^westeurope\\s+.*${pricing}:1\\.1\\.0 \\(r${west} now r\\d+\\)\\s+rolled-back`, 'm'))
    expect(rollback.stdout).toMatch(new RegExp(`^northeurope\\s+.*${pricing}:1\\.1\\.0 \\(r${north} now r\\d+\\)\\s+rolled-back\\s+the same image as westeurope`, 'm'))
    for (const region of REGIONS) expect(imageOf(region, pricing), region).toBe(`${pricing}:1.1.0`)

    // Side by side: a row per image, a column per region.
    const history = await multi('history', 'pricing')
    expect(history.exitCode, history.stderr).toBe(0)
    expect(history.stdout.split('\n')[0]).toMatch(/^IMAGE\s+FIRST DEPLOYED\s+WESTEUROPE\s+NORTHEUROPE$/)
    expect(history.stdout).toMatch(new RegExp(`^${pricing}:1\\.2\\.0\\s+\\S+\\s+-\\s+\\d+ passed$`, 'm'))
    expect(history.stdout).toMatch(new RegExp(`^${pricing}:1\\.1\\.0\\s+\\S+\\s+\\*\\d+ \\(was \\d+\\) passed\\s+\\*\\d+ \\(was \\d+\\) passed$`, 'm'))
  }, 300_000)
})
