// `mkt health`: reads every region's Deployments, pods and Services (three list calls per region), then probes
// every service's /health/ready and /health/live through the API server's service proxy (on the Service port
// that targets the container's port, as Kubernetes routes it) and /health/ready of each of its ready pods (so one
// bad pod among N is seen and named, not sampled at random), and every worker's through its pods, all at once
// with a bounded pool and a per-probe timeout, so the wall time is about the slowest probe rather than the sum.
import type { KubeConfig, V1Deployment, V1Pod, V1Service } from '@kubernetes/client-node'
import { withPool, withTimeout } from '../pool.js'
import { serviceBusFor } from '../azure/servicebus.js'
import { consumedEntities, readBacklog, type BacklogResult } from './backlog.js'
import { ExitCode, MktError, errorForExit, type ExitCodeValue } from '../errors.js'
import { connectRegion, loadKubeClient, regionsFromFlag, type ClusterConnection } from '../kube/client.js'
import { parseDuration } from '../duration.js'
import { resolveComponents } from '../platform/components.js'
import { toKubeError } from '../kube/errors.js'
import { closeKubeConnections, kubeGet } from '../kube/http.js'
import type { Component, Environment, Platform, Region } from '../platform/schema.js'
import { containerOf } from '../rollout/deploy.js'
import { isPodReady, isTerminating } from '../rollout/objects.js'
import { podsOf, serviceFor, servicePortFor } from './targets.js'
import { backlogTrend, hpaView, kedaTarget, scaledObjectView, scalerFor, type ScalingView } from './scaling.js'
import { componentRegionHealth, healthExitCode, rollUp, unreachableComponentRegion, withScaling, worst, type ComponentHealth, type ComponentRegionHealth, type HealthModel, type ProbeAnswer } from './report.js'
import { plural } from '../text.js'

export interface HealthOptions {
  platform: Platform
  environment: Environment
  components: Component[]
  regions: Region[]
  timeoutMs: number
  concurrency: number
}

/** The options of `mkt health` and `mkt health serve` from their shared flags. */
export function healthOptions(
  platform: Platform,
  environment: Environment,
  flags: { component?: string[]; regions?: string; timeout?: number; concurrency: number },
): HealthOptions {
  return {
    platform,
    environment,
    components: flags.component ? resolveComponents(platform, flags.component) : platform.components,
    regions: regionsFromFlag(environment, flags.regions),
    timeoutMs: flags.timeout ?? parseDuration(platform.defaults.timeouts.probe),
    concurrency: flags.concurrency,
  }
}

/** Pods probed one by one per component and region: enough to name the bad one, bounded for big Deployments. */
export const MAX_PODS_PROBED = 20

interface RegionRead {
  region: Region
  connection?: ClusterConnection
  deployments: Map<string, V1Deployment>
  pods: V1Pod[]
  services: V1Service[]
  /** HorizontalPodAutoscalers and KEDA ScaledObjects of the namespace (empty when the API does not serve them). */
  hpas: Array<Record<string, unknown>>
  scaledObjects: Array<Record<string, unknown>>
  /** The API server's clock (its Date header), for how long an HPA has been at its maximum. */
  serverNow: number
  error?: MktError
  /** When the lists were read (ISO 8601). */
  at: string
}

/** The items of a raw list; none when the API is not served (404: no KEDA installed) or cannot be read. */
async function listRaw(connection: ClusterConnection, path: string, timeoutMs: number): Promise<{ items: Array<Record<string, unknown>>; date?: string }> {
  const answer = await kubeGet(connection.kubeConfig, path, timeoutMs)
  if (answer.status !== 200) return { items: [] }
  try {
    const items = (JSON.parse(answer.body ?? '') as { items?: unknown }).items
    return { items: Array.isArray(items) ? (items as Array<Record<string, unknown>>) : [], date: answer.date }
  } catch {
    return { items: [] }
  }
}

async function readRegion(options: HealthOptions, region: Region): Promise<RegionRead> {
  const empty = { region, deployments: new Map<string, V1Deployment>(), pods: [] as V1Pod[], services: [] as V1Service[], hpas: [], scaledObjects: [], serverNow: Date.now() }
  let connection: ClusterConnection | undefined
  try {
    connection = await connectRegion(options.platform, options.environment, region)
    const k8s = await loadKubeClient()
    const apps = connection.kubeConfig.makeApiClient(k8s.AppsV1Api)
    const core = connection.kubeConfig.makeApiClient(k8s.CoreV1Api)
    const ns = encodeURIComponent(region.namespace)
    const [deployments, pods, services, hpas, scaledObjects] = await Promise.all([
      withTimeout(apps.listNamespacedDeployment({ namespace: region.namespace }), options.timeoutMs * 2, `listing deployments in region ${region.name}`),
      withTimeout(core.listNamespacedPod({ namespace: region.namespace }), options.timeoutMs * 2, `listing pods in region ${region.name}`),
      withTimeout(core.listNamespacedService({ namespace: region.namespace }), options.timeoutMs * 2, `listing services in region ${region.name}`),
      listRaw(connection, `/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers`, options.timeoutMs * 2),
      listRaw(connection, `/apis/keda.sh/v1alpha1/namespaces/${ns}/scaledobjects`, options.timeoutMs * 2),
    ])
    return {
      region,
      connection,
      deployments: new Map(deployments.items.map((d) => [d.metadata?.name ?? '', d])),
      pods: pods.items,
      services: services.items,
      hpas: hpas.items,
      scaledObjects: scaledObjects.items,
      serverNow: Date.parse(hpas.date ?? scaledObjects.date ?? '') || Date.now(),
      at: new Date().toISOString(),
    }
  } catch (error) {
    const failure = error instanceof MktError ? error : toKubeError(error, { region: region.name, server: connection?.server, action: 'read deployments and pods' })
    return { ...empty, error: failure, at: new Date().toISOString() }
  }
}

/** Where a component's probes go: the region's API server, and the Services of its namespace. */
export interface ProbeTarget {
  region: Region
  kubeConfig: KubeConfig
  services: readonly V1Service[]
}

/** The probes of one component in one region (not yet run): each resolves, never rejects. */
export function probesFor(component: Component, where: ProbeTarget, deployment: V1Deployment, pods: readonly V1Pod[], timeoutMs: number): Array<() => Promise<ProbeAnswer>> {
  const ns = encodeURIComponent(where.region.namespace)
  const get = (kind: ProbeAnswer['kind'], target: string, path: string, explainOnly = false) => async (): Promise<ProbeAnswer> => ({
    kind,
    target,
    ...(await kubeGet(where.kubeConfig, path, timeoutMs)),
    ...(explainOnly ? { explainOnly } : {}),
    at: new Date().toISOString(),
  })
  const podBase = (pod: V1Pod) => `/api/v1/namespaces/${ns}/pods/${encodeURIComponent(pod.metadata?.name ?? '')}:${component.port}/proxy`
  const tasks: Array<() => Promise<ProbeAnswer>> = []
  if (component.kind === 'service') {
    const service = serviceFor(component.name, deployment, [...where.services])
    const container = deployment.spec?.template?.spec?.containers?.find((c) => c.name === containerOf(component))
    const resolved = service ? servicePortFor(service, container, component.port) : undefined
    if (resolved && !resolved.ok) {
      // A Service that cannot reach the container is down for its clients, whatever the pods say.
      const reason = resolved.reason
      tasks.push(async () => ({ kind: 'ready', target: `service ${service!.metadata?.name}`, status: 'error', error: reason, durationMs: 0, at: new Date().toISOString() }))
    } else {
      // No Service at all: probe the conventional name and port, so the answer (404) says so.
      const base = `/api/v1/namespaces/${ns}/services/${encodeURIComponent(service?.metadata?.name ?? component.name)}:${resolved?.proxyPort ?? component.port}/proxy`
      const name = `service ${service?.metadata?.name ?? component.name}`
      tasks.push(get('ready', name, `${base}${component.health.ready}`), get('live', name, `${base}${component.health.live}`))
    }
    // Each ready pod (each ready endpoint) on its own, so one bad pod among N is named.
    const ready = pods.filter((p) => !isTerminating(p) && p.status?.podIP && isPodReady(p)).slice(0, MAX_PODS_PROBED)
    for (const pod of ready) tasks.push(get('ready', `pod ${pod.metadata?.name}`, `${podBase(pod)}${component.health.ready}`))
    // The Service only reaches ready pods; ask one running pod that is not ready why (its own report).
    const notReady = pods.find((p) => !isTerminating(p) && p.status?.phase === 'Running' && p.status?.podIP && !isPodReady(p))
    if (notReady) tasks.push(get('ready', `pod ${notReady.metadata?.name}`, `${podBase(notReady)}${component.health.ready}`, true))
  } else {
    // Workers serve no Service: ask each running pod.
    // A pod Kubernetes holds back as not ready explains, but only the ready ones speak for the worker.
    for (const pod of pods.filter((p) => !isTerminating(p) && p.status?.podIP).slice(0, MAX_PODS_PROBED)) {
      const explainOnly = !isPodReady(pod)
      tasks.push(get('ready', `pod ${pod.metadata?.name}`, `${podBase(pod)}${component.health.ready}`, explainOnly), get('live', `pod ${pod.metadata?.name}`, `${podBase(pod)}${component.health.live}`, explainOnly))
    }
  }
  if (component.healthUrl) tasks.push(() => directProbe(component.healthUrl!, timeoutMs))
  return tasks
}

async function directProbe(url: string, timeoutMs: number): Promise<ProbeAnswer> {
  const started = Date.now()
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
    return { kind: 'url', target: url, status: response.status, body: await response.text(), durationMs: Date.now() - started, at: new Date().toISOString() }
  } catch (error) {
    const message = (error as Error).name === 'TimeoutError' ? `timeout after ${timeoutMs / 1000} s` : (error as Error).message
    return { kind: 'url', target: url, status: 'error', error: message, durationMs: Date.now() - started, at: new Date().toISOString() }
  }
}

/** Backlog per component, when the environment has a Service Bus namespace and the component consumes from it. */
export async function readBacklogs(options: Pick<HealthOptions, 'platform' | 'environment' | 'components' | 'timeoutMs'>): Promise<Map<string, BacklogResult[]>> {
  const consumers = options.components.filter((c) => consumedEntities(c).length > 0)
  if (!options.environment.serviceBus || consumers.length === 0) return new Map()
  try {
    const { client } = await serviceBusFor(options.platform, options.environment)
    const results = await Promise.all(consumers.map(async (c) => [c.name, await readBacklog(client, options.platform, c, options.timeoutMs)] as const))
    return new Map(results)
  } catch (error) {
    const why = (error as Error).message.split('\n')[0]
    const at = new Date().toISOString()
    return new Map(consumers.map((c) => [c.name, [{ entity: consumedEntities(c).join(', '), active: null, deadLetter: null, health: 'Degraded' as const, summary: `backlog unknown: ${why}`, at }]]))
  }
}

/** Backlogs with the time they were read, for a trend between two reads. */
async function timedBacklogs(options: HealthOptions): Promise<{ at: number; backlogs: Map<string, BacklogResult[]> }> {
  const backlogs = await readBacklogs(options)
  return { at: Date.now(), backlogs }
}

/** The HPA or ScaledObject targeting the component's Deployment, judged (scaling.ts). */
function scalingOf(component: Component, read: RegionRead, deployment: V1Deployment, trends: Map<string, ReturnType<typeof backlogTrend>>): ScalingView | null {
  const hpa = scalerFor(component.name, read.hpas)
  if (hpa) return hpaView(hpa, read.serverNow)
  const scaledObject = scalerFor(component.name, read.scaledObjects)
  return scaledObject ? scaledObjectView(scaledObject, deployment.spec?.replicas ?? 1, trends.get(component.name) ?? null) : null
}

/**
 * For workers KEDA scales: the backlog of the ScaledObject's queue, sampled twice (the first read, and again
 * once the probes are done), as a trend next to KEDA's target.
 */
async function backlogTrends(options: HealthOptions, plan: Array<{ component: Component; read: RegionRead }>, first: Promise<{ at: number; backlogs: Map<string, BacklogResult[]> }>): Promise<Map<string, ReturnType<typeof backlogTrend>>> {
  const targets = new Map<string, { entity: string; messagesPerReplica: number }>()
  for (const { component, read } of plan) {
    const scaledObject = scalerFor(component.name, read.scaledObjects)
    const target = scaledObject ? kedaTarget(scaledObject) : undefined
    if (target) targets.set(component.name, target)
  }
  const earlier = await first
  const trends = new Map<string, ReturnType<typeof backlogTrend>>()
  const sampled = options.components.filter((c) => targets.has(c.name) && earlier.backlogs.has(c.name))
  if (sampled.length === 0) return trends
  const later = await timedBacklogs({ ...options, components: sampled })
  const overSeconds = (later.at - earlier.at) / 1000
  for (const component of sampled) {
    const target = targets.get(component.name)!
    const pick = (results: BacklogResult[] | undefined) => (results?.find((b) => b.entity === target.entity) ?? results?.[0])?.active ?? null
    trends.set(component.name, backlogTrend(target.entity, target.messagesPerReplica, pick(earlier.backlogs.get(component.name)), pick(later.backlogs.get(component.name)), overSeconds))
  }
  return trends
}

/** What is known of a region: reachable, or the error that says why not (and since when). */
export interface RegionState {
  region: Region
  error?: string
  /** What the region's error exits with (69 unreachable, 77 no credential…). */
  exitCode?: number
  at: string
}

/**
 * The model from per-region component lines (reachable regions), unreachable regions and backlogs: shared by
 * the one-shot check and the long-running `mkt health serve`.
 */
export function composeModel(
  options: Pick<HealthOptions, 'environment' | 'components' | 'regions'>,
  regionStates: readonly RegionState[],
  lineOf: (component: Component, region: Region) => ComponentRegionHealth,
  backlog: ReadonlyMap<string, BacklogResult[]>,
  durationMs: number,
): HealthModel {
  const states = new Map(regionStates.map((r) => [r.region.name, r]))
  const components: ComponentHealth[] = options.components.map((component) => {
    const regions = options.regions.map((region) => {
      const state = states.get(region.name)
      return state?.error !== undefined ? unreachableComponentRegion(region.name, state.at) : lineOf(component, region)
    })
    const own = backlog.get(component.name) ?? []
    return { name: component.name, kind: component.kind, health: worst(...regions.map((r) => r.health), ...own.map((b) => b.health)), regions, backlog: own }
  })
  const regions = options.regions.map((region) => {
    // The region's error is said once, on the region (it would be the same on every component's row).
    const state = states.get(region.name)
    return { region: region.name, reachable: state?.error === undefined, error: state?.error ?? null, exitCode: state?.exitCode ?? null }
  })
  return rollUp(options.environment.name, regions, components, durationMs, new Date().toISOString())
}

export async function checkHealth(options: HealthOptions): Promise<HealthModel> {
  const started = Date.now()
  const backlogs = timedBacklogs(options)
  const reads = await Promise.all(options.regions.filter((region) => !region.containerApps).map((region) => readRegion(options, region)))
  // Container Apps regions: one line per app, read through ARM (runtime/containerapps/health.ts).
  const appRegions = await containerAppsReads(options)
  // Every probe of every component in every region goes into one pool.
  const plan = new Map<string, { component: Component; read: RegionRead; pods: V1Pod[]; deployment: V1Deployment | undefined; first: number; count: number }>()
  const tasks: Array<() => Promise<ProbeAnswer>> = []
  for (const read of reads) {
    if (read.error) continue
    const target = { region: read.region, kubeConfig: read.connection!.kubeConfig, services: read.services }
    for (const component of options.components) {
      const deployment = read.deployments.get(component.name)
      const pods = deployment ? podsOf(deployment, read.pods) : []
      const probes = deployment ? probesFor(component, target, deployment, pods, options.timeoutMs) : []
      plan.set(`${read.region.name}/${component.name}`, { component, read, pods, deployment, first: tasks.length, count: probes.length })
      tasks.push(...probes)
    }
  }
  const answers = await withPool(tasks, options.concurrency)
  await Promise.all(reads.map((r) => (r.connection ? closeKubeConnections(r.connection.kubeConfig) : undefined)))
  const trends = await backlogTrends(options, [...plan.values()], backlogs)
  const lineOf = (component: Component, region: Region) => {
    const apps = appRegions.get(region.name)
    if (apps) return apps.lines.get(component.name)!
    const item = plan.get(`${region.name}/${component.name}`)!
    const health = componentRegionHealth(region.name, item.deployment, item.pods, answers.slice(item.first, item.first + item.count), item.read.at)
    return withScaling(health, item.deployment ? scalingOf(component, item.read, item.deployment, trends) : null)
  }
  const states = [
    ...reads.map((r) => ({ region: r.region, error: r.error?.message, exitCode: r.error?.exitCode, at: r.at })),
    ...options.regions.filter((r) => appRegions.has(r.name)).map((region) => ({ region, error: appRegions.get(region.name)!.error?.message, exitCode: appRegions.get(region.name)!.error?.exitCode, at: appRegions.get(region.name)!.at })),
  ]
  return composeModel(options, states, lineOf, (await backlogs).backlogs, Date.now() - started)
}

async function containerAppsReads(options: HealthOptions) {
  const regions = options.regions.filter((region) => region.containerApps)
  if (regions.length === 0) return new Map<string, never>()
  const [{ readContainerAppsHealth }, { openContainerApps }] = await Promise.all([import('../runtime/containerapps/health.js'), import('../runtime/containerapps/service.js')])
  const reads = await Promise.all(regions.map((region) => readContainerAppsHealth(() => openContainerApps(options.platform, options.environment, region), region, options.components, options.timeoutMs)))
  return new Map(regions.map((region, i) => [region.name, reads[i]!]))
}

/** The first unreachable region's error and its exit code (69 unreachable, 77 no credential…), if any. */
export function unreachableError(model: HealthModel): { message: string; exitCode: number } | undefined {
  const region = model.regions.find((r) => !r.reachable)
  return region ? { message: `region ${region.region} is unreachable: ${region.error}`, exitCode: region.exitCode ?? 69 } : undefined
}

/**
 * Why `mkt health` fails for this model (69 unreachable, 82 unhealthy or degraded with failOn), or nothing:
 * the same error whether the command prints it or `mkt health serve` puts it in its /health envelope.
 */
export function healthFailure(model: HealthModel, failOn: 'unhealthy' | 'degraded'): MktError | undefined {
  const unreachable = unreachableError(model)
  if (unreachable) {
    const exitCode = unreachable.exitCode as ExitCodeValue
    return errorForExit(exitCode, unreachable.message, {
      result: model,
      hints: [exitCode === ExitCode.AUTH ? 'Run `az login` (or check the pipeline identity), then retry.' : 'Check the cluster is up and reachable from here (VPN, firewall, credentials), then retry.'],
    })
  }
  if (healthExitCode(model, failOn) === 0) return undefined
  const bad = model.components.filter((c) => c.health === 'Unhealthy' || (failOn === 'degraded' && c.health === 'Degraded'))
  const first = bad[0]
  // A worker Unhealthy only from its backlog has no region saying so: its backlog explains it.
  const why = first ? `${first.name}: ${first.regions.find((r) => r.health === first.health)?.explanation ?? first.backlog.find((b) => b.health !== 'Healthy')?.summary ?? first.health}` : model.health
  return new MktError('UNHEALTHY', ExitCode.UNHEALTHY, `${model.environment} is ${model.health.toLowerCase()}: ${plural(bad.length, 'component')} (${why})`, {
    result: model,
    hints: ['`mkt health --details` shows pods, probes and every health entry.'],
  })
}
