// Starting and stopping the sandbox in-process: credentials, the object store, the HTTPS API, the
// controllers, and the files the CLI reads (state.json, kubeconfig). main.ts runs this detached.
import { randomUUID } from 'node:crypto'
import { mkdir, readFile, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { SandboxClock } from './clock.js'
import { startControllers, type Controllers } from './controllers/index.js'
import { badRequest } from './errors.js'
import { KubeApiServer } from './kube/server.js'
import { seedStore } from './seed.js'
import { FileStore } from './store.js'
import { startSandboxPostgres } from './postgres.js'
import { startKeyVault } from './keyvault/index.js'
import { startArm } from './arm/index.js'
import { startServiceBus, type ServiceBusHandle } from './servicebus/server.js'
import { localSecretValues, waitForSeededPlatform } from './warm.js'
import { LOCK_FILE, STATE_FILE, writePrivateFile, type SandboxState } from './files.js'
import { listenPreferring } from './listener.js'
import { ensureCredentials, previousPort, writeKubeconfig } from './tls.js'
import { RegionalClusters, registerRegionRoutes } from './regions.js'
import type { ApiFaultHook, SandboxApi, SeedComponent } from './types.js'
import { isProcessAlive } from '../process-alive.js'

export type { SeedComponent } from './types.js'
export type { SandboxState } from './files.js'

export interface StartSandboxOptions {
  dataDir: string
  /** Port for the Kubernetes API; default: the previous run's port if free, else an ephemeral one. */
  kubePort?: number
  /** Scheduled → Running delay of simulated pods (controllers). */
  podStartDelayMs?: number
  /** Components created when the store is empty (first start, after reset). */
  seed?: SeedComponent[]
  /** Run the controllers (default true). Without them objects just sit in the store. */
  controllers?: boolean
  /** Where progress and errors go (default: nowhere). main.ts logs to stdout. */
  log?: (message: string) => void
  /** BOOKMARK interval for watches (default 15 s). */
  bookmarkIntervalMs?: number
  /** Watch-resume window in events (default 10 000); tests shrink it to provoke 410 Expired. */
  eventLogSize?: number
}

export interface SandboxHandle {
  dataDir: string
  kubeconfigPath: string
  endpoints: { kubernetes: string }
  token: string
  store: FileStore
  clock: SandboxClock
  /** Registration points of the running API server (sandbox routes, pod backend, fault hook). */
  api: SandboxApi
  stop(): Promise<void>
}

/**
 * Claims the data dir for this process: one sandbox per directory, or two processes would overwrite
 * each other's objects.json. A lock left by a dead process is taken over.
 */
async function acquireLock(dataDir: string): Promise<void> {
  const path = join(dataDir, LOCK_FILE)
  try {
    const holder = Number((await readFile(path, 'utf8')).trim())
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isProcessAlive(holder)) {
      throw new Error(`another sandbox (pid ${holder}) is using ${dataDir}; stop it first (mkt sandbox stop)`)
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  await writePrivateFile(path, `${process.pid}\n`)
}

/** Sandbox-only clock control, so tests can jump past progress deadlines. */
function registerClockRoutes(api: SandboxApi, clock: SandboxClock): void {
  const describe = (): Record<string, unknown> => ({ now: new Date(clock.now()).toISOString(), offsetMs: clock.offset })
  api.registerSandboxRoute('GET', '/_sandbox/clock', () => ({ body: describe() }))
  api.registerSandboxRoute('POST', '/_sandbox/clock/advance', (request) => {
    const fromQuery = request.query.get('seconds')
    const fromBody = (request.json as { seconds?: unknown } | undefined)?.seconds
    const seconds = Number(fromQuery ?? fromBody)
    if (!Number.isFinite(seconds) || seconds <= 0) throw badRequest('seconds must be a positive number (?seconds=600 or {"seconds":600})')
    clock.advance(seconds * 1000)
    return { body: describe() }
  })
}

export async function startSandbox(options: StartSandboxOptions): Promise<SandboxHandle> {
  const log = options.log ?? (() => {})
  const dataDir = resolve(options.dataDir)
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  await acquireLock(dataDir)

  const credentials = await ensureCredentials(dataDir)
  const clock = new SandboxClock()
  const store = await FileStore.open({ dataDir, clock, log, eventLogSize: options.eventLogSize })
  // A fresh (or reset) sandbox is seeded, and comes up like a namespace that has been running: its pods start at
  // once and the sandbox answers only once every seeded Deployment is Available (see waitForSeededPlatform).
  const fresh = store.isEmpty()
  let warming = fresh && options.controllers !== false
  if (fresh) {
    seedStore(store, options.seed ?? [])
    log(`seeded ${options.seed?.length ?? 0} components`)
  }

  const tls = { cert: credentials.serverCert, key: credentials.serverKey }
  const server = new KubeApiServer({ store, clock, tls, token: credentials.token, log, bookmarkIntervalMs: options.bookmarkIntervalMs })
  const port = await listenPreferring(server, options.kubePort, await previousPort(dataDir))
  registerClockRoutes(server, clock)
  const endpoint = `https://127.0.0.1:${port}`
  const kubeconfigPath = await writeKubeconfig(dataDir, endpoint, credentials)

  let controllers: Controllers | undefined
  // Assigned once Service Bus listens (below); KEDA reads nothing until then.
  let serviceBus: ServiceBusHandle | undefined = undefined
  if (options.controllers !== false) {
    // The controller manager (controllers/index.ts) also registers the simulated application,
    // the API fault hook and the /_sandbox/faults routes on `api`.
    controllers = startControllers(store, clock, {
      dataDir,
      podStartDelayMs: options.podStartDelayMs,
      api: server,
      warmStart: () => warming,
      // KEDA's trigger reads the sandbox's own Service Bus (started below).
      queueDepth: (entity) => serviceBus?.queueDepth(entity),
      log: (message: string, error?: unknown) => log(error === undefined ? message : `${message}: ${error instanceof Error ? error.message : String(error)}`),
    })
  }

  // The database (PGlite) listens now but starts on first use: see postgres.ts.
  const postgres = await startSandboxPostgres({ dataDir, api: server, log })

  // The other Azure endpoints, each on its own HTTPS listener (same CA and token), apply the
  // Kubernetes listener's API fault hook (set by the controllers) to their requests too.
  const faultHook = (): ApiFaultHook | undefined => server.apiFaultHook

  // The Key Vault secrets API; see keyvault/.
  const keyVault = await startKeyVault({ dataDir, credentials, clock, api: server, faultHook, log })

  // The Service Bus administration API (ATOM/XML); see servicebus/.
  const startedServiceBus = await startServiceBus({ dataDir, tls, token: credentials.token, api: server, faultHook, now: () => clock.now(), log })
  serviceBus = startedServiceBus

  // Regional clusters (multi-region environments), each started on first use; see regions.ts.
  const regions = new RegionalClusters({ dataDir, credentials, clock, seed: options.seed ?? [], podStartDelayMs: options.podStartDelayMs, controllers: options.controllers !== false, queueDepth: (entity) => serviceBus?.queueDepth(entity), log })
  registerRegionRoutes(server, regions)

  // Azure Resource Manager (AKS managedClusters: get, list credentials); see arm/.
  // …and Container Apps (Microsoft.App), whose replicas answer as the simulated application under the pod faults.
  const containerApps = { seed: options.seed ?? [], now: () => clock.now(), ...(controllers ? { faults: controllers.faults } : {}), ...(options.podStartDelayMs === undefined ? {} : { startDelayMs: options.podStartDelayMs }) }
  const arm = await startArm({ dataDir, credentials, kubernetesEndpoint: endpoint, regions, api: server, faultHook, containerApps, log })

  if (fresh) {
    const seeded = await keyVault.seed(localSecretValues(options.seed ?? [], { database: postgres.port, serviceBus: startedServiceBus.connectionString }))
    log(`key vault: seeded ${seeded} secrets with local values`)
  }
  if (warming) {
    await waitForSeededPlatform(store, (options.seed ?? []).map((c) => c.name), log)
    warming = false
  }

  const state: SandboxState = {
    version: 1,
    pid: process.pid,
    instance: randomUUID(),
    startedAt: new Date().toISOString(),
    dataDir,
    endpoints: { kubernetes: endpoint, postgres: postgres.url, keyVault: keyVault.url, serviceBus: startedServiceBus.endpoint, arm: arm.url },
    kubeconfigPath,
  }
  await writePrivateFile(join(dataDir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`)
  log(`sandbox API listening on ${endpoint} (kubeconfig ${kubeconfigPath})`)
  // After state.json: the regions used before come back without delaying the main cluster's start.
  await regions.restorePrevious()

  let stopped: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await controllers?.stop()
      await regions.stop()
      await postgres.stop()
      await keyVault.stop()
      await serviceBus?.close()
      await arm.stop()
      await server.close()
      await store.close()
      await removeOwnFile(join(dataDir, STATE_FILE), (text) => (JSON.parse(text) as SandboxState).instance === state.instance)
      await removeOwnFile(join(dataDir, LOCK_FILE), (text) => Number(text.trim()) === process.pid)
      log('sandbox stopped')
    })()
    return stopped
  }

  return { dataDir, kubeconfigPath, endpoints: { kubernetes: endpoint }, token: credentials.token, store, clock, api: server, stop }
}

/** Removes a file only if it is still ours (a newer sandbox may have replaced it). */
async function removeOwnFile(path: string, isOurs: (text: string) => boolean): Promise<void> {
  try {
    if (isOurs(await readFile(path, 'utf8'))) await rm(path, { force: true })
  } catch {
    // Missing or unreadable: nothing of ours to remove.
  }
}
