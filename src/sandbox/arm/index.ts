// Starts the sandbox ARM endpoint: loads the control file arm.json (the clusters that exist, and which
// are forbidden or Entra ID ones), listens on 127.0.0.1 (the previous run's port when free), and registers the control
// routes `GET|POST|DELETE /_sandbox/arm/clusters` on the Kubernetes listener's authenticated router.
import { join } from 'node:path'
import { badRequest } from '../errors.js'
import { readFileIfPresent, writeFileDurably } from '../files.js'
import { listenRemembering, type SandboxEndpointOptions } from '../listener.js'
import { kubeconfigFor } from '../tls.js'
import { ClusterRegistry, parseArmDocument, parseClusterMark } from './clusters.js'
import { ContainerApps, ContainerAppsError, type ContainerAppsDocument, type ContainerAppsOptions } from './containerapps.js'
import { routeContainerApps } from './containerapps-routes.js'
import { ArmError, ArmServer } from './server.js'
import type { SeedComponent } from '../types.js'
import type { RegionalClusters, RegionView } from '../regions.js'

/** The AKS cluster a regional cluster is listed as. */
export const regionalClusterName = (region: string): string => `aks-marketplace-local-${region}`

/** The control file: the clusters that exist and their state (without it, the defaults). Removed by `mkt sandbox reset`. */
export const ARM_FILE = 'arm.json'
/** The listener's last port, kept across resets so the endpoint stays put (like the kubeconfig's). */
export const ARM_PORT_FILE = 'arm.port'
/** The container apps (Microsoft.App), seeded when absent. Removed by `mkt sandbox reset`. */
export const CONTAINERAPPS_FILE = 'containerapps.json'

export interface StartArmOptions extends SandboxEndpointOptions {
  /** The sandbox credentials: CA (for the kubeconfig), server certificate and key, and the bearer token. */
  credentials: { caCert: string; serverCert: string; serverKey: string; token: string }
  /** `https://127.0.0.1:<port>` of the Kubernetes API: the server of the kubeconfigs handed out. */
  kubernetesEndpoint: string
  /** The regional clusters: each is listed as the AKS cluster `aks-marketplace-local-<region>` once started. */
  regions?: Pick<RegionalClusters, 'onStarted' | 'list'>
  /** Container Apps: the pod fault rules and clock they share with the pods, and the components to seed. */
  containerApps?: Omit<ContainerAppsOptions, 'startDelayMs'> & { startDelayMs?: number; seed: readonly SeedComponent[] }
}

export interface ArmHandle {
  /** `https://127.0.0.1:<port>`: the `endpoint` option of `new ContainerServiceClient(…)`. */
  url: string
  clusters: ClusterRegistry
  stop(): Promise<void>
}

async function loadRegistry(path: string): Promise<ClusterRegistry> {
  const text = await readFileIfPresent(path)
  if (text === undefined) return new ClusterRegistry()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new Error(`${path} is not valid JSON; remove it (or run mkt sandbox reset) to start from the default clusters`)
  }
  return new ClusterRegistry(parseArmDocument(json, path))
}

export async function startArm(options: StartArmOptions): Promise<ArmHandle> {
  const log = options.log ?? (() => {})
  const file = join(options.dataDir, ARM_FILE)
  const clusters = await loadRegistry(file)
  const kubeconfig = kubeconfigFor(options.kubernetesEndpoint, options.credentials)
  const apps = await loadContainerApps(options)

  const regional = new Map<string, { view: RegionView; kubeconfig: string }>()
  const regionOf = (cluster: string) => regional.get(cluster.toLowerCase())
  const server = new ArmServer({
    clusters,
    tls: { cert: options.credentials.serverCert, key: options.credentials.serverKey },
    token: options.credentials.token,
    kubeconfig: (cluster) => regionOf(cluster)?.kubeconfig ?? kubeconfig,
    locationOf: (cluster) => regionOf(cluster)?.view.region,
    faultHook: options.faultHook,
    ingress: (host, method, path) => apps.store.ingress(host, method, path),
    providers: (request) => {
      if (!request.url.searchParams.get('api-version')) return undefined // the common 400 MissingApiVersionParameter
      try {
        return routeContainerApps(apps.store, request, apps.persist)
      } catch (error) {
        if (error instanceof ContainerAppsError) throw new ArmError(error.status, error.code, error.message)
        throw error
      }
    },
    log,
  })
  await listenRemembering(server, options.port, join(options.dataDir, ARM_PORT_FILE))

  // Control-file writes one after the other (they share the temp file), each answered once durable.
  let writing: Promise<void> = Promise.resolve()
  const persist = (): Promise<void> => {
    const snapshot = `${JSON.stringify(clusters.toDocument(), null, 2)}\n`
    writing = writing.catch(() => {}).then(() => writeFileDurably(file, snapshot))
    return writing
  }
  const describe = (): { clusters: { cluster: string; state: string }[] } => ({ clusters: clusters.list() })

  // A regional cluster exists in ARM from its first start on (created like `az aks create` would).
  options.regions?.onStarted((view) => {
    const name = regionalClusterName(view.region)
    regional.set(name.toLowerCase(), { view, kubeconfig: kubeconfigFor(view.endpoint, options.credentials, view.context) })
    if (clusters.stateOf(name) === 'missing') {
      clusters.set(name, 'ok')
      void persist().catch(() => undefined)
    }
  })

  options.api.registerSandboxRoute('GET', '/_sandbox/arm/clusters', () => ({ body: describe() }))
  options.api.registerSandboxRoute('POST', '/_sandbox/arm/clusters', async (request) => {
    let mark
    try {
      mark = parseClusterMark(request.json)
    } catch (error) {
      throw badRequest((error as Error).message)
    }
    if (clusters.set(mark.cluster, mark.state)) await persist()
    log(`arm: cluster ${mark.cluster} marked ${mark.state}`)
    return { body: { ...mark, ...describe() } }
  })
  options.api.registerSandboxRoute('DELETE', '/_sandbox/arm/clusters', async () => {
    const deleted = clusters.restoreDefaults()
    if (deleted > 0) await persist()
    return { body: { deleted } }
  })
  log(`sandbox ARM endpoint listening on ${server.url} (${clusters.list().length} clusters)`)

  return {
    url: server.url,
    clusters,
    async stop() {
      await server.close()
      await writing.catch(() => {})
      await apps.flush()
    },
  }
}

/** containerapps.json, or a fresh store seeded with the platform's components; persisted after every write. */
async function loadContainerApps(options: StartArmOptions): Promise<{ store: ContainerApps; persist: () => void; flush: () => Promise<void> }> {
  const file = join(options.dataDir, CONTAINERAPPS_FILE)
  const text = await readFileIfPresent(file)
  const settings: ContainerAppsOptions = {
    now: options.containerApps?.now ?? (() => Date.now()),
    startDelayMs: options.containerApps?.startDelayMs ?? 2000,
    ...(options.containerApps?.faults ? { faults: options.containerApps.faults } : {}),
  }
  let store: ContainerApps
  if (text === undefined) {
    store = new ContainerApps(settings)
    store.seed(options.containerApps?.seed ?? [])
  } else {
    try {
      store = new ContainerApps(settings, JSON.parse(text) as ContainerAppsDocument)
    } catch {
      throw new Error(`${file} is not valid JSON; remove it (or run mkt sandbox reset) to start from the seeded container apps`)
    }
  }
  let writing: Promise<void> = Promise.resolve()
  const persist = () => {
    const snapshot = `${JSON.stringify(store.toDocument())}\n`
    writing = writing.catch(() => {}).then(() => writeFileDurably(file, snapshot))
  }
  if (text === undefined) persist()
  return { store, persist, flush: () => writing.catch(() => {}) }
}
