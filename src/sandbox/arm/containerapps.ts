// The sandbox's Azure Container Apps (Microsoft.App/containerApps), as ARM serves them: apps with immutable
// revisions (a template change makes a new revision `<app>--<suffix>`), single or multiple active-revision mode,
// ingress traffic weights per revision (or `latestRevision`), revision activate/deactivate/restart, replicas with
// their containers' state, and an ETag per app honoured through If-Match. Writes (PUT, PATCH, DELETE) are
// long-running operations: the change is recorded at once, the app reads `InProgress` and the operation's
// Azure-AsyncOperation status URL reads `InProgress` until it finishes (OPERATION_MS later), as ARM does.
//
// Replicas are not stored: they follow from when the revision was (re)activated, the start delay, and the
// sandbox's pod fault rules, matched as if the replica were a pod labelled with the app's name and running the
// revision's image (so `mkt sandbox fault set <component> --image-tag …` applies to container apps too), answered
// by the same simulated application (app.ts) as the pods.
import { createHash, randomUUID } from 'node:crypto'
import { respond } from '../app.js'
import { ComponentLabel, type FaultRegistry } from '../faults.js'
import { INGRESS_DOMAIN } from '../tls.js'
import type { PodHttpResponse } from '../types.js'
import type { SeedComponent } from '../types.js'

/** Where the seeded apps live: the `containerapps` environment of the built-in mkt.yaml names these. */
export const SANDBOX_CONTAINERAPPS = {
  subscription: '00000000-0000-0000-0000-000000000000',
  resourceGroup: 'rg-marketplace-local',
  environment: 'cae-marketplace-local',
  location: 'local',
  defaultDomain: INGRESS_DOMAIN,
}
/** How long a write's long-running operation runs. */
export const OPERATION_MS = 1000
/** Revisions per page of `revisions` (ARM pages with nextLink; the size is the service's choice). */
export const REVISIONS_PAGE_SIZE = 5
const SEED_REPLICAS = 2

export interface ContainerSpec {
  name: string
  image: string
  probes?: Array<{ type?: string; httpGet?: { path?: string; port?: number }; [key: string]: unknown }>
  [key: string]: unknown
}

export interface TemplateSpec {
  revisionSuffix?: string
  containers: ContainerSpec[]
  scale?: { minReplicas?: number; maxReplicas?: number; [key: string]: unknown }
  [key: string]: unknown
}

export interface TrafficEntry {
  revisionName?: string
  weight?: number
  latestRevision?: boolean
  label?: string
}

export interface RevisionRecord {
  name: string
  createdTime: number
  /** When it was last activated (or restarted): its replicas start from here. */
  activatedAt: number
  lastActiveTime: number
  active: boolean
  template: TemplateSpec
}

export interface AppRecord {
  subscription: string
  resourceGroup: string
  name: string
  location: string
  tags: Record<string, string>
  etag: string
  managedEnvironmentId: string
  activeRevisionsMode: 'Single' | 'Multiple'
  ingress: { external: boolean; targetPort: number; traffic: TrafficEntry[] } | null
  template: TemplateSpec
  revisions: RevisionRecord[]
  /** The running operation's end, ms. */
  busyUntil: number
}

export interface Operation {
  id: string
  subscription: string
  appKey: string
  startedAt: number
  doneAt: number
  status: 'InProgress' | 'Succeeded' | 'Failed'
  error?: { code: string; message: string }
  deleted?: boolean
}

/** A request the ARM semantics refuse: status, ARM error code, message. */
export class ContainerAppsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

const APP_NAME = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/
const SUFFIX = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/

export const appKey = (subscription: string, resourceGroup: string, name: string) => `${subscription}/${resourceGroup}/${name}`.toLowerCase()
export const appId = (app: Pick<AppRecord, 'subscription' | 'resourceGroup' | 'name'>) => `/subscriptions/${app.subscription}/resourceGroups/${app.resourceGroup}/providers/Microsoft.App/containerApps/${app.name}`
export const environmentId = (subscription: string, resourceGroup: string, environment: string) => `/subscriptions/${subscription}/resourceGroups/${resourceGroup}/providers/Microsoft.App/managedEnvironments/${environment}`

const newEtag = () => `"${randomUUID()}"`
const randomSuffix = () => createHash('sha256').update(randomUUID()).digest('hex').slice(0, 7)

/** The document kept in containerapps.json. */
export interface ContainerAppsDocument {
  apps: AppRecord[]
}

export interface ContainerAppsOptions {
  faults?: FaultRegistry
  now: () => number
  /** How long a replica's container takes to start. */
  startDelayMs: number
}

export class ContainerApps {
  private readonly apps = new Map<string, AppRecord>()
  private readonly operations = new Map<string, Operation>()

  constructor(
    private readonly options: ContainerAppsOptions,
    document?: ContainerAppsDocument,
  ) {
    for (const app of document?.apps ?? []) this.apps.set(appKey(app.subscription, app.resourceGroup, app.name), app)
  }

  get now(): number {
    return this.options.now()
  }

  /** The seeded apps: one per component in the sandbox environment, its first revision serving 100% and running. */
  seed(components: readonly SeedComponent[]): void {
    const { subscription, resourceGroup, environment, location } = SANDBOX_CONTAINERAPPS
    const started = this.now - this.options.startDelayMs
    for (const component of components) {
      const template: TemplateSpec = {
        containers: [
          {
            name: component.name,
            image: component.image,
            resources: { cpu: 0.5, memory: '1Gi' },
            probes: [
              { type: 'Liveness', httpGet: { path: '/health/live', port: component.port }, periodSeconds: 5, failureThreshold: 3 },
              { type: 'Readiness', httpGet: { path: '/health/ready', port: component.port }, periodSeconds: 5, failureThreshold: 3 },
            ],
          },
        ],
        scale: { minReplicas: SEED_REPLICAS, maxReplicas: 10 },
      }
      const suffix = randomSuffix()
      this.apps.set(appKey(subscription, resourceGroup, component.name), {
        subscription,
        resourceGroup,
        name: component.name,
        location,
        tags: {},
        etag: newEtag(),
        managedEnvironmentId: environmentId(subscription, resourceGroup, environment),
        activeRevisionsMode: 'Multiple',
        ingress: { external: component.kind === 'service', targetPort: component.port, traffic: [{ latestRevision: true, weight: 100 }] },
        template,
        revisions: [{ name: `${component.name}--${suffix}`, createdTime: started, activatedAt: started, lastActiveTime: started, active: true, template: { ...template, revisionSuffix: suffix } }],
        busyUntil: 0,
      })
    }
  }

  toDocument(): ContainerAppsDocument {
    return { apps: [...this.apps.values()] }
  }

  get(subscription: string, resourceGroup: string, name: string): AppRecord {
    const app = this.apps.get(appKey(subscription, resourceGroup, name))
    if (!app) throw notFound(`Microsoft.App/containerApps/${name}`, resourceGroup)
    return app
  }

  list(subscription: string, resourceGroup: string | undefined): AppRecord[] {
    return [...this.apps.values()].filter((a) => a.subscription.toLowerCase() === subscription.toLowerCase() && (resourceGroup === undefined || a.resourceGroup.toLowerCase() === resourceGroup.toLowerCase()))
  }

  operation(id: string): Operation | undefined {
    const op = this.operations.get(id)
    if (op && op.status === 'InProgress' && this.now >= op.doneAt) op.status = 'Succeeded'
    return op
  }

  /** PUT: creates the app or replaces it (a changed template makes a new revision). */
  put(subscription: string, resourceGroup: string, name: string, body: unknown, ifMatch: string | undefined): { app: AppRecord; created: boolean; operation: Operation } {
    const key = appKey(subscription, resourceGroup, name)
    const existing = this.apps.get(key)
    checkPrecondition(existing?.etag, ifMatch)
    if (!APP_NAME.test(name) || name.includes('--')) {
      throw new ContainerAppsError(400, 'ContainerAppInvalidName', `Invalid ContainerApp name '${name}'. A name must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character and cannot have '--'. The length must not be more than 32 characters.`)
    }
    const envelope = asObject(body, 'the request body')
    const properties = asObject(envelope.properties ?? {}, 'properties')
    const environment = (properties.managedEnvironmentId ?? properties.environmentId) as unknown
    if (typeof environment !== 'string' || environment.length === 0) throw new ContainerAppsError(400, 'InvalidRequestContent', "The request content was invalid: 'properties.managedEnvironmentId' is required.")
    const configuration = asObject(properties.configuration ?? {}, 'properties.configuration')
    const template = parseTemplate(properties.template)
    const ingress = configuration.ingress === undefined || configuration.ingress === null ? null : asObject(configuration.ingress, 'properties.configuration.ingress')
    const app: AppRecord = existing ?? {
      subscription,
      resourceGroup,
      name,
      location: typeof envelope.location === 'string' ? envelope.location : SANDBOX_CONTAINERAPPS.location,
      tags: {},
      etag: newEtag(),
      managedEnvironmentId: environment,
      activeRevisionsMode: 'Single',
      ingress: null,
      template,
      revisions: [],
      busyUntil: 0,
    }
    const next: AppRecord = {
      ...app,
      tags: parseTags(envelope.tags),
      managedEnvironmentId: environment,
      activeRevisionsMode: parseMode(configuration.activeRevisionsMode) ?? 'Single',
      ingress: ingress === null ? null : { external: ingress.external === true, targetPort: Number(ingress.targetPort ?? 80), traffic: parseTraffic(ingress.traffic) ?? [{ latestRevision: true, weight: 100 }] },
      template,
      revisions: [...app.revisions],
    }
    this.apply(key, next, existing === undefined || templateChanged(app.template, template))
    return { app: next, created: existing === undefined, operation: this.startOperation(subscription, key) }
  }

  /** PATCH: a JSON merge patch of the app (RFC 7396: objects merge, arrays and scalars replace). */
  patch(subscription: string, resourceGroup: string, name: string, body: unknown, ifMatch: string | undefined): { app: AppRecord; operation: Operation } {
    const key = appKey(subscription, resourceGroup, name)
    const app = this.get(subscription, resourceGroup, name)
    checkPrecondition(app.etag, ifMatch)
    const current = this.view(app)
    const merged = mergePatch({ tags: current.tags, properties: { configuration: current.properties.configuration, template: app.template } }, body) as Record<string, unknown>
    const properties = asObject(merged.properties ?? {}, 'properties')
    const configuration = asObject(properties.configuration ?? {}, 'properties.configuration')
    const template = parseTemplate(properties.template)
    const ingress = configuration.ingress === undefined || configuration.ingress === null ? null : asObject(configuration.ingress, 'properties.configuration.ingress')
    const next: AppRecord = {
      ...app,
      tags: parseTags(merged.tags),
      activeRevisionsMode: parseMode(configuration.activeRevisionsMode) ?? app.activeRevisionsMode,
      ingress: ingress === null ? null : { external: ingress.external === true, targetPort: Number(ingress.targetPort ?? 80), traffic: parseTraffic(ingress.traffic) ?? [{ latestRevision: true, weight: 100 }] },
      template,
      revisions: [...app.revisions],
    }
    this.apply(key, next, templateChanged(app.template, template))
    return { app: next, operation: this.startOperation(subscription, key) }
  }

  delete(subscription: string, resourceGroup: string, name: string): Operation | undefined {
    const key = appKey(subscription, resourceGroup, name)
    if (!this.apps.has(key)) return undefined
    this.apps.delete(key)
    const operation = this.startOperation(subscription, key)
    operation.deleted = true
    return operation
  }

  /** POST revisions/{name}/activate|deactivate|restart. */
  revisionAction(app: AppRecord, revisionName: string, action: 'activate' | 'deactivate' | 'restart'): void {
    const revision = this.revision(app, revisionName)
    const now = this.now
    if (action === 'deactivate') {
      if (trafficWeightOf(app, revision) > 0) {
        throw new ContainerAppsError(400, 'ContainerAppRevisionHasTraffic', `Revision '${revision.name}' cannot be deactivated: it receives ${trafficWeightOf(app, revision)}% of the traffic. Move its traffic to another revision first.`)
      }
      if (revision.active) revision.lastActiveTime = now
      revision.active = false
    } else if (action === 'activate') {
      if (!revision.active) revision.activatedAt = now
      revision.active = true
      revision.lastActiveTime = now
    } else {
      if (!revision.active) throw new ContainerAppsError(400, 'ContainerAppRevisionNotActive', `Revision '${revision.name}' is not active; activate it before restarting it.`)
      revision.activatedAt = now
    }
    app.etag = newEtag()
  }

  revision(app: AppRecord, revisionName: string): RevisionRecord {
    const revision = app.revisions.find((r) => r.name.toLowerCase() === revisionName.toLowerCase())
    if (!revision) throw notFound(`Microsoft.App/containerApps/${app.name}/revisions/${revisionName}`, app.resourceGroup)
    return revision
  }

  /** Records `next` as the app, with a new revision when the template changed, after checking its traffic. */
  private apply(key: string, next: AppRecord, newRevision: boolean): void {
    const now = this.now
    if (newRevision) {
      const suffix = next.template.revisionSuffix ?? randomSuffix()
      if (!SUFFIX.test(suffix)) throw new ContainerAppsError(400, 'ContainerAppInvalidRevisionSuffix', `Invalid revision suffix '${suffix}': lower case alphanumeric characters or '-', starting and ending with an alphanumeric character.`)
      const name = `${next.name}--${suffix}`
      if (next.revisions.some((r) => r.name === name)) {
        throw new ContainerAppsError(400, 'ContainerAppRevisionSuffixConflict', `The revision '${name}' already exists: a template change needs a new revisionSuffix (or none, for a generated one).`)
      }
      if (next.activeRevisionsMode === 'Single') {
        for (const r of next.revisions) r.active = false
      }
      next.revisions = next.revisions.map((r) => ({ ...r }))
      next.revisions.push({ name, createdTime: now, activatedAt: now, lastActiveTime: now, active: true, template: { ...next.template, revisionSuffix: suffix } })
    }
    if (next.activeRevisionsMode === 'Single' && next.ingress) next.ingress.traffic = [{ latestRevision: true, weight: 100 }]
    if (next.ingress) checkTraffic(next)
    next.etag = newEtag()
    this.apps.set(key, next)
  }

  private startOperation(subscription: string, key: string): Operation {
    const now = this.now
    const operation: Operation = { id: randomUUID(), subscription, appKey: key, startedAt: now, doneAt: now + OPERATION_MS, status: 'InProgress' }
    this.operations.set(operation.id, operation)
    const app = this.apps.get(key)
    if (app) app.busyUntil = operation.doneAt
    // Operations are polled for a while after they end; older ones are forgotten (ARM keeps them for hours).
    if (this.operations.size > 1000) this.operations.delete(this.operations.keys().next().value!)
    return operation
  }

  // ---- Ingress: `https://<revision or app>.<defaultDomain>/…` ---------------------------------------

  /**
   * A request to an app's or a revision's FQDN, answered by one running replica of the revision (an app's FQDN:
   * the revision with most traffic), as Envoy would route it; undefined when the host is not the environment's.
   */
  ingress(host: string, method: string, path: string): PodHttpResponse | undefined {
    const name = host.toLowerCase().split(':')[0]!
    if (!name.endsWith(`.${SANDBOX_CONTAINERAPPS.defaultDomain}`)) return undefined
    const label = name.slice(0, -SANDBOX_CONTAINERAPPS.defaultDomain.length - 1)
    const notFound: PodHttpResponse = { status: 404, headers: { 'content-type': 'text/plain' }, body: `Error 404 - This Container App could not be found (${label}).` }
    const [appName] = label.split('--')
    const app = [...this.apps.values()].find((a) => a.name === appName && a.ingress)
    if (!app) return notFound
    const revision = label.includes('--')
      ? app.revisions.find((r) => r.name === label)
      : [...app.revisions].reverse().reduce<RevisionRecord | undefined>((best, r) => (r.active && (best === undefined || trafficWeightOf(app, r) > trafficWeightOf(app, best)) ? r : best), undefined)
    if (!revision) return notFound
    const unavailable: PodHttpResponse = { status: 503, headers: { 'content-type': 'text/plain' }, body: 'upstream connect error or disconnect/reset before headers. reset reason: connection failure' }
    if (!revision.active) return unavailable
    const replica = this.replica(app, revision, 0)
    const container = replica.properties.containers[0]
    if (!container || container.runningState !== 'Running') return unavailable
    const faults = this.faultsFor(app, revision, revision.template.containers[0]!)
    return respond(method.toUpperCase(), path, faults, { startedAt: revision.activatedAt + this.options.startDelayMs, now: this.now })
  }

  private faultsFor(app: AppRecord, revision: RevisionRecord, container: ContainerSpec) {
    return (
      this.options.faults?.podFaultsFor({
        metadata: { labels: { [ComponentLabel]: app.name }, annotations: {}, creationTimestamp: new Date(revision.activatedAt).toISOString().replace(/\.\d{3}Z$/, 'Z') },
        spec: { containers: [{ image: container.image }] },
      }) ?? []
    )
  }

  // ---- Views (the JSON ARM returns) -------------------------------------------------------------

  view(app: AppRecord): { id: string; name: string; type: string; location: string; tags: Record<string, string>; properties: Record<string, unknown> & { configuration: Record<string, unknown> } } {
    const latest = app.revisions.at(-1)
    const ready = [...app.revisions].reverse().find((r) => this.revisionState(app, r).healthState === 'Healthy')
    const fqdn = app.ingress ? `${app.name}.${SANDBOX_CONTAINERAPPS.defaultDomain}` : undefined
    return {
      id: appId(app),
      name: app.name,
      type: 'Microsoft.App/containerApps',
      location: app.location,
      tags: { ...app.tags },
      properties: {
        provisioningState: this.now < app.busyUntil ? 'InProgress' : 'Succeeded',
        runningStatus: 'Running',
        managedEnvironmentId: app.managedEnvironmentId,
        environmentId: app.managedEnvironmentId,
        workloadProfileName: 'Consumption',
        latestRevisionName: latest?.name ?? '',
        latestReadyRevisionName: ready?.name ?? '',
        latestRevisionFqdn: latest && app.ingress ? `${latest.name}.${SANDBOX_CONTAINERAPPS.defaultDomain}` : '',
        customDomainVerificationId: createHash('sha256').update(appId(app)).digest('hex').toUpperCase(),
        configuration: {
          secrets: null,
          activeRevisionsMode: app.activeRevisionsMode,
          ingress: app.ingress
            ? { fqdn, external: app.ingress.external, targetPort: app.ingress.targetPort, exposedPort: 0, transport: 'Auto', traffic: app.ingress.traffic.map((t) => ({ ...t })), allowInsecure: false, stickySessions: { affinity: 'none' } }
            : null,
          registries: null,
          dapr: null,
          maxInactiveRevisions: 100,
        },
        template: app.template,
        outboundIpAddresses: ['127.0.0.1'],
        eventStreamEndpoint: `https://${SANDBOX_CONTAINERAPPS.location}.azurecontainerapps.dev/subscriptions/${app.subscription}/resourceGroups/${app.resourceGroup}/containerApps/${app.name}/eventstream`,
      },
    }
  }

  revisionView(app: AppRecord, revision: RevisionRecord): Record<string, unknown> {
    const state = this.revisionState(app, revision)
    return {
      id: `${appId(app)}/revisions/${revision.name}`,
      name: revision.name,
      type: 'Microsoft.App/containerApps/revisions',
      properties: {
        createdTime: new Date(revision.createdTime).toISOString(),
        lastActiveTime: new Date(revision.active ? this.now : revision.lastActiveTime).toISOString(),
        fqdn: app.ingress ? `${revision.name}.${SANDBOX_CONTAINERAPPS.defaultDomain}` : '',
        template: revision.template,
        active: revision.active,
        replicas: state.replicas.length,
        trafficWeight: trafficWeightOf(app, revision),
        provisioningError: state.provisioningError,
        healthState: state.healthState,
        provisioningState: state.provisioningState,
        runningState: state.runningState,
      },
    }
  }

  replicaViews(app: AppRecord, revision: RevisionRecord): Record<string, unknown>[] {
    return this.revisionState(app, revision).replicas
  }

  /** The revision's replicas and what they add up to, now. */
  private revisionState(app: AppRecord, revision: RevisionRecord) {
    if (!revision.active) return { replicas: [], healthState: 'None', provisioningState: 'Deprovisioned', runningState: 'Stopped', provisioningError: null as string | null }
    const count = Math.max(1, revision.template.scale?.minReplicas ?? 0)
    const replicas = Array.from({ length: count }, (_, index) => this.replica(app, revision, index))
    const containers = replicas.flatMap((r) => r.properties.containers)
    const pullFailure = containers.find((c) => c.runningStateDetails.startsWith('ImagePullBackOff'))
    const crashing = containers.some((c) => c.runningStateDetails.startsWith('CrashLoopBackOff'))
    const starting = containers.some((c) => c.runningStateDetails === 'ContainerCreating')
    const allReady = containers.every((c) => c.ready)
    return {
      replicas,
      healthState: allReady ? 'Healthy' : 'Unhealthy',
      provisioningState: pullFailure ? 'Failed' : starting ? 'Provisioning' : 'Provisioned',
      runningState: pullFailure ? 'Failed' : starting ? 'Activating' : crashing ? 'Degraded' : 'Running',
      provisioningError: pullFailure ? `Failed to provision revision for container app '${app.name}'. Error details: ${pullFailure.runningStateDetails}` : null,
    }
  }

  private replica(app: AppRecord, revision: RevisionRecord, index: number) {
    const hash = createHash('sha256').update(`${revision.name}/${revision.activatedAt}`).digest('hex')
    const name = `${revision.name}-${hash.slice(0, 10)}-${hash.slice(10 + index * 5, 15 + index * 5)}`
    const startAt = revision.activatedAt + this.options.startDelayMs
    const now = this.now
    const containers = revision.template.containers.map((container) => {
      const faults = this.faultsFor(app, revision, container)
      const base = { name: container.name, containerId: `containerd://${hash.slice(20, 52)}`, logStreamEndpoint: '', execEndpoint: '' }
      if (faults.some((f) => f.kind === 'image-pull-error')) {
        return { ...base, ready: false, started: false, restartCount: 0, runningState: 'Waiting', runningStateDetails: `ImagePullBackOff: Back-off pulling image "${container.image}"` }
      }
      if (now < startAt) return { ...base, ready: false, started: false, restartCount: 0, runningState: 'Waiting', runningStateDetails: 'ContainerCreating' }
      if (faults.some((f) => f.kind === 'crashloop')) {
        return { ...base, ready: false, started: false, restartCount: 1 + Math.floor((now - startAt) / 10_000), runningState: 'Waiting', runningStateDetails: 'CrashLoopBackOff: back-off restarting failed container' }
      }
      const readiness = container.probes?.find((p) => p.type === 'Readiness')?.httpGet?.path ?? '/health/ready'
      const ready = respond('GET', readiness, faults, { startedAt: startAt, now }).status < 400
      return { ...base, ready, started: true, restartCount: 0, runningState: 'Running', runningStateDetails: ready ? 'Ready' : `Readiness probe failed: HTTP probe failed with statuscode: 503` }
    })
    return {
      id: `${appId(app)}/revisions/${revision.name}/replicas/${name}`,
      name,
      type: 'Microsoft.App/containerApps/revisions/replicas',
      properties: {
        createdTime: new Date(revision.activatedAt).toISOString(),
        runningState: containers.every((c) => c.runningState === 'Running') ? 'Running' : 'NotRunning',
        runningStateDetails: containers.every((c) => c.runningState === 'Running') ? '' : (containers.find((c) => c.runningState !== 'Running')?.runningStateDetails ?? ''),
        containers,
        initContainers: [],
      },
    }
  }
}

export function trafficWeightOf(app: AppRecord, revision: RevisionRecord): number {
  const latest = app.revisions.at(-1)
  return (app.ingress?.traffic ?? []).reduce((sum, t) => sum + ((t.latestRevision && latest === revision) || t.revisionName === revision.name ? (t.weight ?? 0) : 0), 0)
}

function checkTraffic(app: AppRecord): void {
  const traffic = app.ingress!.traffic
  const total = traffic.reduce((sum, t) => sum + (t.weight ?? 0), 0)
  if (total !== 100) throw new ContainerAppsError(400, 'ContainerAppInvalidTrafficWeight', `The traffic weights of container app '${app.name}' add up to ${total}; they must add up to 100.`)
  for (const entry of traffic) {
    if (entry.latestRevision) continue
    const revision = app.revisions.find((r) => r.name === entry.revisionName)
    if (!revision) throw new ContainerAppsError(400, 'ContainerAppRevisionNotFound', `Traffic names revision '${entry.revisionName ?? ''}', which container app '${app.name}' does not have.`)
    if (!revision.active && (entry.weight ?? 0) > 0) throw new ContainerAppsError(400, 'ContainerAppRevisionNotActive', `Revision '${revision.name}' is not active; activate it before sending it traffic.`)
  }
}

function checkPrecondition(etag: string | undefined, ifMatch: string | undefined): void {
  if (ifMatch === undefined) return
  if (ifMatch.trim() === '*' ? etag !== undefined : etag === ifMatch.trim()) return
  throw new ContainerAppsError(412, 'PreconditionFailed', `The condition specified using HTTP conditional header(s) is not met: the resource's ETag is not ${ifMatch.trim()}.`)
}

function notFound(type: string, resourceGroup: string): ContainerAppsError {
  return new ContainerAppsError(404, 'ResourceNotFound', `The Resource '${type}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`)
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ContainerAppsError(400, 'InvalidRequestContent', `The request content was invalid: ${what} must be an object.`)
  return value as Record<string, unknown>
}

function parseTemplate(value: unknown): TemplateSpec {
  const template = asObject(value ?? {}, 'properties.template')
  const containers = template.containers
  if (!Array.isArray(containers) || containers.length === 0) throw new ContainerAppsError(400, 'ContainerAppInvalidTemplate', 'properties.template.containers must name at least one container.')
  for (const c of containers as Array<Record<string, unknown>>) {
    if (typeof c?.image !== 'string' || c.image.length === 0 || typeof c.name !== 'string' || c.name.length === 0) {
      throw new ContainerAppsError(400, 'ContainerAppInvalidTemplate', 'Every container of properties.template.containers needs a name and an image.')
    }
  }
  return JSON.parse(JSON.stringify(template)) as TemplateSpec
}

function parseTags(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {}
  const tags = asObject(value, 'tags')
  const entries = Object.entries(tags).filter(([, v]) => v !== null)
  if (entries.length > 50) throw new ContainerAppsError(400, 'InvalidTagCount', 'A resource can have at most 50 tags.')
  for (const [name, v] of entries) {
    if (typeof v !== 'string' || name.length > 512 || v.length > 256 || /[<>%&\\?/]/.test(name)) {
      throw new ContainerAppsError(400, 'InvalidTagNameCharacters', `The tag '${name.slice(0, 64)}' is not valid: names are at most 512 characters without <, >, %, &, \\, ? or /, values strings of at most 256.`)
    }
  }
  return Object.fromEntries(entries) as Record<string, string>
}

function parseMode(value: unknown): 'Single' | 'Multiple' | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'string' && /^(single|multiple)$/i.test(value)) return value.toLowerCase() === 'single' ? 'Single' : 'Multiple'
  throw new ContainerAppsError(400, 'InvalidRequestContent', `activeRevisionsMode must be Single or Multiple, not '${String(value)}'.`)
}

function parseTraffic(value: unknown): TrafficEntry[] | undefined {
  if (value === undefined || value === null) return undefined
  if (!Array.isArray(value)) throw new ContainerAppsError(400, 'InvalidRequestContent', 'properties.configuration.ingress.traffic must be an array.')
  return value.map((raw) => {
    const t = asObject(raw, 'a traffic entry')
    return {
      ...(typeof t.revisionName === 'string' ? { revisionName: t.revisionName } : {}),
      weight: Number(t.weight ?? 0),
      ...(t.latestRevision === true ? { latestRevision: true } : {}),
      ...(typeof t.label === 'string' ? { label: t.label } : {}),
    }
  })
}

/** Any change to the template (revision-scope) makes a new revision; configuration changes (traffic, tags) do not. */
function templateChanged(before: TemplateSpec, after: TemplateSpec): boolean {
  return JSON.stringify(before) !== JSON.stringify(after)
}

/** RFC 7396 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch
  const result: Record<string, unknown> = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {}
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key]
    else result[key] = mergePatch(result[key], value)
  }
  return result
}
