// `mkt health` and the sandbox against a namespace shaped like real AKS, through the built CLI and the real
// kubectl, with default flags and the default pod start delay:
// - a fresh data dir followed at once by `mkt health` (the implicit start) is healthy: the seeded platform is
//   Available when the sandbox answers;
// - Services listen on 80 → targetPort http; a Deployment selecting with matchExpressions behind such a Service
//   is healthy, and one bad pod among its ready endpoints is named;
// - `kubectl get hpa,scaledobjects` lists 11 and 5; an HPA held at its max and a paused ScaledObject make their
//   component Degraded with the reason, in the table, --details and --json (schema-valid);
// - `mkt config plan --env local --exit-code` exits 0 on a fresh sandbox and prints no secret value.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseEnvelope, repoRoot, runMkt, validateEnvelope } from '../helpers/cli.js'
import { kubectlPath } from '../helpers/kubectl.js'
import { sandboxRequest } from '../helpers/sandbox.js'

const dataDir = mkdtempSync(join(tmpdir(), 'mkt-health-aks-e2e-'))
const builtIn = mkdtempSync(join(tmpdir(), 'mkt-health-aks-cwd-'))
const project = mkdtempSync(join(tmpdir(), 'mkt-health-aks-project-'))
const env = { MKT_SANDBOX_DIR: dataDir }
/** The built-in platform (no mkt.yaml): what the sandbox is seeded from. */
const mkt = (...args: string[]) => runMkt(args, { env, cwd: builtIn, timeoutMs: 120_000 })
/** A project whose mkt.yaml adds edge-service, which the test deploys itself. */
const mktEdge = (...args: string[]) => runMkt(args, { env, cwd: project, timeoutMs: 120_000 })
let kubectl = ''
const kc = (...args: string[]) => execFileSync(kubectl, ['--kubeconfig', join(dataDir, 'kubeconfig'), '--cache-dir', join(dataDir, 'kc'), '-n', 'marketplace', ...args], { encoding: 'utf8' })

interface Scaling {
  kind: string
  health: string
  summary: string
  maxReplicas: number
  currentReplicas: number | null
  conditions: Array<{ type: string; status: string }>
}
interface Model {
  health: string
  counts: Record<string, number>
  components: Array<{ name: string; health: string; regions: Array<{ explanation: string; scaling: Scaling | null; probes: Array<{ kind: string; target: string; health: string }> }> }>
}
const component = (model: Model, name: string) => model.components.find((c) => c.name === name)!
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, tries = 60): Promise<T> {
  let value = await read()
  for (let i = 0; i < tries && !ok(value); i++) {
    await sleep(500)
    value = await read()
  }
  return value
}

beforeAll(async () => {
  kubectl = await kubectlPath()
  // The built-in platform plus one service of our own, so the test can shape its Deployment and Service.
  const platform = readFileSync(join(repoRoot, 'templates', 'mkt.yaml'), 'utf8').replace(
    'components:\n',
    'components:\n  - name: edge-service\n    kind: service\n    aliases: [edge]\n',
  )
  writeFileSync(join(project, 'mkt.yaml'), platform)
})

afterAll(async () => {
  await mkt('sandbox', 'stop')
})

describe('a namespace shaped like real AKS', () => {
  it('a fresh data dir followed at once by mkt health (the implicit start) is healthy: exit 0', async () => {
    const run = await mkt('health', '--json')
    expect(run.exitCode, run.stdout + run.stderr).toBe(0)
    const envelope = parseEnvelope(run)
    expect(validateEnvelope('health', envelope)).toEqual([])
    const model = envelope.result as Model
    expect(model.counts).toEqual({ Healthy: 16, Degraded: 0, Unhealthy: 0, Unknown: 0 })
    expect(component(model, 'marketplace-catalog-service').regions[0]!.scaling).toMatchObject({ kind: 'HorizontalPodAutoscaler', health: 'Healthy', maxReplicas: 10 })
    expect(component(model, 'installation-worker').regions[0]!.scaling).toMatchObject({ kind: 'ScaledObject', health: 'Healthy' })
  }, 120_000)

  it('seeds Services on port 80 → targetPort http, HPAs and ScaledObjects kubectl lists (11 and 5)', () => {
    expect(kc('get', 'service', 'marketplace-catalog-service', '-o', 'jsonpath={.spec.ports[0].port}->{.spec.ports[0].targetPort}')).toBe('80->http')
    expect(kc('get', 'deployment', 'marketplace-catalog-service', '-o', 'jsonpath={.spec.template.spec.containers[0].ports[0].name}:{.spec.template.spec.containers[0].ports[0].containerPort} {.spec.template.spec.containers[0].readinessProbe.httpGet.path} {.spec.template.spec.containers[0].livenessProbe.httpGet.path}')).toBe(
      'http:8080 /health/ready /health/live',
    )
    const lines = kc('get', 'hpa,scaledobjects', '--no-headers').trim().split('\n')
    expect(lines.filter((l) => l.startsWith('horizontalpodautoscaler.autoscaling/'))).toHaveLength(11)
    expect(lines.filter((l) => l.startsWith('scaledobject.keda.sh/'))).toHaveLength(5)
    const table = kc('get', 'scaledobjects')
    expect(table).toMatch(/NAME\s+SCALETARGETKIND\s+SCALETARGETNAME\s+MIN\s+MAX\s+READY\s+ACTIVE\s+FALLBACK\s+PAUSED/)
    expect(kc('get', 'hpa', 'marketplace-catalog-service')).toMatch(/Deployment\/marketplace-catalog-service\s+cpu: 20%\/70%\s+2\s+10\s+2/)
  })

  it('mkt config plan --env local --exit-code exits 0 on a fresh sandbox, printing no secret value', async () => {
    const run = await mkt('config', 'plan', '--env', 'local', '--exit-code')
    expect(run.exitCode, run.stdout + run.stderr).toBe(0)
    const vault = readFileSync(join(dataDir, 'keyvault.json'), 'utf8')
    expect(vault).toContain('Host=127.0.0.1;Port=')
    for (const leak of ['Host=127.0.0.1', 'SharedAccessKey=', 'sandbox-placeholder-']) expect(run.stdout + run.stderr).not.toContain(leak)
  }, 120_000)

  it('a Service on port 80 → targetPort http over a matchExpressions selector is healthy; one bad pod among N is named', async () => {
    const labels = { 'app.kubernetes.io/name': 'edge-service' }
    const manifest = {
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'edge-service', namespace: 'marketplace' },
          spec: {
            replicas: 3,
            selector: { matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: ['edge-service'] }] },
            template: {
              metadata: { labels },
              spec: { containers: [{ name: 'edge-service', image: 'edge-service:1.0.0', ports: [{ name: 'http', containerPort: 8080 }], readinessProbe: { httpGet: { path: '/health/ready', port: 'http' } } }] },
            },
          },
        },
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'edge-service', namespace: 'marketplace' }, spec: { selector: labels, ports: [{ name: 'web', port: 80, targetPort: 'http' }] } },
      ],
    }
    writeFileSync(join(project, 'edge.json'), JSON.stringify(manifest))
    kc('apply', '-f', join(project, 'edge.json'))
    kc('rollout', 'status', 'deployment/edge-service', '--timeout=60s')
    let run = await mktEdge('health', '-c', 'edge', '--json')
    expect(run.exitCode, run.stdout).toBe(0)
    let model = parseEnvelope(run).result as Model
    const probes = component(model, 'edge-service').regions[0]!.probes
    expect(probes.filter((p) => p.target === 'service edge-service').map((p) => [p.kind, p.health])).toEqual([
      ['ready', 'Healthy'],
      ['live', 'Healthy'],
    ])
    expect(probes.filter((p) => p.target.startsWith('pod edge-service-'))).toHaveLength(3)

    // A fourth ready endpoint running a bad build (Degraded database): the Service may never pick it, mkt names it.
    await mktEdge('sandbox', 'fault', 'set', 'edge', '--image-tag', '2.0.0', '--degraded', 'database')
    kc('run', 'edge-odd', '--image=edge-service:2.0.0', '--labels=app.kubernetes.io/name=edge-service', '--port=8080')
    kc('wait', '--for=condition=Ready', 'pod/edge-odd', '--timeout=60s')
    run = await mktEdge('health', '-c', 'edge', '--json')
    model = parseEnvelope(run).result as Model
    expect(component(model, 'edge-service').health).toBe('Degraded')
    expect(component(model, 'edge-service').regions[0]!.explanation).toMatch(/^pod edge-odd: ready: Degraded.*database/)
    kc('delete', 'pod', 'edge-odd', '--wait=false')
    await mkt('sandbox', 'fault', 'clear')
  }, 180_000)

  it('an HPA held at its max for longer than 5 minutes makes its component Degraded, saying so', async () => {
    await mkt('sandbox', 'fault', 'set', 'catalog', '--load', '1000')
    await until(
      async () => kc('get', 'hpa', 'marketplace-catalog-service', '-o', 'jsonpath={.status.currentReplicas}'),
      (replicas) => replicas === '10',
    )
    kc('rollout', 'status', 'deployment/marketplace-catalog-service', '--timeout=60s')
    // Just at its max: informative, still healthy.
    let run = await mkt('health', '-c', 'catalog', '--json')
    const scaling = component(parseEnvelope(run).result as Model, 'marketplace-catalog-service').regions[0]!.scaling!
    expect(scaling).toMatchObject({ health: 'Healthy', currentReplicas: 10 })
    expect(scaling.summary).toMatch(/HPA at max 10 replicas for \d+s \(Degraded after 5m\)/)

    // Ten minutes later on the cluster's clock.
    expect((await sandboxRequest(dataDir, 'POST', '/_sandbox/clock/advance?seconds=600')).status).toBe(200)
    run = await mkt('health', '--json')
    expect(run.exitCode).toBe(0) // Degraded is not a failure by default
    const envelope = parseEnvelope(run)
    expect(validateEnvelope('health', envelope)).toEqual([])
    const catalog = component(envelope.result as Model, 'marketplace-catalog-service')
    expect(catalog.health).toBe('Degraded')
    expect(catalog.regions[0]!.explanation).toMatch(/^saturated at max 10 replicas for 1\dm \(cpu \d+%\/70%\)$/)
    expect((await mkt('health', '--fail-on', 'degraded')).exitCode).toBe(82)
    const table = await mkt('health', '--no-color')
    expect(table.stdout).toMatch(/marketplace-catalog-service\s+service\s+! degraded\s+saturated at max 10 replicas/)
    await mkt('sandbox', 'fault', 'clear')
    await until(
      async () => kc('get', 'hpa', 'marketplace-catalog-service', '-o', 'jsonpath={.status.currentReplicas}'),
      (replicas) => replicas === '2',
    )
  }, 240_000)

  it('a paused KEDA ScaledObject makes its worker Degraded with the reason; --details shows the autoscaler', async () => {
    kc('annotate', 'scaledobject', 'installation-worker', 'autoscaling.keda.sh/paused=true')
    const model = await until(
      async () => parseEnvelope(await mkt('health', '-c', 'installation-worker', '--json')).result as Model,
      (m) => component(m, 'installation-worker').health === 'Degraded',
    )
    const worker = component(model, 'installation-worker').regions[0]!
    expect(worker.explanation).toMatch(/^KEDA ScaledObject paused \(ScaledObjectPaused\): ScaledObject is paused/)
    expect(worker.scaling!.conditions).toContainEqual(expect.objectContaining({ type: 'Paused', status: 'True' }))
    expect(kc('get', 'scaledobject', 'installation-worker')).toMatch(/installation-worker\s+apps\/v1\.Deployment\s+installation-worker\s+2\s+10\s+True\s+False\s+False\s+True/)
    const details = await mkt('health', '-c', 'installation-worker', '--details', '--no-color')
    expect(details.stdout).toContain('scaling (ScaledObject installation-worker): Degraded: KEDA ScaledObject paused')
    kc('annotate', 'scaledobject', 'installation-worker', 'autoscaling.keda.sh/paused-')
  }, 120_000)

  it('KEDA follows the sandbox Service Bus queue depth; health shows the backlog next to its target', async () => {
    expect((await mkt('topics', 'apply', '--env', 'local')).exitCode).toBe(0)
    expect((await mkt('sandbox', 'fault', 'servicebus', '--backlog', 'installation-worker=750')).exitCode).toBe(0)
    await until(
      async () => kc('get', 'deployment', 'installation-worker', '-o', 'jsonpath={.spec.replicas}'),
      (replicas) => replicas === '8',
    )
    const run = await mkt('health', '-c', 'installation-worker', '--json')
    const scaling = component(parseEnvelope(run).result as Model, 'installation-worker').regions[0]!.scaling!
    expect(scaling.summary).toMatch(/KEDA 8 replicas \(min 2, max 10\), installation-worker, 100 messages\/replica; backlog 750, wants 8 replicas/)
    expect(kc('get', 'scaledobject', 'installation-worker')).toMatch(/True\s+True\s+False\s+False/)
  }, 120_000)
})
