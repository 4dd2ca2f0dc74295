// The resource verbs: get, list, watch, create, update, patch, delete, deletecollection, and the
// status / scale / log / proxy subresources. Every write answers only once the store says it is
// durable on disk.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { formatTime } from '../clock.js'
import {
  badRequest,
  invalid,
  methodNotAllowed,
  notFound,
  required,
  forbiddenField,
  serviceUnavailable,
  StatusError,
  unsupportedMediaType,
  type FieldError,
} from '../errors.js'
import { cloneJson, isPlainObject, type JsonObject } from '../json.js'
import { apiVersionOf, resourceKeyOf } from '../resources.js'
import { compileSelector, formatLabelSelector, type LabelSelectorSpec } from '../selectors.js'
import type { FileStore, StoredObject } from '../store.js'
import { strategyFor } from '../strategy.js'
import type { Clock, DeleteOptions, KubeObject, PodHttpBackend, ResourceType } from '../types.js'
import { negotiateRepresentation, parseObjectBody, queryBool, queryInt, readBody, sendJson, mediaTypeOf, type Representation } from './http.js'
import { recordUpdate, serverSideApply } from './managed-fields.js'
import { mergeSchemaFor } from './merge-schema.js'
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, decodeJsonPatch } from './patch.js'
import { forwardableHeaders, resolvePodTarget, resolveServiceTarget, responseHeaders } from './proxy.js'
import { serveLogs } from './logs.js'
import { decodeKubernetesProtobuf } from './protobuf.js'
import type { ResourceRoute } from './routes.js'
import { toTable, type IncludeObject } from './tables.js'
import { serveWatch } from './watch.js'

const PROTOBUF = 'application/vnd.kubernetes.protobuf'

export const PATCH_CONTENT_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml', 'application/strategic-merge-patch+json']

/** Resources whose PUT creates a missing object (AllowCreateOnUpdate in their registry strategy). */
const CREATE_ON_UPDATE = new Set(['endpoints', 'events', 'leases.coordination.k8s.io'])

export interface ApiRequest {
  req: IncomingMessage
  res: ServerResponse
  query: URLSearchParams
  route: ResourceRoute
}

export interface KubeApiDependencies {
  store: FileStore
  clock: Clock
  backend: () => PodHttpBackend
  /** Registers a long-running response (watch, follow) so shutdown can end it. */
  track: (res: ServerResponse, end: () => void) => void
  bookmarkIntervalMs: number
}

type PatchKind = 'json' | 'merge' | 'strategic' | 'apply'

const PATCH_KINDS: Record<string, PatchKind> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
}

export class KubeApi {
  constructor(private readonly deps: KubeApiDependencies) {}

  private get store(): FileStore {
    return this.deps.store
  }

  async handle(request: ApiRequest): Promise<void> {
    const { route, req } = request
    const method = req.method ?? 'GET'
    switch (route.subresource) {
      case 'proxy':
        return this.proxy(request)
      case 'log':
        if (method !== 'GET') throw methodNotAllowed()
        serveLogs(request.res, this.store, this.deps.backend(), this.namespaceOf(request), this.nameOf(request), request.query)
        return
      case 'scale':
        return this.scale(request, method)
    }
    const named = route.name !== undefined
    if (route.subresource === 'status' && !['GET', 'PUT', 'PATCH'].includes(method)) throw methodNotAllowed()
    if (route.type.namespaced && route.namespace === undefined && (named || method !== 'GET')) throw methodNotAllowed()
    const verb = verbOf(method, named, route.watchPrefix || queryBool(request.query, 'watch'))
    if (verb === undefined || (!route.type.verbs.includes(verb) && !(verb === 'get' && route.subresource === 'status'))) throw methodNotAllowed()
    switch (verb) {
      case 'get':
        return this.get(request)
      case 'list':
        return this.list(request)
      case 'watch':
        return this.watch(request)
      case 'create':
        return this.create(request)
      case 'update':
        return this.update(request)
      case 'patch':
        return this.patch(request)
      case 'delete':
        return this.delete(request)
      case 'deletecollection':
        return this.deleteCollection(request)
    }
  }

  // ---- reads ----------------------------------------------------------------------------------

  private get(request: ApiRequest): void {
    const { type } = request.route
    const stored = this.store.getStored(resourceKeyOf(type), request.route.namespace, this.nameOf(request))
    if (stored === undefined) throw notFound(type, this.nameOf(request))
    const representation = negotiateRepresentation(request.req.headers.accept)
    sendJson(request.res, 200, this.render([stored], representation, request, { single: true }))
  }

  private list(request: ApiRequest): void {
    const { type, namespace } = request.route
    const resource = resourceKeyOf(type)
    const options = { labelSelector: request.query.get('labelSelector') ?? undefined, fieldSelector: request.query.get('fieldSelector') ?? undefined }
    compileSelector(resource, options) // 400 for malformed selectors, even on an empty list
    let items = this.store.listStored(resource, namespace, options)
    const resourceVersion = String(this.store.resourceVersion)

    // Pagination: a continue token names the last key served; everything is consistent enough for a sandbox.
    const token = request.query.get('continue')
    if (token) {
      const after = decodeContinue(token)
      items = items.filter((s) => objectKeyOf(s.object) > after)
    }
    const limit = queryInt(request.query, 'limit')
    let continueToken: string | undefined
    let remaining: number | undefined
    if (limit !== undefined && limit > 0 && items.length > limit) {
      remaining = items.length - limit
      items = items.slice(0, limit)
      continueToken = encodeContinue(objectKeyOf(items[items.length - 1]!.object))
    }
    const representation = negotiateRepresentation(request.req.headers.accept)
    sendJson(request.res, 200, this.render(items, representation, request, { single: false, resourceVersion, continueToken, remaining }))
  }

  /** Serializes objects as the client negotiated: object/list JSON (from the cached JSON), Table or metadata. */
  private render(
    items: StoredObject[],
    representation: Representation,
    request: ApiRequest,
    options: { single: boolean; resourceVersion?: string; continueToken?: string; remaining?: number },
  ): string | JsonObject {
    const { type } = request.route
    if (representation.as === 'Table') {
      const include = (request.query.get('includeObject') ?? 'Metadata') as IncludeObject
      return toTable(
        items.map((s) => s.object),
        {
          resource: resourceKeyOf(type),
          apiVersion: `meta.k8s.io/${representation.version}`,
          includeObject: ['None', 'Metadata', 'Object'].includes(include) ? include : 'Metadata',
          resourceVersion: options.single ? (items[0]!.object.metadata.resourceVersion ?? '') : options.resourceVersion!,
          continueToken: options.continueToken,
          remainingItemCount: options.remaining,
          now: this.deps.clock.now(),
        },
      )
    }
    if (representation.as === 'PartialObjectMetadata') {
      const apiVersion = `meta.k8s.io/${representation.version}`
      const partial = (s: StoredObject): JsonObject => ({ kind: 'PartialObjectMetadata', apiVersion, metadata: s.object.metadata })
      if (options.single) return partial(items[0]!)
      return { kind: 'PartialObjectMetadataList', apiVersion, metadata: listMetadata(options), items: items.map(partial) }
    }
    if (options.single) return items[0]!.json
    const head = JSON.stringify({ kind: type.listKind, apiVersion: apiVersionOf(type), metadata: listMetadata(options) })
    return `${head.slice(0, -1)},"items":[${items.map((s) => s.json).join(',')}]}`
  }

  private watch(request: ApiRequest): void {
    const { type, namespace, name } = request.route
    const resource = resourceKeyOf(type)
    const fieldSelector = [request.query.get('fieldSelector'), name === undefined ? undefined : `metadata.name=${name}`].filter((s) => s).join(',')
    const selector = compileSelector(resource, { labelSelector: request.query.get('labelSelector') ?? undefined, fieldSelector })
    const representation = negotiateRepresentation(request.req.headers.accept)
    const include = (request.query.get('includeObject') ?? 'Metadata') as IncludeObject
    const end = serveWatch(
      request.res,
      this.store,
      {
        type,
        namespace,
        selector,
        resourceVersion: request.query.get('resourceVersion') ?? undefined,
        timeoutSeconds: queryInt(request.query, 'timeoutSeconds'),
        allowWatchBookmarks: queryBool(request.query, 'allowWatchBookmarks'),
        sendInitialEvents: queryBool(request.query, 'sendInitialEvents'),
        table: representation.as === 'Table' ? { version: representation.version, includeObject: include } : undefined,
      },
      { bookmarkIntervalMs: this.deps.bookmarkIntervalMs, now: () => this.deps.clock.now() },
    )
    this.deps.track(request.res, end)
  }

  // ---- writes ---------------------------------------------------------------------------------

  private async create(request: ApiRequest): Promise<void> {
    const { type } = request.route
    const body = await readBody(request.req)
    const object = this.decodeObject(request, body)
    this.checkIdentity(request, object, false)
    const strategy = strategyFor(resourceKeyOf(type))
    const initial = strategy.initialStatus?.(object)
    if (initial !== undefined) object.status = initial
    else if (type.subresources?.includes('status')) delete object.status
    const manager = this.fieldManager(request)
    object.metadata.managedFields = recordUpdate(undefined, object, manager, mergeSchemaFor(type.kind), this.now()) ?? []
    if (object.metadata.managedFields.length === 0) delete object.metadata.managedFields
    const created = this.store.create(resourceKeyOf(type), object, { dryRun: this.dryRun(request) })
    await this.store.whenDurable()
    sendJson(request.res, 201, created)
  }

  private async update(request: ApiRequest): Promise<void> {
    const { type, subresource } = request.route
    const resource = resourceKeyOf(type)
    const body = await readBody(request.req)
    const object = this.decodeObject(request, body)
    this.checkIdentity(request, object, true)
    const existing = this.store.get(resource, request.route.namespace, this.nameOf(request))
    const dryRun = this.dryRun(request)
    if (existing === undefined) {
      if (!CREATE_ON_UPDATE.has(resource) || subresource !== undefined) throw notFound(type, this.nameOf(request))
      const created = this.store.create(resource, object, { dryRun })
      await this.store.whenDurable()
      sendJson(request.res, 201, created)
      return
    }
    const manager = this.fieldManager(request)
    const managed = recordUpdate(existing, mergeForRecord(existing, object, subresource), manager, mergeSchemaFor(type.kind), this.now(), subresource)
    if (managed !== undefined) object.metadata.managedFields = managed
    const updated = this.store.update(resource, object, { subresource: subresource === 'status' ? 'status' : undefined, dryRun })
    await this.store.whenDurable()
    sendJson(request.res, 200, updated)
  }

  private async patch(request: ApiRequest): Promise<void> {
    const { type, subresource } = request.route
    const resource = resourceKeyOf(type)
    const name = this.nameOf(request)
    const patchKind = this.patchKindOf(request)
    const manager = this.fieldManager(request)
    this.validatePatchOptions(request, patchKind)
    const body = parseObjectBody(await readBody(request.req), request.req.headers['content-type'])
    const dryRun = this.dryRun(request)
    const existing = this.store.get(resource, request.route.namespace, name)
    const schema = mergeSchemaFor(type.kind)

    if (existing === undefined) {
      if (patchKind !== 'apply' || subresource !== undefined) throw notFound(type, name)
      const applied = this.decodeAppliedObject(request, body)
      const object = serverSideApply(undefined, applied, manager, schema, this.now())
      const initial = strategyFor(resource).initialStatus?.(object)
      if (initial !== undefined) object.status = initial
      const created = this.store.create(resource, object, { dryRun })
      await this.store.whenDurable()
      sendJson(request.res, 201, created)
      return
    }

    let patched: KubeObject
    if (patchKind === 'apply') {
      patched = serverSideApply(existing, this.decodeAppliedObject(request, body), manager, schema, this.now())
    } else {
      patched = applyPatchOfKind(patchKind, existing, body, schema)
      const managed = recordUpdate(existing, patched, manager, schema, this.now(), subresource)
      if (managed !== undefined) patched.metadata.managedFields = managed
    }
    this.checkPatchedIdentity(request, existing, patched)
    const updated = this.store.update(resource, patched, { subresource: subresource === 'status' ? 'status' : undefined, dryRun })
    await this.store.whenDurable()
    sendJson(request.res, 200, updated)
  }

  private async delete(request: ApiRequest): Promise<void> {
    const { type } = request.route
    const resource = resourceKeyOf(type)
    const name = this.nameOf(request)
    const options = await this.deleteOptions(request)
    const result = this.store.delete(resource, request.route.namespace, name, options.preconditions, options)
    // Read before waiting for the disk: the apiserver answers with the state its delete left (a namespace is
    // Terminating), even if the collector finishes the deletion before the response is written.
    const stillThere = this.store.getStored(resource, request.route.namespace, name)
    await this.store.whenDurable()
    if (stillThere !== undefined || resource === 'pods') {
      // Pending (graceful/finalizers) deletions, and pods, answer with the object like the apiserver.
      sendJson(request.res, 200, stillThere?.json ?? result)
      return
    }
    sendJson(request.res, 200, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name, group: type.group || undefined, kind: type.plural, uid: result.metadata.uid },
    })
  }

  private async deleteCollection(request: ApiRequest): Promise<void> {
    const { type, namespace } = request.route
    const resource = resourceKeyOf(type)
    const options = await this.deleteOptions(request)
    const selectors = { labelSelector: request.query.get('labelSelector') ?? undefined, fieldSelector: request.query.get('fieldSelector') ?? undefined }
    const deleted: KubeObject[] = []
    for (const stored of this.store.listStored(resource, namespace, selectors)) {
      const { metadata } = stored.object
      try {
        deleted.push(this.store.delete(resource, metadata.namespace, metadata.name, undefined, { ...options, preconditions: undefined } as DeleteOptions))
      } catch (error) {
        if (!(error instanceof StatusError && error.code === 404)) throw error
      }
    }
    await this.store.whenDurable()
    sendJson(request.res, 200, { kind: type.listKind, apiVersion: apiVersionOf(type), metadata: { resourceVersion: String(this.store.resourceVersion) }, items: deleted })
  }

  // ---- scale ----------------------------------------------------------------------------------

  private toScale(object: KubeObject): JsonObject {
    const { metadata } = object
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name: metadata.name, namespace: metadata.namespace, uid: metadata.uid, resourceVersion: metadata.resourceVersion, creationTimestamp: metadata.creationTimestamp },
      spec: { replicas: object.spec?.replicas ?? 0 },
      status: { replicas: object.status?.replicas ?? 0, selector: formatLabelSelector(object.spec?.selector as LabelSelectorSpec | undefined) },
    }
  }

  private async scale(request: ApiRequest, method: string): Promise<void> {
    const { type } = request.route
    const resource = resourceKeyOf(type)
    const name = this.nameOf(request)
    const existing = this.store.get(resource, request.route.namespace, name)
    if (method === 'GET') {
      if (existing === undefined) throw notFound(type, name)
      sendJson(request.res, 200, this.toScale(existing))
      return
    }
    if (method !== 'PUT' && method !== 'PATCH') throw methodNotAllowed()
    const patchKind = method === 'PATCH' ? this.patchKindOf(request) : undefined
    const body = parseObjectBody(await readBody(request.req), request.req.headers['content-type'])
    if (existing === undefined) throw notFound(type, name)
    let scale: JsonObject
    if (patchKind === undefined) {
      if (!isPlainObject(body)) throw badRequest('the body of a Scale update must be an object')
      scale = body
    } else if (patchKind === 'apply') {
      throw unsupportedMediaType('application/apply-patch+yaml', PATCH_CONTENT_TYPES.filter((t) => !t.startsWith('application/apply')))
    } else {
      scale = applyPatchOfKind(patchKind, this.toScale(existing) as KubeObject, body, { fields: {} })
    }
    const replicas = isPlainObject(scale.spec) ? scale.spec.replicas : undefined
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw invalid({ group: 'autoscaling', kind: 'Scale' }, name, [{ type: 'Invalid', field: 'spec.replicas', value: replicas ?? null, detail: 'must be greater than or equal to 0' }])
    }
    const next = cloneJson(existing)
    next.spec = { ...next.spec, replicas }
    const rv = isPlainObject(scale.metadata) ? scale.metadata.resourceVersion : undefined
    if (typeof rv === 'string' && rv !== '') next.metadata.resourceVersion = rv
    const managed = recordUpdate(existing, next, this.fieldManager(request), mergeSchemaFor(type.kind), this.now(), 'scale')
    if (managed !== undefined) next.metadata.managedFields = managed
    const updated = this.store.update(resource, next, { dryRun: this.dryRun(request) })
    await this.store.whenDurable()
    sendJson(request.res, 200, this.toScale(updated))
  }

  // ---- proxy ----------------------------------------------------------------------------------

  private async proxy(request: ApiRequest): Promise<void> {
    const { type } = request.route
    const namespace = this.namespaceOf(request)
    const id = this.nameOf(request)
    const target = type.kind === 'Service' ? resolveServiceTarget(this.store, namespace, id) : resolvePodTarget(this.store, namespace, id)
    const body = await readBody(request.req)
    const search = request.query.toString()
    const path = `/${request.route.subpath ?? ''}${search === '' ? '' : `?${search}`}`
    let response: Awaited<ReturnType<PodHttpBackend['handle']>>
    try {
      response = await this.deps.backend().handle(target.pod, target.port, request.req.method ?? 'GET', path, forwardableHeaders(request.req.headers), body)
    } catch (error) {
      if (error instanceof StatusError) throw error
      // What the apiserver answers when the connection to the pod fails.
      const address = `${String(target.pod.status?.podIP ?? '')}:${target.port}`
      throw serviceUnavailable(`error trying to reach service: dial tcp ${address}: ${error instanceof Error ? error.message : String(error)}`)
    }
    const payload = typeof response.body === 'string' ? Buffer.from(response.body, 'utf8') : response.body
    request.res.writeHead(response.status, { ...responseHeaders(response), 'Content-Length': String(payload.length) })
    request.res.end(payload)
  }

  // ---- request decoding -----------------------------------------------------------------------

  private now(): string {
    return formatTime(this.deps.clock.now())
  }

  private nameOf(request: ApiRequest): string {
    return request.route.name ?? ''
  }

  private namespaceOf(request: ApiRequest): string {
    return request.route.namespace ?? ''
  }

  private dryRun(request: ApiRequest): boolean {
    const values = request.query.getAll('dryRun')
    for (const value of values) if (value !== 'All') throw badRequest(`dryRun: Unsupported value: ${JSON.stringify(value)}: supported values: "All"`)
    return values.length > 0
  }

  /** `fieldManager`, else the User-Agent's product (like the apiserver's default manager). */
  private fieldManager(request: ApiRequest): string {
    const explicit = request.query.get('fieldManager')
    if (explicit !== null && explicit !== '') {
      if (explicit.length > 128) throw invalid({ group: 'meta.k8s.io', kind: 'PatchOptions' }, '', [{ type: 'TooLong', field: 'fieldManager', detail: ': may not be more than 128 characters' }])
      return explicit
    }
    const agent = request.req.headers['user-agent'] ?? 'unknown'
    return agent.split('/')[0]!.slice(0, 128) || 'unknown'
  }

  private patchKindOf(request: ApiRequest): PatchKind {
    const contentType = mediaTypeOf(request.req.headers['content-type'])
    const kind = PATCH_KINDS[contentType]
    if (kind === undefined) throw unsupportedMediaType(contentType, PATCH_CONTENT_TYPES)
    return kind
  }

  private validatePatchOptions(request: ApiRequest, kind: PatchKind): void {
    const errors: FieldError[] = []
    const force = request.query.get('force')
    if (kind === 'apply' && !request.query.get('fieldManager')) errors.push(required('fieldManager', 'is required for apply patch'))
    if (kind !== 'apply' && force !== null) errors.push(forbiddenField('force', 'may not be specified for non-apply patch'))
    if (errors.length > 0) throw invalid({ group: 'meta.k8s.io', kind: 'PatchOptions' }, '', errors)
  }

  /** A create/update body as an object of this resource's kind (apiVersion/kind filled in when absent). */
  private decodeObject(request: ApiRequest, body: Buffer): KubeObject {
    const contentType = mediaTypeOf(request.req.headers['content-type'])
    if (contentType === PROTOBUF) return this.asKubeObject(request.route.type, decodeKubernetesProtobuf(body))
    if (contentType !== '' && contentType !== 'application/json' && contentType !== 'application/yaml' && contentType !== '*/*') {
      throw unsupportedMediaType(contentType, ['application/json', 'application/yaml', PROTOBUF])
    }
    const parsed = parseObjectBody(body, request.req.headers['content-type'])
    return this.asKubeObject(request.route.type, parsed)
  }

  private asKubeObject(type: ResourceType, parsed: unknown): KubeObject {
    if (!isPlainObject(parsed)) throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(parsed ?? null)}'`)
    const expected = apiVersionOf(type)
    if (typeof parsed.apiVersion === 'string' && parsed.apiVersion !== '' && parsed.apiVersion !== expected) {
      throw badRequest(`the API version in the data (${parsed.apiVersion}) does not match the expected API version (${expected})`)
    }
    if (typeof parsed.kind === 'string' && parsed.kind !== '' && parsed.kind !== type.kind) {
      throw badRequest(`${parsed.kind} in version "${type.version}" cannot be handled as a ${type.kind}: the kind in the data (${parsed.kind}) does not match the expected kind (${type.kind})`)
    }
    const object = parsed as KubeObject
    object.apiVersion = expected
    object.kind = type.kind
    if (!isPlainObject(object.metadata)) object.metadata = { name: '' }
    return object
  }

  /** Server-side apply bodies must name apiVersion and kind themselves. */
  private decodeAppliedObject(request: ApiRequest, body: unknown): KubeObject {
    const { type } = request.route
    if (!isPlainObject(body)) throw badRequest('error decoding YAML: the applied configuration must be an object')
    if (typeof body.apiVersion !== 'string' || body.apiVersion === '') throw badRequest('apiVersion must be set in an applied configuration')
    if (typeof body.kind !== 'string' || body.kind === '') throw badRequest('kind must be set in an applied configuration')
    const object = this.asKubeObject(type, body)
    this.checkIdentity(request, object, true)
    return object
  }

  /** Body namespace/name must agree with the URL (the URL fills them in when absent). */
  private checkIdentity(request: ApiRequest, object: KubeObject, nameFromUrl: boolean): void {
    const { route } = request
    if (route.type.namespaced) {
      const ns = object.metadata.namespace
      if (ns !== undefined && ns !== '' && ns !== route.namespace) throw badRequest('the namespace of the provided object does not match the namespace sent on the request')
      object.metadata.namespace = route.namespace
    }
    if (nameFromUrl) {
      const name = object.metadata.name
      if (name !== undefined && name !== '' && name !== route.name) throw badRequest(`the name of the object (${name}) does not match the name on the URL (${route.name})`)
      object.metadata.name = route.name!
    }
  }

  private checkPatchedIdentity(request: ApiRequest, existing: KubeObject, patched: KubeObject): void {
    if (!isPlainObject(patched) || !isPlainObject(patched.metadata)) throw badRequest('the patched object is not a Kubernetes object')
    if (patched.metadata.name !== existing.metadata.name) {
      throw badRequest(`the name of the object (${String(patched.metadata.name)}) does not match the name on the URL (${existing.metadata.name})`)
    }
    if (request.route.type.namespaced && patched.metadata.namespace !== existing.metadata.namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request')
    }
  }

  private async deleteOptions(request: ApiRequest): Promise<DeleteOptions & { preconditions?: { uid?: string; resourceVersion?: string } }> {
    const body = parseObjectBody(await readBody(request.req), 'application/json')
    const options: DeleteOptions & { preconditions?: { uid?: string; resourceVersion?: string } } = { dryRun: this.dryRun(request) }
    const fromBody = isPlainObject(body) ? body : {}
    if (Array.isArray(fromBody.dryRun) && fromBody.dryRun.includes('All')) options.dryRun = true
    const grace = queryInt(request.query, 'gracePeriodSeconds') ?? (typeof fromBody.gracePeriodSeconds === 'number' ? fromBody.gracePeriodSeconds : undefined)
    if (grace !== undefined) options.gracePeriodSeconds = grace
    const policy = request.query.get('propagationPolicy') ?? (typeof fromBody.propagationPolicy === 'string' ? fromBody.propagationPolicy : undefined)
    if (policy !== undefined) {
      if (!['Orphan', 'Background', 'Foreground'].includes(policy)) {
        throw invalid({ group: 'meta.k8s.io', kind: 'DeleteOptions' }, '', [{ type: 'NotSupported', field: 'propagationPolicy', value: policy, supported: ['Foreground', 'Background', 'Orphan', 'nil'] }])
      }
      options.propagationPolicy = policy as DeleteOptions['propagationPolicy']
    } else if (queryBool(request.query, 'orphanDependents') || fromBody.orphanDependents === true) {
      options.propagationPolicy = 'Orphan'
    }
    if (isPlainObject(fromBody.preconditions)) {
      const { uid, resourceVersion } = fromBody.preconditions
      options.preconditions = { uid: typeof uid === 'string' ? uid : undefined, resourceVersion: typeof resourceVersion === 'string' ? resourceVersion : undefined }
    }
    return options
  }
}

type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection'

/** The API verb of a request, as RBAC would name it; undefined for combinations no route serves. */
function verbOf(method: string, named: boolean, watch: boolean): Verb | undefined {
  switch (method) {
    case 'GET':
      return watch ? 'watch' : named ? 'get' : 'list'
    case 'POST':
      return named ? undefined : 'create'
    case 'PUT':
      return named ? 'update' : undefined
    case 'PATCH':
      return named ? 'patch' : undefined
    case 'DELETE':
      return named ? 'delete' : 'deletecollection'
    default:
      return undefined
  }
}

function applyPatchOfKind(kind: Exclude<PatchKind, 'apply'>, existing: KubeObject, body: unknown, schema: ReturnType<typeof mergeSchemaFor>): KubeObject {
  switch (kind) {
    case 'json':
      return applyJsonPatch(existing, decodeJsonPatch(body)) as KubeObject
    case 'merge':
      if (!isPlainObject(body)) throw badRequest(`error decoding patch: json: cannot unmarshal ${Array.isArray(body) ? 'array' : typeof body} into Go value of type map[string]interface {}`)
      return applyMergePatch(existing, body) as KubeObject
    case 'strategic':
      return applyStrategicMergePatch(existing, body, schema) as KubeObject
  }
}

/** What a PUT effectively stores, for managedFields: status writes keep the rest, spec writes keep status. */
function mergeForRecord(existing: KubeObject, object: KubeObject, subresource: string | undefined): KubeObject {
  if (subresource === 'status') return { ...existing, status: object.status }
  return { ...object, status: existing.status }
}

function listMetadata(options: { resourceVersion?: string; continueToken?: string; remaining?: number }): JsonObject {
  const metadata: JsonObject = { resourceVersion: options.resourceVersion }
  if (options.continueToken !== undefined) metadata.continue = options.continueToken
  if (options.remaining !== undefined) metadata.remainingItemCount = options.remaining
  return metadata
}

function objectKeyOf(object: KubeObject): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name}`
}

function encodeContinue(lastKey: string): string {
  return Buffer.from(JSON.stringify({ v: 'mkt.sandbox/v1', start: lastKey }), 'utf8').toString('base64url')
}

function decodeContinue(token: string): string {
  try {
    const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { start?: unknown }
    if (typeof decoded.start === 'string') return decoded.start
  } catch {
    // fall through
  }
  throw badRequest('continue key is not valid: the continue token is malformed')
}
