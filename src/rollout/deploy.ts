// `mkt deploy service` and `config push --restart`: read every region and plan, then hand the release to the
// state machine in release.ts (lock, waves, gates, verdicts, one compensation path) over KubeExecutors.
import type { V1Deployment } from '@kubernetes/client-node'
import { failedError, lockedError, type ExitCodeValue } from '../errors.js'
import { connectRegion } from '../kube/client.js'
import { deadOnThisHost, listLocks } from '../kube/lock.js'
import type { Component, Environment, Platform, Region } from '../platform/schema.js'
import { RegionCluster } from './cluster.js'
import type { ContainerAppsRegion } from '../runtime/containerapps/apps.js'
import { KubeExecutor, type AnyExecutor } from './executor.js'
import { revisionOf } from './objects.js'
import { canaryStartPatch, releaseAnnotations, rolloutPatch, STRATEGIC_MERGE_PATCH, type PatchRequest, type ReleaseAudit } from './patches.js'
import { hasChanges, planDeploy, type CurrentState, type PlanEntry, type Strategy } from './plan.js'
import { releaseSpec, runRelease, type EventSink, type ItemResult, type RolloutBudgets } from './release.js'

export { exitCodeFor, type EventSink, type ItemOutcome, type ItemResult, type RolloutEvent, type StepKind } from './release.js'

export interface DeployRequest extends RolloutBudgets {
  platform: Platform
  environment: Environment
  components: Component[]
  /** Regions in rollout order (primary first). */
  regions: Region[]
  componentWaves: string[][]
  image: string
  strategy: Strategy
  canarySteps?: number[]
  autoRollback: boolean
  onInterrupt: 'rollback' | 'pause'
  audit: ReleaseAudit
  identity: string
  signal: AbortSignal
  onEvent: EventSink
  /** Seconds between readiness probe rounds (tests speed this up). */
  probeIntervalMs?: number
  /** Container Apps: switch a single-revision app to multiple-revision mode (--yes). */
  switchSingleRevisionMode?: boolean
}

export interface DeployResult {
  environment: string
  image: string
  strategy: Strategy
  changed: boolean
  exitCode: ExitCodeValue
  items: ItemResult[]
  /** The first failure, `region/component: reason` (empty when the release passed). */
  failure: string
}

/** A region and its runtime: a Kubernetes cluster, or Container Apps. */
export type Connected = { region: Region; cluster: RegionCluster; apps?: undefined } | { region: Region; apps: ContainerAppsRegion; cluster?: undefined }

async function connect(platform: Platform, environment: Environment, region: Region): Promise<Connected> {
  if (region.containerApps) {
    const { openContainerApps } = await import('../runtime/containerapps/service.js')
    return { region, apps: await openContainerApps(platform, environment, region) }
  }
  return { region, cluster: await RegionCluster.open(await connectRegion(platform, environment, region)) }
}

/** Connects to every region and reads what each component runs now. Changes nothing. */
export async function readCurrent(request: { platform: Platform; environment: Environment; regions: Region[]; components: Component[] }) {
  const connected: Connected[] = await Promise.all(request.regions.map((region) => connect(request.platform, request.environment, region)))
  const current: Record<string, Record<string, CurrentState>> = {}
  const deployments = new Map<string, V1Deployment>()
  await Promise.all(
    connected.flatMap(({ region, cluster, apps }) =>
      request.components.map(async (component) => {
        current[region.name] ??= {}
        if (apps) {
          const { currentOf } = await import('../runtime/containerapps/service.js')
          current[region.name]![component.name] = await currentOf(apps, component)
          return
        }
        const deployment = await cluster.readDeployment(component.name)
        if (!deployment) {
          current[region.name]![component.name] = 'missing'
          return
        }
        deployments.set(key(region.name, component.name), deployment)
        const container = deployment.spec?.template?.spec?.containers?.find((c) => c.name === containerOf(component))
        current[region.name]![component.name] = {
          image: container?.image,
          revision: revisionOf(deployment),
          paused: deployment.spec?.paused === true,
          replicas: deployment.spec?.replicas ?? 1,
          strategyType: deployment.spec?.strategy?.type,
          autoscaler: await cluster.autoscalerOf(component.name),
        }
      }),
    ),
  )
  return { connected, current, deployments }
}

/** Connects to every region and reads what each component runs now, then plans. Changes nothing. */
export async function prepareDeploy(request: Omit<DeployRequest, 'onEvent' | 'signal' | 'identity' | 'audit' | 'autoRollback' | 'onInterrupt' | 'rollbackTimeoutMs' | 'timeoutMs'>) {
  const { connected, current, deployments } = await readCurrent(request)
  const plan = planDeploy({
    components: request.components.map((c) => ({ name: c.name, container: containerOf(c), ...(c.image ? { repository: c.image } : {}) })),
    regions: request.regions.map((r) => r.name),
    current,
    targetImage: request.image,
    strategy: request.strategy,
    ...(request.canarySteps ? { canarySteps: request.canarySteps } : {}),
    bakeMs: request.bakeMs,
    componentWaves: request.componentWaves,
  })
  return { plan, connected, deployments, components: request.components }
}

export const containerOf = (component: Component) => component.container ?? component.name
/** Key of `deployments` in what readCurrent and prepareDeploy return. */
export const deploymentKey = (region: string, component: string) => `${region}\u0000${component}`
const key = deploymentKey

/** Fails with exit 73 when another operation holds the lock of a planned component (even an unchanged one). Read-only. */
export async function assertNotLocked(prepared: Awaited<ReturnType<typeof prepareDeploy>>, environment: string): Promise<void> {
  const items = prepared.plan.regions.flatMap((r) => r.components.map((e) => ({ region: r.region, component: e.component })))
  await assertUnlocked(prepared.connected, items, environment, { components: prepared.components })
}

/**
 * Fails with exit 73 naming the holder when another operation holds the lock of one of `items`. Read-only.
 * With `takeOverDead`, a lock whose holder died on this host counts as free: acquiring it takes it over.
 */
export async function assertUnlocked(
  connected: Connected[],
  items: Array<{ region: string; component: string }>,
  environment: string,
  options: { components: Component[]; takeOverDead?: boolean; hint?: string },
): Promise<void> {
  for (const { region, cluster, apps } of connected) {
    for (const item of items.filter((i) => i.region === region.name)) {
      if (apps) {
        const { heldLockOf } = await import('../runtime/containerapps/service.js')
        const { describeHeld } = await import('../runtime/containerapps/lock.js')
        const component = options.components.find((c) => c.name === item.component)!
        const held = await heldLockOf(apps, component)
        if (held && !(options.takeOverDead && deadOnThisHost(held.holder))) throw lockedError(describeHeld(item.component, environment, held), { hints: [options.hint ?? 'Wait for that operation to finish; `mkt lock status` shows it.'] })
        continue
      }
      const [held] = (await listLocks(cluster.connection, item.component)).filter((lock) => !lock.expired && !(options.takeOverDead && lock.holder && deadOnThisHost(lock.holder)))
      if (held) {
        throw lockedError(`${item.component} in ${environment} is locked: held by ${held.holder} since ${held.acquiredAt}${held.operation ? `, running ${held.operation}` : ''}`, {
          hints: [options.hint ?? 'Wait for that operation to finish; `mkt lock status` shows it.'],
        })
      }
    }
  }
}

/** Runs a prepared plan. Never throws for a failed rollout: the result's exitCode says what happened. */
export async function executeDeploy(request: DeployRequest, prepared: Awaited<ReturnType<typeof prepareDeploy>>): Promise<DeployResult> {
  const { plan, connected } = prepared
  if (plan.blockers.length > 0) {
    throw failedError(`cannot deploy: ${plan.blockers[0]}${plan.blockers.length > 1 ? ` (+${plan.blockers.length - 1} more)` : ''}`, {
      hints: ['Run with --plan to see every entry and what blocks it.'],
    })
  }
  const componentByName = new Map(request.components.map((c) => [c.name, c]))
  const spec = releaseSpec(plan, (entry) => {
    const component = componentByName.get(entry.component)!
    const container = containerOf(component)
    return {
      entry,
      component,
      change: {
        describe: `image ${entry.from} -> ${entry.to}`,
        rollout: (deployment) => rolloutPatch(deployment, container, entry.to!, request.audit),
        canaryStart: (deployment, replicas) => canaryStartPatch(deployment, container, entry.to!, request.audit, replicas),
      },
    }
  })
  const result = await runRelease(
    { ...releaseOptions(request), environment: request.environment.name, identity: request.identity, operation: `deploy ${request.image}`, onInterrupt: request.onInterrupt, ...(request.audit.reason ? { reason: request.audit.reason } : {}) },
    spec,
    await executorsOf(connected, request),
  )
  return { environment: request.environment.name, image: request.image, strategy: request.strategy, changed: hasChanges(plan), ...result }
}

export const releaseOptions = (request: Pick<DeployRequest, 'bakeMs' | 'timeoutMs' | 'maxDurationMs' | 'readyGraceMs' | 'rollbackTimeoutMs' | 'autoRollback' | 'signal' | 'onEvent'>) => ({
  bakeMs: request.bakeMs,
  timeoutMs: request.timeoutMs,
  ...(request.maxDurationMs === undefined ? {} : { maxDurationMs: request.maxDurationMs }),
  ...(request.readyGraceMs === undefined ? {} : { readyGraceMs: request.readyGraceMs }),
  rollbackTimeoutMs: request.rollbackTimeoutMs,
  autoRollback: request.autoRollback,
  signal: request.signal,
  onEvent: request.onEvent,
})

/** The executor of each region: KubeExecutor for a cluster, ContainerAppsExecutor for Container Apps. */
export async function executorsOf(connected: Connected[], request: Pick<DeployRequest, 'audit' | 'switchSingleRevisionMode' | 'components' | 'readyGraceMs' | 'probeIntervalMs'>): Promise<Map<string, AnyExecutor>> {
  const containerApps = connected.some((c) => c.apps) ? await import('../runtime/containerapps/executor.js') : undefined
  return new Map(
    connected.map(({ region, cluster, apps }): [string, AnyExecutor] => [
      region.name,
      apps
        ? new containerApps!.ContainerAppsExecutor(apps, {
            audit: request.audit,
            switchSingleRevisionMode: request.switchSingleRevisionMode === true,
            components: request.components,
            ...(request.readyGraceMs === undefined ? {} : { readyGraceMs: request.readyGraceMs }),
          })
        : new KubeExecutor(cluster, request.probeIntervalMs),
    ]),
  )
}

export function describePlanEntry(entry: PlanEntry): string {
  if (entry.blockers.length > 0) return `blocked: ${entry.blockers.join('; ')}`
  if (!entry.changes) return `unchanged (${entry.from})`
  const steps = entry.canarySteps ? ` canary ${entry.canarySteps.map((s) => `${s.weight}%`).join(' > ')}` : ' rolling'
  return `${entry.from} -> ${entry.to}${steps}`
}

export interface TemplateChangeRequest {
  environment: string
  bakeMs: number
  timeoutMs: number
  rollbackTimeoutMs: number
  autoRollback: boolean
  signal: AbortSignal
  onEvent: EventSink
  identity: string
  /** The release record of this change: its own time, author, reason and change-cause. */
  audit: ReleaseAudit
  probeIntervalMs?: number
}

/**
 * Rolls a pod-template change other than an image (a config checksum, say) through the same release engine as
 * a deploy: its own release record, gates, automatic rollback and compensation. Used by `mkt config push
 * --restart`. `templatePatch` is the strategic-merge body of the change under `spec.template`.
 */
export async function rollTemplateChange(request: TemplateChangeRequest, cluster: RegionCluster, component: Component, templatePatch: Record<string, unknown>, what: string): Promise<ItemResult & { exitCode: ExitCodeValue }> {
  const deployment = await cluster.readDeployment(component.name)
  if (!deployment) throw failedError(`deployment ${component.name} not found in region ${cluster.region}`)
  const image = deployment.spec?.template?.spec?.containers?.find((c) => c.name === containerOf(component))?.image ?? null
  const entry: PlanEntry = {
    region: cluster.region,
    component: component.name,
    container: containerOf(component),
    ...(image ? { from: image, to: image } : {}),
    changes: true,
    strategy: 'rolling',
    gates: [],
    revision: revisionOf(deployment),
    blockers: [],
    notes: [],
  }
  const change = (current: V1Deployment): PatchRequest => ({
    contentType: STRATEGIC_MERGE_PATCH,
    body: { metadata: { annotations: releaseAnnotations(current, image ?? '', request.audit) }, spec: { template: templatePatch } },
  })
  const result = await runRelease(
    { ...releaseOptions(request), environment: request.environment, identity: request.identity, operation: what, onInterrupt: 'rollback', ...(request.audit.reason ? { reason: request.audit.reason } : {}) },
    { waves: [[{ entry, component, change: { describe: what, rollout: change } }]], unchanged: [] },
    new Map([[cluster.region, new KubeExecutor(cluster, request.probeIntervalMs)]]),
  )
  return { ...result.items[0]!, exitCode: result.exitCode }
}
