// mkt health through the built CLI against the sandbox: roll-up, explanations, exit codes, speed.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseEnvelope, runMkt, runMktRecordingImports, validateEnvelope } from '../helpers/cli.js'
import { kubectlPath } from '../helpers/kubectl.js'

const dataDir = mkdtempSync(join(tmpdir(), 'mkt-health-e2e-'))
const env = { MKT_SANDBOX_DIR: dataDir, MKT_SANDBOX_POD_START_DELAY_MS: '150' }
const mkt = (...args: string[]) => runMkt(args, { env, timeoutMs: 60_000 })
let kubeconfig = ''
let kubectl = ''
const kc = (...args: string[]) => execFileSync(kubectl, ['--kubeconfig', kubeconfig, '--cache-dir', join(dataDir, 'kc'), '-n', 'marketplace', ...args], { encoding: 'utf8' })

interface Model {
  health: string
  counts: Record<string, number>
  durationMs: number
  components: Array<{ name: string; health: string; regions: Array<{ explanation: string; probes: Array<{ kind: string; summary: string }> }>; backlog: Array<{ summary: string }> }>
}
const component = (model: Model, name: string) => model.components.find((c) => c.name === name)!

async function healthUntil(predicate: (model: Model) => boolean, ...args: string[]): Promise<{ exitCode: number | null; model: Model }> {
  let last: { exitCode: number | null; model: Model } | undefined
  for (let i = 0; i < 40; i++) {
    const run = await mkt('health', '--json', ...args)
    last = { exitCode: run.exitCode, model: parseEnvelope(run).result as Model }
    if (predicate(last.model)) return last
    await new Promise((r) => setTimeout(r, 250))
  }
  return last!
}

beforeAll(async () => {
  kubectl = await kubectlPath()
  kubeconfig = (parseEnvelope(await mkt('sandbox', 'start', '--json')).result as { kubeconfig: string }).kubeconfig
  kc('wait', '--for=condition=Available', 'deployment', '--all', '--timeout=60s')
})

afterAll(async () => {
  await mkt('sandbox', 'stop')
})

describe('mkt health', () => {
  it('a fresh sandbox: 16 healthy components, exit 0, --json valid', async () => {
    const run = await mkt('health', '--json')
    expect(run.exitCode).toBe(0)
    const envelope = parseEnvelope(run)
    expect(validateEnvelope('health', envelope)).toEqual([])
    const model = envelope.result as Model
    expect(model.counts).toEqual({ Healthy: 16, Degraded: 0, Unhealthy: 0, Unknown: 0 })
    expect(component(model, 'marketplace-catalog-service').regions[0]!.probes.map((p) => p.kind).sort()).toEqual(['live', 'ready', 'ready', 'ready'])
    const table = await mkt('health', '--no-color')
    expect(table.stdout).toMatch(/installation-worker\s+worker\s+✓ healthy\s+2\/2 ready, ready: Healthy/)
  })

  it('each pod fault shows on the right component, explained, with the right exit code', async () => {
    await mkt('sandbox', 'fault', 'set', 'catalog', '--not-ready')
    await mkt('sandbox', 'fault', 'set', 'search', '--crashloop')
    await mkt('sandbox', 'fault', 'set', 'reviews', '--unhealthy', 'redis')
    await mkt('sandbox', 'fault', 'set', 'indexing-worker', '--unhealthy', 'servicebus')
    const { exitCode, model } = await healthUntil(
      (m) =>
        component(m, 'marketplace-catalog-service').health === 'Unhealthy' &&
        /CrashLoopBackOff/.test(component(m, 'marketplace-search-service').regions[0]!.explanation) &&
        component(m, 'review-rating-service').health === 'Unhealthy' &&
        component(m, 'asset-indexing-worker').health === 'Unhealthy',
    )
    expect(exitCode).toBe(82)
    const why = (name: string) => component(model, name).regions[0]!.explanation
    expect(why('marketplace-catalog-service')).toMatch(/^0\/2 ready: pod \S+ Running, not ready.*startup Unhealthy/)
    expect(why('marketplace-search-service')).toMatch(/^0\/2 ready: pod \S+ CrashLoopBackOff/)
    expect(why('review-rating-service')).toMatch(/redis Unhealthy/)
    expect(why('asset-indexing-worker')).toMatch(/servicebus Unhealthy/)
    expect(component(model, 'pricing-service').health).toBe('Healthy')
    await mkt('sandbox', 'fault', 'clear')
  })

  it('a degraded entry is Degraded: exit 0, or 82 with --fail-on degraded', async () => {
    await mkt('sandbox', 'fault', 'set', 'license', '--degraded', 'database')
    const { exitCode, model } = await healthUntil((m) => component(m, 'license-service').health === 'Degraded', '--component', 'license')
    expect(model.components.map((c) => c.name)).toEqual(['license-service'])
    expect(component(model, 'license-service').regions[0]!.explanation).toMatch(/ready: Degraded: database Degraded/)
    expect(exitCode).toBe(0)
    expect((await mkt('health', '--component', 'license', '--fail-on', 'degraded')).exitCode).toBe(82)
    await mkt('sandbox', 'fault', 'clear')
  })

  it('an image that cannot be pulled shows ImagePullBackOff on the new pod while the old ones serve (Degraded)', async () => {
    await mkt('sandbox', 'fault', 'set', 'pricing', '--image-tag', '0.0.1', '--image-pull-error')
    kc('set', 'image', 'deployment/pricing-service', 'pricing-service=pricing-service:0.0.1')
    const { model } = await healthUntil((m) => /ErrImagePull|ImagePullBackOff/.test(component(m, 'pricing-service').regions[0]!.explanation), '-c', 'pricing')
    expect(component(model, 'pricing-service').health).toBe('Degraded')
    expect(component(model, 'pricing-service').regions[0]!.explanation).toMatch(/^2\/3 ready: pod \S+ (ErrImagePull|ImagePullBackOff)/)
    kc('rollout', 'undo', 'deployment/pricing-service')
  })

  it('with 2 s of API latency on the proxy paths, 16 components take about 2 s (concurrent), and --timeout is reported, not hung', async () => {
    await mkt('sandbox', 'fault', 'api', '--path', '/api/v1/namespaces/*/services/*/proxy/**', '--latency', '2s')
    await mkt('sandbox', 'fault', 'api', '--path', '/api/v1/namespaces/*/pods/*/proxy/**', '--latency', '2s')
    try {
      await healthUntil((m) => m.counts.Healthy === 16)
      const slow = await mkt('health', '--json')
      expect(slow.exitCode).toBe(0)
      // About 80 probes (services, each ready pod, workers) of 2 s each: one after another would take minutes;
      // concurrently (a pool of 64) two rounds, about 4 s. The bound is generous for a busy machine.
      expect((parseEnvelope(slow).result as Model).durationMs).toBeLessThan(15_000)
      const cut = await mkt('health', '--timeout', '1s', '--json')
      expect(cut.exitCode).toBe(82)
      const model = parseEnvelope(cut).result as Model
      expect(model.durationMs).toBeLessThan(10_000)
      expect(component(model, 'marketplace-catalog-service').regions[0]!.explanation).toMatch(/timeout after 1 s/)
    } finally {
      // Never leave the latency for the tests after this one.
      await mkt('sandbox', 'fault', 'clear')
    }
  }, 180_000)

  it("a worker's Service Bus backlog over the mkt.yaml thresholds makes it Degraded", async () => {
    expect((await mkt('topics', 'apply', '-q')).exitCode).toBe(0)
    expect((await mkt('sandbox', 'fault', 'servicebus', '--backlog', 'installation-worker=1500', '--dead-letter', 'asset-indexing-worker=2')).exitCode).toBe(0)
    const run = await mkt('health', '--json')
    expect(run.exitCode).toBe(0)
    const model = parseEnvelope(run).result as Model
    const worker = model.components.find((c) => c.name === 'installation-worker')!
    expect(worker.health).toBe('Degraded')
    expect(worker.backlog[0]!.summary).toBe('backlog installation-worker: 1500 messages waiting (over 1000)')
    expect(model.components.find((c) => c.name === 'asset-indexing-worker')!.backlog[0]!.summary).toMatch(/2 dead-lettered \(over 0\)/)
    expect((await mkt('health', '--fail-on', 'degraded')).exitCode).toBe(82)
    await mkt('sandbox', 'fault', 'servicebus', '--backlog', 'installation-worker=0', '--dead-letter', 'asset-indexing-worker=0')
  })

  it('without Service Bus in the environment, health loads no Service Bus code; with it, the backlog reader loads the SDK', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mkt-no-backlog-'))
    const template = readFileSync(join(__dirname, '..', '..', 'templates', 'mkt.yaml'), 'utf8')
    const withoutServiceBus = template.replace('    serviceBus: { sandbox: true }\n', '')
    expect(withoutServiceBus).not.toBe(template)
    writeFileSync(join(dir, 'mkt.yaml'), withoutServiceBus)
    const without = await runMktRecordingImports(['health', '--json'], { env, cwd: dir })
    expect(without.exitCode).toBe(0)
    const model = parseEnvelope(without).result as Model
    expect(model.counts.Healthy).toBe(16)
    expect(model.components.flatMap((c) => c.backlog)).toEqual([])
    expect(without.packages).toContain('@kubernetes/client-node') // the recorder sees bundled packages
    expect(without.packages.filter((p) => p.startsWith('@azure/') || ['rhea', 'fast-xml-parser'].includes(p))).toEqual([])
    const withBacklog = await runMktRecordingImports(['health', '--json'], { env })
    expect(withBacklog.exitCode).toBe(0)
    expect(withBacklog.packages).toContain('@azure/service-bus')
  })

  it('an unreachable cluster exits 69 naming the region; bad filters exit 64', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mkt-unreachable-'))
    writeFileSync(
      join(dir, 'kubeconfig'),
      `apiVersion: v1
kind: Config
clusters: [{ name: gone, cluster: { server: "https://127.0.0.1:9", insecure-skip-tls-verify: true } }]
users: [{ name: me, user: { token: x } }]
contexts: [{ name: gone, context: { cluster: gone, user: me } }]
current-context: gone
`,
    )
    const yaml = readFileSync(join(__dirname, '..', '..', 'templates', 'mkt.yaml'), 'utf8').replace(
      'environments:\n',
      'environments:\n  - name: lab\n    regions:\n      - name: lab-east\n        kubeContext: gone\n',
    )
    writeFileSync(join(dir, 'mkt.yaml'), yaml)
    const run = await runMkt(['health', '--env', 'lab', '--json'], { env: { ...env, KUBECONFIG: join(dir, 'kubeconfig') }, cwd: dir })
    expect(run.exitCode).toBe(69)
    const envelope = parseEnvelope(run)
    expect(envelope.error!.message).toMatch(/region lab-east is unreachable: .*ECONNREFUSED/)
    expect(validateEnvelope('health', envelope)).toEqual([])
    // Nothing could be read: every component is unknown, none is reported unhealthy.
    const model = envelope.result as Model & { regions: Array<{ health: string; counts: Record<string, number> }> }
    expect(model.health).toBe('Unknown')
    expect(model.counts).toEqual({ Healthy: 0, Degraded: 0, Unhealthy: 0, Unknown: 16 })
    expect(model.regions).toMatchObject([{ health: 'Unknown', counts: { Healthy: 0, Degraded: 0, Unhealthy: 0, Unknown: 16 } }])
    const human = await runMkt(['health', '--env', 'lab'], { env: { ...env, KUBECONFIG: join(dir, 'kubeconfig') }, cwd: dir })
    expect(human.exitCode).toBe(69)
    expect(human.stdout).toMatch(/^marketplace-catalog-service\s+service\s+\? unknown\s+region unreachable$/m)
    expect(human.stdout).toMatch(/^lab: \? unknown \(0 healthy, 0 degraded, 0 unhealthy, 16 unknown\) in \d+\.\ds$/m)
    expect((await mkt('health', '--component', 'nope')).exitCode).toBe(64)
    expect((await mkt('health', '--regions', 'mars')).exitCode).toBe(64)
  })
})
