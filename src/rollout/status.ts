// Rollout status and ReplicaSet lookup, as kubectl computes them (shared/reference/k8s.md §1.2, §1.3), so that
// `mkt` and `kubectl rollout status/history/undo` always agree about which ReplicaSet is new and when a
// rollout is done.

import type { V1Deployment, V1PodTemplateSpec, V1ReplicaSet } from '@kubernetes/client-node'
import { POD_TEMPLATE_HASH_LABEL, isControlledBy, nameOf, quote, revisionOf, timeOf } from './objects.js'

export { revisionOf } from './objects.js'

export type RolloutState = 'done' | 'waiting' | 'failed'

export interface RolloutStatus {
  state: RolloutState
  /** kubectl's message, verbatim but without its trailing newline. */
  message: string
}

/** The Progressing condition reason the controller sets when progressDeadlineSeconds passes without progress. */
export const PROGRESS_DEADLINE_EXCEEDED = 'ProgressDeadlineExceeded'

/**
 * kubectl's DeploymentStatusViewer.Status: `done` when the rollout finished, `failed` on a revision mismatch
 * or ProgressDeadlineExceeded, `waiting` otherwise. `revision` (> 0) pins the revision being waited for, as
 * `kubectl rollout status --revision`. Evaluate on every watch event of the Deployment.
 */
export function deploymentRolloutStatus(deployment: V1Deployment, revision?: number): RolloutStatus {
  const name = quote(nameOf(deployment))
  if (revision !== undefined && revision > 0) {
    const running = revisionOf(deployment)
    if (running !== revision) {
      return { state: 'failed', message: `desired revision (${revision}) is different from the running revision (${running})` }
    }
  }

  const generation = deployment.metadata?.generation ?? 0
  const status = deployment.status ?? {}
  if (generation > (status.observedGeneration ?? 0)) {
    return { state: 'waiting', message: 'Waiting for deployment spec update to be observed...' }
  }

  const progressing = status.conditions?.find((condition) => condition.type === 'Progressing')
  if (progressing?.reason === PROGRESS_DEADLINE_EXCEEDED) {
    return { state: 'failed', message: `deployment ${name} exceeded its progress deadline` }
  }
  const specReplicas = deployment.spec?.replicas
  const replicas = status.replicas ?? 0
  const updated = status.updatedReplicas ?? 0
  const available = status.availableReplicas ?? 0
  if (specReplicas !== undefined && updated < specReplicas) {
    return {
      state: 'waiting',
      message: `Waiting for deployment ${name} rollout to finish: ${updated} out of ${specReplicas} new replicas have been updated...`,
    }
  }
  if (replicas > updated) {
    return {
      state: 'waiting',
      message: `Waiting for deployment ${name} rollout to finish: ${replicas - updated} old replicas are pending termination...`,
    }
  }
  if (available < updated) {
    return {
      state: 'waiting',
      message: `Waiting for deployment ${name} rollout to finish: ${available} of ${updated} updated replicas are available...`,
    }
  }
  return { state: 'done', message: `deployment ${name} successfully rolled out` }
}

/** The counts whose growth the Deployment controller calls progress (see madeProgress). */
export interface RolloutProgress {
  newReplicaSet: string
  /** Pods of the new ReplicaSet, and those of them ready and available. */
  created: number
  ready: number
  available: number
  /** Pods of older ReplicaSets still there. */
  old: number
}

export function rolloutProgressOf(deployment: V1Deployment, newRs: V1ReplicaSet | undefined): RolloutProgress {
  const status = deployment.status ?? {}
  return {
    newReplicaSet: newRs?.metadata?.uid ?? '',
    created: newRs?.status?.replicas ?? 0,
    ready: newRs?.status?.readyReplicas ?? 0,
    available: newRs?.status?.availableReplicas ?? 0,
    old: Math.max(0, (status.replicas ?? 0) - (status.updatedReplicas ?? 0)),
  }
}

/**
 * Whether the rollout moved forward between two looks, as the Deployment controller's DeploymentProgressing
 * judges it (pkg/controller/deployment/util): a new ReplicaSet, more of its pods created, ready or available, or
 * fewer old pods. Compare against the furthest point reached (furthestProgress), so pods flapping do not count.
 */
export function madeProgress(furthest: RolloutProgress | undefined, now: RolloutProgress): boolean {
  if (furthest === undefined || furthest.newReplicaSet !== now.newReplicaSet) return true
  return now.created > furthest.created || now.ready > furthest.ready || now.available > furthest.available || now.old < furthest.old
}

/** The furthest point of two looks at the same rollout (a new ReplicaSet starts over). */
export function furthestProgress(furthest: RolloutProgress | undefined, now: RolloutProgress): RolloutProgress {
  if (furthest === undefined || furthest.newReplicaSet !== now.newReplicaSet) return now
  return {
    newReplicaSet: now.newReplicaSet,
    created: Math.max(furthest.created, now.created),
    ready: Math.max(furthest.ready, now.ready),
    available: Math.max(furthest.available, now.available),
    old: Math.min(furthest.old, now.old),
  }
}

/**
 * The ReplicaSets a Deployment controls: controller ownerReference with the Deployment's uid. The caller lists
 * them with the Deployment's selector, as kubectl does; this drops look-alikes owned by something else.
 */
export function controlledReplicaSets(deployment: V1Deployment, replicaSets: readonly V1ReplicaSet[]): V1ReplicaSet[] {
  return replicaSets.filter((rs) => isControlledBy(rs, deployment))
}

/**
 * The Deployment's new ReplicaSet: the oldest controlled ReplicaSet (creationTimestamp, then name) whose pod
 * template equals the Deployment's, ignoring `pod-template-hash`. Undefined until the controller creates it.
 */
export function newReplicaSet(deployment: V1Deployment, replicaSets: readonly V1ReplicaSet[]): V1ReplicaSet | undefined {
  const template = deployment.spec?.template
  return controlledReplicaSets(deployment, replicaSets)
    .sort(oldestFirst)
    .find((rs) => equalIgnoreHash(rs.spec?.template, template))
}

/** Every controlled ReplicaSet except the new one, oldest first. */
export function oldReplicaSets(deployment: V1Deployment, replicaSets: readonly V1ReplicaSet[]): V1ReplicaSet[] {
  const current = newReplicaSet(deployment, replicaSets)
  return controlledReplicaSets(deployment, replicaSets)
    .filter((rs) => rs !== current)
    .sort(oldestFirst)
}

/** The `pod-template-hash` of a ReplicaSet (from its labels, else its template's labels). */
export const podTemplateHashOf = (rs: V1ReplicaSet): string | undefined =>
  rs.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL] ?? rs.spec?.template?.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL]

/**
 * kubectl's equalIgnoreHash: the two pod templates are semantically equal once `pod-template-hash` is dropped
 * from both label sets. "Semantically" as apimachinery's Semantic.DeepEqual: an empty map or list equals an
 * absent one, and timestamps compare by instant whether they arrive as Date or string.
 */
export function equalIgnoreHash(a: V1PodTemplateSpec | undefined, b: V1PodTemplateSpec | undefined): boolean {
  return semanticEqual(withoutHash(a), withoutHash(b))
}

/** A copy of the template without the `pod-template-hash` label (the input is left untouched). */
export function withoutHash(template: V1PodTemplateSpec | undefined): V1PodTemplateSpec | undefined {
  if (template === undefined) return undefined
  const labels = template.metadata?.labels
  if (labels === undefined || !(POD_TEMPLATE_HASH_LABEL in labels)) return template
  const { [POD_TEMPLATE_HASH_LABEL]: _hash, ...otherLabels } = labels
  return { ...template, metadata: { ...template.metadata, labels: otherLabels } }
}

function oldestFirst(a: V1ReplicaSet, b: V1ReplicaSet): number {
  const byTime = (timeOf(a.metadata?.creationTimestamp) ?? 0) - (timeOf(b.metadata?.creationTimestamp) ?? 0)
  if (byTime !== 0) return byTime
  return nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0
}

const isEmpty = (value: unknown): boolean =>
  value === undefined ||
  value === null ||
  (Array.isArray(value) && value.length === 0) ||
  (typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date) && Object.keys(value).length === 0)

function semanticEqual(a: unknown, b: unknown): boolean {
  if (isEmpty(a) && isEmpty(b)) return true
  if (a instanceof Date || b instanceof Date) {
    const ta = timeOf(a as Date | string)
    const tb = timeOf(b as Date | string)
    return ta !== undefined && ta === tb
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false
    return a.every((item, index) => semanticEqual(item, b[index]))
  }
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) {
    const recordA = a as Record<string, unknown>
    const recordB = b as Record<string, unknown>
    const keys = new Set([...Object.keys(recordA), ...Object.keys(recordB)])
    for (const key of keys) if (!semanticEqual(recordA[key], recordB[key])) return false
    return true
  }
  return a === b
}
