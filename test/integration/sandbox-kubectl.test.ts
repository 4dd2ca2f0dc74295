// The real kubectl (/usr/bin/kubectl, 1.32) against the sandbox, with its own kubeconfig and cache
// dir: discovery fallback, server-side printing (Tables), apply (client- and server-side), patches,
// delete, get --raw, errors. Rollout-level kubectl tests live with the controllers.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeTempDir, startTestSandbox, type TestSandbox } from './sandbox-helpers.js'

const KUBECTL = '/usr/bin/kubectl'
let sb: TestSandbox
let cacheDir: string

interface Result {
  code: number
  stdout: string
  stderr: string
}

function kubectl(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(KUBECTL, ['--kubeconfig', sb.handle.kubeconfigPath, '--cache-dir', cacheDir, ...args], { timeout: 30_000, env: { ...process.env, KUBECONFIG: '' } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr })
    })
  })
}

async function ok(...args: string[]): Promise<string> {
  const result = await kubectl(...args)
  expect(result.stderr, `kubectl ${args.join(' ')}`).toBe('')
  expect(result.code, `kubectl ${args.join(' ')}`).toBe(0)
  return result.stdout
}

/** Splits kubectl's aligned table output into rows of cells. */
function table(output: string): string[][] {
  return output.trim().split('\n').map((line) => line.trim().split(/\s{2,}/))
}

const MANIFEST = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        ports: [{containerPort: 80}]
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 80}]
`

beforeAll(async () => {
  sb = await startTestSandbox({ seed: [{ name: 'marketplace-catalog-service', kind: 'service', port: 8080, image: 'acr.example/catalog:1.0.0' }] })
  cacheDir = await makeTempDir('mkt-kubectl-cache-')
})

afterAll(async () => {
  await sb?.stop()
  if (cacheDir) await rm(cacheDir, { recursive: true, force: true })
})

describe.runIf(existsSync(KUBECTL))('kubectl 1.32', () => {
  it('talks to the server: version, api-resources with short names', async () => {
    expect(await ok('version')).toContain('Server Version: v1.32.0+mkt-sandbox')
    const resources = table(await ok('api-resources'))
    expect(resources[0]).toEqual(['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND'])
    expect(resources).toContainEqual(['deployments', 'deploy', 'apps/v1', 'true', 'Deployment'])
    expect(resources).toContainEqual(['leases', 'coordination.k8s.io/v1', 'true', 'Lease'])
  })

  it('prints server-side Tables, with -o wide and -A', async () => {
    const deployments = table(await ok('get', 'deploy'))
    expect(deployments[0]).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'])
    expect(deployments[1]!.slice(0, 4)).toEqual(['marketplace-catalog-service', '0/2', '0', '0'])
    const wide = table(await ok('get', 'deploy', '-o', 'wide'))
    expect(wide[0]).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR'])
    expect(wide[1]!.slice(5)).toEqual(['marketplace-catalog-service', 'acr.example/catalog:1.0.0', 'app.kubernetes.io/name=marketplace-catalog-service'])
    const services = table(await ok('get', 'svc', '-A'))
    expect(services[0]).toEqual(['NAMESPACE', 'NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'])
    expect(services[1]!.slice(0, 6)).toEqual(['marketplace', 'marketplace-catalog-service', 'ClusterIP', expect.stringMatching(/^10\.96\./), '<none>', '80/TCP'])
    const namespaces = table(await ok('get', 'ns'))
    expect(namespaces[0]).toEqual(['NAME', 'STATUS', 'AGE'])
    expect(table(await ok('get', 'deploy', 'marketplace-catalog-service', '--show-labels'))[0]).toContain('LABELS')
    expect(await ok('get', 'deploy', '-o', 'name')).toBe('deployment.apps/marketplace-catalog-service\n')
    expect((await kubectl('get', 'pods')).stderr).toContain('No resources found in marketplace namespace.')
  })

  it('applies (client-side and server-side), patches and deletes', async () => {
    const file = join(cacheDir, 'web.yaml')
    await writeFile(file, MANIFEST)
    expect(await ok('apply', '-f', file)).toBe('deployment.apps/web created\nservice/web created\n')
    expect(await ok('apply', '-f', file)).toBe('deployment.apps/web unchanged\nservice/web unchanged\n')
    await writeFile(file, MANIFEST.replace('nginx:1.25', 'nginx:1.26'))
    expect(await ok('apply', '-f', file)).toBe('deployment.apps/web configured\nservice/web unchanged\n')
    expect(await ok('get', 'deploy', 'web', '-o', 'jsonpath={.metadata.generation} {.spec.template.spec.containers[0].image}')).toBe('2 nginx:1.26')
    expect(await ok('apply', '--server-side', '-f', file)).toBe('deployment.apps/web serverside-applied\nservice/web serverside-applied\n')
    expect((await kubectl('diff', '-f', file)).code).toBe(0)

    expect(await ok('scale', 'deploy/web', '--replicas=3')).toBe('deployment.apps/web scaled\n')
    expect(await ok('set', 'image', 'deploy/web', 'web=nginx:1.27')).toBe('deployment.apps/web image updated\n')
    expect(await ok('rollout', 'restart', 'deploy/web')).toBe('deployment.apps/web restarted\n')
    expect(await ok('patch', 'deploy', 'web', '--type=json', '-p', '[{"op":"replace","path":"/spec/replicas","value":4}]')).toBe('deployment.apps/web patched\n')
    expect(await ok('patch', 'deploy', 'web', '--type=merge', '-p', '{"metadata":{"annotations":{"team":"a"}}}')).toBe('deployment.apps/web patched\n')
    expect(await ok('label', 'deploy', 'web', 'tier=front')).toBe('deployment.apps/web labeled\n')
    const after = JSON.parse(await ok('get', 'deploy', 'web', '-o', 'json')) as { spec: { replicas: number; template: { metadata: { annotations: Record<string, string> }; spec: { containers: { image: string }[] } } }; metadata: { labels: Record<string, string> } }
    expect(after.spec.replicas).toBe(4)
    expect(after.spec.template.spec.containers[0]!.image).toBe('nginx:1.27')
    expect(after.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']).toBeDefined()
    expect(after.metadata.labels.tier).toBe('front')
    expect(await ok('describe', 'deploy', 'web')).toMatch(/Replicas:\s+4 desired/)

    expect(await ok('delete', '-f', file)).toBe('deployment.apps "web" deleted\nservice "web" deleted\n')
    const missing = await kubectl('get', 'deploy', 'web')
    expect(missing.code).toBe(1)
    expect(missing.stderr.trim()).toBe('Error from server (NotFound): deployments.apps "web" not found')
  })

  it('creates objects from kubectl generators, which send protobuf', async () => {
    expect(await ok('create', 'namespace', 'generated')).toBe('namespace/generated created\n')
    expect(await ok('-n', 'generated', 'create', 'configmap', 'cfg', '--from-literal=a=1', '--from-literal=b=two')).toBe('configmap/cfg created\n')
    expect(await ok('-n', 'generated', 'create', 'secret', 'generic', 'creds', '--from-literal=password=hunter2')).toBe('secret/creds created\n')
    expect(await ok('-n', 'generated', 'create', 'deployment', 'api', '--image=acr.example/api:2', '--replicas=3', '--port=8080', '--', '/app', '--serve')).toBe('deployment.apps/api created\n')
    expect(await ok('-n', 'generated', 'create', 'service', 'clusterip', 'api', '--tcp=80:8080')).toBe('service/api created\n')
    expect(await ok('-n', 'generated', 'create', 'job', 'migrate', '--image=migrator:1', '--', 'migrate', 'up')).toBe('job.batch/migrate created\n')

    const cm = await sb.core.readNamespacedConfigMap({ name: 'cfg', namespace: 'generated' })
    expect(cm.data).toEqual({ a: '1', b: 'two' })
    const secret = await sb.core.readNamespacedSecret({ name: 'creds', namespace: 'generated' })
    expect(secret.data).toEqual({ password: Buffer.from('hunter2').toString('base64') })
    expect(secret.type).toBe('Opaque')
    const deployment = await sb.apps.readNamespacedDeployment({ name: 'api', namespace: 'generated' })
    expect(deployment.metadata!.labels).toEqual({ app: 'api' })
    expect(deployment.spec!.replicas).toBe(3)
    expect(deployment.spec!.selector).toEqual({ matchLabels: { app: 'api' } })
    const container = deployment.spec!.template.spec!.containers[0]!
    expect(container).toMatchObject({ name: 'api', image: 'acr.example/api:2', command: ['/app', '--serve'], ports: [{ containerPort: 8080, protocol: 'TCP' }] })
    expect(deployment.spec!.template.metadata!.creationTimestamp ?? null).toBeNull()
    const service = await sb.core.readNamespacedService({ name: 'api', namespace: 'generated' })
    expect(service.spec!.ports).toEqual([{ name: '80-8080', port: 80, protocol: 'TCP', targetPort: 8080 }])
    expect(service.spec!.selector).toEqual({ app: 'api' })
    const job = await sb.batch.readNamespacedJob({ name: 'migrate', namespace: 'generated' })
    expect(job.spec!.template.spec!.restartPolicy).toBe('Never')
    expect(job.spec!.template.spec!.containers[0]!.command).toEqual(['migrate', 'up'])
    expect(await ok('create', 'deployment', 'zero', '--image=x:1', '--replicas=0', '-n', 'generated')).toBe('deployment.apps/zero created\n')
    expect((await sb.apps.readNamespacedDeployment({ name: 'zero', namespace: 'generated' })).spec!.replicas).toBe(0)
  })

  it('reads raw paths and reports server errors like against a real cluster', async () => {
    const raw = JSON.parse(await ok('get', '--raw', '/apis/apps/v1/namespaces/marketplace/deployments/marketplace-catalog-service')) as { kind: string }
    expect(raw.kind).toBe('Deployment')
    expect(JSON.parse(await ok('get', '--raw', '/version'))).toMatchObject({ minor: '32' })
    const invalid = await kubectl('patch', 'deploy', 'marketplace-catalog-service', '--type=merge', '-p', '{"spec":{"template":{"metadata":{"labels":{"app.kubernetes.io/name":"other"}}}}}')
    expect(invalid.code).toBe(1)
    expect(invalid.stderr).toContain('The Deployment "marketplace-catalog-service" is invalid: spec.template.metadata.labels: Invalid value: map[string]string')
    const notFound = await kubectl('get', '--raw', '/apis/apps/v1/namespaces/marketplace/deployments/nope')
    expect(notFound.code).toBe(1)
    expect(notFound.stderr).toContain('Error from server (NotFound)')
  })
})
