// The pod simulator: the scheduler's and the kubelet's roles for the one sandbox node. Binds new
// pods to `sandbox-node-0`, runs their containers through pod-sim.ts's state machine, probes
// readiness against the simulated application (app.ts), reports status, and finishes graceful
// deletions. Event-driven: store events and per-pod timers (next transition, next probe), no polling.
import { respond } from '../app.js'
import type { FaultRegistry, PodFault } from '../faults.js'
import { deepEqual } from '../json.js'
import type { KubeObject, Store } from '../types.js'
import type { Container, Job, Pod } from './api.js'
import { controllerOf, R, splitKey } from './api.js'
import type { EventRecorder } from './events.js'
import type { Happening, KubeletTiming, PodBehaviour, PodSim, ProbeResult } from './pod-sim.js'
import { advanceContainer, applyProbe, NodeName, newPodSim, podPhase, renderPodStatus, restorePodSim } from './pod-sim.js'
import { isPodTerminating } from './pod-util.js'
import type { WorkQueue } from './runtime.js'

/** Job pods read their behaviour from this annotation (on the pod template or the Job): succeed | fail | slow=<duration>. */
export const JobBehaviorAnnotation = 'sandbox.mkt/job-behavior'

// ---- Pure: behaviour and probes -------------------------------------------------------------------

/** `5s`, `1500ms`, `2m`, `1m30s` → ms; undefined when unparseable. */
export function parseDuration(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g
  let total = 0
  let consumed = 0
  for (const match of text.matchAll(re)) {
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h']
    total += Number(match[1]) * unit
    consumed += match[0].length
  }
  if (consumed !== text.length || consumed === 0) return /^\d+$/.test(text) ? Number(text) : undefined
  return total
}

/**
 * What the pod's processes do: from the pod faults (crashloop, image-pull-error) and, for Job pods,
 * the job-behavior annotation (default: succeed after `jobRunMs`).
 */
export function podBehaviour(pod: Pod, faults: readonly PodFault[], jobAnnotation: string | undefined, timing: KubeletTiming): PodBehaviour {
  const imagePullFails = faults.some((f) => f.kind === 'image-pull-error')
  const crashes = faults.some((f) => f.kind === 'crashloop')
  const isJobPod = controllerOf(pod.metadata)?.kind === 'Job' || (pod.spec.restartPolicy !== undefined && pod.spec.restartPolicy !== 'Always')
  if (!isJobPod) {
    return { imagePullFails, run: crashes ? { kind: 'exit', exitCode: 1, afterMs: timing.crashAfterMs } : { kind: 'serve' } }
  }
  const annotation = (pod.metadata.annotations?.[JobBehaviorAnnotation] ?? jobAnnotation ?? 'succeed').trim()
  if (crashes || annotation === 'fail') return { imagePullFails, run: { kind: 'exit', exitCode: 1, afterMs: timing.jobRunMs } }
  if (annotation.startsWith('slow=')) {
    return { imagePullFails, run: { kind: 'exit', exitCode: 0, afterMs: parseDuration(annotation.slice(5)) ?? timing.jobRunMs } }
  }
  return { imagePullFails, run: { kind: 'exit', exitCode: 0, afterMs: timing.jobRunMs } }
}

/**
 * One readiness probe of a running container against the simulated application. A container with
 * an httpGet readinessProbe is probed at its path; one with another kind of probe, or none in a
 * long-running pod, at /health/ready (every platform service serves it; this is how faults reach
 * readiness). A Job container without a probe is ready while it runs, like on a real node.
 */
export function probeContainer(pod: Pod, container: Container, startedAt: number, faults: readonly PodFault[], now: number): ProbeResult {
  const probe = container.readinessProbe
  const longRunning = (pod.spec.restartPolicy ?? 'Always') === 'Always'
  if (!probe && !longRunning) return { ok: true }
  // The application answers on every port, so the probe's port does not change the answer.
  const path = probe?.httpGet?.path ?? '/health/ready'
  const response = respond('GET', path, faults, { startedAt, now })
  if (response.status >= 200 && response.status < 400) return { ok: true }
  return { ok: false, message: `Readiness probe failed: HTTP probe failed with statuscode: ${response.status}` }
}

/**
 * A readinessProbe's own period (the API server defaults it to 10 s), as a kubelet honours it; the implicit
 * probe of a long-running container without one runs at the simulator's period.
 */
export function probePeriodMs(container: Container, timing: KubeletTiming): number {
  const probe = container.readinessProbe
  if (!probe) return timing.probePeriodMs
  return (probe.periodSeconds ?? 10) * 1000
}

// ---- The loop -------------------------------------------------------------------------------------

export interface KubeletDeps {
  store: Store
  now: () => number
  faults: FaultRegistry
  timing: KubeletTiming
  /** Events signed by the kubelet and by the scheduler. */
  events: EventRecorder
  schedulerEvents: EventRecorder
  queue: () => WorkQueue
  log: (message: string, error?: unknown) => void
  /**
   * True while a freshly seeded namespace comes up: pods bound then start at once (their images are already on
   * the node, as in a namespace that has been running), so the seeded platform is ready when the sandbox answers.
   */
  warmStart?: () => boolean
}

export class Kubelet {
  private readonly sims = new Map<string, PodSim>()
  private readonly usedIPs = new Set<string>()
  private nextIP = 2

  constructor(private readonly deps: KubeletDeps) {
    for (const pod of deps.store.list(R.pods, undefined) as Pod[]) if (pod.status?.podIP) this.usedIPs.add(pod.status.podIP)
  }

  /** Faults changed: probe every running container now and re-evaluate every pod. */
  faultsChanged(): void {
    const now = this.deps.now()
    for (const sim of this.sims.values()) for (const c of sim.containers) if (c.phase === 'running') c.nextProbeAt = now
  }

  forget(pod: KubeObject): void {
    const sim = pod.metadata.uid ? this.sims.get(pod.metadata.uid) : undefined
    if (sim?.ip) this.usedIPs.delete(sim.ip)
    if (pod.metadata.uid) this.sims.delete(pod.metadata.uid)
  }

  sync(key: string): void {
    const { namespace, name } = splitKey(key)
    const { store } = this.deps
    let pod = store.get(R.pods, namespace, name) as Pod | undefined
    if (!pod) return
    const now = this.deps.now()

    if (isPodTerminating(pod)) return this.finishDeletion(key, pod, now)
    const phase = pod.status?.phase
    if ((phase === 'Succeeded' || phase === 'Failed') && !this.sims.has(pod.metadata.uid ?? '')) return

    // The scheduler's part: bind to the node.
    if (!pod.spec.nodeName) {
      pod = store.update(R.pods, { ...pod, spec: { ...pod.spec, nodeName: NodeName } } as KubeObject) as Pod
      this.deps.schedulerEvents.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to ${NodeName}`)
      const scheduledAt = this.deps.warmStart?.() ? now - this.deps.timing.podStartDelayMs : now
      this.sims.set(pod.metadata.uid ?? '', newPodSim(pod, scheduledAt, this.deps.timing))
    }
    if (pod.spec.nodeName !== NodeName) return

    const uid = pod.metadata.uid ?? ''
    let sim = this.sims.get(uid)
    if (!sim) {
      sim = restorePodSim(pod, this.deps.timing, now)
      this.sims.set(uid, sim)
    }

    this.advance(pod, sim, now)

    const status = renderPodStatus(pod, sim)
    const current = store.get(R.pods, namespace, name) as Pod | undefined
    if (current && current.metadata.uid === uid && !deepEqual(current.status ?? {}, status)) {
      store.update(R.pods, { ...current, status } as KubeObject, { subresource: 'status' })
    }
    const wakeAt = nextWake(sim)
    if (wakeAt !== undefined) this.deps.queue().addAt(key, wakeAt)
  }

  private advance(pod: Pod, sim: PodSim, now: number): void {
    const faults = this.deps.faults.podFaultsFor(pod)
    const behaviour = podBehaviour(pod, faults, this.jobAnnotation(pod), this.deps.timing)
    const restartPolicy = pod.spec.restartPolicy ?? 'Always'
    const specs = new Map((pod.spec.containers ?? []).map((c) => [c.name, c]))

    sim.containers = sim.containers.map((c) => {
      const { container, happenings } = advanceContainer(c, sim.uid, behaviour, restartPolicy, this.deps.timing, now)
      for (const happening of happenings) this.record(pod, happening)
      return container
    })
    // The pod network comes up with the first container start attempt.
    if (!sim.ip && sim.containers.some((c) => c.phase !== 'creating')) sim.ip = this.allocateIP()

    sim.containers = sim.containers.map((c) => {
      if (c.phase !== 'running') return { ...c, ready: false, nextProbeAt: undefined }
      const spec = specs.get(c.name)
      if (!spec) return c
      const initialDelay = (spec.readinessProbe?.initialDelaySeconds ?? 0) * 1000
      const firstProbeAt = (c.startedAt ?? now) + initialDelay
      const dueAt = c.nextProbeAt ?? firstProbeAt
      if (now < dueAt) return { ...c, nextProbeAt: dueAt }
      const result = probeContainer(pod, spec, c.startedAt ?? now, faults, now)
      const probed = applyProbe(c, result, now, probePeriodMs(spec, this.deps.timing), spec.readinessProbe?.failureThreshold ?? 3)
      // Like the kubelet's prober: a Warning on every failed probe (the recorder aggregates repeats into count).
      if (!result.ok) this.deps.events.event(pod, 'Warning', 'Unhealthy', result.message)
      return probed
    })

    const ready = podPhase(sim) === 'Running' && sim.containers.length > 0 && sim.containers.every((c) => c.ready)
    if (ready !== sim.ready) {
      sim.ready = ready
      sim.readyChangedAt = now
    }
  }

  /** Terminating: stop the containers, then remove the pod (the kubelet's delete with grace 0). */
  private finishDeletion(key: string, pod: Pod, now: number): void {
    const uid = pod.metadata.uid ?? ''
    let sim = this.sims.get(uid)
    if (!sim) {
      sim = restorePodSim(pod, this.deps.timing, now)
      this.sims.set(uid, sim)
    }
    if (sim.deletingSince === undefined) {
      sim.deletingSince = now
      for (const c of sim.containers) if (c.phase === 'running') this.deps.events.event(pod, 'Normal', 'Killing', `Stopping container ${c.name}`)
    }
    const graceMs = (Number(pod.metadata.deletionGracePeriodSeconds ?? 30) || 0) * 1000
    const goneAt = sim.deletingSince + Math.min(graceMs, this.deps.timing.podStopDelayMs)
    if (now < goneAt) {
      this.deps.queue().addAt(key, goneAt)
      return
    }
    try {
      this.deps.store.delete(R.pods, pod.metadata.namespace, pod.metadata.name, { uid }, { gracePeriodSeconds: 0 })
    } catch (error) {
      if ((error as { code?: number }).code !== 404 && (error as { code?: number }).code !== 409) throw error
    }
    this.forget(pod)
  }

  private jobAnnotation(pod: Pod): string | undefined {
    const ref = controllerOf(pod.metadata)
    if (ref?.kind !== 'Job') return undefined
    const job = this.deps.store.get(R.jobs, pod.metadata.namespace, ref.name) as Job | undefined
    return job?.metadata.annotations?.[JobBehaviorAnnotation]
  }

  private record(pod: Pod, happening: Happening): void {
    const events = this.deps.events
    switch (happening.kind) {
      case 'pulling':
        return events.event(pod, 'Normal', 'Pulling', `Pulling image "${happening.image}"`)
      case 'pulled':
        return events.event(pod, 'Normal', 'Pulled', `Successfully pulled image "${happening.image}" in ${(this.deps.timing.podStartDelayMs / 1000).toFixed(3)}s`)
      case 'started':
        events.event(pod, 'Normal', 'Created', `Created container ${happening.container}`)
        return events.event(pod, 'Normal', 'Started', `Started container ${happening.container}`)
      case 'pull-failed':
        events.event(pod, 'Warning', 'Failed', `Failed to pull image "${happening.image}": rpc error: code = NotFound desc = failed to pull and unpack image "${happening.image}": not found`)
        return events.event(pod, 'Warning', 'Failed', 'Error: ErrImagePull')
      case 'pull-backoff':
        events.event(pod, 'Normal', 'BackOff', `Back-off pulling image "${happening.image}"`)
        return events.event(pod, 'Warning', 'Failed', 'Error: ImagePullBackOff')
      case 'restart-backoff':
        return events.event(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${happening.container} in pod ${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`)
      case 'exited':
        return
    }
  }

  /** 10.244.x.y, unique among live pods. */
  private allocateIP(): string {
    for (let i = 0; i < 65_000; i++) {
      const n = this.nextIP
      this.nextIP = this.nextIP >= 65_000 ? 2 : this.nextIP + 1
      const y = n % 256
      if (y === 0 || y === 255) continue
      const ip = `10.244.${Math.floor(n / 256)}.${y}`
      if (!this.usedIPs.has(ip)) {
        this.usedIPs.add(ip)
        return ip
      }
    }
    throw new Error('sandbox: no pod IP addresses left in 10.244.0.0/16')
  }
}

/** The earliest pending transition or probe of the pod. */
function nextWake(sim: PodSim): number | undefined {
  const times = sim.containers.flatMap((c) => [c.wakeAt, c.nextProbeAt]).filter((t): t is number => t !== undefined)
  return times.length > 0 ? Math.min(...times) : undefined
}

