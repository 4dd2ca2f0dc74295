// The sandbox's Service Bus administration endpoint: its own HTTPS listener on 127.0.0.1 serving the
// ATOM/XML API that the real ServiceBusAdministrationClient speaks (queues, topics, subscriptions,
// rules, $namespaceinfo), authenticated with the sandbox token or a SAS made with the namespace key,
// subject to the sandbox's API faults, persisted in servicebus.json.
//
// Request order: count it, authenticate, apply faults, read the body, route, change the namespace,
// write it durably, answer.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { join } from 'node:path'
import { applyApiFault, createSandboxHttpsServer, listenPreferring, type SandboxHttpsServer } from '../listener.js'
import type { ApiFaultDecision, ApiFaultHook, SandboxApi } from '../types.js'
import {
  document,
  emptyFeed,
  entityUrl,
  entry,
  ENTRY_CONTENT_TYPE,
  ERROR_CONTENT_TYPE,
  errorDocument,
  feed,
  FEED_CONTENT_TYPE,
  namespaceInfo,
  parseEntry,
  queueDescription,
  ruleDescription,
  subscriptionDescription,
  topicDescription,
  type ParsedEntry,
  type RenderContext,
} from './atom.js'
import { authenticate, verifySupplementary, type ServiceBusCredentials } from './auth.js'
import { registerServiceBusRoutes, StatsCounter, type ServiceBusStats } from './control.js'
import { ensureServiceBusKey, newSharedAccessKey, previousServiceBusPort, SAS_KEY_NAME, SERVICEBUS_ENTITIES_FILE, writeServiceBusConnectionString } from './credentials.js'
import { badRequest, ServiceBusError, ServiceBusNamespace, type EntityInput, type PutMode, type Queue, type Rule, type Subscription, type Topic } from './entities.js'
import { faultError } from './faults.js'
import type { XmlOut } from './xml.js'
import { loadSnapshot, SnapshotWriter } from './persistence.js'
import { parseServiceBusPath, type ServiceBusRoute } from './paths.js'

/** The namespace name entries report as their author and NamespaceInfo as its Name. */
export const NAMESPACE_NAME = 'mkt-sandbox'
/** The page size when a list names no `$top` (Service Bus's). */
export const DEFAULT_PAGE_SIZE = 100
const MAX_BODY_BYTES = 1024 * 1024

export interface StartServiceBusOptions {
  dataDir: string
  /** PEM server certificate (covering 127.0.0.1 and localhost) and key: the sandbox's. */
  tls: { cert: string; key: string }
  /** The sandbox token, accepted as a bearer token. */
  token: string
  /** The Kubernetes listener: the control routes go on its /_sandbox/ router. */
  api: Pick<SandboxApi, 'registerSandboxRoute'>
  /** The API fault hook in force (read on every request, so faults added later apply at once). */
  faultHook?: () => ApiFaultHook | undefined
  /** Explicit port; default: the previous run's if free, else an ephemeral one. */
  port?: number
  /** The sandbox clock, for entity timestamps (default: the system clock). */
  now?: () => number
  log?: (message: string) => void
}

export interface ServiceBusHandle {
  /** `https://127.0.0.1:PORT` */
  endpoint: string
  port: number
  /** `Endpoint=sb://127.0.0.1:PORT/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=…` */
  connectionString: string
  namespace: ServiceBusNamespace
  /** Active messages of a queue or `topic/Subscriptions/subscription` (what KEDA's trigger reads); undefined when it does not exist. */
  queueDepth(entity: string): number | undefined
  stats(): ServiceBusStats
  close(): Promise<void>
}

interface Answer {
  status: number
  /** An XML document; none for a DELETE. */
  body?: XmlOut
  contentType?: string
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()]
  return Array.isArray(value) ? value[0] : value
}

/** A non-negative integer query parameter (`$skip`, `$top`; clients send them as `%24skip`). */
function pagingParameter(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name)
  if (raw === null) return undefined
  if (!/^\d+$/.test(raw)) throw badRequest(`The query parameter ${name} must be a non-negative integer, not '${raw}'.`)
  return Number(raw)
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) throw new ServiceBusError(413, `SubCode=41300. The request body is larger than ${MAX_BODY_BYTES} bytes.`)
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** An injected fault's error, thrown to be answered like any other (ServiceBusServer's fail()). */
function throwFault(fault: ApiFaultDecision): never {
  throw faultError(fault)
}

export class ServiceBusServer {
  private readonly listener: SandboxHttpsServer

  constructor(
    private readonly namespace: ServiceBusNamespace,
    private readonly credentials: ServiceBusCredentials,
    private readonly writer: SnapshotWriter,
    readonly stats: StatsCounter,
    private readonly options: Pick<StartServiceBusOptions, 'tls' | 'faultHook' | 'now' | 'log'>,
  ) {
    this.listener = createSandboxHttpsServer(options.tls, (req, res) => {
      void this.handle(req, res)
    })
  }

  /** Listens on 127.0.0.1; port 0 picks a free one. Resolves with the port. */
  listen(port: number): Promise<number> {
    return this.listener.listen(port)
  }

  /** Stops listening, ends the connections, then waits for the namespace writes in flight. */
  async close(): Promise<void> {
    await this.listener.close()
    await this.writer.idle()
  }

  private now(): string {
    return new Date(this.options.now?.() ?? Date.now()).toISOString()
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET'
    this.stats.request(method)
    res.on('finish', () => this.stats.answered(res.statusCode))
    const host = header(req, 'host') ?? `127.0.0.1:${this.listener.port}`
    const url = new URL(req.url ?? '/', `https://${host}`)
    const ctx: RenderContext = { host, apiVersion: url.searchParams.get('api-version') ?? '2021-05', namespaceName: NAMESPACE_NAME, now: this.now() }
    const tracker = `${host}:${url.pathname.replace(/^\/+/, '')}`
    try {
      const denied = authenticate(header(req, 'authorization'), this.credentials, `${host}${url.pathname}`, Math.floor(Date.now() / 1000))
      if (denied !== undefined) throw denied
      if (await applyApiFault(this.options.faultHook?.(), req, url.pathname, throwFault)) return
      const body = await readBody(req)
      const route = parseServiceBusPath(url.pathname)
      if (route === undefined) throw new ServiceBusError(404, `SubCode=40400. Not Found. The path '${url.pathname}' is not a Service Bus entity path.`)
      const answer = await this.dispatch(route, method, req, body, url, ctx)
      this.send(res, answer)
    } catch (error) {
      this.fail(res, error, tracker, ctx)
    }
  }

  private send(res: ServerResponse, answer: Answer): void {
    const payload = answer.body === undefined ? '' : document(answer.body)
    const headers: Record<string, string> = { 'Content-Length': String(Buffer.byteLength(payload)) }
    if (answer.body !== undefined) headers['Content-Type'] = answer.contentType ?? ENTRY_CONTENT_TYPE
    res.writeHead(answer.status, headers)
    res.end(payload)
  }

  private fail(res: ServerResponse, error: unknown, tracker: string, ctx: RenderContext): void {
    const known = error instanceof ServiceBusError
    if (!known) this.options.log?.(`servicebus: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
    const failure = known ? error : new ServiceBusError(500, `SubCode=50000. Internal Server Error: ${error instanceof Error ? error.message : String(error)}`)
    if (res.headersSent) {
      res.destroy()
      return
    }
    const payload = errorDocument(failure, tracker, ctx)
    const headers: Record<string, string> = { 'Content-Type': ERROR_CONTENT_TYPE, 'Content-Length': String(Buffer.byteLength(payload)) }
    if (failure.retryAfterSeconds !== undefined) headers['Retry-After'] = String(failure.retryAfterSeconds)
    res.writeHead(failure.status, headers)
    res.end(payload)
  }

  // ---- routing ----------------------------------------------------------------------------------

  private async dispatch(route: ServiceBusRoute, method: string, req: IncomingMessage, body: string, url: URL, ctx: RenderContext): Promise<Answer> {
    const requestUrl = `https://${ctx.host}${url.pathname}${url.search}`
    const allow = (...methods: string[]): void => {
      if (!methods.includes(method)) throw new ServiceBusError(405, `SubCode=40500. The requested HTTP verb ${method} is not allowed on '${url.pathname}'.`)
    }
    const ns = this.namespace
    switch (route.kind) {
      case 'namespaceInfo':
        allow('GET')
        return { status: 200, body: entry(requestUrl, NAMESPACE_NAME, { published: ns.createdAt, updated: ns.createdAt }, namespaceInfo(ns.createdAt, ctx), ctx) }
      case 'listQueues':
        allow('GET')
        return this.list('Queues', ns.listQueues(), (q) => this.queueEntry(entityUrl(ctx, q.name), q, ctx, false), url, ctx)
      case 'listTopics':
        allow('GET')
        return this.list('Topics', ns.listTopics(), (t) => this.topicEntry(entityUrl(ctx, t.name), t, ctx, false), url, ctx)
      case 'listSubscriptions':
        allow('GET')
        return this.list('Subscriptions', ns.listSubscriptions(route.topic), (s) => this.subscriptionEntry(entityUrl(ctx, `${route.topic}/${route.subscriptionsSegment}/${s.name}`), s, ctx, false), url, ctx)
      case 'listRules':
        allow('GET')
        return this.list('Rules', ns.listRules(route.topic, route.subscription), (r) => this.ruleEntry(entityUrl(ctx, `${route.topic}/${route.subscriptionsSegment}/${route.subscription}/${route.rulesSegment}/${r.name}`), r, ctx, false), url, ctx)
      case 'entity':
        allow('GET', 'PUT', 'DELETE')
        if (method === 'GET') {
          const queue = ns.queue(route.name)
          if (queue !== undefined) return { status: 200, body: this.queueEntry(requestUrl, queue, ctx) }
          const topic = ns.topic(route.name)
          return topic === undefined ? this.notFound(ctx) : { status: 200, body: this.topicEntry(requestUrl, topic, ctx) }
        }
        if (method === 'DELETE') return this.deleted(() => ns.deleteEntity(route.name))
        return this.put(req, body, (parsed, mode) => {
          if (parsed.kind === 'QueueDescription') {
            this.checkSupplementary(req, parsed.input)
            const { entity, created } = ns.putQueue(route.name, parsed.input, mode)
            return { status: created ? 201 : 200, body: this.queueEntry(requestUrl, entity, ctx) }
          }
          if (parsed.kind === 'TopicDescription') {
            const { entity, created } = ns.putTopic(route.name, parsed.input, mode)
            return { status: created ? 201 : 200, body: this.topicEntry(requestUrl, entity, ctx) }
          }
          throw badRequest(`A ${parsed.kind} cannot be put at '${route.name}'; expected a QueueDescription or TopicDescription.`)
        })
      case 'subscription':
        allow('GET', 'PUT', 'DELETE')
        if (method === 'GET') {
          const subscription = ns.subscription(route.topic, route.subscription)
          return subscription === undefined ? this.notFound(ctx) : { status: 200, body: this.subscriptionEntry(requestUrl, subscription, ctx) }
        }
        if (method === 'DELETE') return this.deleted(() => ns.deleteSubscription(route.topic, route.subscription))
        return this.put(req, body, (parsed, mode) => {
          if (parsed.kind !== 'SubscriptionDescription') throw badRequest(`A ${parsed.kind} cannot be put at a subscription path.`)
          this.checkSupplementary(req, parsed.input)
          const { entity, created } = ns.putSubscription(route.topic, route.subscription, parsed.input, mode)
          return { status: created ? 201 : 200, body: this.subscriptionEntry(requestUrl, entity, ctx) }
        })
      case 'rule':
        allow('GET', 'PUT', 'DELETE')
        if (method === 'GET') {
          const rule = ns.rule(route.topic, route.subscription, route.rule)
          return rule === undefined ? this.notFound(ctx) : { status: 200, body: this.ruleEntry(requestUrl, rule, ctx) }
        }
        if (method === 'DELETE') return this.deleted(() => ns.deleteRule(route.topic, route.subscription, route.rule))
        return this.put(req, body, (parsed, mode) => {
          if (parsed.kind !== 'RuleDescription') throw badRequest(`A ${parsed.kind} cannot be put at a rule path.`)
          const { entity, created } = ns.putRule(route.topic, route.subscription, route.rule, parsed.rule, mode)
          return { status: created ? 201 : 200, body: this.ruleEntry(requestUrl, entity, ctx) }
        })
    }
  }

  /** A GET of a missing entity: 200 with an empty feed, as Service Bus answers. */
  private notFound(ctx: RenderContext): Answer {
    return { status: 200, body: emptyFeed(ctx), contentType: FEED_CONTENT_TYPE }
  }

  /** `If-Match` makes a PUT an update (a full replace); without it, a create. Answered once durable. */
  private async put(req: IncomingMessage, body: string, apply: (parsed: ParsedEntry, mode: PutMode) => Answer): Promise<Answer> {
    const mode: PutMode = header(req, 'if-match') === undefined ? 'create' : 'update'
    const answer = apply(parseEntry(body), mode)
    await this.writer.flush()
    return answer
  }

  private async deleted(remove: () => void): Promise<Answer> {
    remove()
    await this.writer.flush()
    return { status: 200 }
  }

  /** Forwarding PUTs carry tokens that prove the caller may send to the target (Service Bus answers 401 without them). */
  private checkSupplementary(req: IncomingMessage, input: EntityInput): void {
    const now = Math.floor(Date.now() / 1000)
    const checks: [string, string][] = [
      ['ForwardTo', 'ServiceBusSupplementaryAuthorization'],
      ['ForwardDeadLetteredMessagesTo', 'ServiceBusDlqSupplementaryAuthorization'],
    ]
    for (const [field, name] of checks) {
      if ((input.fields[field] ?? '').trim() === '') continue
      const denied = verifySupplementary(header(req, name), name, this.credentials, now)
      if (denied !== undefined) throw denied
    }
  }

  private list<T>(title: string, items: T[], toEntry: (item: T) => XmlOut, url: URL, ctx: RenderContext): Answer {
    const skip = pagingParameter(url.searchParams, '$skip') ?? 0
    const top = pagingParameter(url.searchParams, '$top') ?? DEFAULT_PAGE_SIZE
    const page = items.slice(skip, skip + top)
    const selfUrl = `https://${ctx.host}${url.pathname}${url.search}`
    const more = top > 0 && skip + top < items.length
    const nextUrl = more ? `https://${ctx.host}${url.pathname}?$skip=${skip + top}&$top=${top}&api-version=${encodeURIComponent(ctx.apiVersion)}` : undefined
    return { status: 200, body: feed(title, selfUrl, nextUrl, page.map(toEntry), ctx), contentType: FEED_CONTENT_TYPE }
  }

  private queueEntry(id: string, queue: Queue, ctx: RenderContext, root = true): XmlOut {
    return entry(id, queue.name, { published: queue.createdAt, updated: queue.updatedAt }, queueDescription(queue, ctx), ctx, root)
  }

  private topicEntry(id: string, topic: Topic, ctx: RenderContext, root = true): XmlOut {
    return entry(id, topic.name, { published: topic.createdAt, updated: topic.updatedAt }, topicDescription(topic, ctx), ctx, root)
  }

  private subscriptionEntry(id: string, subscription: Subscription, ctx: RenderContext, root = true): XmlOut {
    return entry(id, subscription.name, { published: subscription.createdAt, updated: subscription.updatedAt }, subscriptionDescription(subscription, ctx), ctx, root)
  }

  private ruleEntry(id: string, rule: Rule, ctx: RenderContext, root = true): XmlOut {
    return entry(id, rule.name, { published: rule.createdAt, updated: rule.createdAt }, ruleDescription(rule), ctx, root)
  }
}

/**
 * Starts the Service Bus endpoint: loads servicebus.json, ensures the namespace key, listens (the
 * previous port when free), writes the connection string file and registers the control routes.
 */
export async function startServiceBus(options: StartServiceBusOptions): Promise<ServiceBusHandle> {
  const log = options.log ?? (() => {})
  const now = options.now ?? Date.now
  const entitiesPath = join(options.dataDir, SERVICEBUS_ENTITIES_FILE)
  const snapshot = await loadSnapshot(entitiesPath, log)
  const namespace = new ServiceBusNamespace({ now: () => new Date(now()), newKey: newSharedAccessKey }, snapshot)
  const writer = new SnapshotWriter(entitiesPath, () => namespace.snapshot())
  const key = await ensureServiceBusKey(options.dataDir)
  const stats = new StatsCounter()
  const server = new ServiceBusServer(namespace, { token: options.token, keyName: SAS_KEY_NAME, key }, writer, stats, { ...options, log })
  const port = await listenPreferring(server, options.port, await previousServiceBusPort(options.dataDir))
  const endpoint = `https://127.0.0.1:${port}`
  const connectionString = await writeServiceBusConnectionString(options.dataDir, endpoint, key)
  registerServiceBusRoutes(options.api, namespace, stats, () => writer.flush())
  const entities = namespace.counts()
  log(`Service Bus endpoint listening on ${endpoint} (${entities.queues} queues, ${entities.topics} topics)`)
  const queueDepth = (entity: string): number | undefined => {
    const [topic, subscriptions, subscription] = entity.split('/')
    if (subscriptions?.toLowerCase() === 'subscriptions' && subscription) return namespace.subscription(topic!, subscription)?.counts.active
    return namespace.queue(entity)?.counts.active
  }
  return { endpoint, port, connectionString, namespace, queueDepth, stats: () => stats.current(), close: () => server.close() }
}
