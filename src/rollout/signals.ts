// Fail-fast pod signals: read the new ReplicaSet's pods and say, as soon as the kubelet knows, that the release
// cannot become healthy — instead of waiting for progressDeadlineSeconds (600 s by default) the way
// `kubectl rollout status` does (kubernetes/kubectl#738).
//
// Thresholds, and why:
// - Waiting reasons ErrImagePull, ImagePullBackOff, InvalidImageName, CreateContainerConfigError are decisive on
//   first sight. The image (or its configuration) is exactly what this release changed, so a pull failure is
//   almost always a wrong tag, a missing push or missing pull credentials — not a registry blip. Waiting for
//   ImagePullBackOff would only add the kubelet's first back-off; if we are wrong, the cost is a clean rollback
//   to a known-good revision and a retry, which is cheaper than a stuck rollout.
// - Waiting reason CrashLoopBackOff is decisive on the first back-off. The kubelet only sets it after the
//   container has exited and a restart is being delayed: the new image already failed to stay up. Waiting for
//   more restarts costs 10 s, 20 s, 40 s… of doubling back-off for no new information.
// - OOMKilled (current or last termination) is decisive: memory limits do not change between restarts, and it
//   deserves its own reason because the fix (a limit) differs from a crash's (the code).
// - RestartBurst catches containers that restart without ever sitting in a back-off state when we look (e.g. a
//   liveness probe killing a container that then starts fine): `count` restarts, the latest within `windowMs`,
//   at a rate of at least `count` per `windowMs` over the pod's life.
// - Unschedulable is NOT decisive on sight: a cluster autoscaler may be adding a node (AKS takes minutes). It
//   fails the gate once PodScheduled has been False/Unschedulable for `unschedulableAfterMs`.
// Terminating pods and pods of other ReplicaSets say nothing about this release and are ignored.

import type { V1Container, V1ContainerStatus, V1Pod, V1ReplicaSet } from '@kubernetes/client-node'
import { formatDuration } from '../duration.js'
import { byName, isControlledBy, isPodReady, isTerminating, nameOf, podConditionOf, timeOf } from './objects.js'

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
  /** How long PodScheduled may stay False/Unschedulable before it fails the release. Default 2 minutes. */
  unschedulableAfterMs?: number
  /** When given, only pods controlled by this ReplicaSet (by uid) are read: the release's own pods. */
  replicaSet?: V1ReplicaSet
}

export const DEFAULT_RESTART_BURST = { count: 3, windowMs: 5 * 60_000 }
export const DEFAULT_UNSCHEDULABLE_AFTER_MS = 2 * 60_000

const DECISIVE_WAITING_REASONS = ['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CreateContainerConfigError'] as const
type DecisiveWaitingReason = (typeof DECISIVE_WAITING_REASONS)[number]
const isDecisiveWaiting = (reason: string | undefined): reason is DecisiveWaitingReason =>
  (DECISIVE_WAITING_REASONS as readonly (string | undefined)[]).includes(reason)

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

  if (isDecisiveWaiting(waiting?.reason)) {
    switch (waiting.reason) {
      case 'ErrImagePull':
        return signal('ErrImagePull', `container "${container}" cannot pull image "${image}" (ErrImagePull)${kubeletSays}`)
      case 'ImagePullBackOff':
        return signal('ImagePullBackOff', `container "${container}" cannot pull image "${image}" (ImagePullBackOff)${kubeletSays}`)
      case 'InvalidImageName':
        return signal('InvalidImageName', `container "${container}" has an invalid image name "${image}"${kubeletSays}`)
      case 'CreateContainerConfigError':
        return signal('CreateContainerConfigError', `container "${container}" cannot be created${kubeletSays}`)
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

  if (isRestartBurst(pod, status, options)) {
    return signal(
      'RestartBurst',
      `container "${container}" restarted ${restarts} times (threshold ${options.restartBurst.count} within ${roughly(options.restartBurst.windowMs)})${exitText(lastTermination)}`,
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

function isRestartBurst(pod: V1Pod, status: V1ContainerStatus, options: SignalOptions): boolean {
  const { count, windowMs } = options.restartBurst
  const restarts = status.restartCount ?? 0
  if (count <= 0 || restarts < count) return false
  const lastExit = timeOf(status.lastState?.terminated?.finishedAt)
  if (lastExit !== undefined && options.now - lastExit > windowMs) return false // it has been stable since
  const started = timeOf(pod.status?.startTime) ?? timeOf(pod.metadata?.creationTimestamp)
  if (started === undefined) return true
  const age = Math.max(options.now - started, 1)
  // A pod younger than the window had all its restarts inside it; an older one must restart at the burst rate.
  return age <= windowMs || restarts * windowMs >= count * age
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

const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`

/** A duration rounded to whole seconds for messages: `2m`, `45s`. */
const roughly = (ms: number): string => formatDuration(Math.round(ms / 1000) * 1000)
