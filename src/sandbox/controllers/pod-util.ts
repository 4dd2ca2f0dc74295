// Pod predicates, in the shape of `k8s.io/kubernetes/pkg/api/v1/pod/util.go` and
// `pkg/controller/controller_utils.go`.
import { parseTime } from '../clock.js'
import type { Pod, PodCondition, PodPhase } from './api.js'

export function getPodCondition(pod: Pod, type: string): PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === type)
}

/** `podutil.IsPodReady`: the Ready condition is True. */
export function isPodReady(pod: Pod): boolean {
  return getPodCondition(pod, 'Ready')?.status === 'True'
}

/**
 * `podutil.IsPodAvailable`: ready, and ready for at least minReadySeconds. The Ready condition's
 * lastTransitionTime has whole-second precision, as on a real cluster.
 */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  if (!isPodReady(pod)) return false
  if (minReadySeconds <= 0) return true
  const readySince = parseTime(getPodCondition(pod, 'Ready')?.lastTransitionTime)
  return readySince !== undefined && readySince + minReadySeconds * 1000 < now
}

/** When a ready pod becomes available (`readySince + minReadySeconds`); undefined when not ready. */
export function podAvailableAt(pod: Pod, minReadySeconds: number): number | undefined {
  if (!isPodReady(pod)) return undefined
  const readySince = parseTime(getPodCondition(pod, 'Ready')?.lastTransitionTime) ?? 0
  return readySince + minReadySeconds * 1000
}

export function isPodTerminating(pod: Pod): boolean {
  return pod.metadata.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null
}

/** `controller.IsPodActive`: not Succeeded, not Failed, not being deleted. */
export function isPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase
  return phase !== 'Succeeded' && phase !== 'Failed' && !isPodTerminating(pod)
}

export function maxContainerRestarts(pod: Pod): number {
  return Math.max(0, ...(pod.status?.containerStatuses ?? []).map((s) => s.restartCount ?? 0))
}

const phaseOrdinal: Record<PodPhase, number> = { Pending: 0, Unknown: 1, Running: 2, Succeeded: 3, Failed: 3 }

function readyTime(pod: Pod): number | undefined {
  return parseTime(getPodCondition(pod, 'Ready')?.lastTransitionTime)
}

/** "a after b, or a is zero": zero times sort first (`afterOrZero`). */
function afterOrZero(a: number | undefined, b: number | undefined): boolean {
  if (a === undefined || b === undefined) return a === undefined
  return a > b
}

/**
 * `controller.ActivePods.Less`: the pods to delete first sort first. Unscheduled before scheduled,
 * Pending before Unknown before Running, not ready before ready, ready for less time before more,
 * more restarts before fewer, newer before older.
 */
export function compareForDeletion(a: Pod, b: Pod): number {
  const aNode = a.spec?.nodeName ?? ''
  const bNode = b.spec?.nodeName ?? ''
  if (aNode !== bNode && (aNode === '' || bNode === '')) return aNode === '' ? -1 : 1
  const aPhase = phaseOrdinal[a.status?.phase ?? 'Pending'] ?? 0
  const bPhase = phaseOrdinal[b.status?.phase ?? 'Pending'] ?? 0
  if (aPhase !== bPhase) return aPhase - bPhase
  const aReady = isPodReady(a)
  const bReady = isPodReady(b)
  if (aReady !== bReady) return aReady ? 1 : -1
  if (aReady && bReady) {
    const ta = readyTime(a)
    const tb = readyTime(b)
    if (ta !== tb) return afterOrZero(ta, tb) ? -1 : 1
  }
  const ra = maxContainerRestarts(a)
  const rb = maxContainerRestarts(b)
  if (ra !== rb) return rb - ra
  const ca = parseTime(a.metadata.creationTimestamp)
  const cb = parseTime(b.metadata.creationTimestamp)
  if (ca !== cb) return afterOrZero(ca, cb) ? -1 : 1
  return 0
}

/** `getPodsToDelete`: the `count` pods a scale-down removes, in the order they go. */
export function podsToDelete(pods: Pod[], count: number): Pod[] {
  if (count <= 0) return []
  return [...pods].sort(compareForDeletion).slice(0, count)
}
