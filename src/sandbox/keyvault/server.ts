// The sandbox Key Vault's HTTPS listener: the secrets REST API of a vault as @azure/keyvault-secrets
// calls it (any api-version), behind Key Vault's challenge authentication, with the sandbox's API
// fault hook applied. The model is store.ts; this file is routing, auth and the wire shapes.
//
// Never log or echo a secret value: request bodies are not logged, JSON parse errors (which quote
// the input) are replaced by a fixed message, and internal errors answer a generic message.
import { createCipheriv, createDecipheriv, createHash, randomBytes, randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { applyApiFault, SandboxHttpsEndpoint } from '../listener.js'
import type { ApiFaultHook } from '../types.js'
import {
  badParameter,
  KeyVaultError,
  pageOf,
  parseDocument,
  parseMaxResults,
  parseSetBody,
  parseUpdateBody,
  RECOVERABLE_DAYS,
  RECOVERY_LEVEL,
  type KeyVaultDocument,
  type SecretStore,
  type SecretView,
} from './store.js'

/** The tenant the challenge names (a fixed, obviously fake id: the sandbox has no Entra ID). */
export const SANDBOX_TENANT_ID = '00000000-0000-0000-0000-000000000000'
/** The resource the challenge names, as the real service's: clients ask for `https://vault.azure.net/.default`. */
export const KEY_VAULT_RESOURCE = 'https://vault.azure.net'
export const CHALLENGE = `Bearer authorization="https://login.microsoftonline.com/${SANDBOX_TENANT_ID}", resource="${KEY_VAULT_RESOURCE}"`

/** Request bodies larger than this are refused (a secret value is at most 25 KB). */
const MAX_BODY_BYTES = 1024 * 1024

export interface KeyVaultServerOptions {
  store: SecretStore
  /** PEM server certificate and key (the sandbox CA's, covering 127.0.0.1 and localhost). */
  tls: { cert: string; key: string }
  /** The only bearer token accepted (the sandbox token). */
  token: string
  /** Called after a request changed the store; the answer waits for it (durable writes). */
  persist: () => Promise<void>
  /** The current API fault hook, if any (read on every request). */
  faultHook?: () => ApiFaultHook | undefined
  log: (message: string) => void
}

interface Reply {
  status: number
  body?: unknown
}

/** The parts of a request the routes need. */
interface RouteRequest {
  method: string
  segments: string[]
  query: URLSearchParams
  /** `https://host:port` as the client addressed us: ids and nextLinks echo it. */
  base: string
  readBody: () => Promise<unknown>
}

const MUTATING = new Set(['PUT', 'PATCH', 'POST', 'DELETE'])

export class KeyVaultServer extends SandboxHttpsEndpoint {
  private readonly backupKey: Buffer

  constructor(private readonly options: KeyVaultServerOptions) {
    super(options.tls, options.token)
    // Backups are encrypted like the real service's (opaque, restorable only by this sandbox).
    this.backupKey = createHash('sha256').update('mkt-sandbox-keyvault-backup\0').update(options.token).digest()
  }

  // ---- request handling -----------------------------------------------------------------------

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET'
    const url = new URL(req.url ?? '/', 'https://127.0.0.1')
    try {
      // The challenge comes first, before the body is read: the SDK's first request carries no
      // Authorization and no body, and expects this 401 to learn the tenant and resource.
      const auth = this.authenticate(req)
      if (auth !== 'valid') return this.challenge(res, auth)
      // The sandbox's API fault rules, applied to this listener's paths (`/secrets/...`, `/deletedsecrets/...`).
      if (await applyApiFault(this.options.faultHook?.(), req, url.pathname, (fault) => sendFault(res, fault.status, fault.retryAfter))) return

      const revision = this.options.store.revision
      const reply = await this.route({
        method,
        segments: url.pathname.split('/').slice(1).map(decodeSegment),
        query: url.searchParams,
        base: this.baseUrl(req),
        readBody: () => readJsonBody(req),
      })
      if (this.options.store.revision !== revision) await this.options.persist()
      if (MUTATING.has(method)) this.options.log(`keyvault: ${method} ${url.pathname} -> ${reply.status}`)
      send(res, reply.status, reply.body)
    } catch (error) {
      this.fail(res, method, url.pathname, error)
    }
  }

  private authenticate(req: IncomingMessage): 'valid' | 'missing' | 'invalid' {
    const header = req.headers.authorization
    if (header === undefined || header.trim() === '') return 'missing'
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
    if (match === null) return 'invalid'
    return this.isSandboxToken(match[1]!) ? 'valid' : 'invalid'
  }

  /** 401 with the challenge; the request body (if any) is left unread and discarded by Node. */
  private challenge(res: ServerResponse, auth: 'missing' | 'invalid'): void {
    const message = auth === 'missing' ? 'AKV10000: Request is missing a Bearer or PoP token.' : 'The bearer token is not valid for this vault (the sandbox accepts only its own token).'
    send(res, 401, new KeyVaultError(401, 'Unauthorized', message).toBody(), { 'WWW-Authenticate': CHALLENGE })
  }

  private fail(res: ServerResponse, method: string, path: string, error: unknown): void {
    let failure: KeyVaultError
    if (error instanceof KeyVaultError) failure = error
    else {
      // The detail goes to the log only (it never contains a value: bodies are not part of errors).
      this.options.log(`keyvault: internal error on ${method} ${path}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
      failure = new KeyVaultError(500, 'InternalServerError', 'The sandbox Key Vault failed to handle the request; see the sandbox log.')
    }
    if (failure.status >= 500 || MUTATING.has(method)) this.options.log(`keyvault: ${method} ${path} -> ${failure.status} ${failure.code}`)
    if (res.headersSent) {
      res.destroy()
      return
    }
    send(res, failure.status, failure.toBody())
  }

  /** `https://<Host header>`: the address the client used (127.0.0.1 or localhost, and the port). */
  private baseUrl(req: IncomingMessage): string {
    const host = req.headers.host
    return host !== undefined && /^[A-Za-z0-9.\-:[\]]+$/.test(host) ? `https://${host}` : this.url
  }

  // ---- routes ---------------------------------------------------------------------------------

  private async route(request: RouteRequest): Promise<Reply> {
    const { method, segments } = request
    if (!request.query.get('api-version')) throw badParameter("The 'api-version' query parameter is missing (any version is accepted).")
    const store = this.options.store
    const [collection, name, action, extra] = segments
    if (extra !== undefined) throw notFound()
    switch (collection?.toLowerCase()) {
      case 'secrets': {
        if (name === undefined || name === '') {
          if (method !== 'GET') throw methodNotAllowed(method)
          return this.listPage(request, store.list(), (view) => view.name.toLowerCase(), (view) => secretItem(request.base, view))
        }
        if (action === undefined) {
          if (method === 'PUT') return { status: 200, body: secretBundle(request.base, store.set(name, parseSetBody(await request.readBody())), true) }
          if (method === 'DELETE') return { status: 200, body: deletedBundle(request.base, store.delete(name)) }
          if (method === 'POST' && name.toLowerCase() === 'restore') return { status: 200, body: secretBundle(request.base, store.restore(this.openBackup(await request.readBody())), false) }
        }
        if (action?.toLowerCase() === 'versions' && method === 'GET') {
          return this.listPage(request, store.listVersions(name), (view) => view.version.version, (view) => versionItem(request.base, view))
        }
        if (action?.toLowerCase() === 'backup' && method === 'POST') return { status: 200, body: { value: this.sealBackup(store.backup(name)) } }
        // GET|PATCH /secrets/{name}, /secrets/{name}/ (current version) or /secrets/{name}/{version}.
        const version = action === '' ? undefined : action
        if (method === 'GET') return { status: 200, body: secretBundle(request.base, store.get(name, version), true) }
        if (method === 'PATCH') return { status: 200, body: secretBundle(request.base, store.update(name, version, parseUpdateBody(await request.readBody())), false) }
        throw methodNotAllowed(method)
      }
      case 'deletedsecrets': {
        if (name === undefined || name === '') {
          if (method !== 'GET') throw methodNotAllowed(method)
          return this.listPage(request, store.listDeleted(), (view) => view.name.toLowerCase(), (view) => deletedItem(request.base, view))
        }
        if (action === undefined || action === '') {
          if (method === 'GET') return { status: 200, body: deletedBundle(request.base, store.getDeleted(name)) }
          if (method === 'DELETE') {
            store.purge(name)
            return { status: 204 }
          }
          throw methodNotAllowed(method)
        }
        if (action.toLowerCase() === 'recover') {
          if (method !== 'POST') throw methodNotAllowed(method)
          return { status: 200, body: secretBundle(request.base, store.recover(name), false) }
        }
        throw notFound()
      }
      default:
        throw notFound()
    }
  }

  /** A list answer: `value` always present, `nextLink` absolute (this listener, same api-version) or null. */
  private listPage(request: RouteRequest, views: SecretView[], keyOf: (view: SecretView) => string, shape: (view: SecretView) => unknown): Reply {
    const maxResults = parseMaxResults(request.query.get('maxresults'))
    const page = pageOf(views, keyOf, { skipToken: request.query.get('$skiptoken'), maxResults })
    let nextLink: string | null = null
    if (page.skipToken !== undefined) {
      // Shaped like the real service's: `…/secrets?api-version=7.6&$skiptoken=…&maxresults=5`.
      const apiVersion = encodeURIComponent(request.query.get('api-version')!)
      const size = request.query.get('maxresults') === null ? '' : `&maxresults=${maxResults}`
      nextLink = `${request.base}/${request.segments.map(encodeURIComponent).join('/')}?api-version=${apiVersion}&$skiptoken=${page.skipToken}${size}`
    }
    return { status: 200, body: { value: page.items.map(shape), nextLink } }
  }

  // ---- backups: AES-256-GCM over the one-secret document, base64url ---------------------------

  private sealBackup(document: KeyVaultDocument): string {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.backupKey, iv)
    const sealed = Buffer.concat([cipher.update(JSON.stringify(document), 'utf8'), cipher.final()])
    return Buffer.concat([Buffer.from('mkt1'), iv, cipher.getAuthTag(), sealed]).toString('base64url')
  }

  private openBackup(body: unknown): KeyVaultDocument {
    const blob = typeof body === 'object' && body !== null ? (body as { value?: unknown }).value : undefined
    if (typeof blob !== 'string') throw badParameter('Property value (the backup blob) is required.')
    try {
      const bytes = Buffer.from(blob, 'base64url')
      if (bytes.subarray(0, 4).toString() !== 'mkt1') throw new Error('not a sandbox backup')
      const decipher = createDecipheriv('aes-256-gcm', this.backupKey, bytes.subarray(4, 16))
      decipher.setAuthTag(bytes.subarray(16, 32))
      const json = Buffer.concat([decipher.update(bytes.subarray(32)), decipher.final()]).toString('utf8')
      return parseDocument(JSON.parse(json), 'the backup')
    } catch {
      throw badParameter('The backup blob is invalid or was not made by this sandbox.')
    }
  }
}

// ---- wire shapes (times in Unix seconds) ----------------------------------------------------------

function attributesOf(view: SecretView): Record<string, unknown> {
  const v = view.version
  return {
    enabled: v.enabled,
    ...(v.notBefore === undefined ? {} : { nbf: v.notBefore }),
    ...(v.expires === undefined ? {} : { exp: v.expires }),
    created: v.created,
    updated: v.updated,
    recoveryLevel: RECOVERY_LEVEL,
    recoverableDays: RECOVERABLE_DAYS,
  }
}

function describedBy(view: SecretView): Record<string, unknown> {
  return {
    ...(view.version.contentType === undefined ? {} : { contentType: view.version.contentType }),
    ...(view.version.tags === undefined ? {} : { tags: view.version.tags }),
  }
}

const secretId = (base: string, view: SecretView): string => `${base}/secrets/${view.name}/${view.version.version}`

/** SecretBundle: `id` names the version; `value` only for set and get. */
function secretBundle(base: string, view: SecretView, withValue: boolean): Record<string, unknown> {
  return { ...(withValue ? { value: view.version.value } : {}), id: secretId(base, view), ...describedBy(view), attributes: attributesOf(view) }
}

/** SecretItem in GET /secrets: `id` without a version. */
function secretItem(base: string, view: SecretView): Record<string, unknown> {
  return { id: `${base}/secrets/${view.name}`, ...describedBy(view), attributes: attributesOf(view) }
}

/** SecretItem in GET /secrets/{name}/versions: `id` with the version. */
function versionItem(base: string, view: SecretView): Record<string, unknown> {
  return { id: secretId(base, view), ...describedBy(view), attributes: attributesOf(view) }
}

function deletion(base: string, view: SecretView): Record<string, unknown> {
  return { recoveryId: `${base}/deletedsecrets/${view.name}`, deletedDate: view.deleted?.deletedDate, scheduledPurgeDate: view.deleted?.scheduledPurgeDate }
}

/** DeletedSecretBundle (never a value). */
function deletedBundle(base: string, view: SecretView): Record<string, unknown> {
  return { ...secretBundle(base, view, false), ...deletion(base, view) }
}

/** DeletedSecretItem in GET /deletedsecrets. */
function deletedItem(base: string, view: SecretView): Record<string, unknown> {
  return { ...secretItem(base, view), ...deletion(base, view) }
}

// ---- HTTP helpers -------------------------------------------------------------------------------

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const common = { 'Cache-Control': 'no-cache', 'x-ms-request-id': randomUUID(), ...headers }
  if (status === 204 || body === undefined) {
    res.writeHead(status, { ...common, 'Content-Length': '0' })
    res.end()
    return
  }
  const payload = Buffer.from(JSON.stringify(body), 'utf8')
  res.writeHead(status, { ...common, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(payload.length) })
  res.end(payload)
}

/** The JSON body; an empty body is `undefined`. Parse errors are not quoted: they would echo the input. */
async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const buffer = chunk as Buffer
    size += buffer.length
    if (size > MAX_BODY_BYTES) throw new KeyVaultError(413, 'RequestEntityTooLarge', `The request body exceeds ${MAX_BODY_BYTES} bytes.`)
    chunks.push(buffer)
  }
  if (size === 0) return undefined
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown
  } catch {
    throw badParameter('The request body is not valid JSON.')
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    throw badParameter('The request URI is not valid.')
  }
}

const notFound = (): KeyVaultError => new KeyVaultError(404, 'NotFound', 'The requested path is not part of the Key Vault secrets API served by the sandbox.')

const methodNotAllowed = (method: string): KeyVaultError => new KeyVaultError(405, 'MethodNotAllowed', `The method ${method} is not allowed on this path.`)

/** The error an injected fault answers with, shaped like Key Vault's. */
function faultError(status: number): KeyVaultError {
  if (status === 429) return new KeyVaultError(429, 'Throttled', 'Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached (injected fault)')
  if (status === 503) return new KeyVaultError(503, 'ServiceUnavailable', 'The service is temporarily unavailable (injected fault).')
  return new KeyVaultError(status, 'InternalServerError', `Injected fault (HTTP ${status}).`)
}

/** Answers an injected fault: Key Vault's error for the status, with Retry-After when the rule sets one. */
function sendFault(res: ServerResponse, status: number, retryAfter: number | undefined): void {
  send(res, status, faultError(status).toBody(), retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) })
}
