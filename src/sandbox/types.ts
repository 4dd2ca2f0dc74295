// The contract between the sandbox's parts: the object store (store.ts), the HTTP API server
// (kube/*), and the controllers (controllers/*). The sandbox is its own world: nothing
// outside src/sandbox imports these; the rest of mkt reaches the sandbox over HTTPS only, through
// the start/stop API in src/sandbox/index.ts.

/** A Kubernetes object as stored: plain JSON, exactly what the API serves. */
export interface KubeObject {
  apiVersion: string
  kind: string
  metadata: ObjectMeta
  spec?: Record<string, unknown> & object
  status?: Record<string, unknown> & object
  [key: string]: unknown
}

export interface OwnerReference {
  apiVersion: string
  kind: string
  name: string
  uid: string
  controller?: boolean
  blockOwnerDeletion?: boolean
}

export interface ObjectMeta {
  name: string
  namespace?: string
  uid?: string
  resourceVersion?: string
  generation?: number
  creationTimestamp?: string
  deletionTimestamp?: string
  generateName?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  ownerReferences?: OwnerReference[]
  finalizers?: string[]
  managedFields?: unknown[]
  [key: string]: unknown
}

/** One served resource type, e.g. { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment' }. */
export interface ResourceType {
  group: string // '' for the core group
  version: string
  plural: string
  singular: string
  kind: string
  listKind: string
  namespaced: boolean
  shortNames?: string[]
  categories?: string[]
  verbs: string[]
  subresources?: string[] // 'status', 'scale', 'log', 'proxy'
  /** Spec changes bump metadata.generation (deployments, replicasets, jobs). */
  hasGeneration?: boolean
}

/** Key of a resource type in the store: `${plural}` for core, `${plural}.${group}` otherwise. */
export type ResourceKey = string

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED'

export interface StoreEvent {
  resource: ResourceKey
  type: WatchEventType
  object: KubeObject
  /** The object as it was before this change (undefined for ADDED). */
  previous?: KubeObject
  /** Global resourceVersion of this change. */
  resourceVersion: number
}

export interface ListOptions {
  labelSelector?: string
  fieldSelector?: string
}

/** Options of every store write. */
export interface WriteOptions {
  /** Run defaulting and validation but store nothing (the API's `dryRun=All`). */
  dryRun?: boolean
}

export interface UpdateOptions extends WriteOptions {
  subresource?: 'status'
}

export interface DeleteOptions extends WriteOptions {
  /**
   * Pods only (other kinds are deleted at once). Undefined means the pod's own
   * spec.terminationGracePeriodSeconds (default 30), like a DELETE without options.
   * A scheduled (spec.nodeName set), unfinished pod with grace > 0 is NOT removed: it gets
   * metadata.deletionTimestamp (= now + grace) and deletionGracePeriodSeconds, i.e. it becomes
   * "Terminating"; the pod simulator (the kubelet's role) must then delete it with gracePeriodSeconds: 0.
   * Unscheduled or finished pods are removed at once.
   */
  gracePeriodSeconds?: number
  /** 'Orphan' removes ownerReferences to the deleted object from its dependents instead of collecting them. */
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground'
}

/**
 * The object store. Every write bumps a single global resourceVersion, is persisted before the
 * API answers (see whenDurable), and is delivered to subscribers (watches, controllers) in order.
 *
 * Errors are thrown as StatusError (see errors.ts) carrying the Kubernetes Status the API returns:
 * NotFound, AlreadyExists, Conflict (resourceVersion mismatch), Invalid, Forbidden.
 *
 * Notes for controller authors (implemented in store.ts):
 * - get/list return the caller's own copies (mutate freely). StoreEvent.object/previous are SHARED and
 *   deep-frozen: clone (structuredClone / JSON round trip) before modifying.
 * - Subscribers are called synchronously after each commit, in resourceVersion order, even when a
 *   subscriber writes from inside its callback (those events are queued and delivered next).
 * - The store applies the apiserver's per-kind defaults and validation (strategy.ts) on create AND
 *   update, so objects written by controllers are defaulted like API objects (e.g. Deployment
 *   strategy, container imagePullPolicy, Service clusterIP, Job selector from its uid).
 * - An update that changes nothing is a no-op: same resourceVersion, no event.
 * - Non-status updates keep .status; status updates (subresource 'status') change only .status.
 * - Objects with metadata.finalizers get deletionTimestamp on delete and disappear when the last
 *   finalizer is removed; namespaces terminate (content deleted first).
 * - Garbage collection: objects whose ownerReferences all point at uids no longer stored are deleted
 *   in the background (pods via graceful deletion, see DeleteOptions); Events expire after 1 h.
 */
export interface Store {
  readonly resourceVersion: number
  get(resource: ResourceKey, namespace: string | undefined, name: string): KubeObject | undefined
  list(resource: ResourceKey, namespace: string | undefined, options?: ListOptions): KubeObject[]
  /** Assigns uid, resourceVersion, creationTimestamp, generation=1 (when the type has one), name from generateName. */
  create(resource: ResourceKey, object: KubeObject, options?: WriteOptions): KubeObject
  /**
   * Replaces an object. If object.metadata.resourceVersion is set and differs from the stored one:
   * Conflict. `subresource: 'status'` replaces only .status (no generation bump); otherwise .status is
   * kept from the stored object and generation is bumped when spec (or, for Deployments, annotations) changed.
   */
  update(resource: ResourceKey, object: KubeObject, options?: UpdateOptions): KubeObject
  /** Deletes an object (see DeleteOptions for pods' graceful deletion); owned objects are garbage collected in the background. */
  delete(
    resource: ResourceKey,
    namespace: string | undefined,
    name: string,
    preconditions?: { uid?: string; resourceVersion?: string },
    options?: DeleteOptions,
  ): KubeObject
  subscribe(listener: (event: StoreEvent) => void): () => void
  /** Events newer than `resourceVersion`, for watch resumes; undefined when it is older than the retained window (410 Gone). */
  eventsSince(resourceVersion: number): StoreEvent[] | undefined
  /** Resolves once every write made so far is on disk. */
  whenDurable(): Promise<void>
}

/** Clock used by controllers and the pod simulator; tests may scale or advance it. */
export interface Clock {
  now(): number
}

// ---- the running sandbox's extension points (implemented in kube/server.ts, index.ts) --------

/** One component the sandbox seeds on first start / after reset (from seed.json, written by mkt). */
export interface SeedComponent {
  /** Kubernetes name, kebab-case, e.g. `marketplace-catalog-service`. */
  name: string
  kind: 'service' | 'worker'
  /** Container port (named `http`); a service's Service listens on 80 and targets it by name. */
  port: number
  image: string
  /** Its configuration as `<name>-config` ConfigMap data (read by the container through envFrom), when mkt rendered one. */
  config?: Record<string, string>
  /** Key Vault secrets its configuration references: the sandbox's vault is seeded with local values for them. */
  secrets?: string[]
}

export type HttpHeaders = Record<string, string | string[] | undefined>

export interface PodHttpResponse {
  status: number
  headers: Record<string, string>
  body: string | Buffer
}

/**
 * What answers HTTP for the pods (the simulated application, app.ts). The API's service proxy and
 * pod proxy resolve the target pod and port like a real apiserver, then call this. `path` starts with
 * `/` and includes the query string.
 */
export interface PodHttpBackend {
  handle(pod: KubeObject, port: number, method: string, path: string, headers: HttpHeaders, body: Buffer): Promise<PodHttpResponse>
  /** Optional: the container's log for GET …/pods/{name}/log; the server synthesizes one otherwise. */
  logs?(pod: KubeObject, container: string, options: { previous: boolean }): string | undefined
}

export interface ApiFaultDecision {
  /** Delay before handling (or before failing). */
  latencyMs?: number
  /** Answer with this status instead (500 InternalError, 503 ServiceUnavailable, 429 TooManyRequests…). */
  status?: number
  /** Retry-After seconds for 429/503. */
  retryAfter?: number
  /** Destroy the connection without answering. */
  drop?: boolean
}

/** Fault injection on /api and /apis requests (faults.ts). */
export interface ApiFaultHook {
  before(request: { method: string; path: string }): Promise<ApiFaultDecision | undefined>
}

export interface SandboxRouteRequest {
  method: string
  /** Path without the query string, e.g. `/_sandbox/faults`. */
  path: string
  query: URLSearchParams
  headers: HttpHeaders
  body: Buffer
  /** The body parsed as JSON (undefined when empty; a 400 is sent for invalid JSON). */
  json: unknown
}

export interface SandboxRouteResponse {
  status?: number
  headers?: Record<string, string>
  /** Serialized as JSON unless a string/Buffer. */
  body?: unknown
}

export type SandboxRouteHandler = (request: SandboxRouteRequest) => Promise<SandboxRouteResponse> | SandboxRouteResponse

/** Hooks of the running API server, handed to controllers (startControllers options) and on the SandboxHandle. */
export interface SandboxApi {
  /** Adds an authenticated route under /_sandbox/ (path must start with `/_sandbox/`; exact match). */
  registerSandboxRoute(method: string, path: string, handler: SandboxRouteHandler): void
  setPodHttpBackend(backend: PodHttpBackend | undefined): void
  setApiFaultHook(hook: ApiFaultHook | undefined): void
}

/** What index.ts passes to controllers/index.ts startControllers(store, clock, options). */
export interface ControllerOptions {
  dataDir: string
  /** How long a new pod stays Pending before Running (tests use small values). */
  podStartDelayMs?: number
  api: SandboxApi
  log: (message: string) => void
}

export interface ControllersHandle {
  stop(): void | Promise<void>
}
