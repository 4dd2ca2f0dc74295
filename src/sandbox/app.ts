// The simulated application inside every sandbox pod: an ASP.NET Core service that answers its
// health endpoints with the HealthChecks UI JSON (AspNetCore.HealthChecks.UI.Client's
// UIResponseWriter) and 404 for everything else. Faults (faults.ts) make it degraded, unhealthy,
// slow to become ready or not ready; a container that is not running does not answer at all.
import { parseTime } from './clock.js'
import { podLog, PodLogError } from './controllers/podlog.js'
import type { Pod } from './controllers/api.js'
import type { FaultRegistry, HealthEntry, PodFault } from './faults.js'
import { HealthEntries } from './faults.js'
import type { Clock, KubeObject, PodHttpBackend, PodHttpResponse } from './types.js'

export type HealthStatus = 'Healthy' | 'Degraded' | 'Unhealthy'

export interface HealthReportEntry {
  data: Record<string, unknown>
  description?: string
  duration: string
  status: HealthStatus
  tags: string[]
}

/** The JSON body of /health/live and /health/ready. */
export interface HealthReport {
  status: HealthStatus
  totalDuration: string
  entries: Record<string, HealthReportEntry>
}

/**
 * Nothing listens (the container is not running: crash loop, image pull failure, still starting):
 * what the apiserver's proxy answers when the connection to the pod is refused.
 */
export function connectionRefused(ip: string | undefined, port: number): PodHttpResponse {
  const message = `error trying to reach service: dial tcp ${ip ?? ''}:${port}: connect: connection refused`
  return {
    status: 503,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'ServiceUnavailable', code: 503 }),
  }
}

/** .NET TimeSpan `c` format with 7 fractional digits: 00:00:00.0123456. */
export function formatTimeSpan(ms: number): string {
  const totalTicks = Math.round(ms * 10_000)
  const ticks = totalTicks % 10_000_000
  const totalSeconds = Math.floor(totalTicks / 10_000_000)
  const pad = (n: number, width = 2) => String(n).padStart(width, '0')
  return `${pad(Math.floor(totalSeconds / 3600))}:${pad(Math.floor(totalSeconds / 60) % 60)}:${pad(totalSeconds % 60)}.${pad(ticks, 7)}`
}

const unhealthyDescriptions: Record<HealthEntry, string> = {
  database: 'A connection to the database could not be established within the timeout (sandbox fault).',
  servicebus: 'Service Bus is unreachable: the messaging entity could not be reached (sandbox fault).',
  redis: 'It was not possible to connect to the redis server(s). UnableToConnect (sandbox fault).',
}

const degradedDescriptions: Record<HealthEntry, string> = {
  database: 'Database responses are slow: p95 latency above threshold (sandbox fault).',
  servicebus: 'Service Bus throttling: operations are being retried (sandbox fault).',
  redis: 'Redis responses are slow: p95 latency above threshold (sandbox fault).',
}

const worst = (a: HealthStatus, b: HealthStatus): HealthStatus => {
  const rank: Record<HealthStatus, number> = { Healthy: 0, Degraded: 1, Unhealthy: 2 }
  return rank[a] >= rank[b] ? a : b
}

export interface HealthContext {
  /** When the container (the process) started, ms. */
  startedAt: number
  now: number
  /** Source of the small random check durations (tests pass a constant). */
  random?: () => number
}

/**
 * The application's health for one endpoint, given the pod faults that apply to it.
 * - ready: database, servicebus and redis entries (tag `ready`); not-ready adds an Unhealthy `startup` entry
 *   (its own entry when one is named); unhealthy makes the fault's entry (default database) Unhealthy, degraded makes it Degraded, slow-ready is Unhealthy until
 *   startedAt + durationMs.
 * - live: one `self` entry (tag `live`), Unhealthy only under an `unhealthy` fault: liveness does not
 *   depend on the dependencies, as ASP.NET Core recommends.
 */
export function healthReport(check: 'live' | 'ready', faults: readonly PodFault[], context: HealthContext): HealthReport {
  const random = context.random ?? Math.random
  const checkDuration = () => 0.5 + random() * 12
  const entries: Record<string, HealthReportEntry> = {}

  if (check === 'live') {
    const unhealthy = faults.find((f) => f.kind === 'unhealthy')
    entries.self = { data: {}, duration: formatTimeSpan(0.01 + random() * 0.05), status: unhealthy ? 'Unhealthy' : 'Healthy', tags: ['live'] }
    if (unhealthy) entries.self.description = unhealthyDescriptions[unhealthy.entry ?? 'database']
  } else {
    for (const name of HealthEntries) entries[name] = { data: {}, duration: formatTimeSpan(checkDuration()), status: 'Healthy', tags: ['ready'] }
    for (const fault of faults) {
      if (fault.kind === 'not-ready' && fault.entry === undefined) {
        // Not ready for no dependency's sake (the operator asked for "not ready", not for a database outage): an
        // app's own startup check, as ASP.NET Core apps add for warm-up, says so.
        entries.startup = { data: {}, description: 'Not ready to serve traffic (sandbox fault --not-ready).', duration: formatTimeSpan(0.01 + random() * 0.05), status: 'Unhealthy', tags: ['ready'] }
        continue
      }
      const entry = entries[fault.entry ?? 'database']
      if (fault.kind === 'not-ready' || fault.kind === 'unhealthy') {
        entry.status = 'Unhealthy'
        entry.description = unhealthyDescriptions[fault.entry ?? 'database']
        entry.duration = formatTimeSpan(5000 + random() * 5)
      } else if (fault.kind === 'degraded' && entry.status === 'Healthy') {
        entry.status = 'Degraded'
        entry.description = degradedDescriptions[fault.entry ?? 'database']
        entry.duration = formatTimeSpan(1200 + random() * 300)
      } else if (fault.kind === 'slow-ready') {
        const readyAt = context.startedAt + (fault.durationMs ?? 10_000)
        if (context.now < readyAt) {
          entry.status = 'Unhealthy'
          entry.description = `Warming up: ready in ${((readyAt - context.now) / 1000).toFixed(1)} s (sandbox fault).`
        }
      }
    }
  }

  const status = Object.values(entries).reduce<HealthStatus>((acc, e) => worst(acc, e.status), 'Healthy')
  const total = Object.values(entries).reduce((acc, e) => Math.max(acc, parseTimeSpanMs(e.duration)), 0) + 0.2
  // Member order as UIResponseWriter writes it.
  return { status, totalDuration: formatTimeSpan(total), entries }
}

function parseTimeSpanMs(span: string): number {
  const match = /^(\d+):(\d+):(\d+)\.(\d{7})$/.exec(span)
  if (!match) return 0
  return ((Number(match[1]) * 60 + Number(match[2])) * 60 + Number(match[3])) * 1000 + Number(match[4]) / 10_000
}

/** ASP.NET Core's default ResultStatusCodes: Healthy and Degraded 200, Unhealthy 503. */
export function healthHttpStatus(status: HealthStatus): number {
  return status === 'Unhealthy' ? 503 : 200
}

/**
 * One request to the application, answered from its health (pure). Only GET and HEAD are mapped;
 * other paths are 404 with an empty body, like Kestrel with no matching endpoint.
 */
export function respond(method: string, path: string, faults: readonly PodFault[], context: HealthContext): PodHttpResponse {
  const route = path.split('?')[0].replace(/\/+$/, '') || '/'
  const headers = { 'content-type': 'application/json', 'cache-control': 'no-store, no-cache', server: 'Kestrel' }
  if ((route === '/health/live' || route === '/health/ready') && (method === 'GET' || method === 'HEAD')) {
    const report = healthReport(route === '/health/live' ? 'live' : 'ready', faults, context)
    const status = faults.find((f) => f.httpStatus !== undefined)?.httpStatus ?? healthHttpStatus(report.status)
    return { status, headers, body: method === 'HEAD' ? '' : JSON.stringify(report) }
  }
  return { status: 404, headers: { 'content-length': '0', server: 'Kestrel', 'content-type': 'text/plain' }, body: '' }
}

type PodView = {
  metadata: { name: string; labels?: Record<string, string> }
  spec?: { containers?: { name: string; image?: string; ports?: { containerPort: number }[] }[] }
  status?: { podIP?: string; containerStatuses?: { name: string; state?: { running?: { startedAt?: string } } }[] }
}

/** When the container serving `port` started, from the pod's status; undefined when it is not running. */
export function runningSince(pod: PodView, port: number): number | undefined {
  const containers = pod.spec?.containers ?? []
  const declares = (c: (typeof containers)[number]) => (c.ports ?? []).some((p) => p.containerPort === port)
  // A port nobody declares is still served by the first container (ports are informational in Kubernetes).
  const serving = containers.find(declares) ?? containers[0]
  if (!serving) return undefined
  const status = pod.status?.containerStatuses?.find((s) => s.name === serving.name)
  const running = status?.state?.running
  if (!running) return undefined
  return parseTime(running.startedAt) ?? 0
}

/**
 * The application in every pod, reached by the service and pod proxies (the API server's
 * PodHttpBackend). Its log is controllers/podlog.ts's story of the container.
 */
export class SimulatedApp implements PodHttpBackend {
  constructor(
    private readonly faults: FaultRegistry,
    private readonly clock: Clock,
  ) {}

  async handle(pod: KubeObject, port: number, method: string, path: string): Promise<PodHttpResponse> {
    const view = pod as unknown as PodView
    const startedAt = runningSince(view, port)
    if (startedAt === undefined) return connectionRefused(view.status?.podIP, port)
    return respond(method.toUpperCase(), path, this.faults.podFaultsFor(view), { startedAt, now: this.clock.now() })
  }

  logs(pod: KubeObject, container: string, options: { previous: boolean }): string | undefined {
    try {
      return podLog(pod as Pod, { container, previous: options.previous }, this.clock.now())
    } catch (error) {
      if (error instanceof PodLogError) return undefined
      throw error
    }
  }
}
