// Regional clusters: more Kubernetes clusters in the same sandbox process, one per region of a multi-region
// environment (`local-multi`: westeurope, northeurope). Each is a cluster of its own, as AKS gives one per
// region: its own API listener (port), object store, controllers, faults and kubeconfig (context
// `mkt-sandbox-<region>`), all kept in `regions/<region>/` of the data dir. What a region shares with the
// others is what the platform shares across regions: the CA and token (one identity), the clock, and the
// environment-wide Azure services (Key Vault, Service Bus, PostgreSQL) of the main sandbox.
//
// A region starts on first use (POST /_sandbox/regions), so `local` starts as fast as before; the regions
// in use are remembered in regions/regions.json and restarted in the background on the next start. A region's
// API can be taken down and brought back (POST /_sandbox/regions/down|up): its listener stops and
// connections are refused, like an API server that died, while its controllers keep running (pods keep
// serving when a control plane is down, as on AKS).
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { badRequest } from './errors.js'
import { MAIN_CLUSTER_REGION, readFileIfPresent, REGIONS_DIR, REGIONS_FILE, writePrivateFile } from './files.js'
import { KubeApiServer } from './kube/server.js'
import { listenPreferring } from './listener.js'
import { seedStore } from './seed.js'
import { FileStore } from './store.js'
import { kubeconfigFor, previousPort, kubeconfigPath, type SandboxCredentials } from './tls.js'
import type { Clock, ControllersHandle, SandboxApi, SeedComponent } from './types.js'
import { waitForSeededPlatform } from './warm.js'
import { startControllers } from './controllers/index.js'

const REGION_NAME = /^[a-z][a-z0-9-]{0,38}[a-z0-9]$/

export interface RegionView {
  region: string
  /** `https://127.0.0.1:<port>`: the same port across down/up and restarts (when free). */
  endpoint: string
  kubeconfigPath: string
  context: string
  /** False while the region's API is taken down. */
  up: boolean
}

export interface RegionalClustersOptions {
  dataDir: string
  credentials: SandboxCredentials
  clock: Clock
  seed: readonly SeedComponent[]
  podStartDelayMs?: number
  controllers: boolean
  /** KEDA's trigger reads the environment-wide Service Bus. */
  queueDepth: (entity: string) => number | undefined
  log: (message: string) => void
}

interface RegionalCluster {
  region: string
  dir: string
  store: FileStore
  server: KubeApiServer
  controllers: ControllersHandle | undefined
  port: number
  up: boolean
}

export const regionContext = (region: string): string => `mkt-sandbox-${region}`

/** Checks a region name from a control request: kebab-case, and not the main cluster's. */
export function checkRegionName(name: unknown): string {
  if (typeof name !== 'string' || !REGION_NAME.test(name)) throw badRequest('region must be a region name like northeurope (lowercase letters, digits and dashes)')
  if (name === MAIN_CLUSTER_REGION) throw badRequest(`"${MAIN_CLUSTER_REGION}" is the sandbox's main cluster, not a regional one`)
  return name
}

export class RegionalClusters {
  private readonly running = new Map<string, Promise<RegionalCluster>>()
  private readonly started = new Map<string, RegionalCluster>()
  private readonly downAtStart = new Set<string>()
  private readonly startedListeners: Array<(view: RegionView) => void> = []
  private writing: Promise<void> = Promise.resolve()

  constructor(private readonly options: RegionalClustersOptions) {}

  private get root(): string {
    return join(this.options.dataDir, REGIONS_DIR)
  }

  /** Restarts, in the background, the regions in use before (their down/up state kept). */
  async restorePrevious(): Promise<void> {
    const file = join(this.root, REGIONS_FILE)
    const text = await readFileIfPresent(file)
    let previous: Record<string, { up?: boolean }> = {}
    try {
      previous = text === undefined ? {} : ((JSON.parse(text) as { regions?: Record<string, { up?: boolean }> }).regions ?? {})
    } catch {
      // Not worth failing the main cluster's start over: the regions start again on first use.
      this.options.log(`${file} is not valid JSON; regional clusters start again on first use`)
    }
    for (const [region, { up }] of Object.entries(previous)) {
      if (!REGION_NAME.test(region) || region === MAIN_CLUSTER_REGION) continue
      if (up === false) this.downAtStart.add(region)
      void this.ensure(region).catch((error: unknown) => this.options.log(`region ${region}: restart failed: ${(error as Error).message}`))
    }
  }

  /** The region's cluster, started (and seeded when new) on first use. Concurrent callers share one start. */
  async ensure(region: string): Promise<RegionView> {
    let pending = this.running.get(region)
    if (!pending) {
      pending = this.start(region)
      this.running.set(region, pending)
      pending.catch(() => this.running.delete(region))
    }
    return this.view(await pending)
  }

  /** Calls `listener` for every region started, those already running included. */
  onStarted(listener: (view: RegionView) => void): void {
    this.startedListeners.push(listener)
    for (const cluster of this.started.values()) listener(this.view(cluster))
  }

  list(): RegionView[] {
    return [...this.started.values()].map((c) => this.view(c))
  }

  /** Takes the region's API down (connections refused) or brings it back on the same port. */
  async setUp(region: string, up: boolean): Promise<RegionView> {
    await this.ensure(region)
    const cluster = this.started.get(region)!
    if (cluster.up !== up) {
      if (up) await cluster.server.listen(cluster.port)
      else await cluster.server.close()
      cluster.up = up
      this.options.log(`region ${region}: API ${up ? 'up again' : 'taken down'} (${this.view(cluster).endpoint})`)
      await this.persist()
    }
    return this.view(cluster)
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.running.values()])
    for (const cluster of this.started.values()) {
      await cluster.controllers?.stop()
      if (cluster.up) await cluster.server.close()
      await cluster.store.close()
    }
  }

  private view(cluster: RegionalCluster): RegionView {
    return { region: cluster.region, endpoint: `https://127.0.0.1:${cluster.port}`, kubeconfigPath: kubeconfigPath(cluster.dir), context: regionContext(cluster.region), up: cluster.up }
  }

  private async start(region: string): Promise<RegionalCluster> {
    const { clock, credentials, log } = this.options
    const dir = join(this.root, region)
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const regionLog = (message: string): void => log(`region ${region}: ${message}`)
    const store = await FileStore.open({ dataDir: dir, clock, log: regionLog })
    const fresh = store.isEmpty()
    let warming = fresh && this.options.controllers
    if (fresh) seedStore(store, [...this.options.seed])
    const server = new KubeApiServer({ store, clock, tls: { cert: credentials.serverCert, key: credentials.serverKey }, token: credentials.token, log: regionLog })
    const up = !this.downAtStart.delete(region)
    // Listen once to claim the port (the previous run's when free), then close again when the region was down.
    const port = await listenPreferring(server, undefined, await previousPort(dir))
    if (!up) await server.close()
    await writePrivateFile(kubeconfigPath(dir), kubeconfigFor(`https://127.0.0.1:${port}`, credentials, regionContext(region)))
    const controllers = this.options.controllers
      ? startControllers(store, clock, {
          dataDir: dir,
          podStartDelayMs: this.options.podStartDelayMs,
          api: server,
          warmStart: () => warming,
          queueDepth: this.options.queueDepth,
          log: (message: string, error?: unknown) => regionLog(error === undefined ? message : `${message}: ${error instanceof Error ? error.message : String(error)}`),
        })
      : undefined
    if (warming) {
      await waitForSeededPlatform(store, this.options.seed.map((c) => c.name), regionLog)
      warming = false
    }
    const cluster: RegionalCluster = { region, dir, store, server, controllers, port, up }
    regionLog(`cluster ${up ? 'listening on' : 'started with its API down at'} https://127.0.0.1:${port}`)
    this.started.set(region, cluster)
    for (const listener of this.startedListeners) listener(this.view(cluster))
    await this.persist()
    return cluster
  }

  /** Writes regions.json; writes go one after the other (they share the temp file). */
  private persist(): Promise<void> {
    const regions: Record<string, { up: boolean }> = {}
    for (const cluster of this.started.values()) regions[cluster.region] = { up: cluster.up }
    this.writing = this.writing.catch(() => {}).then(() => writePrivateFile(join(this.root, REGIONS_FILE), `${JSON.stringify({ regions }, null, 2)}\n`))
    return this.writing
  }
}

/** The control routes on the main cluster's API: list, ensure (start on first use), down and up. */
export function registerRegionRoutes(api: SandboxApi, regions: RegionalClusters): void {
  const nameOf = (json: unknown, query: URLSearchParams): string => checkRegionName((json as { region?: unknown } | undefined)?.region ?? query.get('region'))
  api.registerSandboxRoute('GET', '/_sandbox/regions', () => ({ body: { regions: regions.list() } }))
  api.registerSandboxRoute('POST', '/_sandbox/regions', async (request) => ({ body: { region: await regions.ensure(nameOf(request.json, request.query)) } }))
  api.registerSandboxRoute('POST', '/_sandbox/regions/down', async (request) => ({ body: { region: await regions.setUp(nameOf(request.json, request.query), false) } }))
  api.registerSandboxRoute('POST', '/_sandbox/regions/up', async (request) => ({ body: { region: await regions.setUp(nameOf(request.json, request.query), true) } }))
}
