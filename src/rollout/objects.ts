// Small readers over Kubernetes API objects shared by the rollout modules, and the exact annotation and label
// names kubectl and the Deployment controller use (shared/reference/k8s.md §1.1).
//
// Objects reach this code two ways: decoded by @kubernetes/client-node's typed APIs (timestamps are `Date`) or
// straight from a watch stream (timestamps are RFC 3339 strings). Every time reader accepts both.

import type { V1ObjectMeta, V1OwnerReference, V1Pod, V1PodCondition } from '@kubernetes/client-node'

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision'
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history'
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas'
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas'
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause'
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration'
export const DEPRECATED_ROLLBACK_TO_ANNOTATION = 'deprecated.deployment.rollback.to'
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash'

/**
 * Annotations kubectl's `rollout undo` never copies from a ReplicaSet back to its Deployment (and the controller
 * never copies from Deployment to ReplicaSet). Order as in kubectl's rollback.go; it only matters for iteration.
 */
export const ANNOTATIONS_TO_SKIP: readonly string[] = [
  LAST_APPLIED_ANNOTATION,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  DEPRECATED_ROLLBACK_TO_ANNOTATION,
]

/** mkt's audit annotations: written on the Deployment so the controller copies them onto the new ReplicaSet. */
export const MKT_ANNOTATIONS = {
  deployedBy: 'mkt.dev/deployed-by',
  deployedAt: 'mkt.dev/deployed-at',
  reason: 'mkt.dev/reason',
  gitSha: 'mkt.dev/git-sha',
  runUrl: 'mkt.dev/run-url',
  verdict: 'mkt.dev/verdict',
  verdictReason: 'mkt.dev/verdict-reason',
  /**
   * The pod-template-hash of the ReplicaSet this release record belongs to. The controller copies the
   * Deployment's annotations onto every new ReplicaSet, kubectl-made ones included; a copied record names another
   * template's hash, so it is recognised as not this revision's (history.ts).
   */
  templateHash: 'mkt.dev/pod-template-hash',
} as const

/**
 * The strategy and paused state a Deployment had before a canary changed them (JSON, CanaryOriginal), written
 * by the patch that starts the canary and removed by the patch that promotes or aborts it. Not part of a
 * release record: never restored by an undo.
 */
export const CANARY_ORIGINAL_ANNOTATION = 'mkt.dev/canary-original'

export const VERDICTS = ['pending', 'passed', 'rolled-back', 'failed'] as const
export type Verdict = (typeof VERDICTS)[number]

/** What history shows for a revision: mkt's verdict, or `external` when no mkt record belongs to its template. */
export type RevisionVerdict = Verdict | 'external'

export const isVerdict = (value: unknown): value is Verdict => typeof value === 'string' && (VERDICTS as readonly string[]).includes(value)

/** A timestamp as the API returns it: a Date from the typed client, an RFC 3339 string from a raw watch. */
export type Timestamp = Date | string | null | undefined

/** Milliseconds since the epoch, or undefined when the timestamp is absent or unparseable. */
export function timeOf(value: Timestamp): number | undefined {
  if (value === null || value === undefined) return undefined
  const ms = value instanceof Date ? value.getTime() : Date.parse(value)
  return Number.isNaN(ms) ? undefined : ms
}

/** RFC 3339 text of a timestamp for output (`2026-11-02T10:00:00.000Z`), or undefined. */
export function isoOf(value: Timestamp): string | undefined {
  const ms = timeOf(value)
  return ms === undefined ? undefined : new Date(ms).toISOString()
}

export const annotationOf = (meta: V1ObjectMeta | undefined, key: string): string | undefined => meta?.annotations?.[key]

/**
 * The `deployment.kubernetes.io/revision` of a Deployment or ReplicaSet. Missing → 0, as kubectl's
 * `deploymentutil.Revision`. A malformed value (never written by the controller) is also read as 0 — "no
 * revision" — so history skips it the way `kubectl rollout history` does, instead of failing the whole listing.
 */
export function revisionOf(obj: { metadata?: V1ObjectMeta } | undefined): number {
  const text = annotationOf(obj?.metadata, REVISION_ANNOTATION)
  if (text === undefined || !/^\+?\d+$/.test(text.trim())) return 0
  const value = Number(text.trim())
  return Number.isSafeInteger(value) ? value : 0
}

/** The controller ownerReference (`controller: true`) of an object, if any. */
export const controllerRefOf = (meta: V1ObjectMeta | undefined): V1OwnerReference | undefined =>
  meta?.ownerReferences?.find((ref) => ref.controller === true)

/**
 * metav1.IsControlledBy: the object's controller ownerReference points at the owner's uid. Matching by uid (not
 * name) keeps a ReplicaSet orphaned from a deleted-and-recreated Deployment of the same name out of its history.
 */
export function isControlledBy(obj: { metadata?: V1ObjectMeta }, owner: { metadata?: V1ObjectMeta }): boolean {
  const ownerUid = owner.metadata?.uid
  return ownerUid !== undefined && ownerUid !== '' && controllerRefOf(obj.metadata)?.uid === ownerUid
}

export const podConditionOf = (pod: V1Pod, type: string): V1PodCondition | undefined =>
  pod.status?.conditions?.find((condition) => condition.type === type)

/** The pod's Ready condition is True (what the ReplicaSet controller counts as readyReplicas). */
export const isPodReady = (pod: V1Pod): boolean => podConditionOf(pod, 'Ready')?.status === 'True'

/** The pod is being deleted: its state no longer says anything about the release. */
export const isTerminating = (pod: V1Pod): boolean =>
  pod.metadata?.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null

/** Pods whose controller is the given ReplicaSet (by uid), not being deleted, sorted by name for stable output. */
export function podsOwnedBy(replicaSet: { metadata?: V1ObjectMeta }, pods: readonly V1Pod[]): V1Pod[] {
  return pods.filter((pod) => isControlledBy(pod, replicaSet) && !isTerminating(pod)).sort(byName)
}

export const nameOf = (obj: { metadata?: V1ObjectMeta } | undefined): string => obj?.metadata?.name ?? '<unnamed>'

export const byName = (a: { metadata?: V1ObjectMeta }, b: { metadata?: V1ObjectMeta }): number =>
  nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0

/** Go's %q for the names kubectl prints (DNS names never need escaping beyond what JSON does). */
export const quote = (text: string): string => JSON.stringify(text)
