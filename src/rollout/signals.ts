// Fail-fast pod signals: read the new ReplicaSet's pods and say, as soon as the kubelet knows, that the release
// cannot become healthy — instead of waiting for progressDeadlineSeconds (600 s by default) the way
// `kubectl rollout status` does (kubernetes/kubectl#738).
//
// Thresholds, and why:
// - InvalidImageName is decisive on first sight: no retry can fix a malformed reference.
// - ImagePullBackOff is decisive on first sight: the kubelet only backs off after a pull failed, so the failure
//   persisted through at least one attempt (a wrong tag, a missing push or missing pull credentials).
// - ErrImagePull and CreateContainerConfigError are decisive only when they persist for `transientWindowMs`
//   (default 20 s), measured from when mkt first saw the container in that state (`PodObservations`): ACR
//   throttling fails one pull that the next one wins, and a Secret that the Secrets Store CSI driver or External
//   Secrets has not synced yet makes CreateContainerConfigError until it arrives. A good release must survive both.
// - Waiting reason CrashLoopBackOff is decisive on the first back-off. The kubelet only sets it after the
//   container has exited and a restart is being delayed: the new image already failed to stay up. Waiting for
//   more restarts costs 10 s, 20 s, 40 s… of doubling back-off for no new information.
// - OOMKilled (current or last termination) is decisive: memory limits do not change between restarts, and it
//   deserves its own reason because the fix (a limit) differs from a crash's (the code).
// - RestartBurst catches containers that restart without ever sitting in a back-off state when we look (e.g. a
//   liveness probe killing a container that then starts fine): `count` restartCount increases within the last
//   `windowMs`, counted from observations over time (`observePods`), not a lifetime average, so an 8-minute-old
//   pod that restarted 3 times in the last minute is caught. A pod younger than the window had all its restarts
//   inside it.
// - Unschedulable is NOT decisive on sight: a cluster autoscaler may be adding a node (AKS takes minutes). It
//   fails the gate once PodScheduled has been False/Unschedulable for `unschedulableAfterMs`.
// Terminating pods and pods of other ReplicaSets say nothing about this release and are ignored.

import type { V1Container, V1ContainerStatus, V1Pod, V1ReplicaSet } from '@kubernetes/client-node'
import { formatDuration } from '../duration.js'
import { byName, isControlledBy, isPodReady, isTerminating, nameOf, podConditionOf, timeOf } from './objects.js'
import { plural } from '../text.js'

export type PodFailureReason =
  | 'CrashLoopBackOff'
  | 'ImagePullBackOff'
  | 'ErrImagePull'
  | 'InvalidImageName'
  | 'CreateContainerConfigError'
  | 'OOMKilled'
  | 'RestartBurst'
  | 'Unschedulable'

export interface PodSignal {
  pod: string
  /** Undefined for pod-level signals (Unschedulable). */
  container?: string
  reason: PodFailureReason
  /** One line that says what is wrong, with the kubelet's own words where it gave any. */
  message: string
  restarts: number
}

export interface SignalOptions {
  now: number
  restartBurst: { count: number; windowMs: number }
  /** What was seen of the pods before now (observePods); without it every state is taken as first seen now. */
  observations?: PodObservations
  /** How long ErrImagePull or CreateContainerConfigError must persist to fail. Default 20 s; 0 = at once. */
  transientWindowMs?: number
  /** How long PodScheduled may stay False/Unschedulable before it fails the release. Default 2 minutes. */
  unschedulableAfterMs?: number
  /** When given, only pods controlled by this ReplicaSet (by uid) are read: the release's own pods. */
  replicaSet?: V1ReplicaSet
}

export const DEFAULT_RESTART_BURST = { count: 3, windowMs: 5 * 60_000 }
export const DEFAULT_UNSCHEDULABLE_AFTER_MS = 2 * 60_000
export const DEFAULT_TRANSIENT_WINDOW_MS = 20_000

const WAITING_FAILURE_REASONS = ['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CreateContainerConfigError'] as const
type WaitingFailureReason = (typeof WAITING_FAILURE_REASONS)[number]
const isWaitingFailure = (reason: string | undefined): reason is WaitingFailureReason =>
  (WAITING_FAILURE_REASONS as readonly (string | undefined)[]).includes(reason)
/** Waiting reasons that a retry may clear: they fail only when they last (see the top of this file). */
const TRANSIENT_WAITING_REASONS: ReadonlySet<string> = new Set(['ErrImagePull', 'CreateContainerConfigError'])

// ---------------------------------------------------------------------------------------------------------
// Observations over time

/** What mkt has seen of one container while watching: its restartCount over time and its current waiting state. */
export interface ContainerObservation {
  /** restartCount when first seen and at every change, oldest first; older entries pruned to one before the window. */
  restarts: ReadonlyArray<{ at: number; count: number }>
  /** The waiting reason seen now and since when it has been seen without a break. */
  waiting?: { reason: string; since: number }
}

/** Observations keyed by `observationKey(pod uid, container)`. */
export type PodObservations = ReadonlyMap<string, ContainerObservation>

export const observationKey = (pod: V1Pod, container: string): string => `${pod.metadata?.uid ?? nameOf(pod)}/${container}`

/**
 * Folds one look at the pods into the observations (pure: returns a new map). Call it on every change of the
 * pods; `keepMs` (the restart window) bounds what is kept. Containers of pods that are gone are dropped.
 */
export function observePods(previous: PodObservations, pods: readonly V1Pod[], now: number, keepMs: number): Map<string, ContainerObservation> {
  const next = new Map<string, ContainerObservation>()
  for (const pod of pods) {
    for (const status of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
      const key = observationKey(pod, status.name)
      const before = previous.get(key)
      const count = status.restartCount ?? 0
      const seen = before?.restarts ?? []
      const grown = seen.at(-1)?.count === count ? seen : [...seen, { at: now, count }]
      // Keep what lies inside the window plus the last look before it: the baseline to count from.
      const firstInside = grown.findIndex((o) => o.at > now - keepMs)
      const restarts = firstInside <= 0 ? grown : grown.slice(firstInside - 1)
      const reason = status.state?.waiting?.reason
      const waiting = reason === undefined ? undefined : before?.waiting?.reason === reason ? before.waiting : { reason, since: now }
      next.set(key, { restarts, ...(waiting === undefined ? {} : { waiting }) })
    }
  }
  return next
}

/**
 * restartCount increases of a container within the last `windowMs`. A pod younger than the window had all its
 * restarts inside it; for an older one only the increases mkt saw count (the time of earlier ones is unknown).
 */
export function restartsWithin(pod: V1Pod, status: V1ContainerStatus, observation: ContainerObservation | undefined, now: number, windowMs: number): number {
  const current = status.restartCount ?? 0
  const windowStart = now - windowMs
  const started = timeOf(pod.status?.startTime) ?? timeOf(pod.metadata?.creationTimestamp)
  if (started !== undefined && started >= windowStart) return current
  const seen = observation?.restarts ?? []
  const baseline = seen.filter((o) => o.at <= windowStart).at(-1) ?? seen[0]
  return baseline === undefined ? 0 : Math.max(0, current - baseline.count)
}

/** How long a container has shown its current waiting reason, as far as mkt saw (0 when first seen now). */
function waitingFor(observation: ContainerObservation | undefined, reason: string, now: number): number {
  return observation?.waiting?.reason === reason ? now - observation.waiting.since : 0
}

const MAX_DETAIL_LENGTH = 200

/** Every failure signal of the given pods, in pod-name order, at most one per container plus one per pod. */
export function podFailureSignals(pods: readonly V1Pod[], options: SignalOptions): PodSignal[] {
  const relevant = pods
    .filter((pod) => !isTerminating(pod))
    .filter((pod) => options.replicaSet === undefined || isControlledBy(pod, options.replicaSet))
    .sort(byName)
  const signals: PodSignal[] = []
  for (const pod of relevant) {
    const unschedulable = unschedulableSignal(pod, options)
    if (unschedulable !== undefined) signals.push(unschedulable)
    const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]
    for (const status of statuses) {
      const signal = containerSignal(pod, status, options)
      if (signal !== undefined) signals.push(signal)
    }
  }
  return signals
}

function containerSignal(pod: V1Pod, status: V1ContainerStatus, options: SignalOptions): PodSignal | undefined {
  const podName = nameOf(pod)
  const container = status.name
  const restarts = status.restartCount ?? 0
  const spec = containerSpecOf(pod, container)
  const image = spec?.image ?? status.image
  const waiting = status.state?.waiting
  const kubeletSays = detail(waiting?.message)
  const signal = (reason: PodFailureReason, message: string): PodSignal => ({ pod: podName, container, reason, message, restarts })

  const observation = options.observations?.get(observationKey(pod, container))
  if (isWaitingFailure(waiting?.reason)) {
    const lasted = waitingFor(observation, waiting.reason, options.now)
    const window = options.transientWindowMs ?? DEFAULT_TRANSIENT_WINDOW_MS
    if (TRANSIENT_WAITING_REASONS.has(waiting.reason) && lasted < window) return undefined
    const forText = TRANSIENT_WAITING_REASONS.has(waiting.reason) && window > 0 ? ` for ${roughly(lasted)}` : ''
    switch (waiting.reason) {
      case 'ErrImagePull':
        return signal('ErrImagePull', `container "${container}" cannot pull image "${image}" (ErrImagePull${forText})${kubeletSays}`)
      case 'ImagePullBackOff':
        return signal('ImagePullBackOff', `container "${container}" cannot pull image "${image}" (ImagePullBackOff)${kubeletSays}`)
      case 'InvalidImageName':
        return signal('InvalidImageName', `container "${container}" has an invalid image name "${image}"${kubeletSays}`)
      case 'CreateContainerConfigError':
        return signal('CreateContainerConfigError', `container "${container}" cannot be created (CreateContainerConfigError${forText})${kubeletSays}`)
    }
  }

  const lastTermination = status.lastState?.terminated
  const currentTermination = status.state?.terminated
  const oomKilled = currentTermination?.reason === 'OOMKilled' || lastTermination?.reason === 'OOMKilled'
  if (oomKilled) {
    const limit = spec?.resources?.limits?.memory
    const limitText = limit === undefined ? '' : ` (memory limit ${limit})`
    const backingOff = waiting?.reason === 'CrashLoopBackOff' ? ', now in CrashLoopBackOff' : ''
    return signal('OOMKilled', `container "${container}" was OOMKilled${limitText}${backingOff}, ${plural(restarts, 'restart')}`)
  }

  if (waiting?.reason === 'CrashLoopBackOff') {
    return signal('CrashLoopBackOff', `container "${container}" is in CrashLoopBackOff, ${plural(restarts, 'restart')}${exitText(lastTermination)}`)
  }

  const { count, windowMs } = options.restartBurst
  const recent = count > 0 ? restartsWithin(pod, status, observation, options.now, windowMs) : 0
  if (count > 0 && recent >= count) {
    return signal(
      'RestartBurst',
      `container "${container}" restarted ${plural(recent, 'time')} within ${roughly(windowMs)} (threshold ${count}), ${plural(restarts, 'restart')} in all${exitText(lastTermination)}`,
    )
  }
  return undefined
}

function unschedulableSignal(pod: V1Pod, options: SignalOptions): PodSignal | undefined {
  const scheduled = podConditionOf(pod, 'PodScheduled')
  if (scheduled?.status !== 'False' || scheduled.reason !== 'Unschedulable') return undefined
  const since = timeOf(scheduled.lastTransitionTime) ?? timeOf(pod.metadata?.creationTimestamp)
  const grace = options.unschedulableAfterMs ?? DEFAULT_UNSCHEDULABLE_AFTER_MS
  // Without any timestamp we cannot tell how long it has waited; leave it to the progress deadline.
  if (since === undefined || options.now - since < grace) return undefined
  return {
    pod: nameOf(pod),
    reason: 'Unschedulable',
    message: `pod cannot be scheduled for ${roughly(options.now - since)}${detail(scheduled.message)}`,
    restarts: 0,
  }
}

/**
 * One line for humans: `1/2 ready: pod web-7c9f-x7k CrashLoopBackOff, 6 restarts`. Lists up to three pods that
 * are not ready, with the most telling state of each; terminating pods are left out.
 */
export function summarizePods(pods: readonly V1Pod[]): string {
  const live = pods.filter((pod) => !isTerminating(pod)).sort(byName)
  if (live.length === 0) return 'no pods'
  const ready = live.filter(isPodReady)
  const notReady = live.filter((pod) => !isPodReady(pod))
  const head = `${ready.length}/${live.length} ready`
  if (notReady.length === 0) return head
  const shown = notReady.slice(0, 3).map((pod) => `pod ${nameOf(pod)} ${describePodState(pod)}`)
  const more = notReady.length > 3 ? `; +${notReady.length - 3} more` : ''
  return `${head}: ${shown.join('; ')}${more}`
}

/** The most telling state of a pod that is not ready: a waiting reason, a termination, or its phase. */
export function describePodState(pod: V1Pod): string {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]
  const restarts = statuses.reduce((sum, status) => sum + (status.restartCount ?? 0), 0)
  const restartText = restarts > 0 ? `, ${plural(restarts, 'restart')}` : ''

  const scheduled = podConditionOf(pod, 'PodScheduled')
  if (scheduled?.status === 'False') return `Pending (${scheduled.reason ?? 'not scheduled'})`

  const waiting = statuses.find((status) => status.state?.waiting?.reason !== undefined)?.state?.waiting
  if (waiting?.reason !== undefined) return `${waiting.reason}${restartText}`
  const terminated = statuses.find((status) => status.state?.terminated !== undefined)?.state?.terminated
  if (terminated !== undefined) return `Terminated (${terminated.reason ?? `exit code ${terminated.exitCode}`})${restartText}`
  const phase = pod.status?.phase ?? 'Pending'
  return phase === 'Running' ? `Running, not ready${restartText}` : `${phase}${restartText}`
}

function containerSpecOf(pod: V1Pod, name: string): V1Container | undefined {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find((container) => container.name === name)
}

function exitText(terminated: { exitCode?: number; reason?: string } | undefined): string {
  if (terminated === undefined || terminated.exitCode === undefined) return ''
  return `, last exit code ${terminated.exitCode}${terminated.reason === undefined ? '' : ` (${terminated.reason})`}`
}

function detail(message: string | undefined): string {
  if (message === undefined || message.trim() === '') return ''
  const oneLine = message.replace(/\s+/g, ' ').trim()
  return `: ${oneLine.length > MAX_DETAIL_LENGTH ? `${oneLine.slice(0, MAX_DETAIL_LENGTH - 1)}…` : oneLine}`
}


/** A duration rounded to whole seconds for messages: `2m`, `45s`. */
const roughly = (ms: number): string => formatDuration(Math.round(ms / 1000) * 1000)
