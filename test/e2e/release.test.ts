// The release engine's records and failure paths through the built CLI against the sandbox (issue #12): default
// flags unless the scenario is about a flag. Each test uses its own component, so the order does not matter.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseEnvelope, runMkt, runMktWatching } from '../helpers/cli.js'
import { kubectlPath } from '../helpers/kubectl.js'

const dataDir = mkdtempSync(join(tmpdir(), 'mkt-release-e2e-'))
const env = { MKT_SANDBOX_DIR: dataDir, MKT_SANDBOX_POD_START_DELAY_MS: '150' }
const mkt = (...args: string[]) => runMkt(args, { env, timeoutMs: 240_000 })
let kubeconfig = ''
let kubectl = ''
const kc = (...args: string[]) => execFileSync(kubectl, ['--kubeconfig', kubeconfig, '--cache-dir', join(dataDir, 'kc'), '-n', 'marketplace', ...args], { encoding: 'utf8' })
const jsonpath = (deployment: string, path: string) => kc('get', `deployment/${deployment}`, '-o', `jsonpath={${path}}`)
const imageOf = (deployment: string) => jsonpath(deployment, '.spec.template.spec.containers[0].image')

interface Revision {
  revision: number
  current: boolean
  image: string
  verdict: string
  reason: string | null
  deployedBy: string | null
  deployedAt: string | null
  changeCause: string | null
}
const history = async (component: string) => (parseEnvelope(await mkt('history', component, '--json')).result as { regions: Array<{ revisions: Revision[] }> }).regions[0]!.revisions
const byImage = (revisions: Revision[], image: string) => revisions.filter((r) => r.image === image)
const noLocks = async (component: string) => (parseEnvelope(await mkt('lock', 'status', component, '--json')).result as { locks: unknown[] }).locks

const runWatching = (args: string[], when: Parameters<typeof runMktWatching>[2]) => runMktWatching(args, env, when)

beforeAll(async () => {
  kubectl = await kubectlPath()
  kubeconfig = (parseEnvelope(await mkt('sandbox', 'start', '--json')).result as { kubeconfig: string }).kubeconfig
  kc('wait', '--for=condition=Available', 'deployment', '--all', '--timeout=120s')
}, 180_000)

afterAll(async () => {
  await mkt('sandbox', 'stop')
})

describe('true records', () => {
  it('a kubectl-made revision reads external with its own change-cause, and mkt rollback never chooses it', async () => {
    const deploy = await mkt('deploy', 'service', 'pricing', '--image', '2.0.0', '--reason', 'good release')
    expect(deploy.exitCode, deploy.stderr).toBe(0)
    expect((await mkt('sandbox', 'fault', 'set', 'pricing', '--image-tag', 'crashy', '--crashloop')).exitCode).toBe(0)
    kc('set', 'image', 'deploy/pricing-service', 'pricing-service=pricing-service:crashy')
    const revisions = await history('pricing')
    const [crashy] = byImage(revisions, 'pricing-service:crashy')
    expect(crashy).toMatchObject({ verdict: 'external', current: true, deployedBy: null, reason: null, changeCause: null })
    expect(byImage(revisions, 'pricing-service:2.0.0')[0]).toMatchObject({ verdict: 'passed', reason: 'good release' })
    const table = (await mkt('history', 'pricing')).stdout
    expect(table).toMatch(/crashy\s+\S+\s+-\s+-\s+external/)

    const back = await mkt('rollback', 'pricing', '--reason', 'INC-9', '--json')
    expect(back.exitCode, back.stderr).toBe(0)
    expect((parseEnvelope(back).result as { regions: Array<{ toImage: string }> }).regions[0]!.toImage).toBe('pricing-service:2.0.0')
    expect(imageOf('pricing-service')).toBe('pricing-service:2.0.0')
    expect(byImage(await history('pricing'), 'pricing-service:crashy')[0]!.verdict).toBe('rolled-back')
  }, 240_000)

  it('an aborted multi-component release is rolled-back on every component, and mkt rollback never goes forward to it', async () => {
    expect((await mkt('deploy', 'service', 'asset-version', '--image', '2.0.0')).exitCode).toBe(0)
    expect((await mkt('sandbox', 'fault', 'set', 'license', '--image-tag', '7.0.0', '--crashloop')).exitCode).toBe(0)
    const run = await mkt('deploy', 'service', 'asset-version', 'license', '--image', '7.0.0', '--json')
    expect(run.exitCode, run.stderr).toBe(80)
    const items = (parseEnvelope(run).result as { items: Array<{ component: string; outcome: string }> }).items
    expect(items.map((i) => i.outcome)).toEqual(['rolled-back', 'rolled-back'])
    expect(byImage(await history('asset-version'), 'asset-version-service:7.0.0')[0]!.verdict).toBe('rolled-back')
    expect(byImage(await history('license'), 'license-service:7.0.0')[0]!.verdict).toBe('rolled-back')
    expect(imageOf('asset-version-service')).toBe('asset-version-service:2.0.0')

    const back = await mkt('rollback', 'asset-version', '--json')
    expect(back.exitCode, back.stderr).toBe(0)
    expect((parseEnvelope(back).result as { regions: Array<{ toImage: string }> }).regions[0]!.toImage).toBe('asset-version-service:1.0.0')
    expect(await noLocks('asset-version')).toEqual([])
  }, 240_000)

  it('rollback --to-revision followed by a plain rollback works', async () => {
    expect((await mkt('deploy', 'service', 'dependencies', '--image', '2.0.0')).exitCode).toBe(0)
    expect((await mkt('deploy', 'service', 'dependencies', '--image', '3.0.0')).exitCode).toBe(0)
    const explicit = await mkt('rollback', 'dependencies', '--to-revision', '1', '--json')
    expect(explicit.exitCode, explicit.stderr).toBe(0)
    expect(imageOf('dependency-resolution-service')).toBe('dependency-resolution-service:1.0.0')
    const plain = await mkt('rollback', 'dependencies', '--json')
    expect(plain.exitCode, plain.stderr).toBe(0)
    expect(imageOf('dependency-resolution-service')).toBe('dependency-resolution-service:3.0.0')
    expect((await history('dependencies')).find((r) => r.current)!.verdict).toBe('passed')
  }, 240_000)
})

describe('failure paths', () => {
  it('a canary interrupted with --on-interrupt=pause, then mkt rollback: unpaused, original maxSurge/maxUnavailable', async () => {
    await mkt('sandbox', 'fault', 'set', 'reviews', '--image-tag', '2.0.0', '--slow-ready', '60s')
    const run = await runWatching(['deploy', 'service', 'reviews', '--image', '2.0.0', '--strategy', 'canary', '--on-interrupt', 'pause'], (stderr, child) => {
      if (!stderr.includes('canary step')) return false
      child.kill('SIGINT')
      return true
    })
    expect(run.exitCode, run.stderr).toBe(130)
    expect(jsonpath('review-rating-service', '.spec.paused')).toBe('true')
    expect(jsonpath('review-rating-service', '.spec.strategy.rollingUpdate.maxSurge')).toBe('1')
    expect(await noLocks('reviews')).toEqual([])

    const back = await mkt('rollback', 'reviews', '--json')
    expect(back.exitCode, back.stderr).toBe(0)
    expect(jsonpath('review-rating-service', '.spec.paused')).not.toBe('true')
    expect(jsonpath('review-rating-service', '.spec.strategy.rollingUpdate.maxSurge')).toBe('25%')
    expect(jsonpath('review-rating-service', '.spec.strategy.rollingUpdate.maxUnavailable')).toBe('25%')
    expect(jsonpath('review-rating-service', '.metadata.annotations.mkt\\.dev/canary-original')).toBe('')
    expect(imageOf('review-rating-service')).toBe('review-rating-service:1.0.0')
  }, 240_000)

  it('500s, 429s with Retry-After and dropped watches during a healthy rollout end with exit 0', async () => {
    const base = '/apis/apps/v1/namespaces/marketplace'
    expect((await mkt('sandbox', 'fault', 'api', '--path', `${base}/deployments*`, '--status', '500', '--error-rate', '0.3')).exitCode).toBe(0)
    expect((await mkt('sandbox', 'fault', 'api', '--path', `${base}/replicasets`, '--status', '429', '--retry-after', '1', '--error-rate', '0.3')).exitCode).toBe(0)
    expect((await mkt('sandbox', 'fault', 'api', '--path', '/api/v1/namespaces/marketplace/pods', '--drop', '--error-rate', '0.5')).exitCode).toBe(0)
    try {
      const run = await mkt('deploy', 'service', 'search', '--image', '2.0.0', '--json')
      expect(run.exitCode, run.stderr).toBe(0)
      expect((parseEnvelope(run).result as { items: Array<{ outcome: string }> }).items[0]!.outcome).toBe('deployed')
    } finally {
      await mkt('sandbox', 'fault', 'clear')
    }
    expect(imageOf('marketplace-search-service')).toBe('marketplace-search-service:2.0.0')
    expect(byImage(await history('search'), 'marketplace-search-service:2.0.0')[0]!.verdict).toBe('passed')
  }, 240_000)

  it('a deploy whose lock is broken mid-bake stops writing and says so, and never reports the other deploy\'s revision', async () => {
    await mkt('sandbox', 'fault', 'set', 'portal', '--image-tag', '7.7.7', '--not-ready')
    const first = runWatching(['deploy', 'service', 'portal', '--image', '7.7.7'], (stderr) => stderr.includes('patch: image'))
    await new Promise((resolve) => setTimeout(resolve, 3_000))
    expect((await mkt('lock', 'break', 'portal', '--reason', 'stuck deploy')).exitCode).toBe(0)
    const second = await mkt('deploy', 'service', 'portal', '--image', '7.7.8')
    expect(second.exitCode, second.stderr).toBe(0)
    const result = await first
    expect(result.exitCode, result.stderr).toBe(81)
    expect(result.stderr).toMatch(/lost the lock of publisher-portal-service|changed by someone else/)
    expect(result.stderr).not.toMatch(/7\.7\.[78] is live/)
    expect(imageOf('publisher-portal-service')).toBe('publisher-portal-service:7.7.8')
    const revisions = await history('portal')
    expect(byImage(revisions, 'publisher-portal-service:7.7.8')[0]!.verdict).toBe('passed')
    expect(byImage(revisions, 'publisher-portal-service:7.7.7')[0]!.verdict).not.toBe('passed')
    expect(await noLocks('portal')).toEqual([])
  }, 240_000)

  it('rollback --force-unlock records an Event; --to-revision in a multi-region environment is refused without --regions', async () => {
    expect((await mkt('deploy', 'service', 'license', '--image', '2.0.0')).exitCode).toBe(0)
    const leaseYaml = join(dataDir, 'lease.yaml')
    const now = new Date().toISOString().replace('Z', '000Z')
    writeFileSync(leaseYaml, `apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: { name: mkt-lock-local-license-service, labels: { mkt.dev/lock: "true", app.kubernetes.io/name: license-service } }
spec: { holderIdentity: ghost@runner/1, leaseDurationSeconds: 3600, acquireTime: "${now}", renewTime: "${now}" }
`)
    kc('apply', '-f', leaseYaml)
    const forced = await mkt('rollback', 'license', '--force-unlock', '--reason', 'INC-5 runner died')
    expect(forced.exitCode, forced.stderr).toBe(0)
    expect(imageOf('license-service')).toBe('license-service:1.0.0')
    expect(kc('get', 'events', '--field-selector', 'reason=MktLockBroken', '-o', 'jsonpath={.items[*].message}')).toMatch(/ghost@runner\/1 broken by .*INC-5 runner died/)

    const dir = mkdtempSync(join(tmpdir(), 'mkt-two-regions-'))
    const yaml = readFileSync(join(__dirname, '..', '..', 'templates', 'mkt.yaml'), 'utf8').replace(
      '    regions:\n      - name: local\n        sandbox: true\n        namespace: marketplace\n',
      '    regions:\n      - name: local\n        primary: true\n        sandbox: true\n        namespace: marketplace\n      - name: local2\n        sandbox: true\n        namespace: marketplace\n',
    )
    writeFileSync(join(dir, 'mkt.yaml'), yaml)
    const refused = await runMkt(['rollback', 'license', '--to-revision', '1', '--json'], { env, cwd: dir })
    expect(refused.exitCode, refused.stderr).toBe(64)
    expect(parseEnvelope(refused).error!.message).toMatch(/revision numbers differ per region/)
  }, 240_000)
})
