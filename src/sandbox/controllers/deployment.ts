// The Deployment controller (`pkg/controller/deployment`): `syncDeployment` and its steps, each a
// thin layer that asks a pure function in deployment-util.ts what to do and writes the answer
// through the Store. Decisions follow kube-controller-manager; see /work/shared/reference/k8s.md §2.
import { cloneJson, deepEqual } from '../json.js'
import type { KubeObject, Store } from '../types.js'
import type { Deployment, DeploymentStatus, Pod, ReplicaSet } from './api.js'
import { controllerOf, isControlledBy, newControllerRef, R, splitKey } from './api.js'
import {
  DefaultDeploymentUniqueLabelKey,
  DeploymentProgressing,
  Reasons,
  RevisionAnnotation,
  activeReplicaSets,
  actualReplicaCount,
  calculateStatus,
  compactDeploymentStatus,
  deploymentComplete,
  findNewReplicaSet,
  findOldReplicaSets,
  getCondition,
  hasProgressDeadline,
  isRecreate,
  isScalingEvent,
  maxRevision,
  maxSurge,
  newDeploymentCondition,
  newRSNewReplicas,
  pausedConditionStatus,
  planProportionalScale,
  reconcileNewReplicaSet,
  reconcileOldReplicaSets,
  replicaSetsToCleanUp,
  rolloutStatus,
  rsReplicas,
  setDeploymentCondition,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  specReplicas,
  stuckDeploymentRecheckAt,
  type ScaleAction,
} from './deployment-util.js'
import type { EventRecorder } from './events.js'
import { computePodTemplateHash } from './hash.js'
import { isEmptySelector, selectorWithLabel, withLabel } from './labels.js'
import { isNotFound } from './replicaset.js'
import type { WorkQueue } from './runtime.js'

export interface DeploymentControllerDeps {
  store: Store
  now: () => number
  events: EventRecorder
  queue: () => WorkQueue
}

// ---- Pure: the new ReplicaSet ------------------------------------------------------------------

/**
 * The ReplicaSet `getNewReplicaSet` creates for the Deployment's current template: named
 * `<deployment>-<hash>`, the hash label added to its labels, selector and template, owned by the
 * Deployment, sized by `NewRSNewReplicas`, annotated with revision / desired / max replicas and the
 * Deployment's own annotations (so `kubernetes.io/change-cause` lands on it).
 */
export function buildNewReplicaSet(d: Deployment, oldRSs: ReplicaSet[], newRevision: number): ReplicaSet {
  const template = cloneJson(d.spec.template ?? {})
  const hash = computePodTemplateHash(template, d.status?.collisionCount)
  const labels = withLabel(template.metadata?.labels, DefaultDeploymentUniqueLabelKey, hash)
  template.metadata = { ...(template.metadata ?? {}), labels }
  const rs: ReplicaSet = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata.name}-${hash}`,
      namespace: d.metadata.namespace,
      labels,
      ownerReferences: [newControllerRef(d)],
    },
    spec: {
      replicas: 0,
      minReadySeconds: d.spec.minReadySeconds ?? 0,
      selector: selectorWithLabel(d.spec.selector, DefaultDeploymentUniqueLabelKey, hash),
      template,
    },
  }
  rs.spec.replicas = newRSNewReplicas(d, [...oldRSs, rs], rs)
  setNewReplicaSetAnnotations(d, rs, newRevision, false)
  return rs
}

/**
 * For an existing new ReplicaSet (e.g. after a rollback): the copy with synced annotations
 * (revision raised to `newRevision`, the old number kept in revision-history) and minReadySeconds,
 * or undefined when it is already in sync.
 */
export function syncedNewReplicaSet(d: Deployment, rs: ReplicaSet, newRevision: number): ReplicaSet | undefined {
  const copy = cloneJson(rs)
  const annotationsUpdated = setNewReplicaSetAnnotations(d, copy, newRevision, true)
  const minReadyChanged = (copy.spec.minReadySeconds ?? 0) !== (d.spec.minReadySeconds ?? 0)
  if (!annotationsUpdated && !minReadyChanged) return undefined
  copy.spec.minReadySeconds = d.spec.minReadySeconds ?? 0
  return copy
}

/** `oldPodsRunning` (Recreate): any pod of an old ReplicaSet that has not finished. */
export function oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[], podsByReplicaSet: Map<string, Pod[]>): boolean {
  if (actualReplicaCount(oldRSs) > 0) return true
  for (const [uid, pods] of podsByReplicaSet) {
    if (newRS && newRS.metadata.uid === uid) continue
    if (pods.some((pod) => pod.status?.phase !== 'Failed' && pod.status?.phase !== 'Succeeded')) return true
  }
  return false
}

// ---- The controller --------------------------------------------------------------------------

export class DeploymentController {
  constructor(private readonly deps: DeploymentControllerDeps) {}

  private get store(): Store {
    return this.deps.store
  }

  /** `syncDeployment`. */
  sync(key: string): void {
    const { namespace, name } = splitKey(key)
    let d = this.getDeployment(namespace, name)
    if (!d) return

    if (isEmptySelector(d.spec.selector)) {
      this.deps.events.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.')
      if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
        this.writeStatus(d, { ...(d.status ?? {}), observedGeneration: d.metadata.generation })
      }
      return
    }

    const rsList = this.replicaSetsOf(d)
    if (d.metadata.deletionTimestamp) return this.syncStatusOnly(d, rsList)

    const pausedStatus = pausedConditionStatus(d, this.deps.now())
    if (pausedStatus) d = this.writeStatus(d, pausedStatus)

    if (d.spec.paused) return this.syncScaleOnly(d, rsList)

    // The legacy `deprecated.deployment.rollback.to` annotation (extensions/v1beta1 rollback) is not
    // served by apps/v1; kubectl 1.20 rolls back with a JSON patch of the template instead.

    const existingNew = findNewReplicaSet(d, rsList)
    if (isScalingEvent(d, existingNew, findOldReplicaSets(rsList, existingNew))) return this.syncScaleOnly(d, rsList)

    if (isRecreate(d)) return this.rolloutRecreate(d, rsList)
    return this.rolloutRolling(d, rsList)
  }

  // ---- Strategies --------------------------------------------------------------------------

  /** `rolloutRolling`: create/sync the new ReplicaSet, scale it up, else scale old ones down, then status. */
  private rolloutRolling(d: Deployment, rsList: ReplicaSet[]): void {
    const synced = this.getAllReplicaSetsAndSyncRevision(d, rsList, true)
    if (!synced) return
    const { deployment } = synced
    let { newRS, oldRSs } = synced
    if (!newRS) return
    const allRSs = () => [...oldRSs, newRS!]

    const newSize = reconcileNewReplicaSet(deployment, allRSs(), newRS)
    if (newSize !== undefined) {
      newRS = this.scaleReplicaSet(deployment, newRS, newSize)
      return this.syncRolloutStatus(deployment, allRSs(), newRS)
    }

    const scaleDowns = reconcileOldReplicaSets(deployment, allRSs(), oldRSs, newRS)
    if (scaleDowns.length > 0) {
      oldRSs = this.applyScale(deployment, oldRSs, scaleDowns)
      return this.syncRolloutStatus(deployment, allRSs(), newRS)
    }

    if (deploymentComplete(deployment, deployment.status ?? {})) oldRSs = this.cleanupDeployment(deployment, oldRSs)
    this.syncRolloutStatus(deployment, allRSs(), newRS)
  }

  /** `rolloutRecreate`: old ReplicaSets to 0, wait for their pods to go, then the new one at full size. */
  private rolloutRecreate(d: Deployment, rsList: ReplicaSet[]): void {
    const synced = this.getAllReplicaSetsAndSyncRevision(d, rsList, false)
    if (!synced) return
    let { deployment, newRS, oldRSs } = synced

    const scaleDowns: ScaleAction[] = activeReplicaSets(oldRSs).map((rs) => ({ replicaSet: rs, replicas: 0 }))
    if (scaleDowns.length > 0) {
      oldRSs = this.applyScale(deployment, oldRSs, scaleDowns)
      return this.syncRolloutStatus(deployment, [...oldRSs, ...(newRS ? [newRS] : [])], newRS)
    }

    if (oldPodsRunning(newRS, oldRSs, this.podsByReplicaSet(deployment, rsList))) {
      return this.syncRolloutStatus(deployment, [...oldRSs, ...(newRS ? [newRS] : [])], newRS)
    }

    if (!newRS) {
      const created = this.getAllReplicaSetsAndSyncRevision(deployment, this.replicaSetsOf(deployment), true)
      if (!created?.newRS) return
      ;({ deployment, newRS, oldRSs } = created)
    }
    if (!newRS) return
    if (rsReplicas(newRS) !== specReplicas(deployment)) newRS = this.scaleReplicaSet(deployment, newRS, specReplicas(deployment))
    if (deploymentComplete(deployment, deployment.status ?? {})) oldRSs = this.cleanupDeployment(deployment, oldRSs)
    this.syncRolloutStatus(deployment, [...oldRSs, newRS], newRS)
  }

  /** `sync`: paused, or a scaling event: resize proportionally, clean up when paused, then status. */
  private syncScaleOnly(d: Deployment, rsList: ReplicaSet[]): void {
    const synced = this.getAllReplicaSetsAndSyncRevision(d, rsList, false)
    if (!synced) return
    const { deployment } = synced
    let { newRS, oldRSs } = synced
    const actions = planProportionalScale(deployment, newRS, oldRSs)
    for (const action of actions) {
      const scaled = this.scaleReplicaSet(deployment, action.replicaSet, action.replicas)
      if (newRS && scaled.metadata.uid === newRS.metadata.uid) newRS = scaled
      else oldRSs = oldRSs.map((rs) => (rs.metadata.uid === scaled.metadata.uid ? scaled : rs))
    }
    if (deployment.spec.paused) oldRSs = this.cleanupDeployment(deployment, oldRSs)
    const allRSs = [...oldRSs, ...(newRS ? [newRS] : [])]
    this.syncDeploymentStatus(deployment, allRSs, newRS)
  }

  private syncStatusOnly(d: Deployment, rsList: ReplicaSet[]): void {
    const synced = this.getAllReplicaSetsAndSyncRevision(d, rsList, false)
    if (!synced) return
    const { deployment, newRS, oldRSs } = synced
    this.syncDeploymentStatus(deployment, [...oldRSs, ...(newRS ? [newRS] : [])], newRS)
  }

  // ---- The new ReplicaSet and revisions ------------------------------------------------------

  /**
   * `getAllReplicaSetsAndSyncRevision` / `getNewReplicaSet`: find (or, with `create`, make) the
   * ReplicaSet for the current template; keep its annotations and revision in sync; copy its
   * revision onto the Deployment; record FoundNewReplicaSet / NewReplicaSetCreated.
   */
  private getAllReplicaSetsAndSyncRevision(d: Deployment, rsList: ReplicaSet[], create: boolean): { deployment: Deployment; newRS?: ReplicaSet; oldRSs: ReplicaSet[] } | undefined {
    const now = this.deps.now()
    const existing = findNewReplicaSet(d, rsList)
    const oldRSs = findOldReplicaSets(rsList, existing)
    const newRevision = maxRevision(oldRSs) + 1

    if (existing) {
      const synced = syncedNewReplicaSet(d, existing, newRevision)
      if (synced) {
        // The update's event brings us back here to copy the revision onto the Deployment.
        const updated = this.store.update(R.replicaSets, synced) as ReplicaSet
        return { deployment: d, newRS: updated, oldRSs }
      }
      const status = cloneJson(d.status ?? {})
      let needsUpdate = false
      if (hasProgressDeadline(d) && !getCondition(status.conditions, DeploymentProgressing)) {
        setDeploymentCondition(status, newDeploymentCondition(DeploymentProgressing, 'True', Reasons.FoundNewRS, `Found new replica set "${existing.metadata.name}"`, now))
        needsUpdate = true
      }
      const revision = existing.metadata.annotations?.[RevisionAnnotation]
      const revisionChanged = revision !== undefined && d.metadata.annotations?.[RevisionAnnotation] !== revision
      const deployment = needsUpdate || revisionChanged ? this.writeStatus(d, status, revision) : d
      return { deployment, newRS: existing, oldRSs }
    }

    if (!create) return { deployment: d, oldRSs }

    const candidate = buildNewReplicaSet(d, oldRSs, newRevision)
    let created: ReplicaSet
    let alreadyExisted = false
    try {
      created = this.store.create(R.replicaSets, candidate) as ReplicaSet
    } catch (error) {
      if (isAlreadyExists(error)) {
        const found = this.store.get(R.replicaSets, candidate.metadata.namespace, candidate.metadata.name) as ReplicaSet | undefined
        if (found && controllerOf(found.metadata)?.uid === d.metadata.uid && findNewReplicaSet(d, [found])) {
          created = found
          alreadyExisted = true
        } else {
          // A hash collision: bump collisionCount and try again on the next sync with a new hash.
          this.writeStatus(d, { ...cloneJson(d.status ?? {}), collisionCount: (d.status?.collisionCount ?? 0) + 1 })
          return undefined
        }
      } else {
        const message = `Failed to create new replica set "${candidate.metadata.name}": ${error instanceof Error ? error.message : String(error)}`
        if (hasProgressDeadline(d)) {
          const status = cloneJson(d.status ?? {})
          setDeploymentCondition(status, newDeploymentCondition(DeploymentProgressing, 'False', Reasons.FailedRSCreate, message, now))
          this.writeStatus(d, status)
        }
        this.deps.events.event(d, 'Warning', Reasons.FailedRSCreate, message)
        throw error
      }
    }
    const replicas = rsReplicas(created)
    if (!alreadyExisted && replicas > 0) this.deps.events.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} to ${replicas}`)

    const status = cloneJson(d.status ?? {})
    if (!alreadyExisted && hasProgressDeadline(d)) {
      setDeploymentCondition(status, newDeploymentCondition(DeploymentProgressing, 'True', Reasons.NewReplicaSet, `Created new replica set "${created.metadata.name}"`, now))
    }
    const deployment = this.writeStatus(d, status, String(newRevision))
    return { deployment, newRS: created, oldRSs }
  }

  // ---- Scaling and cleanup ---------------------------------------------------------------------

  /** `scaleReplicaSet`: size and desired/max-replicas annotations; a ScalingReplicaSet event when the size changes. */
  private scaleReplicaSet(d: Deployment, rs: ReplicaSet, replicas: number): ReplicaSet {
    const copy = cloneJson(rs)
    const sizeChanged = rsReplicas(rs) !== replicas
    copy.spec.replicas = replicas
    const annotationsChanged = setReplicasAnnotations(copy, specReplicas(d), specReplicas(d) + maxSurge(d))
    if (!sizeChanged && !annotationsChanged) return rs
    const updated = this.store.update(R.replicaSets, copy) as ReplicaSet
    if (sizeChanged) {
      const direction = rsReplicas(rs) < replicas ? 'up' : 'down'
      this.deps.events.event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${direction} replica set ${rs.metadata.name} to ${replicas}`)
    }
    return updated
  }

  private applyScale(d: Deployment, replicaSets: ReplicaSet[], actions: ScaleAction[]): ReplicaSet[] {
    let result = replicaSets
    for (const action of actions) {
      const scaled = this.scaleReplicaSet(d, action.replicaSet, action.replicas)
      result = result.map((rs) => (rs.metadata.uid === scaled.metadata.uid ? scaled : rs))
    }
    return result
  }

  /** `cleanupDeployment`: delete old ReplicaSets beyond revisionHistoryLimit. */
  private cleanupDeployment(d: Deployment, oldRSs: ReplicaSet[]): ReplicaSet[] {
    const doomed = replicaSetsToCleanUp(d, oldRSs)
    for (const rs of doomed) {
      try {
        this.store.delete(R.replicaSets, rs.metadata.namespace, rs.metadata.name, { uid: rs.metadata.uid })
      } catch (error) {
        if (!isNotFound(error)) throw error
      }
    }
    const gone = new Set(doomed.map((rs) => rs.metadata.uid))
    return oldRSs.filter((rs) => !gone.has(rs.metadata.uid))
  }

  // ---- Status ------------------------------------------------------------------------------------

  /** `syncRolloutStatus`: write the estimated status when it changed; otherwise re-check for the deadline later. */
  private syncRolloutStatus(d: Deployment, allRSs: ReplicaSet[], newRS: ReplicaSet | undefined): void {
    const now = this.deps.now()
    const status = compactDeploymentStatus(rolloutStatus(d, allRSs, newRS, now))
    if (deepEqual(compactDeploymentStatus(d.status ?? {}), status)) {
      const recheckAt = stuckDeploymentRecheckAt(d, status, now)
      if (recheckAt !== undefined) this.deps.queue().addAt(`${d.metadata.namespace ?? ''}/${d.metadata.name}`, recheckAt)
      return
    }
    this.writeStatus(d, status)
  }

  /** `syncDeploymentStatus`: counts and Available only (paused / scaling syncs estimate no progress). */
  private syncDeploymentStatus(d: Deployment, allRSs: ReplicaSet[], newRS: ReplicaSet | undefined): void {
    const status = compactDeploymentStatus(calculateStatus(d, allRSs, newRS, this.deps.now()))
    if (!deepEqual(compactDeploymentStatus(d.status ?? {}), status)) this.writeStatus(d, status)
  }

  /**
   * Writes the status (and, when given, the revision annotation) the way the controller's
   * `UpdateStatus` does: a status write never bumps metadata.generation.
   */
  private writeStatus(d: Deployment, status: DeploymentStatus, revision?: string): Deployment {
    const current = this.getDeployment(d.metadata.namespace ?? '', d.metadata.name)
    if (!current) return d
    let result = current
    if (!deepEqual(compactDeploymentStatus(current.status ?? {}), compactDeploymentStatus(status))) {
      result = this.store.update(R.deployments, { ...current, status: compactDeploymentStatus(status) } as KubeObject, { subresource: 'status' }) as Deployment
    }
    if (revision !== undefined && result.metadata.annotations?.[RevisionAnnotation] !== revision) {
      result = this.writeRevisionAnnotation(result, revision)
    }
    return result
  }

  /**
   * The revision annotation. A real API server's status strategy keeps metadata changes made through
   * `/status`, which is how the controller sets it without bumping generation; the sandbox store's
   * status update only takes .status, so this is a metadata update instead (see README).
   */
  private writeRevisionAnnotation(d: Deployment, revision: string): Deployment {
    const copy = cloneJson(d)
    copy.metadata.annotations = { ...(copy.metadata.annotations ?? {}), [RevisionAnnotation]: revision }
    return this.store.update(R.deployments, copy) as Deployment
  }

  // ---- Reads ------------------------------------------------------------------------------------

  private getDeployment(namespace: string, name: string): Deployment | undefined {
    return this.store.get(R.deployments, namespace, name) as Deployment | undefined
  }

  /** The ReplicaSets the Deployment controls (`getReplicaSetsForDeployment`, without adoption). */
  private replicaSetsOf(d: Deployment): ReplicaSet[] {
    return (this.store.list(R.replicaSets, d.metadata.namespace) as ReplicaSet[]).filter((rs) => isControlledBy(rs, d))
  }

  private podsByReplicaSet(d: Deployment, rsList: ReplicaSet[]): Map<string, Pod[]> {
    const byUid = new Map<string, Pod[]>(rsList.map((rs) => [rs.metadata.uid ?? '', []]))
    for (const pod of this.store.list(R.pods, d.metadata.namespace) as Pod[]) {
      const ref = controllerOf(pod.metadata)
      if (ref && byUid.has(ref.uid)) byUid.get(ref.uid)!.push(pod)
    }
    return byUid
  }
}

function isAlreadyExists(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 409 && (error as { reason?: unknown }).reason === 'AlreadyExists'
}

/** The Deployment that controls a ReplicaSet, as a queue key. */
export function deploymentKeyOfReplicaSet(rs: ReplicaSet): string | undefined {
  const ref = controllerOf(rs.metadata)
  return ref?.kind === 'Deployment' ? `${rs.metadata.namespace ?? ''}/${ref.name}` : undefined
}
