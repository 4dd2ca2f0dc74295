// Shared by the sandbox integration tests: an in-process sandbox on an ephemeral port in a temp dir,
// REAL @kubernetes/client-node clients built from the kubeconfig it writes, and the set-up that points the
// REAL Azure SDK clients (ARM, Key Vault, Service Bus) at it.
import { mkdtemp, rm } from 'node:fs/promises'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { GetTokenOptions, TokenCredential } from '@azure/core-auth'
import { RestError } from '@azure/core-rest-pipeline'
import { ApiException, AppsV1Api, BatchV1Api, CoordinationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node'
import { expect } from 'vitest'
import type { SandboxState } from '../../src/sandbox/files.js'
import { startSandbox, type SandboxHandle, type StartSandboxOptions } from '../../src/sandbox/index.js'
import { readSandboxState } from '../../src/sandbox/lifecycle.js'

export interface TestSandbox {
  handle: SandboxHandle
  dir: string
  kc: KubeConfig
  core: CoreV1Api
  apps: AppsV1Api
  batch: BatchV1Api
  coord: CoordinationV1Api
  caCert: string
  stop(): Promise<void>
}

export async function makeTempDir(prefix = 'mkt-sandbox-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix))
}

export function clientsFor(kubeconfigPath: string): Pick<TestSandbox, 'kc' | 'core' | 'apps' | 'batch' | 'coord'> {
  const kc = new KubeConfig()
  kc.loadFromFile(kubeconfigPath)
  return { kc, core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api), batch: kc.makeApiClient(BatchV1Api), coord: kc.makeApiClient(CoordinationV1Api) }
}

/** Starts a sandbox (controllers off unless asked) in a fresh temp dir. */
export async function startTestSandbox(options: Partial<StartSandboxOptions> = {}, dir?: string): Promise<TestSandbox> {
  const dataDir = dir ?? (await makeTempDir())
  const handle = await startSandbox({ controllers: false, ...options, dataDir })
  const clients = clientsFor(handle.kubeconfigPath)
  const caCert = Buffer.from(clients.kc.getCurrentCluster()!.caData!, 'base64').toString('utf8')
  return {
    handle,
    dir: dataDir,
    caCert,
    ...clients,
    async stop() {
      await handle.stop()
      if (dir === undefined) await rm(dataDir, { recursive: true, force: true })
    },
  }
}

/** The endpoints (ARM, Key Vault, Service Bus …) the sandbox in `dir` advertises in its state.json. */
export async function advertisedEndpoints(dir: string): Promise<SandboxState['endpoints']> {
  const state = await readSandboxState(dir)
  if (state === undefined) throw new Error(`no sandbox state.json in ${dir}`)
  return state.endpoints
}

export type StaticCredential = TokenCredential & { calls: { scopes: string | string[]; tenantId?: string }[] }

/** A credential handing out `token` (the sandbox's, or a wrong one), recording what the SDK asked for. */
export function staticCredential(token: string): StaticCredential {
  const calls: StaticCredential['calls'] = []
  return {
    calls,
    async getToken(scopes: string | string[], options?: GetTokenOptions) {
      calls.push({ scopes, tenantId: options?.tenantId })
      return { token, expiresOnTimestamp: Date.now() + 3600_000 }
    },
  }
}

/** What every Azure SDK client needs against the sandbox: trust its CA; and no retries, so a failure shows at once. */
export const sandboxSdkOptions = (caCert: string) => ({ tlsOptions: { ca: caCert }, retryOptions: { maxRetries: 0 } })

export interface SandboxArm {
  /** https://127.0.0.1:<port>, from state.json */
  endpoint: string
  caCert: string
  credential: TokenCredential
}

/** The sandbox's ARM endpoint, its CA, and a credential handing out its token. */
export async function sandboxArm(sandbox: Pick<TestSandbox, 'dir' | 'handle' | 'caCert'>): Promise<SandboxArm> {
  return { endpoint: (await advertisedEndpoints(sandbox.dir)).arm!, caCert: sandbox.caCert, credential: staticCredential(sandbox.handle.token) }
}

type ArmClientClass<C> = new (credential: TokenCredential, subscriptionId: string, options: { endpoint: string } & ReturnType<typeof sandboxSdkOptions>) => C

/** An unchanged ARM SDK client (ContainerServiceClient, ContainerAppsAPIClient) against the sandbox, set up as the README documents. */
export function armClient<C>(Client: ArmClientClass<C>, subscription: string, arm: SandboxArm): C {
  return new Client(arm.credential, subscription, { endpoint: arm.endpoint, ...sandboxSdkOptions(arm.caCert) })
}

/** The RestError an Azure SDK call fails with. */
export async function restErrorOf(promise: Promise<unknown>): Promise<RestError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(RestError)
    return error as RestError
  }
  throw new Error('expected the call to fail')
}

export interface RawResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
  json: () => unknown
}

/** A raw HTTPS request to the sandbox (token added unless `token: null`). */
export async function raw(
  sandbox: Pick<TestSandbox, 'handle' | 'caCert'>,
  method: string,
  path: string,
  options: { body?: string | object; headers?: Record<string, string>; token?: string | null } = {},
): Promise<RawResponse> {
  const payload = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
  const headers: Record<string, string> = { ...options.headers }
  const token = options.token === undefined ? sandbox.handle.token : options.token
  if (token !== null) headers.Authorization = `Bearer ${token}`
  if (payload !== undefined && headers['Content-Type'] === undefined) headers['Content-Type'] = 'application/json'
  return new Promise((resolve, reject) => {
    const req = request(`${sandbox.handle.endpoints.kubernetes}${path}`, { method, headers, ca: sandbox.caCert }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8')
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) as unknown })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    if (payload !== undefined) req.write(payload)
    req.end()
  })
}

/** Awaits a client-node call that must fail; returns the parsed Status body. */
export async function expectApiError(call: Promise<unknown>, code: number, reason?: string): Promise<{ message: string; reason: string; code: number; details?: Record<string, unknown> }> {
  let error: unknown
  try {
    await call
  } catch (e) {
    error = e
  }
  expect(error, 'the call should have failed').toBeInstanceOf(ApiException)
  const apiError = error as ApiException<string>
  expect(apiError.code).toBe(code)
  const status = JSON.parse(String(apiError.body)) as { kind: string; message: string; reason: string; code: number; details?: Record<string, unknown> }
  expect(status.kind).toBe('Status')
  expect(status.code).toBe(code)
  if (reason !== undefined) expect(status.reason).toBe(reason)
  return status
}

export function deploymentManifest(name: string, namespace = 'marketplace', image = 'nginx:1.25'): import('@kubernetes/client-node').V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image, ports: [{ containerPort: 8080, name: 'http' }] }] } },
    },
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls until `check` returns a value other than undefined (or throws after timeoutMs). */
export async function waitFor<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(25)
  }
}

let builtEntry: Promise<string> | undefined

/**
 * The sandbox's process entry as runnable JavaScript: bundled once per test process with esbuild
 * into tmp/ (inside the repo, so its external packages resolve from node_modules). Tests do not
 * depend on `npm run build` having produced dist/.
 */
export function buildSandboxEntry(): Promise<string> {
  builtEntry ??= (async () => {
    const { build } = await import('esbuild')
    const { fileURLToPath } = await import('node:url')
    const root = fileURLToPath(new URL('../..', import.meta.url))
    const outdir = join(root, 'tmp', `sandbox-entry-${process.pid}`)
    const outfile = join(outdir, 'main.js')
    await build({ entryPoints: [join(root, 'src', 'sandbox', 'main.ts')], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile, logLevel: 'warning', target: 'node20' })
    return outfile
  })()
  return builtEntry
}

/** Removes what buildSandboxEntry produced (call from afterAll). */
export async function removeBuiltSandboxEntry(): Promise<void> {
  if (builtEntry === undefined) return
  const entry = await builtEntry.catch(() => undefined)
  builtEntry = undefined
  if (entry !== undefined) await rm(dirname(entry), { recursive: true, force: true })
}
