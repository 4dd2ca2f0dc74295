// mkt deploy service / rollback / history / lock through the built CLI against the sandbox.
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { binPath, cleanEnv, parseEnvelope, runMkt, validateEnvelope } from '../helpers/cli.js'
import { kubectlPath } from '../helpers/kubectl.js'

const dataDir = mkdtempSync(join(tmpdir(), 'mkt-deploy-e2e-'))
const env = { MKT_SANDBOX_DIR: dataDir, MKT_SANDBOX_POD_START_DELAY_MS: '150', MKT_PROBE_INTERVAL_MS: '200' }
const mkt = (...args: string[]) => runMkt(args, { env, timeoutMs: 120_000 })
let kubeconfig = ''
let kubectl = ''

interface Item {
  component: string
  outcome: string
  from: string
  to: string
  fromRevision: number
  toRevision: number
  reason: string
  rollback: { outcome: string; toRevision: number } | null
}
interface Revision {
  revision: number
  current: boolean
  image: string
  verdict: string | null
  reason: string | null
  deployedBy: string | null
  changeCause: string | null
}

const kc = (...args: string[]) => execFileSync(kubectl, ['--kubeconfig', kubeconfig, '--cache-dir', join(dataDir, 'kc'), '-n', 'marketplace', ...args], { encoding: 'utf8' })
const imageOf = (deployment: string) => kc('get', `deployment/${deployment}`, '-o', 'jsonpath={.spec.template.spec.containers[0].image}')
const history = async (component: string) =>
  (parseEnvelope(await mkt('history', component, '--json')).result as { regions: Array<{ revisions: Revision[] }> }).regions[0]!.revisions

beforeAll(async () => {
  kubectl = await kubectlPath()
  const start = parseEnvelope(await mkt('sandbox', 'start', '--json')).result as { kubeconfig: string }
  kubeconfig = start.kubeconfig
  kc('wait', '--for=condition=Available', 'deployment', '--all', '--timeout=60s')
})

afterAll(async () => {
  await mkt('sandbox', 'stop')
})

describe('mkt deploy service', () => {
  it('--plan shows the change without making it; --exit-code makes it 2', async () => {
    const plan = await mkt('deploy', 'service', 'pricing', '--image', '2.0.0', '--plan', '--exit-code', '--json')
    expect(plan.exitCode).toBe(2)
    const envelope = parseEnvelope(plan)
    expect(validateEnvelope('deploy service', envelope)).toEqual([])
    const entry = (envelope.result as { plan: { regions: Array<{ components: Array<{ from: string; to: string; changes: boolean }> }> } }).plan.regions[0]!.components[0]!
    expect(entry).toMatchObject({ from: 'pricing-service:1.0.0', to: 'pricing-service:2.0.0', changes: true })
    expect(imageOf('pricing-service')).toBe('pricing-service:1.0.0')
    const same = await mkt('deploy', 'service', 'pricing', '--image', '1.0.0', '--plan', '--exit-code')
    expect(same.exitCode).toBe(0)
  })

  it('rolls a new image out behind the gates and records who, why and the verdict; kubectl agrees', async () => {
    const run = await mkt('deploy', 'service', 'pricing', '--image', '2.0.0', '--bake', '1s', '--reason', 'PRJ-1 new prices', '--json')
    expect(run.exitCode, run.stderr).toBe(0)
    const envelope = parseEnvelope(run)
    expect(validateEnvelope('deploy service', envelope)).toEqual([])
    const [item] = (envelope.result as { items: Item[] }).items
    expect(item).toMatchObject({ component: 'pricing-service', outcome: 'deployed', from: 'pricing-service:1.0.0', to: 'pricing-service:2.0.0', fromRevision: 1, toRevision: 2 })
    expect(imageOf('pricing-service')).toBe('pricing-service:2.0.0')

    const revisions = await history('pricing')
    expect(revisions.map((r) => [r.revision, r.image, r.verdict, r.current])).toEqual([
      [1, 'pricing-service:1.0.0', 'passed', false],
      [2, 'pricing-service:2.0.0', 'passed', true],
    ])
    expect(revisions[1]).toMatchObject({ reason: 'PRJ-1 new prices' })
    expect(revisions[1]!.deployedBy).toMatch(/@/)
    const kubectlHistory = kc('rollout', 'history', 'deployment/pricing-service')
    expect(kubectlHistory).toContain(`2         ${revisions[1]!.changeCause}`)
    expect(revisions[1]!.changeCause).toContain('PRJ-1 new prices')
  })

  it('a release whose pods never become ready is rolled back automatically: exit 80, old image serving, verdict recorded', async () => {
    expect((await mkt('sandbox', 'fault', 'set', 'license', '--image-tag', '9.0.0', '--not-ready')).exitCode).toBe(0)
    const run = await mkt('deploy', 'service', 'license', '--image', '9.0.0', '--bake', '0s', '--timeout', '4s', '--json')
    expect(run.exitCode).toBe(80)
    const envelope = parseEnvelope(run)
    expect(validateEnvelope('deploy service', envelope)).toEqual([])
    expect(envelope.error).toMatchObject({ code: 'ROLLED_BACK', exitCode: 80 })
    const [item] = (envelope.result as { items: Item[] }).items
    expect(item!.outcome).toBe('rolled-back')
    expect(item!.rollback).toMatchObject({ outcome: 'healthy' })
    expect(imageOf('license-service')).toBe('license-service:1.0.0')
    const failed = (await history('license')).find((r) => r.image === 'license-service:9.0.0')!
    expect(failed.verdict).toBe('rolled-back')
  })

  for (const [fault, component, tag] of [['--crashloop', 'reviews', '6.6.6'], ['--image-pull-error', 'portal', '7.7.7']] as const) {
    it(`${fault} is caught from pod status long before any deadline, and rolled back (exit 80)`, async () => {
      expect((await mkt('sandbox', 'fault', 'set', component, '--image-tag', tag, fault)).exitCode).toBe(0)
      const started = Date.now()
      const run = await mkt('deploy', 'service', component, '--image', tag, '--bake', '0s', '--timeout', '60s', '--json')
      const elapsed = Date.now() - started
      expect(run.exitCode).toBe(80)
      const [item] = (parseEnvelope(run).result as { items: Item[] }).items
      expect(item!.reason).toMatch(fault === '--crashloop' ? /CrashLoopBackOff/ : /ErrImagePull|ImagePullBackOff/)
      expect(elapsed).toBeLessThan(30_000) // the timeout is 60 s and the progress deadline 600 s
    })
  }

  it('two concurrent deploys of one component: one exits 73 naming the holder; the lock is gone afterwards', async () => {
    await mkt('sandbox', 'fault', 'set', 'search', '--image-tag', '3.0.0', '--slow-ready', '3s')
    const first = mkt('deploy', 'service', 'search', '--image', '3.0.0', '--bake', '0s')
    await new Promise((r) => setTimeout(r, 1500))
    const second = await mkt('deploy', 'service', 'search', '--image', '3.0.0', '--bake', '0s', '--json')
    expect(second.exitCode).toBe(73)
    const envelope = parseEnvelope(second)
    expect(envelope.error!.message).toMatch(/locked: held by .+@.+\/\d+ since /)
    expect((await first).exitCode).toBe(0)
    const locks = parseEnvelope(await mkt('lock', 'status', '--json'))
    expect(validateEnvelope('lock status', locks)).toEqual([])
    expect((locks.result as { locks: unknown[] }).locks).toEqual([])
  })

  it('SIGINT mid-rollout rolls back, releases the lock and exits 130', async () => {
    await mkt('sandbox', 'fault', 'set', 'installation-worker', '--image-tag', '5.0.0', '--slow-ready', '30s')
    const child = spawn(process.execPath, [binPath, 'deploy', 'service', 'installation-worker', '--image', '5.0.0', '--bake', '0s'], { env: cleanEnv(env) })
    let stderr = ''
    let sent = false
    child.stderr.on('data', (d) => {
      stderr += d
      if (!sent && stderr.includes('patch: image')) {
        sent = true // one Ctrl-C: a second one exits at once, by design
        child.kill('SIGINT')
      }
    })
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    expect(code, stderr).toBe(130)
    expect(stderr).toMatch(/rolled-back: back on revision/)
    expect(imageOf('installation-worker')).toBe('installation-worker:1.0.0')
    expect((parseEnvelope(await mkt('lock', 'status', 'installation-worker', '--json')).result as { locks: unknown[] }).locks).toEqual([])
  })

  it('canary: steps gated one after another, then promoted', async () => {
    const run = await mkt('deploy', 'service', 'asset-version', '--image', '2.1.0', '--strategy', 'canary', '--steps', '50', '--bake', '0s', '--json')
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.stderr).toBe('') // --json: nothing on stderr
    const envelope = parseEnvelope(run)
    const result = envelope.result as { plan: { regions: Array<{ components: Array<{ canarySteps: Array<{ weight: number; canaryReplicas: number }> }> }> }; items: Item[] }
    expect(result.plan.regions[0]!.components[0]!.canarySteps).toEqual([{ weight: 50, canaryReplicas: 1 }, { weight: 100, canaryReplicas: 2 }])
    expect(result.items[0]!.outcome).toBe('deployed')
    expect(kc('get', 'deployment/asset-version-service', '-o', 'jsonpath={.spec.paused}')).not.toBe('true')
    expect(kc('get', 'deployment/asset-version-service', '-o', 'jsonpath={.spec.strategy.rollingUpdate.maxSurge}')).toBe('25%')
  })

  it('several components deploy in dependsOn order', async () => {
    const run = await mkt('deploy', 'service', 'indexing-worker', 'catalog', 'search', '--image', '4.0.0', '--bake', '0s', '--json')
    expect(run.exitCode, run.stderr).toBe(0)
    const result = parseEnvelope(run).result as { plan: { waves: Array<Array<{ component: string }>> }; items: Item[] }
    expect(result.plan.waves.map((w) => w.map((i) => i.component))).toEqual([['marketplace-catalog-service'], ['marketplace-search-service'], ['asset-indexing-worker']])
    expect(result.items.every((i) => i.outcome === 'deployed')).toBe(true)
  })
})

describe('bad input changes nothing', () => {
  it('unknown component, malformed image, bad steps: exit 64', async () => {
    expect((await mkt('deploy', 'service', 'nope', '--image', '2.0.0')).exitCode).toBe(64)
    const bad = await mkt('deploy', 'service', 'pricing', '--image', 'Pricing Service:2', '--json')
    expect(bad.exitCode).toBe(64)
    expect(parseEnvelope(bad).error!.message).toMatch(/invalid image reference/)
    expect((await mkt('deploy', 'service', 'pricing', '--image', '2.0.0', '--strategy', 'canary', '--steps', '50,20')).exitCode).toBe(64)
    expect((await mkt('deploy', 'service', 'pricing')).exitCode).toBe(64) // --image is required
  })

  it('a protected environment without --yes in a non-TTY run: exit 64, nothing changed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mkt-prod-'))
    const yaml = readFileSync(join(__dirname, '..', '..', 'templates', 'mkt.yaml'), 'utf8').replace(
      '  - name: local\n    description: The embedded sandbox on this machine (started on demand)\n',
      '  - name: local\n    protected: true\n    description: The embedded sandbox on this machine (started on demand)\n',
    )
    writeFileSync(join(dir, 'mkt.yaml'), yaml)
    const before = imageOf('pricing-service')
    const run = await runMkt(['deploy', 'service', 'pricing', '--image', '8.0.0'], { env, cwd: dir })
    expect(run.exitCode).toBe(64)
    expect(run.stderr).toContain('--yes')
    expect(imageOf('pricing-service')).toBe(before)
  })
})

describe('mkt rollback and history', () => {
  it('returns to the previous verified revision; --to-revision works; kubectl and mkt agree on numbers', async () => {
    // pricing: r1 1.0.0 (baseline, passed), r2 2.0.0 (passed, current) from the deploy test above
    const run = await mkt('rollback', 'pricing', '--reason', 'INC-1', '--json')
    expect(run.exitCode, run.stderr).toBe(0)
    const envelope = parseEnvelope(run)
    expect(validateEnvelope('rollback', envelope)).toEqual([])
    const region = (envelope.result as { regions: Array<{ fromRevision: number; toRevision: number; newRevision: number; outcome: string }> }).regions[0]!
    expect(region).toMatchObject({ fromRevision: 2, toRevision: 1, newRevision: 3, outcome: 'rolled-back' })
    expect(imageOf('pricing-service')).toBe('pricing-service:1.0.0')
    // kubectl renumbers the same way: revision 1 became 3
    expect(kc('rollout', 'history', 'deployment/pricing-service')).toMatch(/\n2\s+.*\n3\s+/)

    const back = await mkt('rollback', 'pricing', '--to-revision', '2', '--json')
    expect(back.exitCode).toBe(0)
    expect(imageOf('pricing-service')).toBe('pricing-service:2.0.0')
    kc('rollout', 'undo', 'deployment/pricing-service', '--to-revision=3')
    kc('rollout', 'status', 'deployment/pricing-service', '--timeout=60s')
    expect(imageOf('pricing-service')).toBe('pricing-service:1.0.0')
    const current = (await history('pricing')).find((r) => r.current)!
    expect(current).toMatchObject({ revision: 5, image: 'pricing-service:1.0.0' })
  })

  it('nothing to roll back to: exit 1 and no change; an unknown revision: exit 64', async () => {
    const nothing = await mkt('rollback', 'compatibility-worker', '--json')
    expect(nothing.exitCode).toBe(1)
    expect(parseEnvelope(nothing).error!.message).toMatch(/nothing to roll back to/)
    expect(imageOf('compatibility-evaluation-worker')).toBe('compatibility-evaluation-worker:1.0.0')
    expect((await mkt('rollback', 'pricing', '--to-revision', '99')).exitCode).toBe(64)
  })

  it('lock break removes a stuck lock and records who did it', async () => {
    const leaseYaml = join(dataDir, 'lease.yaml')
    writeFileSync(
      leaseYaml,
      `apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: { name: mkt-lock-local-pricing-service, labels: { mkt.dev/lock: "true", app.kubernetes.io/name: pricing-service } }
spec: { holderIdentity: ghost@runner/1, leaseDurationSeconds: 3600, acquireTime: "${new Date().toISOString().replace('Z', '000Z')}", renewTime: "${new Date().toISOString().replace('Z', '000Z')}" }
`,
    )
    kc('apply', '-f', leaseYaml)
    const blocked = await mkt('deploy', 'service', 'pricing', '--image', '2.0.0', '--bake', '0s')
    expect(blocked.exitCode).toBe(73)
    expect(blocked.stderr).toContain('held by ghost@runner/1')
    const broken = await mkt('lock', 'break', 'pricing', '--reason', 'runner died', '--json')
    expect(broken.exitCode).toBe(0)
    expect(validateEnvelope('lock break', parseEnvelope(broken))).toEqual([])
    expect(kc('get', 'events', '--field-selector', 'reason=MktLockBroken', '-o', 'jsonpath={.items[*].message}')).toMatch(/ghost@runner\/1 broken by .*: runner died/)
    expect((await mkt('deploy', 'service', 'pricing', '--image', '2.0.0', '--bake', '0s')).exitCode).toBe(0)
  })
})
