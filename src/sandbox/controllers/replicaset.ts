// The ReplicaSet controller (`pkg/controller/replicaset/replica_set.go`): keeps spec.replicas pods
// alive, deletes the least useful ones first, and reports replicas / fullyLabeled / ready /
// available / observedGeneration.
import { formatTime } from '../clock.js'
import { cloneJson, deepEqual } from '../json.js'
import type { KubeObject, Store } from '../types.js'
import type { Pod, ReplicaSet, ReplicaSetCondition, ReplicaSetStatus } from './api.js'
import { controllerOf, isControlledBy, newControllerRef, R, splitKey } from './api.js'
import type { EventRecorder } from './events.js'
import { selectorMatches } from './labels.js'
import { isPodActive, isPodAvailable, isPodReady, podAvailableAt, podsToDelete } from './pod-util.js'
import type { WorkQueue } from './runtime.js'

/** `burstReplicas`: at most this many pods created or deleted per sync. */
export const BurstReplicas = 500

// ---- Pure decisions -------------------------------------------------------------------------------

/** The plan of one `manageReplicas` pass: how many pods to create, which to delete. */
export interface ReplicaPlan {
  create: number
  delete: Pod[]
}

/** `manageReplicas`: compare active pods with spec.replicas. */
export function planReplicas(rs: ReplicaSet, activePods: Pod[]): ReplicaPlan {
  const diff = activePods.length - (rs.spec.replicas ?? 1)
  if (diff < 0) return { create: Math.min(-diff, BurstReplicas), delete: [] }
  if (diff > 0) return { create: 0, delete: podsToDelete(activePods, Math.min(diff, BurstReplicas)) }
  return { create: 0, delete: [] }
}

/**
 * A pod for the ReplicaSet (`controller.GetPodFromTemplate`): template labels/annotations/spec,
 * controller ref, and `generateName: <rs>-` (the store appends 5 characters, retrying on collisions).
 */
export function podFromTemplate(rs: ReplicaSet): Pod {
  const template = cloneJson(rs.spec.template ?? {})
  const metadata: Pod['metadata'] = {
    name: '',
    generateName: `${rs.metadata.name}-`,
    namespace: rs.metadata.namespace,
    labels: template.metadata?.labels ?? {},
    ownerReferences: [newControllerRef(rs)],
  }
  if (template.metadata?.annotations && Object.keys(template.metadata.annotations).length > 0) metadata.annotations = template.metadata.annotations
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: template.spec ?? { containers: [] } }
}

/**
 * `calculateStatus`: counts over the ReplicaSet's active pods; ReplicaFailure set when pods could
 * not be created/deleted (and cleared once they could).
 */
export function calculateReplicaSetStatus(rs: ReplicaSet, activePods: Pod[], now: number, manageError?: { reason: 'FailedCreate' | 'FailedDelete'; message: string }): ReplicaSetStatus {
  const templateLabels = rs.spec.template?.metadata?.labels ?? {}
  const minReady = rs.spec.minReadySeconds ?? 0
  let fullyLabeled = 0
  let ready = 0
  let available = 0
  for (const pod of activePods) {
    if (selectorMatches({ matchLabels: templateLabels }, pod.metadata.labels)) fullyLabeled++
    if (isPodReady(pod)) {
      ready++
      if (isPodAvailable(pod, minReady, now)) available++
    }
  }
  // replicas is the one member without omitempty.
  const status: ReplicaSetStatus = { replicas: activePods.length }
  if (fullyLabeled) status.fullyLabeledReplicas = fullyLabeled
  if (ready) status.readyReplicas = ready
  if (available) status.availableReplicas = available
  if (rs.metadata.generation) status.observedGeneration = rs.metadata.generation

  let conditions: ReplicaSetCondition[] = (rs.status?.conditions ?? []).map((c) => ({ ...c }))
  const failure = conditions.find((c) => c.type === 'ReplicaFailure')
  if (manageError && !failure) {
    conditions.push({ type: 'ReplicaFailure', status: 'True', lastTransitionTime: formatTime(now), reason: manageError.reason, message: manageError.message })
  } else if (!manageError && failure) {
    conditions = conditions.filter((c) => c.type !== 'ReplicaFailure')
  }
  if (conditions.length > 0) status.conditions = conditions
  return status
}

/** When the next ready-but-not-yet-available pod becomes available (minReadySeconds); undefined if none. */
export function nextAvailabilityAt(rs: ReplicaSet, activePods: Pod[], now: number): number | undefined {
  const minReady = rs.spec.minReadySeconds ?? 0
  if (minReady <= 0) return undefined
  const times = activePods
    .filter((pod) => isPodReady(pod) && !isPodAvailable(pod, minReady, now))
    .map((pod) => podAvailableAt(pod, minReady) ?? now)
  // IsPodAvailable compares strictly (readySince + minReady < now): look a moment after.
  return times.length > 0 ? Math.min(...times) + 1 : undefined
}

// ---- The reconcile loop ---------------------------------------------------------------------------

export interface ReplicaSetControllerDeps {
  store: Store
  now: () => number
  events: EventRecorder
  queue: () => WorkQueue
}

/** The ReplicaSet's pods: controlled by it (and so matching its selector). */
export function podsOf(store: Store, rs: ReplicaSet): Pod[] {
  return (store.list(R.pods, rs.metadata.namespace) as Pod[]).filter((pod) => isControlledBy(pod, rs))
}

export function syncReplicaSet(deps: ReplicaSetControllerDeps, key: string): void {
  const { namespace, name } = splitKey(key)
  const { store, events } = deps
  const rs = store.get(R.replicaSets, namespace, name) as ReplicaSet | undefined
  if (!rs) return

  let manageError: { reason: 'FailedCreate' | 'FailedDelete'; message: string } | undefined
  if (!rs.metadata.deletionTimestamp) {
    const plan = planReplicas(rs, podsOf(store, rs).filter(isPodActive))
    for (let i = 0; i < plan.create; i++) {
      try {
        const pod = store.create(R.pods, podFromTemplate(rs))
        events.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`)
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error)
        events.event(rs, 'Warning', 'FailedCreate', `Error creating: ${message}`)
        manageError = { reason: 'FailedCreate', message }
        break
      }
    }
    for (const pod of plan.delete) {
      try {
        store.delete(R.pods, pod.metadata.namespace, pod.metadata.name, { uid: pod.metadata.uid })
        events.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`)
      } catch (error) {
        if (isNotFound(error)) continue
        const message = error instanceof Error ? error.message : String(error)
        events.event(rs, 'Warning', 'FailedDelete', `Error deleting: ${message}`)
        manageError = { reason: 'FailedDelete', message }
        break
      }
    }
  }

  const now = deps.now()
  const active = podsOf(store, rs).filter(isPodActive)
  const status = calculateReplicaSetStatus(rs, active, now, manageError)
  const current = store.get(R.replicaSets, namespace, name) as ReplicaSet | undefined
  if (current && !deepEqual(current.status ?? {}, status)) {
    store.update(R.replicaSets, { ...current, status } as KubeObject, { subresource: 'status' })
  }
  const recheck = nextAvailabilityAt(rs, active, now)
  if (recheck !== undefined) deps.queue().addAt(key, recheck)
}

/** The ReplicaSet a pod belongs to, as a queue key. */
export function replicaSetKeyOfPod(pod: Pod): string | undefined {
  const ref = controllerOf(pod.metadata)
  return ref?.kind === 'ReplicaSet' ? `${pod.metadata.namespace ?? ''}/${ref.name}` : undefined
}

export function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 404
}
