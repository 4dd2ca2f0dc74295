// The real kubectl drives rollouts on the sandbox exactly as on a cluster: set image, rollout status
// (succeeds; fails on the progress deadline of a not-ready release), history, undo, scale, delete, and
// the service proxy to /health/ready.
import { execFile } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSandbox, type SandboxHandle } from '../../src/sandbox/index.js'
import { kubectlPath } from '../helpers/kubectl.js'

const run = promisify(execFile)
let sandbox: SandboxHandle
let kubectl: string
let cacheDir: string

const seed = [
  { name: 'marketplace-catalog-service', kind: 'service' as const, port: 8080, image: 'marketplace-catalog-service:1.0.0' },
  { name: 'pricing-service', kind: 'service' as const, port: 8080, image: 'pricing-service:1.0.0' },
  { name: 'installation-worker', kind: 'worker' as const, port: 8080, image: 'installation-worker:1.0.0' },
]

async function kc(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(kubectl, ['--kubeconfig', sandbox.kubeconfigPath, '--cache-dir', cacheDir, '-n', 'marketplace', ...args], { timeout: 90_000 })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string }
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}

beforeAll(async () => {
  kubectl = await kubectlPath()
  const dir = mkdtempSync(join(tmpdir(), 'mkt-kubectl-rollout-'))
  cacheDir = join(dir, 'kube-cache')
  sandbox = await startSandbox({ dataDir: join(dir, 'data'), seed, podStartDelayMs: 100 })
  const ready = await kc('wait', '--for=condition=Available', 'deployment', '--all', '--timeout=60s')
  expect(ready.code, ready.stderr).toBe(0)
})

afterAll(async () => {
  await sandbox?.stop()
})

describe('kubectl against the sandbox', () => {
  it('get prints the real table columns, and -o wide adds the priority ones', async () => {
    const deploy = await kc('get', 'deployments')
    expect(deploy.stdout.split('\n')[0]).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/)
    const pods = await kc('get', 'pods', '-o', 'wide')
    expect(pods.stdout.split('\n')[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE/)
    expect(pods.stdout).toMatch(/marketplace-catalog-service-\w+-\w{5}\s+1\/1\s+Running\s+0/)
    const short = await kc('get', 'deploy,rs,po,svc,ep', '-o', 'name')
    expect(short.code, short.stderr).toBe(0)
    expect(short.stdout).toContain('service/pricing-service')
  })

  it('apply -f creates a Deployment that rolls out; set image, rollout status, history and undo agree', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mkt-manifest-'))
    const manifest = join(dir, 'web.yaml')
    writeFileSync(
      manifest,
      `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations: { kubernetes.io/change-cause: first }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: web
          image: web:1.0.0
          ports: [{ containerPort: 8080, name: http }]
`,
    )
    expect((await kc('apply', '-f', manifest)).code).toBe(0)
    const first = await kc('rollout', 'status', 'deployment/web', '--timeout=60s')
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toContain('deployment "web" successfully rolled out')

    // Like on a real cluster, the controller copies the Deployment's annotations onto the *current*
    // ReplicaSet, so the change-cause is annotated after the template change (what --record did).
    expect((await kc('set', 'image', 'deployment/web', 'web=web:2.0.0')).code).toBe(0)
    expect((await kc('annotate', 'deployment/web', 'kubernetes.io/change-cause=second', '--overwrite')).code).toBe(0)
    expect((await kc('rollout', 'status', 'deployment/web', '--timeout=60s')).code).toBe(0)

    const history = await kc('rollout', 'history', 'deployment/web')
    expect(history.stdout).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+first\n2\s+second/)

    const undo = await kc('rollout', 'undo', 'deployment/web')
    expect(undo.code, undo.stderr).toBe(0)
    expect(undo.stdout).toContain('deployment.apps/web rolled back')
    expect((await kc('rollout', 'status', 'deployment/web', '--timeout=60s')).code).toBe(0)
    const image = await kc('get', 'deployment/web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}')
    expect(image.stdout).toBe('web:1.0.0')
    // revision 1 was renumbered to 3, like a real controller does
    const after = await kc('rollout', 'history', 'deployment/web')
    expect(after.stdout).toMatch(/REVISION\s+CHANGE-CAUSE\n2\s+second\n3\s+first/)
    const missing = await kc('rollout', 'undo', 'deployment/web', '--to-revision=1')
    expect(missing.code).not.toBe(0)
    expect(missing.stderr).toContain('unable to find specified revision 1 in history')

    expect((await kc('scale', 'deployment/web', '--replicas=3')).code).toBe(0)
    expect((await kc('rollout', 'status', 'deployment/web', '--timeout=60s')).code).toBe(0)
    expect((await kc('get', 'deployment/web', '-o', 'jsonpath={.status.readyReplicas}')).stdout).toBe('3')

    expect((await kc('delete', 'deployment/web')).code).toBe(0)
    // garbage collection removes the ReplicaSets and pods
    let remaining = 'x'
    for (let i = 0; i < 50 && remaining !== ''; i++) {
      remaining = (await kc('get', 'rs,pods', '-l', 'app=web', '-o', 'name')).stdout.trim()
      if (remaining !== '') await new Promise((r) => setTimeout(r, 100))
    }
    expect(remaining).toBe('')
  })

  it('rollout status fails on the progress deadline of a release whose pods never become ready', async () => {
    // Register the fault through the sandbox's control route, trusting its CA.
    const { request } = await import('node:https')
    const { readFileSync } = await import('node:fs')
    const ca = readFileSync(join(sandbox.dataDir, 'ca.crt'), 'utf8')
    await new Promise<void>((resolve, reject) => {
      const req = request(`${sandbox.endpoints.kubernetes}/_sandbox/faults`, { method: 'POST', ca, headers: { authorization: `Bearer ${sandbox.token}`, 'content-type': 'application/json' } }, (r) => {
        r.resume()
        r.on('end', () => (r.statusCode === 201 ? resolve() : reject(new Error(`fault: HTTP ${r.statusCode}`))))
      })
      req.on('error', reject)
      req.end(JSON.stringify({ type: 'pod', component: 'pricing-service', imageTag: '9.9.9', kind: 'not-ready' }))
    })

    expect((await kc('patch', 'deployment/pricing-service', '-p', '{"spec":{"progressDeadlineSeconds":3}}')).code).toBe(0)
    expect((await kc('set', 'image', 'deployment/pricing-service', 'pricing-service=pricing-service:9.9.9')).code).toBe(0)
    const status = await kc('rollout', 'status', 'deployment/pricing-service', '--timeout=60s')
    expect(status.code).not.toBe(0)
    expect(status.stderr).toContain('deployment "pricing-service" exceeded its progress deadline')
    const condition = await kc('get', 'deployment/pricing-service', '-o', 'jsonpath={.status.conditions[?(@.type=="Progressing")].reason}')
    expect(condition.stdout).toBe('ProgressDeadlineExceeded')
    // the old pods keep serving (maxUnavailable 25% of 2 rounds down to 0)
    expect((await kc('get', 'deployment/pricing-service', '-o', 'jsonpath={.status.availableReplicas}')).stdout).toBe('2')

    expect((await kc('rollout', 'undo', 'deployment/pricing-service')).code).toBe(0)
    expect((await kc('rollout', 'status', 'deployment/pricing-service', '--timeout=60s')).code).toBe(0)
  })

  it('get --raw through the service proxy returns the HealthChecks JSON of /health/ready', async () => {
    const raw = await kc('get', '--raw', '/api/v1/namespaces/marketplace/services/marketplace-catalog-service:http/proxy/health/ready')
    expect(raw.code, raw.stderr).toBe(0)
    const report = JSON.parse(raw.stdout)
    expect(report.status).toBe('Healthy')
    expect(Object.keys(report.entries).sort()).toEqual(['database', 'redis', 'servicebus'])
  })
})
