// The Kubernetes side of `mkt health serve`: one client-node informer (list, then watch from the list's
// resourceVersion) per kind per region, so the roll-up is read from memory and the API server sees one
// watch per kind instead of a list per dashboard hit. client-node 1.x stops an informer on any error other
// than 410 (which it relists itself), so this restarts it with a backoff: an API server restart or a
// dropped watch costs a relist, never the process.
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node'
import { loadKubeClient } from '../../kube/client.js'
import { kubeGet, kubeStatusMessage } from '../../kube/http.js'

export interface WatchedKind {
  /** The resource's plural: the key of its cache. */
  resource: string
  path: (namespace: string) => string
  /** Served only where an add-on is installed (KEDA's ScaledObject CRD): a 404 means "not here", not "down". */
  optional?: boolean
}

/** What `mkt health serve` keeps in memory. Adding a kind is one line here. */
export const WATCHED_KINDS = [
  { resource: 'deployments', path: (ns: string) => `/apis/apps/v1/namespaces/${ns}/deployments` },
  { resource: 'replicasets', path: (ns: string) => `/apis/apps/v1/namespaces/${ns}/replicasets` },
  { resource: 'pods', path: (ns: string) => `/api/v1/namespaces/${ns}/pods` },
  { resource: 'services', path: (ns: string) => `/api/v1/namespaces/${ns}/services` },
  { resource: 'horizontalpodautoscalers', path: (ns: string) => `/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers`, optional: true },
  { resource: 'scaledobjects', path: (ns: string) => `/apis/keda.sh/v1alpha1/namespaces/${ns}/scaledobjects`, optional: true },
] as const satisfies readonly WatchedKind[]

export type WatchedResource = (typeof WATCHED_KINDS)[number]['resource']

/** The kinds without which a region's roll-up means nothing: their failure makes the region unreachable. */
export const REQUIRED_RESOURCES: ReadonlySet<WatchedResource> = new Set(WATCHED_KINDS.filter((k) => !('optional' in k)).map((k) => k.resource))

export interface KindState {
  /** A list has answered (or, for an optional kind, said it is not served) at least once. */
  synced: boolean
  served: boolean
  /** The current failure, until the next successful list or watch event. */
  error?: string
  /** When the cache last changed or was confirmed by a list. */
  at: string
}

const BACKOFF_MIN_MS = 500
const BACKOFF_MAX_MS = 10_000
/** How often an optional kind that is not served is asked again (an add-on may be installed later). */
const ABSENT_RECHECK_MS = 60_000
/** A watch can die silently behind a proxy (client-node #596): re-watch from the last version this often. */
const REWATCH_MS = 5 * 60_000

interface Informer {
  on(verb: 'add' | 'update' | 'delete', cb: (obj: KubernetesObject) => void): void
  on(verb: 'error', cb: (err: unknown) => void): void
  start(): Promise<void>
  stop(): Promise<void>
  list(namespace?: string): KubernetesObject[]
}

class KindWatch {
  readonly state: KindState = { synced: false, served: true, at: new Date().toISOString() }
  private informer: Informer | undefined
  private timer: NodeJS.Timeout | undefined
  private backoffMs = BACKOFF_MIN_MS
  private stopped = false

  constructor(
    private readonly kind: WatchedKind,
    private readonly kubeConfig: KubeConfig,
    private readonly namespace: string,
    private readonly listTimeoutMs: number,
    private readonly onChange: () => void,
  ) {}

  async start(): Promise<void> {
    const k8s = await loadKubeClient()
    const path = this.kind.path(encodeURIComponent(this.namespace))
    const informer = k8s.makeInformer(this.kubeConfig, path, () => this.list(path)) as unknown as Informer
    const changed = () => {
      this.state.at = new Date().toISOString()
      this.state.error = undefined
      this.onChange()
    }
    informer.on('add', changed)
    informer.on('update', changed)
    informer.on('delete', changed)
    informer.on('error', (error) => this.failed(error))
    this.informer = informer
    this.timer = setInterval(() => this.rewatch(), REWATCH_MS)
    this.timer.unref()
    await this.connect()
  }

  /**
   * (Re)starts the informer. Its start() resolves once the list (if needed) and the watch request have been
   * answered; a failure is reported through the error callback before that. So no new failure meanwhile
   * means the watch is up, even when nothing changed and no event will say so (a watch resumed after an API
   * server restart from a still-valid resourceVersion).
   */
  private async connect(): Promise<void> {
    const failures = this.failures
    await this.informer!.start().catch((error) => this.failed(error))
    if (this.failures === failures && this.state.error !== undefined) {
      this.state.error = undefined
      this.state.at = new Date().toISOString()
      this.backoffMs = BACKOFF_MIN_MS
      this.onChange()
    }
  }

  objects(): KubernetesObject[] {
    return this.state.served ? (this.informer?.list(this.namespace) ?? []) : []
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearInterval(this.timer)
    clearTimeout(this.retry)
    await this.informer?.stop()
  }

  /** The informer's list function: a raw GET (objects stay plain JSON, as watch events deliver them). */
  private async list(path: string): Promise<KubernetesListObject<KubernetesObject>> {
    const answer = await kubeGet(this.kubeConfig, path, this.listTimeoutMs)
    if (answer.status !== 200) {
      const message = answer.status === 'error' ? answer.error : `HTTP ${answer.status}${kubeStatusMessage(answer.body) ? `: ${kubeStatusMessage(answer.body)}` : ''}`
      throw Object.assign(new Error(`listing ${this.kind.resource}: ${message}`), { statusCode: answer.status === 'error' ? undefined : answer.status })
    }
    const list = JSON.parse(answer.body ?? '{}') as KubernetesListObject<KubernetesObject>
    this.state.synced = true
    this.state.served = true
    this.state.error = undefined
    this.state.at = new Date().toISOString()
    this.backoffMs = BACKOFF_MIN_MS
    // A relist that changed nothing fires no informer event, but it does clear an error: say so.
    queueMicrotask(this.onChange)
    return list
  }

  private retry: NodeJS.Timeout | undefined
  private failures = 0

  private failed(error: unknown): void {
    if (this.stopped) return
    this.failures++
    const statusCode = (error as { statusCode?: number }).statusCode
    if (this.kind.optional && statusCode === 404) {
      // Not served in this cluster (no KEDA): nothing to watch, nothing wrong. Ask again later.
      this.state.synced = true
      this.state.served = false
      this.state.error = undefined
      this.schedule(ABSENT_RECHECK_MS)
    } else {
      this.state.error = (error as Error).message ?? String(error)
      this.state.at = new Date().toISOString()
      this.schedule(this.backoffMs)
      this.backoffMs = Math.min(this.backoffMs * 2, BACKOFF_MAX_MS)
    }
    this.onChange()
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.retry)
    // A little jitter so regions and kinds do not reconnect in lockstep after an API server restart.
    this.retry = setTimeout(() => void this.connect(), delayMs * (0.8 + Math.random() * 0.4))
    this.retry.unref()
  }

  private rewatch(): void {
    if (this.stopped || this.state.error !== undefined || !this.informer) return
    void this.informer.stop().then(() => this.connect())
  }
}

/** Every watched kind of one region's namespace. */
export class RegionWatch {
  private readonly kinds: Map<WatchedResource, KindWatch>

  constructor(kubeConfig: KubeConfig, namespace: string, listTimeoutMs: number, onChange: () => void) {
    this.kinds = new Map(WATCHED_KINDS.map((kind) => [kind.resource, new KindWatch(kind, kubeConfig, namespace, listTimeoutMs, onChange)]))
  }

  /** Starts every informer; resolves once each has listed (or failed and is retrying). */
  async start(): Promise<void> {
    await Promise.all([...this.kinds.values()].map((k) => k.start().catch(() => undefined)))
  }

  objects<T extends KubernetesObject = KubernetesObject>(resource: WatchedResource): T[] {
    return this.kinds.get(resource)!.objects() as T[]
  }

  state(resource: WatchedResource): KindState {
    return this.kinds.get(resource)!.state
  }

  /** Why the region cannot be judged right now (a required kind failing), if it cannot. */
  failure(): string | undefined {
    for (const resource of REQUIRED_RESOURCES) {
      const error = this.kinds.get(resource)!.state.error
      if (error !== undefined) return error
    }
    return undefined
  }

  /** Every required kind has listed once (or is failing, which the roll-up reports). */
  get settled(): boolean {
    return [...this.kinds.values()].every((k) => k.state.synced || k.state.error !== undefined)
  }

  async stop(): Promise<void> {
    await Promise.all([...this.kinds.values()].map((k) => k.stop()))
  }
}
