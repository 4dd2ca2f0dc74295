// Fault rules: how simulated pods misbehave (by component and image tag) and how the API misbehaves
// (latency, errors, dropped connections by path). Persisted to faults.json in the data dir so they
// survive a restart; every change applies at once (the pod simulator re-probes, the API hook reads
// the current list on each request).
import { randomInt } from 'node:crypto'
import { formatTime } from './clock.js'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import type { ApiFaultDecision, ApiFaultHook, SandboxApi, SandboxRouteRequest, SandboxRouteResponse } from './types.js'

export const FAULTS_FILE = 'faults.json'

/** The pod label a pod fault's `component` is matched against. */
export const ComponentLabel = 'app.kubernetes.io/name'

export const PodFaultKinds = ['not-ready', 'slow-ready', 'crashloop', 'image-pull-error', 'degraded', 'unhealthy', 'load'] as const
export type PodFaultKind = (typeof PodFaultKinds)[number]

/** The health entries the simulated application reports (see app.ts). */
export const HealthEntries = ['database', 'servicebus', 'redis'] as const
export type HealthEntry = (typeof HealthEntries)[number]

/** Request paths are short; a longer pattern is a mistake, and a huge one would break every request. */
export const MAX_PATH_PATTERN_LENGTH = 1024
/** Rules at once: each request is matched against all of them. */
export const MAX_FAULTS = 100

const idSchema = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'an id is lowercase letters, digits and dashes')

const podFaultSchema = z.strictObject({
  type: z.literal('pod').optional(),
  id: idSchema.optional(),
  component: z.string().min(1),
  imageTag: z.string().min(1).optional(),
  newPodsOnly: z.boolean().optional(),
  createdAfter: z.string().optional(),
  podAnnotation: z.string().regex(/^[^=]+=.*$/, 'podAnnotation is KEY=VALUE').optional(),
  kind: z.enum(PodFaultKinds),
  entry: z.enum(HealthEntries).optional(),
  durationMs: z.number().int().nonnegative().optional(),
  httpStatus: z.number().int().min(200).max(599).optional(),
  cpuPercent: z.number().int().positive().max(100_000).optional(),
})

const apiFaultSchema = z
  .strictObject({
    type: z.literal('api').optional(),
    id: idSchema.optional(),
    pathPattern: z.string().min(1).max(MAX_PATH_PATTERN_LENGTH, `pathPattern is at most ${MAX_PATH_PATTERN_LENGTH} characters`),
    latencyMs: z.number().int().nonnegative().optional(),
    errorRate: z.number().min(0).max(1).optional(),
    status: z.union([z.literal(500), z.literal(503), z.literal(429)]).optional(),
    retryAfterSeconds: z.number().int().nonnegative().optional(),
    drop: z.boolean().optional(),
  })
  .refine((f) => f.latencyMs !== undefined || f.status !== undefined || f.drop === true, {
    message: 'an API fault needs latencyMs, status or drop',
  })
  .refine((f) => !(f.status !== undefined && f.drop === true), { message: 'status and drop are exclusive' })

export interface PodFault {
  type: 'pod'
  id: string
  /** Matched against the pod label app.kubernetes.io/name; `*` matches every pod. */
  component: string
  /** When set, only pods with a container whose image has this tag. */
  imageTag?: string
  /** Only pods created after the fault (a bad rollout of an unchanged image, e.g. a configuration change). */
  newPodsOnly?: boolean
  /** Set when the fault is added with newPodsOnly: pods created before this instant are spared. */
  createdAfter?: string
  /** `KEY=VALUE`: only pods carrying this annotation (from their template): one release of many. */
  podAnnotation?: string
  kind: PodFaultKind
  /** The health entry that fails (not-ready, unhealthy, degraded); default `database`. */
  entry?: HealthEntry
  /** slow-ready: how long after the container starts it becomes ready (default 10 000). */
  durationMs?: number
  /**
   * The HTTP status the health endpoints answer whatever their report says: an application whose
   * HealthCheckOptions.ResultStatusCodes map Unhealthy to 200 (so the kubelet's probe passes).
   */
  httpStatus?: number
  /** load: the CPU demand, as utilization of the pods' request at the HPA's minimum replicas (default 1000). */
  cpuPercent?: number
}

export interface ApiFault {
  type: 'api'
  id: string
  /** A glob over the request path (`*` within a segment, `**` across segments, `?` one character), or a regular expression starting with `^`. */
  pathPattern: string
  latencyMs?: number
  /** The share of matching requests that fail (default 1: all of them). */
  errorRate?: number
  status?: 500 | 503 | 429
  retryAfterSeconds?: number
  /** Close the connection without an answer. */
  drop?: boolean
}

export type Fault = PodFault | ApiFault

export interface ApiFaultRequest {
  method?: string
  /** The request path without the query string. */
  path: string
}

export class FaultValidationError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'FaultValidationError'
  }
}

/** A fault as posted: the id is optional (one is generated). */
export type FaultInput = (Omit<PodFault, 'id'> | Omit<ApiFault, 'id'>) & { id?: string }

/** Parses one fault as posted to /_sandbox/faults: a pod fault has `kind`, an API fault `pathPattern` (or say so with `type`). */
export function parseFault(input: unknown): FaultInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new FaultValidationError('a fault is a JSON object')
  const record = input as Record<string, unknown>
  const isApi = record.type === 'api' || (record.type === undefined && 'pathPattern' in record)
  const result = isApi ? apiFaultSchema.safeParse(record) : podFaultSchema.safeParse(record)
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') + ': ' : ''}${issue.message}`)
    throw new FaultValidationError(`invalid ${isApi ? 'API' : 'pod'} fault: ${problems.join('; ')}`)
  }
  if (isApi) {
    const fault = { ...(result.data as z.infer<typeof apiFaultSchema>), type: 'api' as const }
    compilePathPattern(fault.pathPattern) // reject a bad regular expression now, not per request
    return fault
  }
  return { ...(result.data as z.infer<typeof podFaultSchema>), type: 'pod' as const }
}

const compiledPatterns = new Map<string, RegExp>()

/** Whether a rule's pattern matches; a pattern that cannot run (faults.json edited by hand) matches nothing. */
function matchesPath(pattern: string, path: string): boolean {
  try {
    return pathPatternRegExp(pattern).test(path)
  } catch {
    return false
  }
}

/** compilePathPattern, memoized (the API asks on every request). */
function pathPatternRegExp(pattern: string): RegExp {
  let re = compiledPatterns.get(pattern)
  if (!re) {
    re = compilePathPattern(pattern)
    if (compiledPatterns.size > 1000) compiledPatterns.clear()
    compiledPatterns.set(pattern, re)
  }
  return re
}

/**
 * A glob (`*`, `**`, `?`) or a `^regex` as an anchored RegExp over the path. V8 compiles a RegExp on its first
 * use, so the pattern is run once here: one that is too large fails now, not on every request.
 */
export function compilePathPattern(pattern: string): RegExp {
  if (pattern.length > MAX_PATH_PATTERN_LENGTH) throw new FaultValidationError(`pathPattern is ${pattern.length} characters; at most ${MAX_PATH_PATTERN_LENGTH}`)
  try {
    const re = pattern.startsWith('^') ? new RegExp(pattern) : globRegExp(pattern)
    re.test('/')
    return re
  } catch (error) {
    throw new FaultValidationError(`invalid pathPattern: ${(error as Error).message.slice(0, 200)}`)
  }
}

function globRegExp(pattern: string): RegExp {
  let source = ''
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]
    if (ch === '*' && pattern[i + 1] === '*') {
      source += '.*'
      i++
    } else if (ch === '*') source += '[^/]*'
    else if (ch === '?') source += '[^/]'
    else source += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${source}$`)
}

/** The image tags of a pod's containers. */
function imageTagsOf(pod: PodLike): string[] {
  const containers = pod.spec?.containers ?? []
  return containers.map((c) => {
    const image = (c.image ?? '').split('@')[0]
    const lastSlash = image.lastIndexOf('/')
    const colon = image.indexOf(':', lastSlash + 1)
    return colon >= 0 ? image.slice(colon + 1) : 'latest'
  })
}

/** The parts of a pod the fault rules look at. */
export interface PodLike {
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string>; creationTimestamp?: string }
  spec?: { containers?: { image?: string }[] }
}

/** `podFaultMatches`: component label (or `*`), and the image tag when the fault names one. */
export function podFaultMatches(fault: PodFault, pod: PodLike): boolean {
  const component = pod.metadata.labels?.[ComponentLabel]
  if (fault.component !== '*' && fault.component !== component) return false
  // Timestamps have whole seconds, like a real API server's: a pod of the fault's own second counts as new.
  if (fault.createdAfter !== undefined && (pod.metadata.creationTimestamp ?? '') < fault.createdAfter) return false
  if (fault.podAnnotation !== undefined) {
    const at = fault.podAnnotation.indexOf('=')
    if (pod.metadata.annotations?.[fault.podAnnotation.slice(0, at)] !== fault.podAnnotation.slice(at + 1)) return false
  }
  return fault.imageTag === undefined || imageTagsOf(pod).includes(fault.imageTag)
}

/**
 * What an API fault does to one request: latency from every matching rule (the largest), and the
 * first rule whose error fires (errorRate, default always) decides status or drop.
 */
export function decideApiFault(faults: readonly ApiFault[], request: ApiFaultRequest, random: () => number = Math.random): ApiFaultDecision | undefined {
  // The control routes stay reachable whatever the rules say.
  if (request.path.startsWith('/_sandbox/')) return undefined
  let decision: ApiFaultDecision | undefined
  for (const fault of faults) {
    if (!matchesPath(fault.pathPattern, request.path)) continue
    decision ??= {}
    if (fault.latencyMs !== undefined) decision.latencyMs = Math.max(decision.latencyMs ?? 0, fault.latencyMs)
    const failing = fault.status !== undefined || fault.drop === true
    if (failing && decision.status === undefined && !decision.drop && random() < (fault.errorRate ?? 1)) {
      if (fault.drop) decision.drop = true
      else {
        decision.status = fault.status
        if (fault.retryAfterSeconds !== undefined) decision.retryAfter = fault.retryAfterSeconds
      }
    }
  }
  return decision
}

function newFaultId(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789'
  let suffix = ''
  for (let i = 0; i < 5; i++) suffix += alphabet[randomInt(alphabet.length)]
  return `fault-${suffix}`
}

/**
 * The active faults. Pod faults are read by the pod simulator and the simulated application; API
 * faults by the API server through `before` (the ApiFaultHook).
 */
export class FaultRegistry implements ApiFaultHook {
  private faults: Fault[] = []
  private readonly listeners = new Set<() => void>()
  private readonly random: () => number

  private constructor(
    private readonly dataDir: string | undefined,
    options: { random?: () => number } = {},
  ) {
    this.random = options.random ?? Math.random
  }

  /** An in-memory registry (unit tests), optionally with faults already in place. */
  static inMemory(faults: unknown[] = [], options: { random?: () => number } = {}): FaultRegistry {
    const registry = new FaultRegistry(undefined, options)
    for (const fault of faults) registry.add(fault)
    return registry
  }

  /** Loads faults.json from the data dir (absent: no faults; unreadable: no faults and a log line). */
  static load(dataDir: string, options: { random?: () => number; log?: (message: string) => void } = {}): FaultRegistry {
    const registry = new FaultRegistry(dataDir, options)
    let text: string | undefined
    try {
      text = readFileSync(join(dataDir, FAULTS_FILE), 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') options.log?.(`faults: cannot read ${FAULTS_FILE}: ${(error as Error).message}`)
    }
    if (text !== undefined) {
      try {
        const parsed = JSON.parse(text) as { faults?: unknown[] }
        for (const raw of parsed.faults ?? []) {
          const fault = parseFault(raw)
          registry.faults.push({ ...fault, id: fault.id ?? newFaultId() } as Fault)
        }
      } catch (error) {
        options.log?.(`faults: ignoring ${FAULTS_FILE}: ${(error as Error).message}`)
        registry.faults = []
      }
    }
    return registry
  }

  list(): Fault[] {
    return this.faults.map((f) => ({ ...f }))
  }

  podFaults(): PodFault[] {
    return this.faults.filter((f): f is PodFault => f.type === 'pod')
  }

  apiFaults(): ApiFault[] {
    return this.faults.filter((f): f is ApiFault => f.type === 'api')
  }

  /** The pod faults that apply to this pod, oldest rule first. */
  podFaultsFor(pod: PodLike): PodFault[] {
    return this.podFaults().filter((f) => podFaultMatches(f, pod))
  }

  /** Adds a fault (validated; an id is generated when absent; the same id replaces the old rule). */
  add(input: unknown): Fault {
    const parsed = parseFault(input)
    const fault = { ...parsed, id: parsed.id ?? newFaultId() } as Fault
    // Pods created from now on: the cut-off is this second (creation timestamps have whole seconds).
    if (fault.type === 'pod' && fault.newPodsOnly && fault.createdAfter === undefined) fault.createdAfter = formatTime(Date.now())
    const index = this.faults.findIndex((f) => f.id === fault.id)
    if (index >= 0) this.faults[index] = fault
    else if (this.faults.length >= MAX_FAULTS) throw new FaultValidationError(`at most ${MAX_FAULTS} fault rules at once; clear some first (mkt sandbox fault clear)`)
    else this.faults.push(fault)
    this.changed()
    return { ...fault }
  }

  /** Removes one fault; false when there was none with that id. */
  remove(id: string): boolean {
    const before = this.faults.length
    this.faults = this.faults.filter((f) => f.id !== id)
    if (this.faults.length === before) return false
    this.changed()
    return true
  }

  /** Removes every fault; returns how many there were. */
  clear(): number {
    const count = this.faults.length
    this.faults = []
    if (count > 0) this.changed()
    return count
  }

  /** What to do with one API request, or undefined to serve it normally. */
  decide(request: ApiFaultRequest): ApiFaultDecision | undefined {
    const faults = this.apiFaults()
    return faults.length === 0 ? undefined : decideApiFault(faults, request, this.random)
  }

  /** The ApiFaultHook (the server applies the latency, status or drop). */
  async before(request: { method: string; path: string }): Promise<ApiFaultDecision | undefined> {
    return this.decide(request)
  }

  /** Called after every change; returns an unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private changed(): void {
    this.persist()
    for (const listener of [...this.listeners]) listener()
  }

  /** faults.json, replaced atomically (temp file + rename), mode 0600. */
  private persist(): void {
    if (this.dataDir === undefined) return
    mkdirSync(this.dataDir, { recursive: true, mode: 0o700 })
    const path = join(this.dataDir, FAULTS_FILE)
    const temp = `${path}.tmp`
    writeFileSync(temp, `${JSON.stringify({ faults: this.faults }, null, 2)}\n`, { mode: 0o600 })
    renameSync(temp, path)
  }
}

// ---- Control routes: /_sandbox/faults --------------------------------------------------------------

function statusBody(code: number, reason: string, message: string): SandboxRouteResponse {
  return { status: code, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code } }
}

/** The id in `/_sandbox/faults/{id}` or `?id=`. */
function requestedId(request: SandboxRouteRequest): string | undefined {
  const fromPath = /^\/_sandbox\/faults\/([^/]+)$/.exec(request.path)?.[1]
  return fromPath !== undefined ? decodeURIComponent(fromPath) : (request.query.get('id') ?? undefined)
}

/**
 * The handlers of the fault control routes:
 * - `GET /_sandbox/faults` → `{ faults: [...] }`
 * - `POST /_sandbox/faults` with one fault (or an array) → 201 `{ fault }` (`{ faults }`)
 * - `DELETE /_sandbox/faults` → `{ deleted: n }`; with `?id=` (or `DELETE /_sandbox/faults/{id}`) one fault, 404 when unknown
 */
export function faultRoutes(registry: FaultRegistry): { list: (r: SandboxRouteRequest) => SandboxRouteResponse; add: (r: SandboxRouteRequest) => SandboxRouteResponse; remove: (r: SandboxRouteRequest) => SandboxRouteResponse } {
  return {
    list: () => ({ status: 200, body: { faults: registry.list() } }),
    add(request) {
      try {
        if (Array.isArray(request.json)) {
          const parsed = request.json.map(parseFault) // validate all before adding any
          return { status: 201, body: { faults: parsed.map((fault) => registry.add(fault)) } }
        }
        return { status: 201, body: { fault: registry.add(request.json) } }
      } catch (error) {
        if (error instanceof FaultValidationError) return statusBody(400, 'BadRequest', error.message)
        throw error
      }
    },
    remove(request) {
      const id = requestedId(request)
      if (id === undefined) return { status: 200, body: { deleted: registry.clear() } }
      if (!registry.remove(id)) return statusBody(404, 'NotFound', `fault "${id}" not found`)
      return { status: 200, body: { deleted: 1 } }
    },
  }
}

/**
 * Registers the fault routes on the running API server. Sandbox routes match exact paths, so
 * `DELETE /_sandbox/faults/{id}` is registered for each fault id as it appears (a route left behind
 * by a removed fault answers 404).
 */
export function registerFaultRoutes(api: SandboxApi, registry: FaultRegistry): () => void {
  const routes = faultRoutes(registry)
  api.registerSandboxRoute('GET', '/_sandbox/faults', routes.list)
  api.registerSandboxRoute('POST', '/_sandbox/faults', routes.add)
  api.registerSandboxRoute('DELETE', '/_sandbox/faults', routes.remove)
  const registered = new Set<string>()
  const registerIdRoutes = () => {
    for (const fault of registry.list()) {
      if (registered.has(fault.id)) continue
      registered.add(fault.id)
      api.registerSandboxRoute('DELETE', `/_sandbox/faults/${fault.id}`, routes.remove)
    }
  }
  registerIdRoutes()
  return registry.onChange(registerIdRoutes)
}
