// The sandbox's HTTPS listener: bearer-token authentication, the Kubernetes API (/api, /apis with
// fault injection), health and version endpoints, OpenAPI stubs, and the authenticated /_sandbox/
// control routes other parts register.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { badRequest, internalError, isStatusError, methodNotAllowed, pathNotFound, serviceUnavailable, StatusError, tooManyRequests, unauthorized } from '../errors.js'
import { applyApiFault, SandboxHttpsEndpoint } from '../listener.js'
import type { FileStore } from '../store.js'
import type { ApiFaultHook, Clock, PodHttpBackend, SandboxApi, SandboxRouteHandler } from '../types.js'
import { KubeApi } from './api.js'
import { apiGroup, apiGroupList, apiResourceList, apiVersions, versionInfo } from './discovery.js'
import { readBody, sendJson, sendStatusError, sendText } from './http.js'
import { UNAVAILABLE_BACKEND } from './proxy.js'
import { parseApiPath } from './routes.js'

export interface KubeApiServerOptions {
  store: FileStore
  clock: Clock
  /** PEM server certificate and key. */
  tls: { cert: string; key: string }
  token: string
  log: (message: string) => void
  /** BOOKMARK interval for watches that allow them (default 15 s). */
  bookmarkIntervalMs?: number
}

/**
 * Paths anonymous clients may read, like a real apiserver's system:public-info-viewer role
 * (health probes and /version); a request that presents a wrong token is still rejected.
 */
const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version'])
const HEALTH_PATHS = new Set(['/healthz', '/livez', '/readyz'])

function isPublic(path: string): boolean {
  return PUBLIC_PATHS.has(path) || [...HEALTH_PATHS].some((p) => path.startsWith(`${p}/`))
}

export class KubeApiServer extends SandboxHttpsEndpoint implements SandboxApi {
  private readonly api: KubeApi
  private readonly longRunning = new Map<ServerResponse, () => void>()
  private readonly sandboxRoutes = new Map<string, SandboxRouteHandler>()
  private backend: PodHttpBackend = UNAVAILABLE_BACKEND
  private faultHook: ApiFaultHook | undefined
  readonly startedAt = Date.now()

  constructor(private readonly options: KubeApiServerOptions) {
    super(options.tls, options.token)
    this.api = new KubeApi({
      store: options.store,
      clock: options.clock,
      backend: () => this.backend,
      track: (res, end) => {
        this.longRunning.set(res, end)
        res.on('close', () => this.longRunning.delete(res))
      },
      bookmarkIntervalMs: options.bookmarkIntervalMs ?? 15_000,
    })
    this.registerSandboxRoute('GET', '/_sandbox/status', () => ({ body: this.status() }))
  }

  /** Ends watches and log follows, closes idle and active connections, stops listening. */
  override async close(): Promise<void> {
    for (const end of [...this.longRunning.values()]) end()
    await this.listener.close()
  }

  // ---- SandboxApi -----------------------------------------------------------------------------

  registerSandboxRoute(method: string, path: string, handler: SandboxRouteHandler): void {
    if (!path.startsWith('/_sandbox/')) throw new Error(`sandbox routes live under /_sandbox/: ${path}`)
    this.sandboxRoutes.set(`${method.toUpperCase()} ${path}`, handler)
  }

  setPodHttpBackend(backend: PodHttpBackend | undefined): void {
    this.backend = backend ?? UNAVAILABLE_BACKEND
  }

  setApiFaultHook(hook: ApiFaultHook | undefined): void {
    this.faultHook = hook
  }

  /** The hook set above, for the sandbox's other listeners (Key Vault…) to apply to their requests too. */
  get apiFaultHook(): ApiFaultHook | undefined {
    return this.faultHook
  }

  // ---- request handling -----------------------------------------------------------------------

  private status(): Record<string, unknown> {
    return {
      pid: process.pid,
      startedAt: new Date(this.startedAt).toISOString(),
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      resourceVersion: String(this.options.store.resourceVersion),
      objects: this.options.store.counts(),
      openWatches: this.longRunning.size,
      clockOffsetMs: this.options.clock.now() - Date.now(),
    }
  }

  private authenticate(req: IncomingMessage): 'valid' | 'missing' | 'invalid' {
    const header = req.headers.authorization
    if (header === undefined || header === '') return 'missing'
    const match = /^Bearer\s+(.+)$/i.exec(header)
    if (match === null) return 'invalid'
    return this.isSandboxToken(match[1]!.trim()) ? 'valid' : 'invalid'
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The API server's clock is the sandbox clock (tests move it): its Date header says so, like a real
    // apiserver's says its own time, and clients measure ages of the timestamps it writes against it.
    res.setHeader('Date', new Date(this.options.clock.now()).toUTCString())
    try {
      const url = new URL(req.url ?? '/', 'https://127.0.0.1')
      const rawPath = url.pathname
      const path = rawPath.length > 1 ? rawPath.replace(/\/+$/, '') : rawPath
      const auth = this.authenticate(req)
      if (auth === 'invalid' || (auth === 'missing' && !isPublic(path))) throw unauthorized()

      if (path.startsWith('/_sandbox/')) return await this.handleSandboxRoute(req, res, path, url.searchParams)
      if (path === '/api' || path.startsWith('/api/') || path === '/apis' || path.startsWith('/apis/')) {
        if (await applyApiFault(this.faultHook, req, path, (fault) => sendStatusError(res, faultStatus(fault.status, fault.retryAfter)))) return
        return await this.handleApi(req, res, rawPath, url.searchParams)
      }
      if (HEALTH_PATHS.has(path) || [...HEALTH_PATHS].some((p) => path.startsWith(`${p}/`))) return sendText(res, 200, 'ok')
      if (path === '/version') return sendJson(res, 200, versionInfo())
      if (path === '/openapi/v2') {
        // An empty protobuf document: kubectl then skips client-side validation (see k8s.md E3).
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': '0' })
        return void res.end()
      }
      throw pathNotFound()
    } catch (error) {
      this.fail(res, error)
    }
  }

  private fail(res: ServerResponse, error: unknown): void {
    if (!isStatusError(error)) this.options.log(`internal error: ${error instanceof Error ? error.stack : String(error)}`)
    const status = isStatusError(error) ? error : internalError(error instanceof Error ? error.message : String(error))
    if (res.headersSent) {
      res.destroy()
      return
    }
    sendStatusError(res, status)
  }

  private async handleApi(req: IncomingMessage, res: ServerResponse, rawPath: string, query: URLSearchParams): Promise<void> {
    const route = parseApiPath(rawPath)
    if (route === undefined) throw pathNotFound()
    const documentOnly = route.kind !== 'resource'
    if (documentOnly && req.method !== 'GET') throw methodNotAllowed()
    switch (route.kind) {
      case 'versions':
        return sendJson(res, 200, apiVersions(`127.0.0.1:${this.listener.port}`))
      case 'groups':
        return sendJson(res, 200, apiGroupList())
      case 'group': {
        const doc = apiGroup(route.group)
        if (doc === undefined) throw pathNotFound()
        return sendJson(res, 200, doc)
      }
      case 'resources': {
        const doc = apiResourceList(route.group, route.version)
        if (doc === undefined) throw pathNotFound()
        return sendJson(res, 200, doc)
      }
      case 'resource':
        return this.api.handle({ req, res, query, route })
    }
  }

  private async handleSandboxRoute(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
    const method = req.method ?? 'GET'
    const handler = this.sandboxRoutes.get(`${method} ${path}`)
    if (handler === undefined) {
      const exists = [...this.sandboxRoutes.keys()].some((key) => key.endsWith(` ${path}`))
      throw exists ? methodNotAllowed() : pathNotFound()
    }
    const body = await readBody(req)
    let json: unknown
    if (body.length > 0) {
      try {
        json = JSON.parse(body.toString('utf8'))
      } catch (error) {
        throw badRequest(`invalid JSON body: ${(error as Error).message}`)
      }
    }
    const response = await handler({ method, path, query, headers: req.headers, body, json })
    const status = response.status ?? 200
    if (typeof response.body === 'string' || Buffer.isBuffer(response.body)) {
      const payload = typeof response.body === 'string' ? Buffer.from(response.body, 'utf8') : response.body
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...response.headers, 'Content-Length': String(payload.length) })
      res.end(payload)
      return
    }
    sendJson(res, status, response.body ?? {}, response.headers)
  }
}

/** The Status a fault answers with, shaped like the apiserver's own for that code. */
function faultStatus(code: number, retryAfter: number | undefined): StatusError {
  if (code === 429) return tooManyRequests(retryAfter ?? 1)
  if (code === 503) return serviceUnavailable('the server is currently unable to handle the request', retryAfter)
  if (code === 500) return internalError('injected fault')
  if (code === 504) return new StatusError(504, 'Timeout', 'the server was unable to return a response in the time allotted, but may still be processing the request', undefined, retryAfter)
  return new StatusError(code, 'InternalError', `injected fault (HTTP ${code})`, undefined, retryAfter)
}
