// Pure helpers of the Deployment controller, in the shape of kube-controller-manager's
// `pkg/controller/deployment/util/deployment_util.go` and kubectl's `pkg/util/deployment`. They read
// API objects and return numbers, objects or decisions; nothing here writes to the store.
import { formatTime, parseTime } from '../clock.js'
import { cloneJson, deepEqual } from '../json.js'
import type {
  Deployment,
  DeploymentCondition,
  DeploymentStatus,
  IntOrString,
  PodTemplateSpec,
  ReplicaSet,
  ReplicaSetCondition,
} from './api.js'
import { byCreationTimestamp, controllerOf, creationMs } from './api.js'
import { semanticValue } from './hash.js'

// ---- Names (exact strings, kubectl 1.20 / apps/v1) ----------------------------------------------

export const RevisionAnnotation = 'deployment.kubernetes.io/revision'
export const RevisionHistoryAnnotation = 'deployment.kubernetes.io/revision-history'
export const DesiredReplicasAnnotation = 'deployment.kubernetes.io/desired-replicas'
export const MaxReplicasAnnotation = 'deployment.kubernetes.io/max-replicas'
export const ChangeCauseAnnotation = 'kubernetes.io/change-cause'
export const LastAppliedConfigAnnotation = 'kubectl.kubernetes.io/last-applied-configuration'
export const DeprecatedRollbackTo = 'deprecated.deployment.rollback.to'
export const DefaultDeploymentUniqueLabelKey = 'pod-template-hash'

/** Annotations never copied from a Deployment to its ReplicaSets (nor back by `rollout undo`). */
export const annotationsToSkip: ReadonlySet<string> = new Set([
  LastAppliedConfigAnnotation,
  RevisionAnnotation,
  RevisionHistoryAnnotation,
  DesiredReplicasAnnotation,
  MaxReplicasAnnotation,
  DeprecatedRollbackTo,
])

/** `maxRevHistoryLengthInChars` in sync.go. */
export const MaxRevisionHistoryLengthInChars = 2000

// Condition types and reasons (`deployment_util.go`).
export const DeploymentAvailable = 'Available'
export const DeploymentProgressing = 'Progressing'
export const DeploymentReplicaFailure = 'ReplicaFailure'
export const ReplicaSetReplicaFailure = 'ReplicaFailure'
export const Reasons = {
  NewReplicaSet: 'NewReplicaSetCreated',
  FoundNewRS: 'FoundNewReplicaSet',
  NewRSAvailable: 'NewReplicaSetAvailable',
  ReplicaSetUpdated: 'ReplicaSetUpdated',
  TimedOut: 'ProgressDeadlineExceeded',
  PausedDeploy: 'DeploymentPaused',
  ResumedDeploy: 'DeploymentResumed',
  FailedRSCreate: 'ReplicaSetCreateError',
  MinimumReplicasAvailable: 'MinimumReplicasAvailable',
  MinimumReplicasUnavailable: 'MinimumReplicasUnavailable',
} as const

const MaxInt32 = 2147483647

// ---- Spec accessors with the API server's defaults (`SetDefaults_Deployment`) -------------------

export function specReplicas(obj: { spec: { replicas?: number } }): number {
  return obj.spec.replicas ?? 1
}

export function rsReplicas(rs: ReplicaSet): number {
  return rs.spec.replicas ?? 1
}

export function isRollingUpdate(d: Deployment): boolean {
  return (d.spec.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate'
}

export function isRecreate(d: Deployment): boolean {
  return d.spec.strategy?.type === 'Recreate'
}

export function minReadySeconds(obj: { spec: { minReadySeconds?: number } }): number {
  return obj.spec.minReadySeconds ?? 0
}

export function progressDeadlineSeconds(d: Deployment): number {
  return d.spec.progressDeadlineSeconds ?? 600
}

/** `HasProgressDeadline`: set and not MaxInt32 (the "no deadline" sentinel). */
export function hasProgressDeadline(d: Deployment): boolean {
  return progressDeadlineSeconds(d) !== MaxInt32
}

export function revisionHistoryLimit(d: Deployment): number {
  return d.spec.revisionHistoryLimit ?? 10
}

// ---- Fenceposts --------------------------------------------------------------------------------

/**
 * `intstr.GetScaledValueFromIntOrPercent`: an int is itself; "N%" is N% of total, rounded up or
 * down. Anything else is invalid (validation rejects it before it gets here).
 */
export function getScaledValueFromIntOrPercent(value: IntOrString, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value
  const match = /^(-?\d+)%$/.exec(value)
  if (!match) {
    if (/^-?\d+$/.test(value)) return Number(value)
    throw new Error(`invalid value for IntOrString: invalid value "${value}": must be an int or a percentage`)
  }
  const scaled = (Number(match[1]) * total) / 100
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled)
}

/**
 * `ResolveFenceposts`: surge rounds up, unavailable rounds down; if both come out 0, unavailable is
 * 1 (validation forbids both being 0 explicitly, but rounding down can get there).
 */
export function resolveFenceposts(maxSurge: IntOrString | undefined, maxUnavailable: IntOrString | undefined, desired: number): { surge: number; unavailable: number } {
  const surge = getScaledValueFromIntOrPercent(maxSurge ?? 0, desired, true)
  let unavailable = getScaledValueFromIntOrPercent(maxUnavailable ?? 0, desired, false)
  if (surge === 0 && unavailable === 0) unavailable = 1
  return { surge, unavailable }
}

/** The rolling-update parameters with their defaults (25% / 25%). */
function rollingParams(d: Deployment): { maxSurge: IntOrString; maxUnavailable: IntOrString } {
  const ru = d.spec.strategy?.rollingUpdate
  return { maxSurge: ru?.maxSurge ?? '25%', maxUnavailable: ru?.maxUnavailable ?? '25%' }
}

/** `MaxUnavailable`: 0 unless RollingUpdate with replicas > 0; never more than replicas. */
export function maxUnavailable(d: Deployment): number {
  const desired = specReplicas(d)
  if (!isRollingUpdate(d) || desired === 0) return 0
  const { maxSurge, maxUnavailable } = rollingParams(d)
  return Math.min(resolveFenceposts(maxSurge, maxUnavailable, desired).unavailable, desired)
}

/** `MaxSurge`: 0 unless RollingUpdate. */
export function maxSurge(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0
  const { maxSurge, maxUnavailable } = rollingParams(d)
  return resolveFenceposts(maxSurge, maxUnavailable, specReplicas(d)).surge
}

// ---- Revisions -------------------------------------------------------------------------------

/** `Revision(obj)`: the revision annotation as a number; 0 when absent, NaN when not an integer. */
export function revisionOf(obj: { metadata: { annotations?: Record<string, string> } }): number {
  const value = obj.metadata.annotations?.[RevisionAnnotation]
  if (value === undefined || value === '') return 0
  return /^-?\d+$/.test(value) ? Number(value) : Number.NaN
}

/** `MaxRevision`: the highest parseable revision (0 when none). */
export function maxRevision(replicaSets: ReplicaSet[]): number {
  let max = 0
  for (const rs of replicaSets) {
    const v = revisionOf(rs)
    if (Number.isFinite(v) && v > max) max = v
  }
  return max
}

// ---- Templates and which ReplicaSet is "new" ------------------------------------------------------

function withoutHashLabel(template: PodTemplateSpec | undefined): unknown {
  const copy = cloneJson(template ?? {})
  if (copy.metadata?.labels) delete copy.metadata.labels[DefaultDeploymentUniqueLabelKey]
  return semanticValue(copy)
}

/** `EqualIgnoreHash`: templates are semantically equal once the pod-template-hash label is ignored. */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return deepEqual(withoutHashLabel(a), withoutHashLabel(b))
}

/** `FindNewReplicaSet`: the oldest ReplicaSet whose template equals the Deployment's (ignoring the hash). */
export function findNewReplicaSet(d: Deployment, replicaSets: ReplicaSet[]): ReplicaSet | undefined {
  return [...replicaSets].sort(byCreationTimestamp).find((rs) => equalIgnoreHash(rs.spec.template, d.spec.template))
}

/** `FindOldReplicaSets` (all of them, with or without pods): everything but the new one. */
export function findOldReplicaSets(replicaSets: ReplicaSet[], newRS: ReplicaSet | undefined): ReplicaSet[] {
  return replicaSets.filter((rs) => newRS === undefined || rs.metadata.uid !== newRS.metadata.uid)
}

/** `FilterActiveReplicaSets`: ReplicaSets with spec.replicas > 0. */
export function activeReplicaSets(replicaSets: (ReplicaSet | undefined)[]): ReplicaSet[] {
  return replicaSets.filter((rs): rs is ReplicaSet => rs !== undefined && rsReplicas(rs) > 0)
}

/** `FindActiveOrLatest`: the one active ReplicaSet, or the newest when none is active; undefined when several are. */
export function findActiveOrLatest(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): ReplicaSet | undefined {
  if (newRS === undefined && oldRSs.length === 0) return undefined
  const newestFirst = [...oldRSs].sort((a, b) => byCreationTimestamp(b, a))
  const active = activeReplicaSets([...newestFirst, newRS])
  if (active.length === 0) return newRS ?? newestFirst[0]
  if (active.length === 1) return active[0]
  return undefined
}

// ---- Counting ------------------------------------------------------------------------------

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0)
const present = (replicaSets: (ReplicaSet | undefined)[]) => replicaSets.filter((rs): rs is ReplicaSet => rs !== undefined)

/** `GetReplicaCountForReplicaSets`: Σ spec.replicas. */
export function specReplicaCount(replicaSets: (ReplicaSet | undefined)[]): number {
  return sum(present(replicaSets).map(rsReplicas))
}
/** `GetActualReplicaCountForReplicaSets`: Σ status.replicas. */
export function actualReplicaCount(replicaSets: (ReplicaSet | undefined)[]): number {
  return sum(present(replicaSets).map((rs) => rs.status?.replicas ?? 0))
}
/** `GetReadyReplicaCountForReplicaSets`. */
export function readyReplicaCount(replicaSets: (ReplicaSet | undefined)[]): number {
  return sum(present(replicaSets).map((rs) => rs.status?.readyReplicas ?? 0))
}
/** `GetAvailableReplicaCountForReplicaSets`. */
export function availableReplicaCount(replicaSets: (ReplicaSet | undefined)[]): number {
  return sum(present(replicaSets).map((rs) => rs.status?.availableReplicas ?? 0))
}

// ---- Sizing the new ReplicaSet ----------------------------------------------------------------

/**
 * `NewRSNewReplicas`: how big the new ReplicaSet may be now. RollingUpdate: grow by what the surge
 * leaves room for (spec + maxSurge − Σ spec.replicas of all), never past spec.replicas.
 * Recreate: spec.replicas at once (old ones are already gone).
 */
export function newRSNewReplicas(d: Deployment, allRSs: ReplicaSet[], newRS: ReplicaSet): number {
  const desired = specReplicas(d)
  if (isRecreate(d)) return desired
  const surge = getScaledValueFromIntOrPercent(rollingParams(d).maxSurge, desired, true)
  const currentPodCount = specReplicaCount(allRSs)
  const maxTotalPods = desired + surge
  if (currentPodCount >= maxTotalPods) return rsReplicas(newRS)
  const scaleUpCount = Math.min(maxTotalPods - currentPodCount, desired - rsReplicas(newRS))
  return rsReplicas(newRS) + scaleUpCount
}

/** `IsSaturated`: the new ReplicaSet has all the Deployment's replicas, all available. */
export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false
  const desired = Number(rs.metadata.annotations?.[DesiredReplicasAnnotation])
  if (!Number.isInteger(desired)) return false
  const replicas = specReplicas(d)
  return rsReplicas(rs) === replicas && desired === replicas && (rs.status?.availableReplicas ?? 0) === replicas
}

// ---- ReplicaSet annotations ----------------------------------------------------------------------

function ensureAnnotations(rs: { metadata: { annotations?: Record<string, string> } }): Record<string, string> {
  rs.metadata.annotations ??= {}
  return rs.metadata.annotations
}

/** `copyDeploymentAnnotationsToReplicaSet`: every annotation but the skip list. Mutates rs; true when changed. */
export function copyDeploymentAnnotationsToReplicaSet(d: Deployment, rs: ReplicaSet): boolean {
  const annotations = ensureAnnotations(rs)
  let changed = false
  for (const [key, value] of Object.entries(d.metadata.annotations ?? {})) {
    if (annotationsToSkip.has(key) || annotations[key] === value) continue
    annotations[key] = value
    changed = true
  }
  return changed
}

/** `ReplicasAnnotationsNeedUpdate`. */
export function replicasAnnotationsNeedUpdate(rs: ReplicaSet, desiredReplicas: number, maxReplicas: number): boolean {
  const annotations = rs.metadata.annotations ?? {}
  return annotations[DesiredReplicasAnnotation] !== String(desiredReplicas) || annotations[MaxReplicasAnnotation] !== String(maxReplicas)
}

/** `SetReplicasAnnotations`. Mutates rs; true when changed. */
export function setReplicasAnnotations(rs: ReplicaSet, desiredReplicas: number, maxReplicas: number): boolean {
  if (!replicasAnnotationsNeedUpdate(rs, desiredReplicas, maxReplicas)) return false
  const annotations = ensureAnnotations(rs)
  annotations[DesiredReplicasAnnotation] = String(desiredReplicas)
  annotations[MaxReplicasAnnotation] = String(maxReplicas)
  return true
}

/**
 * `SetNewReplicaSetAnnotations`: copy the Deployment's annotations, raise the revision to
 * `newRevision` when it is lower, and, when the ReplicaSet had a revision already (a rollback made it
 * new again), append that old number to revision-history (capped at 2000 characters, oldest dropped).
 * A ReplicaSet about to be created also gets desired-replicas / max-replicas. Mutates rs; true when changed.
 */
export function setNewReplicaSetAnnotations(d: Deployment, rs: ReplicaSet, newRevision: number, exists: boolean, historyLimitChars = MaxRevisionHistoryLengthInChars): boolean {
  let changed = copyDeploymentAnnotationsToReplicaSet(d, rs)
  const annotations = ensureAnnotations(rs)
  const oldRevision = annotations[RevisionAnnotation]
  const hadRevision = oldRevision !== undefined
  let oldRevisionNumber = 0
  if (hadRevision && oldRevision !== '') {
    if (!/^-?\d+$/.test(oldRevision)) return false
    oldRevisionNumber = Number(oldRevision)
  }
  if (oldRevisionNumber < newRevision) {
    annotations[RevisionAnnotation] = String(newRevision)
    changed = true
    if (hadRevision) {
      const history = annotations[RevisionHistoryAnnotation] ?? ''
      if (history === '') {
        annotations[RevisionHistoryAnnotation] = oldRevision
      } else {
        let revisions = history.split(',')
        let totalLength = history.length + oldRevision.length + 1
        while (totalLength > historyLimitChars && revisions.length > 0) {
          totalLength -= revisions[0].length + 1
          revisions = revisions.slice(1)
        }
        if (totalLength <= historyLimitChars) annotations[RevisionHistoryAnnotation] = [...revisions, oldRevision].join(',')
      }
    }
  }
  if (!exists && setReplicasAnnotations(rs, specReplicas(d), specReplicas(d) + maxSurge(d))) changed = true
  return changed
}

// ---- Proportional scaling (sync.go `scale`) ----------------------------------------------------

/** `getReplicaSetFraction`: this ReplicaSet's share of a resize, from its max-replicas annotation. */
export function replicaSetFraction(rs: ReplicaSet, d: Deployment): number {
  if (specReplicas(d) === 0) return -rsReplicas(rs)
  const deploymentReplicas = specReplicas(d) + maxSurge(d)
  const annotated = Number(rs.metadata.annotations?.[MaxReplicasAnnotation])
  const annotatedReplicas = Number.isInteger(annotated) ? annotated : (d.status?.replicas ?? 0)
  // Nothing to be proportional to (no annotation, no replicas yet): no share; the leftover goes to
  // the largest ReplicaSet.
  if (annotatedReplicas === 0) return 0
  // Go's integer.RoundToInt32 rounds half away from zero; the sizes are never negative here.
  const newSize = Math.round((rsReplicas(rs) * deploymentReplicas) / annotatedReplicas)
  return newSize - rsReplicas(rs)
}

/** `GetProportion`: how many replicas this ReplicaSet gains (or loses) in a resize. */
export function getProportion(rs: ReplicaSet, d: Deployment, toAdd: number, added: number): number {
  if (rsReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0
  const fraction = replicaSetFraction(rs, d)
  const allowed = toAdd - added
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed)
}

/** One ReplicaSet resize decided by a planner. */
export interface ScaleAction {
  replicaSet: ReplicaSet
  replicas: number
}

/**
 * sync.go `scale`: on a resize of the Deployment (or while paused), bring the ReplicaSets to the new
 * total. One active ReplicaSet takes everything; a saturated new ReplicaSet makes the old ones 0;
 * otherwise (RollingUpdate) the difference is spread proportionally to each ReplicaSet's size (largest
 * first: newer first when growing, older first when shrinking) with the leftover on the first.
 * Returns the ReplicaSets to write, including ones whose only change is the replicas annotations.
 */
export function planProportionalScale(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): ScaleAction[] {
  const activeOrLatest = findActiveOrLatest(newRS, oldRSs)
  if (activeOrLatest) {
    return rsReplicas(activeOrLatest) === specReplicas(d) ? [] : [{ replicaSet: activeOrLatest, replicas: specReplicas(d) }]
  }
  if (isSaturated(d, newRS)) return activeReplicaSets(oldRSs).map((rs) => ({ replicaSet: rs, replicas: 0 }))
  if (!isRollingUpdate(d)) return []

  const all = activeReplicaSets([...oldRSs, newRS])
  const allowedSize = specReplicas(d) > 0 ? specReplicas(d) + maxSurge(d) : 0
  const toAdd = allowedSize - specReplicaCount(all)
  if (toAdd > 0) all.sort((a, b) => rsReplicas(b) - rsReplicas(a) || byCreationTimestamp(b, a)) // ReplicaSetsBySizeNewer
  else if (toAdd < 0) all.sort((a, b) => rsReplicas(b) - rsReplicas(a) || byCreationTimestamp(a, b)) // ReplicaSetsBySizeOlder

  let added = 0
  const sizes = all.map((rs) => {
    if (toAdd === 0) return rsReplicas(rs)
    const proportion = getProportion(rs, d, toAdd, added)
    added += proportion
    return rsReplicas(rs) + proportion
  })
  if (toAdd !== 0 && sizes.length > 0) sizes[0] = Math.max(0, sizes[0] + (toAdd - added))
  // scaleReplicaSet writes when the size or the replicas annotations differ.
  const maxReplicas = specReplicas(d) + maxSurge(d)
  return all
    .map((rs, i) => ({ replicaSet: rs, replicas: sizes[i] }))
    .filter(({ replicaSet, replicas }) => replicas !== rsReplicas(replicaSet) || replicasAnnotationsNeedUpdate(replicaSet, specReplicas(d), maxReplicas))
}

/** `isScalingEvent`: an active ReplicaSet was sized for a different spec.replicas (desired-replicas annotation). */
export function isScalingEvent(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): boolean {
  return activeReplicaSets([...oldRSs, newRS]).some((rs) => {
    const desired = rs.metadata.annotations?.[DesiredReplicasAnnotation]
    return desired !== undefined && /^\d+$/.test(desired) && Number(desired) !== specReplicas(d)
  })
}

// ---- Rolling update (rolling.go) --------------------------------------------------------------

/** `reconcileNewReplicaSet`: the new ReplicaSet's next size, or undefined when it stays. */
export function reconcileNewReplicaSet(d: Deployment, allRSs: ReplicaSet[], newRS: ReplicaSet): number | undefined {
  const current = rsReplicas(newRS)
  const desired = specReplicas(d)
  if (current === desired) return undefined
  if (current > desired) return desired
  const next = newRSNewReplicas(d, allRSs, newRS)
  return next === current ? undefined : next
}

/**
 * `reconcileOldReplicaSets`: how far old ReplicaSets may shrink without going below
 * spec − maxUnavailable available pods, counting the new ReplicaSet's unavailable pods against the
 * budget. Unhealthy replicas of old ReplicaSets go first (`cleanupUnhealthyReplicas`), then available
 * ones (`scaleDownOldReplicaSetsForRollingUpdate`), oldest ReplicaSet first.
 */
export function reconcileOldReplicaSets(d: Deployment, allRSs: ReplicaSet[], oldRSs: ReplicaSet[], newRS: ReplicaSet): ScaleAction[] {
  const activeOld = activeReplicaSets(oldRSs)
  if (specReplicaCount(activeOld) === 0) return []
  const allPodsCount = specReplicaCount(allRSs)
  const minAvailable = specReplicas(d) - maxUnavailable(d)
  const newRSUnavailable = rsReplicas(newRS) - (newRS.status?.availableReplicas ?? 0)
  const maxScaledDown = allPodsCount - minAvailable - newRSUnavailable
  if (maxScaledDown <= 0) return []

  const sizes = new Map<string, number>(activeOld.map((rs) => [rs.metadata.name, rsReplicas(rs)]))
  const oldestFirst = [...activeOld].sort(byCreationTimestamp)

  // cleanupUnhealthyReplicas
  let cleanedUp = 0
  for (const rs of oldestFirst) {
    if (cleanedUp >= maxScaledDown) break
    const replicas = sizes.get(rs.metadata.name) ?? 0
    const available = rs.status?.availableReplicas ?? 0
    if (replicas === 0 || replicas === available) continue
    const scaledDown = Math.min(maxScaledDown - cleanedUp, replicas - available)
    sizes.set(rs.metadata.name, replicas - scaledDown)
    cleanedUp += scaledDown
  }

  // scaleDownOldReplicaSetsForRollingUpdate: available counts are the ReplicaSets' statuses, which
  // the cleanup above (unavailable pods only) does not change.
  const availablePodCount = availableReplicaCount(allRSs)
  if (availablePodCount > minAvailable) {
    const totalScaleDown = availablePodCount - minAvailable
    let scaledDown = 0
    for (const rs of oldestFirst) {
      if (scaledDown >= totalScaleDown) break
      const replicas = sizes.get(rs.metadata.name) ?? 0
      if (replicas === 0) continue
      const count = Math.min(replicas, totalScaleDown - scaledDown)
      sizes.set(rs.metadata.name, replicas - count)
      scaledDown += count
    }
  }

  return oldestFirst
    .filter((rs) => sizes.get(rs.metadata.name) !== rsReplicas(rs))
    .map((rs) => ({ replicaSet: rs, replicas: sizes.get(rs.metadata.name) ?? 0 }))
}

// ---- Status and conditions (progress.go, sync.go) -----------------------------------------------

export function getCondition<C extends { type: string }>(conditions: C[] | undefined, type: string): C | undefined {
  return conditions?.find((c) => c.type === type)
}

export function newDeploymentCondition(type: string, status: DeploymentCondition['status'], reason: string, message: string, now: number): DeploymentCondition {
  const time = formatTime(now)
  return { type, status, lastUpdateTime: time, lastTransitionTime: time, reason, message }
}

/**
 * `SetDeploymentCondition`: no-op when status and reason are unchanged; keeps lastTransitionTime when
 * only the reason changes; the condition moves to the end of the list.
 */
export function setDeploymentCondition(status: DeploymentStatus, condition: DeploymentCondition): void {
  const current = getCondition(status.conditions, condition.type)
  if (current && current.status === condition.status && current.reason === condition.reason) return
  const next = { ...condition }
  if (current && current.status === condition.status) next.lastTransitionTime = current.lastTransitionTime
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== condition.type), next]
}

export function removeDeploymentCondition(status: DeploymentStatus, type: string): void {
  if (!status.conditions) return
  status.conditions = status.conditions.filter((c) => c.type !== type)
}

/** `ReplicaSetToDeploymentCondition`. */
export function replicaSetToDeploymentCondition(c: ReplicaSetCondition): DeploymentCondition {
  return {
    type: c.type,
    status: c.status,
    lastUpdateTime: c.lastTransitionTime,
    lastTransitionTime: c.lastTransitionTime,
    reason: c.reason,
    message: c.message,
  }
}

/**
 * `calculateStatus`: counts summed over all ReplicaSets (updated = the new one's), and the Available
 * condition: True when available ≥ spec − maxUnavailable.
 */
export function calculateStatus(d: Deployment, allRSs: ReplicaSet[], newRS: ReplicaSet | undefined, now: number): DeploymentStatus {
  const availableReplicas = availableReplicaCount(allRSs)
  const totalReplicas = specReplicaCount(allRSs)
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation ?? 0,
    replicas: actualReplicaCount(allRSs),
    updatedReplicas: actualReplicaCount([newRS]),
    readyReplicas: readyReplicaCount(allRSs),
    availableReplicas,
    unavailableReplicas: Math.max(0, totalReplicas - availableReplicas),
    collisionCount: d.status?.collisionCount,
    conditions: (d.status?.conditions ?? []).map((c) => ({ ...c })),
  }
  if (availableReplicas >= specReplicas(d) - maxUnavailable(d)) {
    setDeploymentCondition(status, newDeploymentCondition(DeploymentAvailable, 'True', Reasons.MinimumReplicasAvailable, 'Deployment has minimum availability.', now))
  } else {
    setDeploymentCondition(status, newDeploymentCondition(DeploymentAvailable, 'False', Reasons.MinimumReplicasUnavailable, 'Deployment does not have minimum availability.', now))
  }
  return status
}

/** `DeploymentComplete`: every replica updated and available, and the latest spec observed. */
export function deploymentComplete(d: Deployment, status: DeploymentStatus): boolean {
  const replicas = specReplicas(d)
  return (
    (status.updatedReplicas ?? 0) === replicas &&
    (status.replicas ?? 0) === replicas &&
    (status.availableReplicas ?? 0) === replicas &&
    (status.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)
  )
}

/** `DeploymentProgressing`: compared with the stored status, more updated, fewer old, more ready or more available. */
export function deploymentProgressing(d: Deployment, newStatus: DeploymentStatus): boolean {
  const old = d.status ?? {}
  const oldOldReplicas = (old.replicas ?? 0) - (old.updatedReplicas ?? 0)
  const newOldReplicas = (newStatus.replicas ?? 0) - (newStatus.updatedReplicas ?? 0)
  return (
    (newStatus.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOldReplicas < oldOldReplicas ||
    (newStatus.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (newStatus.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  )
}

/** `DeploymentTimedOut`: no progress reported for progressDeadlineSeconds (strictly after lastUpdateTime + deadline). */
export function deploymentTimedOut(d: Deployment, newStatus: DeploymentStatus, now: number): boolean {
  if (!hasProgressDeadline(d)) return false
  const condition = getCondition(newStatus.conditions, DeploymentProgressing)
  if (!condition) return false
  if (condition.reason === Reasons.NewRSAvailable) return false
  if (condition.reason === Reasons.TimedOut) return true
  const from = parseTime(condition.lastUpdateTime)
  if (from === undefined) return false
  return from + progressDeadlineSeconds(d) * 1000 < now
}

/** `getReplicaFailures`: ReplicaFailure conditions of the new ReplicaSet, else of any ReplicaSet. */
export function replicaFailures(allRSs: ReplicaSet[], newRS: ReplicaSet | undefined): DeploymentCondition[] {
  const failuresOf = (rs: ReplicaSet) => (rs.status?.conditions ?? []).filter((c) => c.type === ReplicaSetReplicaFailure).map(replicaSetToDeploymentCondition)
  if (newRS) {
    const fromNew = failuresOf(newRS)
    if (fromNew.length > 0) return fromNew
  }
  return allRSs.flatMap(failuresOf)
}

/**
 * `syncRolloutStatus` without the write: calculateStatus plus the Progressing condition estimated
 * from progress since the stored status (complete → NewReplicaSetAvailable, progress →
 * ReplicaSetUpdated with a fresh lastUpdateTime, no progress past the deadline →
 * ProgressDeadlineExceeded) and ReplicaFailure promoted from the ReplicaSets.
 */
export function rolloutStatus(d: Deployment, allRSs: ReplicaSet[], newRS: ReplicaSet | undefined, now: number): DeploymentStatus {
  const status = calculateStatus(d, allRSs, newRS, now)
  if (!hasProgressDeadline(d)) removeDeploymentCondition(status, DeploymentProgressing)

  const current = getCondition(d.status?.conditions, DeploymentProgressing)
  const isCompleteDeployment = status.replicas === status.updatedReplicas && current?.reason === Reasons.NewRSAvailable
  if (hasProgressDeadline(d) && !isCompleteDeployment) {
    const subject = newRS ? `ReplicaSet "${newRS.metadata.name}"` : `Deployment "${d.metadata.name}"`
    if (deploymentComplete(d, status)) {
      setDeploymentCondition(status, newDeploymentCondition(DeploymentProgressing, 'True', Reasons.NewRSAvailable, `${subject} has successfully progressed.`, now))
    } else if (deploymentProgressing(d, status)) {
      // Progress refreshes lastUpdateTime even when the reason is unchanged (so the deadline restarts),
      // and keeps lastTransitionTime while the condition stays True.
      const condition = newDeploymentCondition(DeploymentProgressing, 'True', Reasons.ReplicaSetUpdated, `${subject} is progressing.`, now)
      if (current) {
        if (current.status === 'True') condition.lastTransitionTime = current.lastTransitionTime
        removeDeploymentCondition(status, DeploymentProgressing)
      }
      setDeploymentCondition(status, condition)
    } else if (deploymentTimedOut(d, status, now)) {
      setDeploymentCondition(status, newDeploymentCondition(DeploymentProgressing, 'False', Reasons.TimedOut, `${subject} has timed out progressing.`, now))
    }
  }

  const failures = replicaFailures(allRSs, newRS)
  if (failures.length > 0) setDeploymentCondition(status, failures[0])
  else removeDeploymentCondition(status, DeploymentReplicaFailure)
  return status
}

/**
 * `requeueStuckDeployment`: when a rollout shows no progress, when to look again to detect the
 * timeout (lastUpdateTime + deadline, plus a second). Undefined when there is nothing to wait for.
 */
export function stuckDeploymentRecheckAt(d: Deployment, newStatus: DeploymentStatus, now: number): number | undefined {
  const current = getCondition(d.status?.conditions, DeploymentProgressing)
  if (!hasProgressDeadline(d) || !current) return undefined
  if (deploymentComplete(d, newStatus) || current.reason === Reasons.TimedOut) return undefined
  const lastUpdate = parseTime(current.lastUpdateTime)
  if (lastUpdate === undefined) return undefined
  const after = lastUpdate + progressDeadlineSeconds(d) * 1000 - now
  return after < 1000 ? now + 1000 : now + after + 1000
}

/**
 * `checkPausedConditions`: Progressing=Unknown DeploymentPaused when paused, DeploymentResumed when
 * resumed, never over a ProgressDeadlineExceeded. Returns the new status, or undefined when unchanged.
 */
export function pausedConditionStatus(d: Deployment, now: number): DeploymentStatus | undefined {
  if (!hasProgressDeadline(d)) return undefined
  const current = getCondition(d.status?.conditions, DeploymentProgressing)
  if (current?.reason === Reasons.TimedOut) return undefined
  const pausedConditionExists = current?.reason === Reasons.PausedDeploy
  const status: DeploymentStatus = cloneJson(d.status ?? {})
  if (d.spec.paused && !pausedConditionExists) {
    setDeploymentCondition(status, newDeploymentCondition(DeploymentProgressing, 'Unknown', Reasons.PausedDeploy, 'Deployment is paused', now))
    return status
  }
  if (!d.spec.paused && pausedConditionExists) {
    setDeploymentCondition(status, newDeploymentCondition(DeploymentProgressing, 'Unknown', Reasons.ResumedDeploy, 'Deployment is resumed', now))
    return status
  }
  return undefined
}

/**
 * `cleanupDeployment`: the old ReplicaSets beyond revisionHistoryLimit to delete, lowest revision
 * first, skipping any that still have pods, are not scaled to 0, or whose latest spec was not yet
 * observed.
 */
export function replicaSetsToCleanUp(d: Deployment, oldRSs: ReplicaSet[]): ReplicaSet[] {
  const cleanable = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp)
  const diff = cleanable.length - revisionHistoryLimit(d)
  if (diff <= 0) return []
  const byRevision = [...cleanable].sort((a, b) => {
    const ra = revisionOf(a)
    const rb = revisionOf(b)
    if (ra !== rb && Number.isFinite(ra) && Number.isFinite(rb)) return ra - rb
    return creationMs(a) - creationMs(b) || a.metadata.name.localeCompare(b.metadata.name)
  })
  return byRevision
    .slice(0, diff)
    .filter((rs) => (rs.status?.replicas ?? 0) === 0 && rsReplicas(rs) === 0 && (rs.metadata.generation ?? 0) <= (rs.status?.observedGeneration ?? 0))
}

/** Whether the ReplicaSet is controlled by a Deployment (and which). */
export function owningDeploymentName(rs: ReplicaSet): string | undefined {
  const ref = controllerOf(rs.metadata)
  return ref?.kind === 'Deployment' ? ref.name : undefined
}

/**
 * The status as the API serves it: apps/v1 DeploymentStatus members are all `omitempty`, so zero
 * counts and an unset collisionCount are absent.
 */
export function compactDeploymentStatus(status: DeploymentStatus): DeploymentStatus {
  const out: DeploymentStatus = {}
  if (status.observedGeneration) out.observedGeneration = status.observedGeneration
  if (status.replicas) out.replicas = status.replicas
  if (status.updatedReplicas) out.updatedReplicas = status.updatedReplicas
  if (status.readyReplicas) out.readyReplicas = status.readyReplicas
  if (status.availableReplicas) out.availableReplicas = status.availableReplicas
  if (status.unavailableReplicas) out.unavailableReplicas = status.unavailableReplicas
  if (status.conditions && status.conditions.length > 0) out.conditions = status.conditions
  if (status.collisionCount !== undefined) out.collisionCount = status.collisionCount
  return out
}
