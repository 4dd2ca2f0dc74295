// The object store: one global resourceVersion, the apiserver's write rules (generation, generateName,
// optimistic concurrency, graceful deletion, finalizers), ordered change delivery, a bounded event log
// for watch resumes, background garbage collection, and crash-safe persistence to objects.json.
import { randomInt, randomUUID } from 'node:crypto'
import { mkdir, readFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import {
  alreadyExists,
  conflict,
  forbidden,
  invalid,
  notFound,
  required,
  type FieldError,
} from './errors.js'
import { cloneJson, deepEqual, deepFreeze, isPlainObject } from './json.js'
import { apiVersionOf, requireResourceType, resourceKeyOf, resourceTypeByKey, resourceTypeByKind } from './resources.js'
import { strategyFor, type StrategyContext } from './strategy.js'
import type {
  Clock,
  DeleteOptions,
  KubeObject,
  ListOptions,
  OwnerReference,
  ResourceKey,
  ResourceType,
  Store,
  StoreEvent,
  UpdateOptions,
  WatchEventType,
  WriteOptions,
} from './types.js'
import { compileSelector, matchesSelector } from './selectors.js'
import { formatTime } from './clock.js'
import { OBJECTS_FILE, writeFileDurably } from './files.js'
import { validateAnnotations, validateLabels, validateName } from './validation.js'

const SNAPSHOT_FORMAT = 'mkt.sandbox/objects/v1'
const GENERATE_NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789'

/** A stored object: frozen, with its serialized form cached (served and persisted without re-encoding). */
export interface StoredObject {
  readonly object: KubeObject
  readonly json: string
}

export interface FileStoreOptions {
  /** Directory holding objects.json; undefined keeps everything in memory (unit tests). */
  dataDir?: string
  clock: Clock
  /** Watch-resume window: how many recent events are kept (default 10 000). */
  eventLogSize?: number
  /** How often the garbage collector sweeps (default 1 s; deletions also trigger a sweep). */
  gcIntervalMs?: number
  /** Event objects older than this are collected, like the apiserver's event TTL (default 1 h). */
  eventTtlMs?: number
  log?: (message: string) => void
}

interface DurabilityWaiter {
  resourceVersion: number
  resolve: () => void
  reject: (error: unknown) => void
}

const objectKey = (namespace: string | undefined, name: string): string => `${namespace ?? ''}/${name}`

/** Name suffix like the apiserver's SimpleNameGenerator: 5 chars of a vowel-free alphabet. */
export function randomNameSuffix(): string {
  let suffix = ''
  for (let i = 0; i < 5; i++) suffix += GENERATE_NAME_ALPHABET[randomInt(GENERATE_NAME_ALPHABET.length)]
  return suffix
}

export class FileStore implements Store {
  private readonly objects = new Map<ResourceKey, Map<string, StoredObject>>()
  /** uid → where the object lives, for owner lookups. */
  private readonly uids = new Map<string, { resource: ResourceKey; key: string }>()
  private rv = 0
  private readonly listeners = new Set<(event: StoreEvent) => void>()
  private readonly pending: StoreEvent[] = []
  private delivering = false
  private readonly eventLog: StoreEvent[] = []
  /** Every event with resourceVersion > logStart is in eventLog. */
  private logStart = 0
  private readonly eventLogSize: number

  private dirty = false
  private flushScheduled = false
  private flushing: Promise<void> | undefined
  private durableRv = 0
  private waiters: DurabilityWaiter[] = []

  private gcTimer: NodeJS.Timeout | undefined
  private gcSoon: NodeJS.Timeout | undefined
  private closed = false

  private constructor(private readonly options: FileStoreOptions) {
    this.eventLogSize = options.eventLogSize ?? 10_000
  }

  /** Opens a store, loading objects.json from dataDir when present. */
  static async open(options: FileStoreOptions): Promise<FileStore> {
    const store = new FileStore(options)
    if (options.dataDir !== undefined) {
      await mkdir(options.dataDir, { recursive: true, mode: 0o700 })
      await store.load(join(options.dataDir, OBJECTS_FILE))
    }
    store.gcTimer = setInterval(() => store.collectGarbage(), options.gcIntervalMs ?? 1000)
    store.gcTimer.unref()
    return store
  }

  get resourceVersion(): number {
    return this.rv
  }

  /** The oldest resourceVersion a watch can still resume from (older ones get 410 Expired). */
  get oldestResumableVersion(): number {
    return this.logStart
  }

  // ---- reads ----------------------------------------------------------------------------------

  /** The stored (frozen) form, for serving without copying. */
  getStored(resource: ResourceKey, namespace: string | undefined, name: string): StoredObject | undefined {
    const type = requireResourceType(resource)
    return this.objects.get(resource)?.get(objectKey(type.namespaced ? namespace : undefined, name))
  }

  get(resource: ResourceKey, namespace: string | undefined, name: string): KubeObject | undefined {
    const stored = this.getStored(resource, namespace, name)
    return stored === undefined ? undefined : (JSON.parse(stored.json) as KubeObject)
  }

  /** Stored (frozen) forms in key order (namespace, then name), optionally filtered by namespace and selectors. */
  listStored(resource: ResourceKey, namespace: string | undefined, options: ListOptions = {}): StoredObject[] {
    const bucket = this.objects.get(resource)
    if (bucket === undefined) return []
    const selector = options.labelSelector || options.fieldSelector ? compileSelector(resource, options) : undefined
    const prefix = namespace === undefined || namespace === '' ? undefined : `${namespace}/`
    const keys = [...bucket.keys()].filter((k) => prefix === undefined || k.startsWith(prefix)).sort()
    const result: StoredObject[] = []
    for (const key of keys) {
      const stored = bucket.get(key)!
      if (selector === undefined || matchesSelector(selector, stored.object)) result.push(stored)
    }
    return result
  }

  list(resource: ResourceKey, namespace: string | undefined, options?: ListOptions): KubeObject[] {
    return this.listStored(resource, namespace, options).map((s) => JSON.parse(s.json) as KubeObject)
  }

  /** Number of objects per resource key, for /_sandbox/status. */
  counts(): Record<ResourceKey, number> {
    const counts: Record<ResourceKey, number> = {}
    for (const [resource, bucket] of this.objects) if (bucket.size > 0) counts[resource] = bucket.size
    return counts
  }

  isEmpty(): boolean {
    for (const bucket of this.objects.values()) if (bucket.size > 0) return false
    return true
  }

  eventsSince(resourceVersion: number): StoreEvent[] | undefined {
    if (resourceVersion < this.logStart) return undefined
    // Binary search for the first event newer than resourceVersion.
    let low = 0
    let high = this.eventLog.length
    while (low < high) {
      const mid = (low + high) >>> 1
      if (this.eventLog[mid]!.resourceVersion <= resourceVersion) low = mid + 1
      else high = mid
    }
    return this.eventLog.slice(low)
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }

  // ---- writes ---------------------------------------------------------------------------------

  create(resource: ResourceKey, input: KubeObject, options: WriteOptions = {}): KubeObject {
    const type = requireResourceType(resource)
    const strategy = strategyFor(resource)
    const object = this.normalizeIncoming(type, input)
    const meta = object.metadata
    for (const field of ['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'selfLink'] as const) {
      delete meta[field]
    }
    if (type.namespaced) this.requireWritableNamespace(type, meta.namespace, meta.name || meta.generateName || '')
    strategy.decode?.(object)

    if (!meta.name && meta.generateName) meta.name = this.generateName(resource, meta.namespace, meta.generateName)
    this.validateMetadata(type, object, true)

    strategy.defaults?.(object)
    meta.uid = randomUUID()
    meta.creationTimestamp = formatTime(this.options.clock.now())
    if (type.hasGeneration) meta.generation = 1
    strategy.prepareCreate?.(object, this.strategyContext())
    this.throwIfInvalid(type, object, strategy.validate?.(object) ?? [])

    const bucket = this.bucket(resource)
    if (bucket.has(objectKey(meta.namespace, meta.name))) throw alreadyExists(type, meta.name)
    if (options.dryRun) return object
    return this.commit(resource, 'ADDED', object, undefined)
  }

  update(resource: ResourceKey, input: KubeObject, options: UpdateOptions = {}): KubeObject {
    const type = requireResourceType(resource)
    const strategy = strategyFor(resource)
    const incoming = this.normalizeIncoming(type, input)
    const key = objectKey(incoming.metadata.namespace, incoming.metadata.name)
    const existing = this.bucket(resource).get(key)
    if (existing === undefined) throw notFound(type, incoming.metadata.name)
    const old = existing.object
    this.checkPreconditions(type, old, { uid: incoming.metadata.uid, resourceVersion: incoming.metadata.resourceVersion })

    const next = options.subresource === 'status' ? withStatusOf(old, incoming) : withServerFieldsOf(type, old, incoming)
    strategy.decode?.(next)
    strategy.defaults?.(next)
    if (type.hasGeneration) {
      const inputs = strategy.generationInputs ?? ((o: KubeObject) => o.spec)
      const changed = options.subresource !== 'status' && !deepEqual(inputs(next), inputs(old))
      next.metadata.generation = (old.metadata.generation ?? 1) + (changed ? 1 : 0)
    }
    this.validateMetadata(type, next, false)
    this.throwIfInvalid(type, next, [...(strategy.validate?.(next) ?? []), ...(strategy.validateUpdate?.(next, old) ?? [])])

    next.metadata.resourceVersion = old.metadata.resourceVersion
    // An update that changes nothing is not a write: no new resourceVersion, no watch event.
    if (deepEqual(next, old)) return JSON.parse(existing.json) as KubeObject
    if (options.dryRun) return next
    if (this.shouldDeleteDuringUpdate(next)) return this.commit(resource, 'DELETED', next, existing)
    return this.commit(resource, 'MODIFIED', next, existing)
  }

  delete(
    resource: ResourceKey,
    namespace: string | undefined,
    name: string,
    preconditions?: { uid?: string; resourceVersion?: string },
    options: DeleteOptions = {},
  ): KubeObject {
    const type = requireResourceType(resource)
    const key = objectKey(type.namespaced ? namespace : undefined, name)
    const existing = this.bucket(resource).get(key)
    if (existing === undefined) throw notFound(type, name)
    const old = existing.object
    this.checkPreconditions(type, old, preconditions ?? {})
    if (options.dryRun) return JSON.parse(existing.json) as KubeObject

    if (options.propagationPolicy === 'Orphan' && old.metadata.uid !== undefined) this.orphanDependents(old.metadata.uid)
    const now = this.options.clock.now()

    if (resource === 'namespaces') {
      // Namespaces terminate: the collector deletes their content, then the namespace itself.
      if (old.metadata.deletionTimestamp !== undefined) return JSON.parse(existing.json) as KubeObject
      const next = cloneJson(old)
      next.metadata.deletionTimestamp = formatTime(now)
      next.metadata.deletionGracePeriodSeconds = 0
      next.status = { ...next.status, phase: 'Terminating' }
      const result = this.commit(resource, 'MODIFIED', next, existing)
      this.scheduleGc()
      return result
    }

    const grace = this.gracePeriodSeconds(resource, old, options.gracePeriodSeconds)
    if (grace > 0) {
      const currentGrace = old.metadata.deletionGracePeriodSeconds
      if (old.metadata.deletionTimestamp !== undefined && typeof currentGrace === 'number' && currentGrace <= grace) {
        return JSON.parse(existing.json) as KubeObject
      }
      const next = cloneJson(old)
      next.metadata.deletionTimestamp = formatTime(now + grace * 1000)
      next.metadata.deletionGracePeriodSeconds = grace
      return this.commit(resource, 'MODIFIED', next, existing)
    }
    if ((old.metadata.finalizers?.length ?? 0) > 0) {
      if (old.metadata.deletionTimestamp !== undefined && old.metadata.deletionGracePeriodSeconds === 0) {
        return JSON.parse(existing.json) as KubeObject
      }
      const next = cloneJson(old)
      next.metadata.deletionTimestamp ??= formatTime(now)
      next.metadata.deletionGracePeriodSeconds = 0
      return this.commit(resource, 'MODIFIED', next, existing)
    }
    const result = this.commit(resource, 'DELETED', cloneJson(old), existing)
    this.scheduleGc()
    return result
  }

  /** Resolves once every write made so far is on disk (immediately for an in-memory store). */
  whenDurable(): Promise<void> {
    const target = this.rv
    if (this.options.dataDir === undefined || target <= this.durableRv) return Promise.resolve()
    return new Promise((resolve, reject) => this.waiters.push({ resourceVersion: target, resolve, reject }))
  }

  /** Stops the collector and writes the last snapshot. */
  async close(): Promise<void> {
    this.closed = true
    if (this.gcTimer !== undefined) clearInterval(this.gcTimer)
    if (this.gcSoon !== undefined) clearTimeout(this.gcSoon)
    await this.whenDurable()
    await this.flushing
    this.listeners.clear()
  }

  // ---- write internals ------------------------------------------------------------------------

  private bucket(resource: ResourceKey): Map<string, StoredObject> {
    let bucket = this.objects.get(resource)
    if (bucket === undefined) {
      bucket = new Map()
      this.objects.set(resource, bucket)
    }
    return bucket
  }

  /** A private copy with apiVersion/kind filled in and namespace normalized to the type's scope. */
  private normalizeIncoming(type: ResourceType, input: KubeObject): KubeObject {
    const object = cloneJson(input)
    object.apiVersion = apiVersionOf(type)
    object.kind = type.kind
    if (!isPlainObject(object.metadata)) object.metadata = { name: '' }
    object.metadata.name ??= ''
    if (!type.namespaced) delete object.metadata.namespace
    for (const [key, value] of Object.entries(object.metadata)) if (value === null) delete object.metadata[key]
    return object
  }

  private requireWritableNamespace(type: ResourceType, namespace: string | undefined, name: string): void {
    if (namespace === undefined || namespace === '') return // reported by validateMetadata
    const ns = this.objects.get('namespaces')?.get(objectKey(undefined, namespace))
    if (ns === undefined) throw notFound({ group: '', plural: 'namespaces' }, namespace)
    if (ns.object.metadata.deletionTimestamp !== undefined) {
      throw forbidden(type, name, `unable to create new content in namespace ${namespace} because it is being terminated`)
    }
  }

  private generateName(resource: ResourceKey, namespace: string | undefined, prefix: string): string {
    const bucket = this.bucket(resource)
    // Like the apiserver, the prefix is cut so the result stays within 63 characters.
    const base = prefix.length > 58 ? prefix.slice(0, 58) : prefix
    for (let attempt = 0; attempt < 16; attempt++) {
      const candidate = base + randomNameSuffix()
      if (!bucket.has(objectKey(namespace, candidate))) return candidate
    }
    return base + randomNameSuffix()
  }

  private validateMetadata(type: ResourceType, object: KubeObject, creating: boolean): void {
    const meta = object.metadata
    const errors: FieldError[] = []
    if (!meta.name) errors.push(required('metadata.name', creating ? 'name or generateName is required' : undefined))
    else errors.push(...validateName('metadata.name', meta.name, strategyFor(resourceKeyOf(type)).nameRule))
    if (type.namespaced && !meta.namespace) errors.push(required('metadata.namespace'))
    errors.push(...validateLabels('metadata.labels', meta.labels))
    errors.push(...validateAnnotations('metadata.annotations', meta.annotations))
    this.throwIfInvalid(type, object, errors)
  }

  private throwIfInvalid(type: ResourceType, object: KubeObject, errors: FieldError[]): void {
    if (errors.length > 0) throw invalid(type, object.metadata.name ?? '', errors)
  }

  private checkPreconditions(type: ResourceType, old: KubeObject, preconditions: { uid?: string; resourceVersion?: string }): void {
    const name = old.metadata.name
    if (preconditions.uid && preconditions.uid !== old.metadata.uid) {
      throw conflict(type, name, `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${old.metadata.uid}`)
    }
    if (preconditions.resourceVersion && preconditions.resourceVersion !== old.metadata.resourceVersion) {
      throw conflict(type, name)
    }
  }

  /** The apiserver's rule: an object marked for deletion goes away once it has no finalizers left and no grace to wait for. */
  private shouldDeleteDuringUpdate(object: KubeObject): boolean {
    const meta = object.metadata
    return meta.deletionTimestamp !== undefined && (meta.finalizers?.length ?? 0) === 0 && (meta.deletionGracePeriodSeconds ?? 0) === 0 && object.kind !== 'Namespace'
  }

  /** Pods terminate gracefully once scheduled and still running; everything else is deleted at once. */
  private gracePeriodSeconds(resource: ResourceKey, object: KubeObject, requested: number | undefined): number {
    if (resource !== 'pods') return 0
    const phase = object.status?.phase
    if (!object.spec?.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0
    const grace = requested ?? (object.spec?.terminationGracePeriodSeconds as number | undefined) ?? 30
    return Math.max(0, grace)
  }

  private orphanDependents(ownerUid: string): void {
    for (const [resource, bucket] of this.objects) {
      for (const stored of [...bucket.values()]) {
        const refs = stored.object.metadata.ownerReferences
        if (!refs?.some((r) => r.uid === ownerUid)) continue
        const next = cloneJson(stored.object)
        next.metadata.ownerReferences = refs.filter((r) => r.uid !== ownerUid)
        if (next.metadata.ownerReferences.length === 0) delete next.metadata.ownerReferences
        this.update(resource, next)
      }
    }
  }

  private strategyContext(): StrategyContext {
    return { list: (resource) => this.listStored(resource, undefined).map((s) => s.object) }
  }

  /** Assigns the next resourceVersion, stores (or removes) the object, logs, persists and delivers the event. */
  private commit(resource: ResourceKey, type: WatchEventType, object: KubeObject, previous: StoredObject | undefined): KubeObject {
    const resourceVersion = ++this.rv
    object.metadata.resourceVersion = String(resourceVersion)
    const json = JSON.stringify(object)
    deepFreeze(object)
    const key = objectKey(object.metadata.namespace, object.metadata.name)
    const bucket = this.bucket(resource)
    if (type === 'DELETED') {
      bucket.delete(key)
      if (object.metadata.uid !== undefined) this.uids.delete(object.metadata.uid)
    } else {
      bucket.set(key, { object, json })
      if (object.metadata.uid !== undefined) this.uids.set(object.metadata.uid, { resource, key })
    }
    const event: StoreEvent = { resource, type, object, previous: previous?.object, resourceVersion }
    this.appendToLog(event)
    this.markDirty()
    this.deliver(event)
    return JSON.parse(json) as KubeObject
  }

  private appendToLog(event: StoreEvent): void {
    this.eventLog.push(event)
    // Trim in batches so appends stay amortized O(1).
    if (this.eventLog.length > this.eventLogSize * 1.25) {
      const drop = this.eventLog.length - this.eventLogSize
      this.logStart = this.eventLog[drop - 1]!.resourceVersion
      this.eventLog.splice(0, drop)
    }
  }

  /** Delivers in commit order even when a listener writes from inside its callback. */
  private deliver(event: StoreEvent): void {
    this.pending.push(event)
    if (this.delivering) return
    this.delivering = true
    try {
      while (this.pending.length > 0) {
        const next = this.pending.shift()!
        for (const listener of [...this.listeners]) {
          try {
            listener(next)
          } catch (error) {
            this.options.log?.(`store listener failed: ${error instanceof Error ? error.stack : String(error)}`)
          }
        }
      }
    } finally {
      this.delivering = false
    }
  }

  // ---- garbage collection ---------------------------------------------------------------------

  private scheduleGc(): void {
    if (this.gcSoon !== undefined || this.closed) return
    this.gcSoon = setTimeout(() => {
      this.gcSoon = undefined
      this.collectGarbage()
    }, 5)
    this.gcSoon.unref()
  }

  private ownerExists(ref: OwnerReference): boolean {
    return this.uids.has(ref.uid)
  }

  /**
   * One sweep: deletes objects all of whose owners are gone (background propagation), empties and
   * removes terminating namespaces, and expires old Events. Each deletion can orphan more objects;
   * the sweep it schedules picks those up.
   */
  collectGarbage(): void {
    if (this.closed) return
    const now = this.options.clock.now()
    const ttl = this.options.eventTtlMs ?? 3_600_000
    const doomed: { resource: ResourceKey; object: KubeObject }[] = []
    for (const [resource, bucket] of this.objects) {
      for (const { object } of bucket.values()) {
        const refs = object.metadata.ownerReferences
        if (refs !== undefined && refs.length > 0 && object.metadata.deletionTimestamp === undefined && !refs.some((r) => this.ownerExists(r))) {
          doomed.push({ resource, object })
        } else if (resource === 'events' && now - eventTime(object) > ttl) {
          doomed.push({ resource, object })
        }
      }
    }
    for (const ns of this.objects.get('namespaces')?.values() ?? []) {
      if (ns.object.metadata.deletionTimestamp === undefined) continue
      const name = ns.object.metadata.name
      let remaining = 0
      for (const [resource, bucket] of this.objects) {
        if (!resourceTypeByKey(resource)?.namespaced) continue
        for (const { object } of bucket.values()) {
          if (object.metadata.namespace !== name) continue
          remaining++
          if (object.metadata.deletionTimestamp === undefined) doomed.push({ resource, object })
        }
      }
      if (remaining === 0) this.commit('namespaces', 'DELETED', cloneJson(ns.object), ns)
    }
    for (const { resource, object } of doomed) {
      try {
        this.delete(resource, object.metadata.namespace, object.metadata.name, { uid: object.metadata.uid })
      } catch {
        // Already gone or replaced: nothing to collect.
      }
    }
  }

  // ---- persistence ----------------------------------------------------------------------------

  private markDirty(): void {
    if (this.options.dataDir === undefined) {
      this.durableRv = this.rv
      return
    }
    this.dirty = true
    this.scheduleFlush()
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.flushing !== undefined) return
    this.flushScheduled = true
    // Coalesce all writes of this tick into one snapshot.
    setImmediate(() => {
      this.flushScheduled = false
      this.flushing = this.flushLoop().finally(() => {
        this.flushing = undefined
        // Writes made after the loop's last check (from microtasks it released) still need a snapshot.
        if (this.dirty) this.scheduleFlush()
      })
    })
  }

  private async flushLoop(): Promise<void> {
    const path = join(this.options.dataDir!, OBJECTS_FILE)
    while (this.dirty) {
      this.dirty = false
      const resourceVersion = this.rv
      const snapshot = this.serialize()
      try {
        await writeFileDurably(path, snapshot)
        this.durableRv = resourceVersion
        this.settleWaiters(resourceVersion, undefined)
      } catch (error) {
        this.options.log?.(`persisting ${path} failed: ${error instanceof Error ? error.message : String(error)}`)
        this.settleWaiters(resourceVersion, error)
        if (this.closed) return
        await new Promise((resolve) => setTimeout(resolve, 200))
        this.dirty = true
      }
    }
  }

  private settleWaiters(resourceVersion: number, error: unknown): void {
    const settled = this.waiters.filter((w) => w.resourceVersion <= resourceVersion)
    this.waiters = this.waiters.filter((w) => w.resourceVersion > resourceVersion)
    for (const w of settled) {
      if (error === undefined) w.resolve()
      else w.reject(error)
    }
  }

  /** The snapshot, assembled from the cached per-object JSON. */
  private serialize(): string {
    const parts: string[] = []
    for (const [resource, bucket] of this.objects) {
      if (bucket.size === 0) continue
      const items: string[] = []
      for (const stored of bucket.values()) items.push(stored.json)
      parts.push(`${JSON.stringify(resource)}:[\n${items.join(',\n')}\n]`)
    }
    return `{"format":${JSON.stringify(SNAPSHOT_FORMAT)},"resourceVersion":${this.rv},"objects":{\n${parts.join(',\n')}\n}}\n`
  }

  private async load(path: string): Promise<void> {
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
      throw error
    }
    let snapshot: { resourceVersion?: number; objects?: Record<string, KubeObject[]> }
    try {
      snapshot = JSON.parse(text) as typeof snapshot
    } catch (error) {
      // The rename is atomic, so this is not a torn write; keep the file for inspection and start empty.
      const aside = `${path}.corrupt-${Date.now()}`
      await rename(path, aside)
      this.options.log?.(`objects.json is not valid JSON (${(error as Error).message}); moved to ${aside}, starting empty`)
      return
    }
    let maxRv = Number(snapshot.resourceVersion ?? 0)
    for (const [resource, items] of Object.entries(snapshot.objects ?? {})) {
      const type = resourceTypeByKey(resource) ?? (items[0] ? resourceTypeByKind(items[0].apiVersion, items[0].kind) : undefined)
      if (type === undefined) {
        this.options.log?.(`objects.json: skipping unknown resource ${resource}`)
        continue
      }
      const bucket = this.bucket(resourceKeyOf(type))
      for (const object of items) {
        const key = objectKey(object.metadata.namespace, object.metadata.name)
        bucket.set(key, { object: deepFreeze(object), json: JSON.stringify(object) })
        if (object.metadata.uid !== undefined) this.uids.set(object.metadata.uid, { resource: resourceKeyOf(type), key })
        maxRv = Math.max(maxRv, Number(object.metadata.resourceVersion ?? 0))
      }
    }
    this.rv = maxRv
    this.durableRv = maxRv
    this.logStart = maxRv
  }
}

/** A status write: the stored object with only .status replaced. */
/**
 * A status write keeps the stored spec and labels but, like a real apiserver's status strategies
 * (deployment/replicaset PrepareForUpdate copy only Spec and Labels back from the old object), takes the
 * incoming annotations: the deployment controller sets the revision annotation through /status, so it
 * does not bump generation.
 */
function withStatusOf(old: KubeObject, incoming: KubeObject): KubeObject {
  const next = cloneJson(old)
  if (incoming.status === undefined) delete next.status
  else next.status = incoming.status
  if (incoming.metadata?.annotations !== undefined) next.metadata.annotations = cloneJson(incoming.metadata.annotations)
  return next
}

/** A spec write: the incoming object with what the server owns (status, uid, timestamps, deletion) kept from the stored one. */
function withServerFieldsOf(type: ResourceType, old: KubeObject, incoming: KubeObject): KubeObject {
  const next = incoming
  if (type.subresources?.includes('status')) {
    if (old.status === undefined) delete next.status
    else next.status = cloneJson(old.status)
  }
  const meta = next.metadata
  meta.uid = old.metadata.uid
  meta.creationTimestamp = old.metadata.creationTimestamp
  if (meta.generateName === undefined && old.metadata.generateName !== undefined) meta.generateName = old.metadata.generateName
  if (old.metadata.deletionTimestamp !== undefined) {
    meta.deletionTimestamp = old.metadata.deletionTimestamp
    meta.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds
  } else {
    delete meta.deletionTimestamp
    delete meta.deletionGracePeriodSeconds
  }
  // A client that does not send managedFields keeps them (like the apiserver).
  if (meta.managedFields === undefined && old.metadata.managedFields !== undefined) meta.managedFields = cloneJson(old.metadata.managedFields)
  return next
}

/** When an Event last happened, for the TTL. */
function eventTime(event: KubeObject): number {
  for (const field of ['lastTimestamp', 'eventTime', 'firstTimestamp']) {
    const value = event[field]
    if (typeof value === 'string') {
      const ms = Date.parse(value)
      if (!Number.isNaN(ms)) return ms
    }
  }
  return Date.parse(event.metadata.creationTimestamp ?? '') || 0
}
