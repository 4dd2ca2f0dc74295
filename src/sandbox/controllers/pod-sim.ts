// The pure part of the pod simulator (the kubelet's role, KWOK-like): a state machine per container
// (ContainerCreating → Running, ErrImagePull ⇄ ImagePullBackOff, CrashLoopBackOff with doubling
// back-off, exits for Job pods), readiness from probes, and the PodStatus rendered from it. The
// kubelet loop (kubelet.ts) keeps one PodSim per pod, advances it to "now", probes and writes the
// rendered status.
import { createHash } from 'node:crypto'
import { formatTime, parseTime } from '../clock.js'
import type { Container, ContainerState, ContainerStatus, Pod, PodCondition, PodPhase, PodStatus } from './api.js'
import { getPodCondition } from './pod-util.js'

export const NodeName = 'sandbox-node-0'
export const HostIP = '172.18.0.2'

export interface KubeletTiming {
  /** Scheduled → container started (image pull + create). */
  podStartDelayMs: number
  /** Deletion requested → pod gone (never longer than the pod's grace period). */
  podStopDelayMs: number
  /** Readiness probe period (a pod's periodSeconds is honoured when shorter). */
  probePeriodMs: number
  /** How long a crash-looping process runs before it exits. */
  crashAfterMs: number
  /** First CrashLoopBackOff / ImagePullBackOff delay; doubles per failure up to 5 minutes (the kubelet's is 10 s). */
  backoffBaseMs: number
  /** How long a Job container works before it exits (default behaviour). */
  jobRunMs: number
}

/** Timings derived from the start delay (the one knob tests turn). */
export function defaultTiming(podStartDelayMs = 1500): KubeletTiming {
  return {
    podStartDelayMs,
    podStopDelayMs: Math.min(1000, podStartDelayMs),
    probePeriodMs: Math.max(20, Math.min(1000, podStartDelayMs)),
    crashAfterMs: podStartDelayMs,
    backoffBaseMs: 2 * podStartDelayMs,
    jobRunMs: podStartDelayMs,
  }
}

export const MaxBackoffMs = 300_000

export function backoffDelay(timing: KubeletTiming, failures: number): number {
  return Math.min(timing.backoffBaseMs * 2 ** Math.max(0, failures - 1), MaxBackoffMs)
}

/** What a pod's processes do, decided from faults and Job annotations each time the pod is advanced. */
export interface PodBehaviour {
  imagePullFails: boolean
  run: { kind: 'serve' } | { kind: 'exit'; exitCode: number; afterMs: number }
}

export type ContainerPhase = 'creating' | 'pull-error' | 'pull-backoff' | 'running' | 'crash-backoff' | 'exited'

export interface Termination {
  exitCode: number
  reason: string
  startedAt: number
  finishedAt: number
  containerID: string
}

export interface ContainerSim {
  name: string
  image: string
  phase: ContainerPhase
  /** When the next transition is due (creating, pull-*, crash-backoff, and running processes that exit). */
  wakeAt?: number
  startedAt?: number
  containerID?: string
  restartCount: number
  /** Consecutive failures (pulls or exits), for the back-off. */
  failures: number
  lastTermination?: Termination
  termination?: Termination
  ready: boolean
  probeFailures: number
  nextProbeAt?: number
  /** The delay of the current back-off, for its message. */
  backoffMs?: number
}

export interface PodSim {
  uid: string
  scheduledAt: number
  ip?: string
  containers: ContainerSim[]
  ready: boolean
  readyChangedAt: number
  /** When deletion was first seen (Terminating). */
  deletingSince?: number
}

/** Something that happened, for the kubelet to turn into an Event. */
export type Happening =
  | { kind: 'pulling' | 'pulled' | 'started' | 'pull-failed' | 'pull-backoff' | 'restart-backoff'; container: string; image: string; delayMs?: number }
  | { kind: 'exited'; container: string; exitCode: number }

// ---- Containers ---------------------------------------------------------------------------------

function containerId(podUid: string, name: string, restartCount: number): string {
  return createHash('sha256').update(`${podUid}/${name}/${restartCount}`).digest('hex')
}

export function imageId(image: string): string {
  return `sha256:${createHash('sha256').update(image).digest('hex')}`
}

function start(c: ContainerSim, podUid: string, at: number, behaviour: PodBehaviour, out: Happening[]): void {
  c.phase = 'running'
  c.startedAt = at
  c.containerID = containerId(podUid, c.name, c.restartCount)
  c.ready = false
  c.probeFailures = 0
  c.nextProbeAt = undefined
  c.backoffMs = undefined
  c.wakeAt = behaviour.run.kind === 'exit' ? at + behaviour.run.afterMs : undefined
  out.push({ kind: 'started', container: c.name, image: c.image })
}

/**
 * Moves one container through every transition due by `now`. Behaviour is read as it is now, so a
 * cleared fault takes effect at the next attempt (next pull, next restart).
 */
export function advanceContainer(
  input: ContainerSim,
  podUid: string,
  behaviour: PodBehaviour,
  restartPolicy: 'Always' | 'OnFailure' | 'Never',
  timing: KubeletTiming,
  now: number,
): { container: ContainerSim; happenings: Happening[] } {
  const c: ContainerSim = { ...input }
  const out: Happening[] = []
  for (let guard = 0; guard < 1000; guard++) {
    const due = c.wakeAt
    if (due === undefined || now < due) break
    switch (c.phase) {
      case 'creating':
      case 'pull-backoff':
        out.push({ kind: 'pulling', container: c.name, image: c.image })
        if (behaviour.imagePullFails) {
          c.phase = 'pull-error'
          c.failures++
          // ErrImagePull shows until the kubelet's next look, then ImagePullBackOff.
          c.wakeAt = due + timing.probePeriodMs
          out.push({ kind: 'pull-failed', container: c.name, image: c.image })
        } else {
          out.push({ kind: 'pulled', container: c.name, image: c.image })
          c.failures = 0
          start(c, podUid, due, behaviour, out)
        }
        break
      case 'pull-error':
        c.phase = 'pull-backoff'
        c.backoffMs = backoffDelay(timing, c.failures)
        c.wakeAt = due + c.backoffMs
        out.push({ kind: 'pull-backoff', container: c.name, image: c.image })
        break
      case 'running': {
        if (behaviour.run.kind !== 'exit') {
          c.wakeAt = undefined
          break
        }
        const exitCode = behaviour.run.exitCode
        const termination: Termination = {
          exitCode,
          reason: exitCode === 0 ? 'Completed' : 'Error',
          startedAt: c.startedAt ?? due,
          finishedAt: due,
          containerID: c.containerID ?? '',
        }
        out.push({ kind: 'exited', container: c.name, exitCode })
        c.ready = false
        c.nextProbeAt = undefined
        const restarts = restartPolicy === 'Always' || (restartPolicy === 'OnFailure' && exitCode !== 0)
        if (restarts) {
          c.lastTermination = termination
          c.failures++
          c.phase = 'crash-backoff'
          c.backoffMs = backoffDelay(timing, c.failures)
          c.wakeAt = due + c.backoffMs
          out.push({ kind: 'restart-backoff', container: c.name, image: c.image, delayMs: c.backoffMs })
        } else {
          c.termination = termination
          c.phase = 'exited'
          c.wakeAt = undefined
        }
        break
      }
      case 'crash-backoff':
        c.restartCount++
        start(c, podUid, due, behaviour, out)
        break
      case 'exited':
        c.wakeAt = undefined
        break
    }
  }
  // A running process whose behaviour changed (a crashloop fault added or cleared) gets its exit
  // time recomputed from when it started.
  if (c.phase === 'running') {
    c.wakeAt = behaviour.run.kind === 'exit' ? Math.max(now, (c.startedAt ?? now) + behaviour.run.afterMs) : undefined
  }
  return { container: c, happenings: out }
}

// ---- Readiness ------------------------------------------------------------------------------------

/** The outcome of one readiness probe of one container. */
export type ProbeResult = { ok: true } | { ok: false; message: string }

/**
 * Applies a probe result (`failureThreshold` consecutive failures make a ready container unready; one
 * success makes it ready) and schedules the next probe.
 */
export function applyProbe(c: ContainerSim, result: ProbeResult, now: number, periodMs: number, failureThreshold: number): ContainerSim {
  const next = { ...c, nextProbeAt: now + periodMs }
  if (result.ok) {
    next.probeFailures = 0
    next.ready = true
  } else {
    next.probeFailures = c.probeFailures + 1
    if (!c.ready || next.probeFailures >= failureThreshold) next.ready = false
  }
  return next
}

// ---- Restoring from a stored status (sandbox restart) -------------------------------------------------

/**
 * A PodSim rebuilt from a pod's stored status, so a restarted sandbox carries on where it stopped.
 * Timestamps have whole-second precision; back-offs restart from now.
 */
export function restorePodSim(pod: Pod, timing: KubeletTiming, now: number): PodSim {
  const uid = pod.metadata.uid ?? ''
  const scheduledAt = parseTime(getPodCondition(pod, 'PodScheduled')?.lastTransitionTime) ?? now
  const statuses = new Map((pod.status?.containerStatuses ?? []).map((s) => [s.name, s]))
  const containers = (pod.spec.containers ?? []).map((spec): ContainerSim => {
    const s = statuses.get(spec.name)
    const base: ContainerSim = {
      name: spec.name,
      image: spec.image ?? '',
      phase: 'creating',
      wakeAt: Math.max(now, scheduledAt + timing.podStartDelayMs),
      restartCount: s?.restartCount ?? 0,
      failures: 0,
      ready: false,
      probeFailures: 0,
    }
    const last = s?.lastState?.terminated
    if (last) base.lastTermination = terminationFrom(last)
    if (s?.state?.running) {
      return { ...base, phase: 'running', wakeAt: undefined, startedAt: parseTime(s.state.running.startedAt) ?? now, containerID: stripRuntime(s.containerID), ready: s.ready }
    }
    if (s?.state?.terminated) return { ...base, phase: 'exited', wakeAt: undefined, termination: terminationFrom(s.state.terminated) }
    const reason = s?.state?.waiting?.reason
    if (reason === 'ErrImagePull' || reason === 'ImagePullBackOff') return { ...base, phase: 'pull-backoff', failures: 1, backoffMs: timing.backoffBaseMs, wakeAt: now + timing.backoffBaseMs }
    if (reason === 'CrashLoopBackOff') return { ...base, phase: 'crash-backoff', failures: 1, backoffMs: timing.backoffBaseMs, wakeAt: now + timing.backoffBaseMs }
    return base
  })
  const ready = getPodCondition(pod, 'Ready')?.status === 'True'
  return {
    uid,
    scheduledAt,
    ip: pod.status?.podIP,
    containers,
    ready,
    readyChangedAt: parseTime(getPodCondition(pod, 'Ready')?.lastTransitionTime) ?? scheduledAt,
    deletingSince: undefined,
  }
}

function stripRuntime(id: string | undefined): string | undefined {
  return id?.replace(/^containerd:\/\//, '')
}

function terminationFrom(t: NonNullable<ContainerState['terminated']>): Termination {
  return {
    exitCode: t.exitCode,
    reason: t.reason ?? (t.exitCode === 0 ? 'Completed' : 'Error'),
    startedAt: parseTime(t.startedAt) ?? 0,
    finishedAt: parseTime(t.finishedAt) ?? 0,
    containerID: stripRuntime(t.containerID) ?? '',
  }
}

/** A new PodSim for a pod just bound to the node. */
export function newPodSim(pod: Pod, scheduledAt: number, timing: KubeletTiming): PodSim {
  return {
    uid: pod.metadata.uid ?? '',
    scheduledAt,
    containers: (pod.spec.containers ?? []).map((spec: Container) => ({
      name: spec.name,
      image: spec.image ?? '',
      phase: 'creating',
      wakeAt: scheduledAt + timing.podStartDelayMs,
      restartCount: 0,
      failures: 0,
      ready: false,
      probeFailures: 0,
    })),
    ready: false,
    readyChangedAt: scheduledAt,
  }
}

// ---- Rendering the PodStatus -------------------------------------------------------------------------

function renderTermination(t: Termination): NonNullable<ContainerState['terminated']> {
  return {
    exitCode: t.exitCode,
    reason: t.reason,
    startedAt: formatTime(t.startedAt),
    finishedAt: formatTime(t.finishedAt),
    containerID: `containerd://${t.containerID}`,
  }
}

function renderState(c: ContainerSim, pod: Pod): ContainerState {
  switch (c.phase) {
    case 'creating':
      return { waiting: { reason: 'ContainerCreating' } }
    case 'pull-error':
      return {
        waiting: {
          reason: 'ErrImagePull',
          message: `rpc error: code = NotFound desc = failed to pull and unpack image "${c.image}": failed to resolve reference "${c.image}": ${c.image}: not found`,
        },
      }
    case 'pull-backoff':
      return { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}"` } }
    case 'running':
      return { running: { startedAt: formatTime(c.startedAt ?? 0) } }
    case 'crash-backoff':
      return {
        waiting: {
          reason: 'CrashLoopBackOff',
          message: `back-off ${formatGoDuration(c.backoffMs ?? 0)} restarting failed container=${c.name} pod=${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`,
        },
      }
    case 'exited':
      return { terminated: renderTermination(c.termination!) }
  }
}

/** Go's time.Duration String for whole milliseconds: 10s, 1m20s, 1.5s, 200ms. */
export function formatGoDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  const minutes = Math.floor(ms / 60_000)
  const seconds = (ms % 60_000) / 1000
  const secondsText = `${Number.isInteger(seconds) ? seconds : seconds.toFixed(3).replace(/0+$/, '')}s`
  return minutes > 0 ? `${minutes}m${secondsText}` : secondsText
}

/** Pod phase from its containers: Pending until every container has started once; terminal when all exited. */
export function podPhase(sim: PodSim): PodPhase {
  const containers = sim.containers
  if (containers.length > 0 && containers.every((c) => c.phase === 'exited')) {
    return containers.every((c) => c.termination?.exitCode === 0) ? 'Succeeded' : 'Failed'
  }
  const everStarted = (c: ContainerSim) => c.startedAt !== undefined || c.restartCount > 0 || c.lastTermination !== undefined || c.termination !== undefined
  return containers.every(everStarted) ? 'Running' : 'Pending'
}

/** The PodStatus the kubelet reports for a simulated pod. */
export function renderPodStatus(pod: Pod, sim: PodSim): PodStatus {
  const phase = podPhase(sim)
  const scheduled = formatTime(sim.scheduledAt)
  const terminal = phase === 'Succeeded' || phase === 'Failed'
  const unready = sim.containers.filter((c) => !c.ready).map((c) => c.name)
  const readyCondition = (type: string): PodCondition => {
    if (terminal) return { type, status: 'False', lastProbeTime: null, lastTransitionTime: formatTime(sim.readyChangedAt), reason: 'PodCompleted' }
    if (sim.ready) return { type, status: 'True', lastProbeTime: null, lastTransitionTime: formatTime(sim.readyChangedAt) }
    return {
      type,
      status: 'False',
      lastProbeTime: null,
      lastTransitionTime: formatTime(sim.readyChangedAt),
      reason: 'ContainersNotReady',
      message: `containers with unready status: [${unready.join(' ')}]`,
    }
  }
  const conditions: PodCondition[] = [
    { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: scheduled },
    readyCondition('Ready'),
    readyCondition('ContainersReady'),
    { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: scheduled },
  ]
  const containerStatuses: ContainerStatus[] = sim.containers.map((c) => {
    const status: ContainerStatus = {
      name: c.name,
      state: renderState(c, pod),
      lastState: c.lastTermination ? { terminated: renderTermination(c.lastTermination) } : {},
      ready: c.ready,
      restartCount: c.restartCount,
      image: c.image,
      imageID: c.containerID ? imageId(c.image) : '',
      started: c.phase === 'running',
    }
    if (c.containerID && c.phase !== 'creating') status.containerID = `containerd://${c.containerID}`
    return status
  })
  const status: PodStatus = {
    phase,
    conditions,
    hostIP: HostIP,
    hostIPs: [{ ip: HostIP }],
    startTime: scheduled,
    containerStatuses,
  }
  if (sim.ip) {
    status.podIP = sim.ip
    status.podIPs = [{ ip: sim.ip }]
  }
  if (pod.status?.qosClass) status.qosClass = pod.status.qosClass
  return status
}
