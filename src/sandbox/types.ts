// The contract between the sandbox's parts: the object store (store.ts), the HTTP API server
// (server.ts, api/*), and the controllers (controllers/*). The sandbox is its own world: nothing
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

/**
 * The object store. Every write bumps a single global resourceVersion, is persisted before the
 * call returns, and is delivered to subscribers (watches, controllers) in order.
 *
 * Errors are thrown as StatusError (see errors.ts) carrying the Kubernetes Status the API returns:
 * NotFound, AlreadyExists, Conflict (resourceVersion mismatch), Invalid.
 */
export interface Store {
  readonly resourceVersion: number
  get(resource: ResourceKey, namespace: string | undefined, name: string): KubeObject | undefined
  list(resource: ResourceKey, namespace: string | undefined, options?: ListOptions): KubeObject[]
  /** Assigns uid, resourceVersion, creationTimestamp, generation=1 (when the type has one), name from generateName. */
  create(resource: ResourceKey, object: KubeObject): KubeObject
  /**
   * Replaces an object. If object.metadata.resourceVersion is set and differs from the stored one:
   * Conflict. `subresource: 'status'` replaces only .status (no generation bump); otherwise .status is
   * kept from the stored object and generation is bumped when spec (or, for Deployments, annotations) changed.
   */
  update(resource: ResourceKey, object: KubeObject, options?: { subresource?: 'status' }): KubeObject
  /** Deletes an object; owned objects (ownerReferences uid) are garbage collected in the background. */
  delete(resource: ResourceKey, namespace: string | undefined, name: string, preconditions?: { uid?: string; resourceVersion?: string }): KubeObject
  subscribe(listener: (event: StoreEvent) => void): () => void
  /** Events newer than `resourceVersion`, for watch resumes; undefined when it is older than the retained window (410 Gone). */
  eventsSince(resourceVersion: number): StoreEvent[] | undefined
}

/** Clock used by controllers and the pod simulator; tests may scale or advance it. */
export interface Clock {
  now(): number
}
