// Watches: newline-delimited JSON events over a chunked 200 response, with the apiserver's
// resourceVersion semantics (unset/"0" = current state as ADDED then changes; N = changes after N;
// too old = one ERROR event with a 410 Expired Status), selectors applied to events (an object that
// stops matching is sent as DELETED), bookmarks, and timeoutSeconds.
import type { ServerResponse } from 'node:http'
import { badRequest, expired } from '../errors.js'
import { apiVersionOf, resourceKeyOf } from '../resources.js'
import { matchesSelector, type ObjectSelector } from '../selectors.js'
import type { FileStore } from '../store.js'
import type { KubeObject, ResourceType, StoreEvent } from '../types.js'
import { toTable } from './tables.js'

export interface WatchRequest {
  type: ResourceType
  namespace?: string
  selector: ObjectSelector
  /** The `resourceVersion` query parameter (undefined when absent). */
  resourceVersion?: string
  timeoutSeconds?: number
  allowWatchBookmarks: boolean
  sendInitialEvents: boolean
  table?: { version: 'v1' | 'v1beta1'; includeObject: 'None' | 'Metadata' | 'Object' }
}

export interface WatchSettings {
  /** Interval between BOOKMARK events when the client allows them (default 15 s: under client-node 2.x's 30 s idle timeout). */
  bookmarkIntervalMs: number
  now: () => number
}

/** A watch that is never told a timeout ends after 30–60 minutes, like the apiserver's min-request-timeout. */
function defaultTimeoutMs(): number {
  return (1800 + Math.floor(Math.random() * 1800)) * 1000
}

/** JSON of shared (frozen) event objects, computed once however many watches send them. */
const serialized = new WeakMap<object, string>()
function jsonOf(object: KubeObject): string {
  let json = serialized.get(object)
  if (json === undefined) {
    json = JSON.stringify(object)
    serialized.set(object, json)
  }
  return json
}

/** A copy of `object` carrying resourceVersion `rv` (for objects that left the selection). */
function withResourceVersion(object: KubeObject, rv: number): KubeObject {
  return { ...object, metadata: { ...object.metadata, resourceVersion: String(rv) } }
}

type WatchType = 'ADDED' | 'MODIFIED' | 'DELETED'

/** How a store event looks through this watch's namespace and selectors, if it is visible at all. */
export function viewOfEvent(event: StoreEvent, namespace: string | undefined, selector: ObjectSelector): { type: WatchType; object: KubeObject } | undefined {
  const visible = (object: KubeObject | undefined): boolean =>
    object !== undefined && (namespace === undefined || object.metadata.namespace === namespace) && matchesSelector(selector, object)
  if (event.type === 'ADDED') return visible(event.object) ? { type: 'ADDED', object: event.object } : undefined
  if (event.type === 'DELETED') return visible(event.object) ? { type: 'DELETED', object: event.object } : undefined
  const now = visible(event.object)
  const before = visible(event.previous)
  if (now && before) return { type: 'MODIFIED', object: event.object }
  if (now) return { type: 'ADDED', object: event.object }
  if (before) return { type: 'DELETED', object: withResourceVersion(event.previous!, event.resourceVersion) }
  return undefined
}

/** Parses a watch's resourceVersion; throws 400 for a malformed one. */
function parseResourceVersion(value: string | undefined): number | undefined {
  if (value === undefined || value === '' || value === '0') return undefined
  if (!/^\d+$/.test(value)) throw badRequest(`resourceVersion: Invalid value: ${JSON.stringify(value)}: must be a non-negative integer`)
  return Number(value)
}

/**
 * Serves one watch until timeout or client disconnect. Returns a function that ends it (used when
 * the server shuts down).
 */
export function serveWatch(res: ServerResponse, store: FileStore, request: WatchRequest, settings: WatchSettings): () => void {
  const resource = resourceKeyOf(request.type)
  const since = parseResourceVersion(request.resourceVersion)
  const backlog = since === undefined ? undefined : store.eventsSince(since)

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' })
  res.flushHeaders()

  let ended = false
  let sentHeaders = false
  const timers: NodeJS.Timeout[] = []
  const subscription: { cancel?: () => void } = {}

  const end = (): void => {
    if (ended) return
    ended = true
    subscription.cancel?.()
    for (const timer of timers) clearInterval(timer)
    res.end()
  }
  res.on('close', end)

  const write = (type: string, objectJson: string): void => {
    if (ended) return
    res.write(`{"type":"${type}","object":${objectJson}}\n`)
    // A client that stopped reading is cut off instead of buffering without bound.
    if (res.writableLength > 64 * 1024 * 1024) {
      end()
      res.destroy()
    }
  }
  const send = (type: WatchType, object: KubeObject): void => {
    if (request.table === undefined) return write(type, jsonOf(object))
    const table = toTable([object], {
      resource,
      apiVersion: `meta.k8s.io/${request.table.version}`,
      includeObject: request.table.includeObject,
      resourceVersion: object.metadata.resourceVersion ?? '',
      noHeaders: sentHeaders,
      now: settings.now(),
    })
    sentHeaders = true
    write(type, JSON.stringify(table))
  }
  const bookmark = (annotations?: Record<string, string>): void => {
    const metadata: Record<string, unknown> = { resourceVersion: String(store.resourceVersion) }
    if (annotations !== undefined) metadata.annotations = annotations
    write('BOOKMARK', JSON.stringify({ kind: request.type.kind, apiVersion: apiVersionOf(request.type), metadata }))
  }

  if (since !== undefined && backlog === undefined) {
    write('ERROR', JSON.stringify(expired(`too old resource version: ${since} (${store.oldestResumableVersion})`).status))
    end()
    return end
  }

  // Replay and subscribe in the same tick: no event can fall between them.
  let lastSent = store.resourceVersion
  if (since === undefined) {
    for (const stored of store.listStored(resource, request.namespace)) {
      if (matchesSelector(request.selector, stored.object)) send('ADDED', stored.object)
    }
    if (request.sendInitialEvents && request.allowWatchBookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' })
  } else {
    for (const event of backlog!) {
      if (event.resource !== resource) continue
      const view = viewOfEvent(event, request.namespace, request.selector)
      if (view !== undefined) send(view.type, view.object)
    }
  }
  subscription.cancel = store.subscribe((event) => {
    if (event.resource !== resource || event.resourceVersion <= lastSent) return
    lastSent = event.resourceVersion
    const view = viewOfEvent(event, request.namespace, request.selector)
    if (view !== undefined) send(view.type, view.object)
  })

  const timeoutMs = request.timeoutSeconds !== undefined && request.timeoutSeconds > 0 ? request.timeoutSeconds * 1000 : defaultTimeoutMs()
  timers.push(setTimeout(end, timeoutMs))
  if (request.allowWatchBookmarks) timers.push(setInterval(() => bookmark(), settings.bookmarkIntervalMs))
  return end
}
