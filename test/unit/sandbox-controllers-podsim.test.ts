import { describe, expect, it } from 'vitest'
import type { Pod } from '../../src/sandbox/controllers/api.js'
import { parseDuration, podBehaviour, probeContainer } from '../../src/sandbox/controllers/kubelet.js'
import type { ContainerSim, KubeletTiming, PodBehaviour } from '../../src/sandbox/controllers/pod-sim.js'
import { advanceContainer, applyProbe, defaultTiming, formatGoDuration, newPodSim, podPhase, renderPodStatus, restorePodSim } from '../../src/sandbox/controllers/pod-sim.js'
import { podLog, PodLogError } from '../../src/sandbox/controllers/podlog.js'
import type { PodFault } from '../../src/sandbox/faults.js'
import { T0 } from './sandbox-controllers-fixtures.js'

const timing: KubeletTiming = { ...defaultTiming(100), backoffBaseMs: 1000, crashAfterMs: 500, probePeriodMs: 100, jobRunMs: 300 }
const serve: PodBehaviour = { imagePullFails: false, run: { kind: 'serve' } }
const crash: PodBehaviour = { imagePullFails: false, run: { kind: 'exit', exitCode: 1, afterMs: 500 } }
const badImage: PodBehaviour = { imagePullFails: true, run: { kind: 'serve' } }

function newPod(overrides: Partial<Pod['spec']> = {}, labels: Record<string, string> = { 'app.kubernetes.io/name': 'web' }): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-abc-xyz12', namespace: 'default', uid: 'pod-uid', labels },
    spec: { nodeName: 'sandbox-node-0', containers: [{ name: 'app', image: 'reg/web:1.2', ports: [{ name: 'http', containerPort: 8080 }] }], ...overrides },
    status: { phase: 'Pending', qosClass: 'BestEffort' },
  }
}

function step(c: ContainerSim, behaviour: PodBehaviour, now: number, restartPolicy: 'Always' | 'OnFailure' | 'Never' = 'Always') {
  return advanceContainer(c, 'pod-uid', behaviour, restartPolicy, timing, now)
}

describe('pod simulator: containers', () => {
  const created = newPodSim(newPod(), T0, timing).containers[0]

  it('stays ContainerCreating for the start delay, then runs', () => {
    expect(step(created, serve, T0 + 99).container.phase).toBe('creating')
    const { container, happenings } = step(created, serve, T0 + 100)
    expect(container).toMatchObject({ phase: 'running', startedAt: T0 + 100, restartCount: 0, ready: false })
    expect(happenings.map((h) => h.kind)).toEqual(['pulling', 'pulled', 'started'])
  })

  it('crash-loops: exits with 1 after running, backs off doubling, restarts counting restarts', () => {
    let c = step(created, crash, T0 + 100).container
    c = step(c, crash, T0 + 600).container
    expect(c).toMatchObject({ phase: 'crash-backoff', restartCount: 0, backoffMs: 1000, wakeAt: T0 + 1600 })
    expect(c.lastTermination).toMatchObject({ exitCode: 1, reason: 'Error', startedAt: T0 + 100, finishedAt: T0 + 600 })
    c = step(c, crash, T0 + 1600).container
    expect(c).toMatchObject({ phase: 'running', restartCount: 1, startedAt: T0 + 1600 })
    c = step(c, crash, T0 + 2100).container
    expect(c).toMatchObject({ phase: 'crash-backoff', backoffMs: 2000, wakeAt: T0 + 4100 })
    // the fault is cleared: the next restart stays up
    c = step(c, serve, T0 + 4100).container
    expect(c).toMatchObject({ phase: 'running', restartCount: 2, wakeAt: undefined })
  })

  it('alternates ErrImagePull and ImagePullBackOff until the image can be pulled', () => {
    let c = step(created, badImage, T0 + 100).container
    expect(c).toMatchObject({ phase: 'pull-error', failures: 1 })
    c = step(c, badImage, T0 + 200).container
    expect(c).toMatchObject({ phase: 'pull-backoff', wakeAt: T0 + 1200 })
    c = step(c, badImage, T0 + 1200).container
    expect(c).toMatchObject({ phase: 'pull-error', failures: 2 })
    c = step(c, badImage, T0 + 1300).container
    expect(c.wakeAt).toBe(T0 + 3300)
    c = step(c, serve, T0 + 3300).container
    expect(c).toMatchObject({ phase: 'running', startedAt: T0 + 3300 })
  })

  it('Job containers exit and stay exited with restartPolicy Never', () => {
    const succeed: PodBehaviour = { imagePullFails: false, run: { kind: 'exit', exitCode: 0, afterMs: 300 } }
    let c = step(created, succeed, T0 + 100, 'Never').container
    c = step(c, succeed, T0 + 400, 'Never').container
    expect(c).toMatchObject({ phase: 'exited', termination: { exitCode: 0, reason: 'Completed' } })
  })

  it('readiness: one success makes ready, failureThreshold failures make unready', () => {
    let c: ContainerSim = { ...step(created, serve, T0 + 100).container }
    c = applyProbe(c, { ok: true }, T0 + 100, 100, 3)
    expect(c.ready).toBe(true)
    c = applyProbe(c, { ok: false, message: 'x' }, T0 + 200, 100, 3)
    c = applyProbe(c, { ok: false, message: 'x' }, T0 + 300, 100, 3)
    expect(c.ready).toBe(true)
    c = applyProbe(c, { ok: false, message: 'x' }, T0 + 400, 100, 3)
    expect(c).toMatchObject({ ready: false, nextProbeAt: T0 + 500 })
  })
})

describe('pod simulator: status', () => {
  it('renders Pending with ContainerCreating, then Running and Ready with real transition times', () => {
    const pod = newPod()
    const sim = newPodSim(pod, T0, timing)
    const pending = renderPodStatus(pod, sim)
    expect(pending.phase).toBe('Pending')
    expect(pending.podIP).toBeUndefined()
    expect(pending.containerStatuses?.[0]).toMatchObject({ state: { waiting: { reason: 'ContainerCreating' } }, ready: false, restartCount: 0, started: false })
    expect(pending.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Initialized', 'True', undefined],
      ['Ready', 'False', 'ContainersNotReady'],
      ['ContainersReady', 'False', 'ContainersNotReady'],
      ['PodScheduled', 'True', undefined],
    ])
    sim.containers = [applyProbe(step(sim.containers[0], serve, T0 + 2000).container, { ok: true }, T0 + 2000, 100, 3)]
    sim.ip = '10.244.0.7'
    sim.ready = true
    sim.readyChangedAt = T0 + 2000
    const running = renderPodStatus(pod, sim)
    expect(running).toMatchObject({ phase: 'Running', podIP: '10.244.0.7', hostIP: '172.18.0.2', startTime: '2026-01-01T00:00:00Z', qosClass: 'BestEffort' })
    expect(running.conditions?.find((c) => c.type === 'Ready')).toEqual({ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-01-01T00:00:02Z' })
    expect(running.containerStatuses?.[0].state).toEqual({ running: { startedAt: '2026-01-01T00:00:00Z' } })
    expect(running.containerStatuses?.[0].containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/)
  })

  it('renders CrashLoopBackOff with lastState terminated and survives a restore', () => {
    const pod = newPod()
    const sim = newPodSim(pod, T0, timing)
    let c = step(sim.containers[0], crash, T0 + 100).container
    c = step(c, crash, T0 + 600).container
    sim.containers = [c]
    const status = renderPodStatus(pod, sim)
    expect(status.phase).toBe('Running')
    expect(status.containerStatuses?.[0].state?.waiting).toEqual({
      reason: 'CrashLoopBackOff',
      message: 'back-off 1s restarting failed container=app pod=web-abc-xyz12_default(pod-uid)',
    })
    expect(status.containerStatuses?.[0].lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' })
    const restored = restorePodSim({ ...pod, status }, timing, T0 + 10_000)
    expect(restored.containers[0]).toMatchObject({ phase: 'crash-backoff', restartCount: 0 })
    expect(podPhase(restored)).toBe('Running')
  })

  it('an image pull failure keeps the pod Pending', () => {
    const pod = newPod()
    const sim = newPodSim(pod, T0, timing)
    sim.containers = [step(sim.containers[0], badImage, T0 + 100).container]
    expect(renderPodStatus(pod, sim)).toMatchObject({ phase: 'Pending', containerStatuses: [{ state: { waiting: { reason: 'ErrImagePull' } } }] })
  })

  it('formats back-off durations like Go', () => {
    expect([formatGoDuration(10_000), formatGoDuration(80_000), formatGoDuration(300_000), formatGoDuration(200), formatGoDuration(1500)]).toEqual(['10s', '1m20s', '5m0s', '200ms', '1.5s'])
  })
})

describe('pod simulator: behaviour and probes', () => {
  const fault = (kind: PodFault['kind'], extra: Partial<PodFault> = {}): PodFault => ({ type: 'pod', id: 'f', component: 'web', kind, ...extra })

  it('maps faults and job annotations to behaviour', () => {
    expect(podBehaviour(newPod(), [], undefined, timing)).toEqual(serve)
    expect(podBehaviour(newPod(), [fault('crashloop')], undefined, timing).run).toEqual({ kind: 'exit', exitCode: 1, afterMs: 500 })
    expect(podBehaviour(newPod(), [fault('image-pull-error')], undefined, timing).imagePullFails).toBe(true)
    const jobPod = newPod({ restartPolicy: 'Never' })
    expect(podBehaviour(jobPod, [], undefined, timing).run).toEqual({ kind: 'exit', exitCode: 0, afterMs: 300 })
    expect(podBehaviour(jobPod, [], 'fail', timing).run).toEqual({ kind: 'exit', exitCode: 1, afterMs: 300 })
    expect(podBehaviour(jobPod, [], 'slow=2s', timing).run).toEqual({ kind: 'exit', exitCode: 0, afterMs: 2000 })
    expect(parseDuration('1m30s')).toBe(90_000)
    expect(parseDuration('250ms')).toBe(250)
    expect(parseDuration('soon')).toBeUndefined()
  })

  it('probes the simulated application: not-ready fails, slow-ready passes after its duration', () => {
    const pod = newPod()
    const container = pod.spec.containers![0]
    expect(probeContainer(pod, container, T0, [], T0)).toEqual({ ok: true })
    expect(probeContainer(pod, container, T0, [fault('not-ready')], T0)).toEqual({ ok: false, message: 'Readiness probe failed: HTTP probe failed with statuscode: 503' })
    expect(probeContainer(pod, container, T0, [fault('degraded')], T0)).toEqual({ ok: true })
    expect(probeContainer(pod, container, T0, [fault('slow-ready', { durationMs: 3000 })], T0 + 2999).ok).toBe(false)
    expect(probeContainer(pod, container, T0, [fault('slow-ready', { durationMs: 3000 })], T0 + 3000).ok).toBe(true)
    // A probe on a path the application does not serve fails like on a cluster (404).
    const custom = { ...container, readinessProbe: { httpGet: { path: '/healthz', port: 'http' } } }
    expect(probeContainer(pod, custom, T0, [], T0)).toEqual({ ok: false, message: 'Readiness probe failed: HTTP probe failed with statuscode: 404' })
  })
})

describe('synthetic pod logs', () => {
  const running = (): Pod => ({
    ...newPod(),
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: { running: { startedAt: '2026-01-01T00:00:05Z' } } }] },
  })

  it('shows ASP.NET Core start-up for a running service', () => {
    const log = podLog(running())
    expect(log).toContain('Now listening on: http://[::]:8080')
    expect(log).toContain('Application started.')
    expect(podLog(running(), { tailLines: 1, timestamps: true })).toBe('2026-01-01T00:00:05.000000000Z       Content root path: /app\n')
  })

  it('shows the crash of the previous run and refuses logs of containers that never started', () => {
    const crashed = running()
    crashed.status!.containerStatuses = [{ name: 'app', ready: false, restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: '2026-01-01T00:00:05Z', finishedAt: '2026-01-01T00:00:06Z' } } }]
    expect(podLog(crashed, { previous: true })).toContain('Unhandled exception.')
    const waiting = running()
    waiting.status!.containerStatuses = [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff' } } }]
    expect(() => podLog(waiting)).toThrow(new PodLogError('container "app" in pod "web-abc-xyz12" is waiting to start: ImagePullBackOff'))
    expect(() => podLog(running(), { previous: true })).toThrow(/previous terminated container "app" in pod "web-abc-xyz12" not found/)
  })

  it('tells a Job pod its outcome', () => {
    const jobPod: Pod = {
      ...newPod({ restartPolicy: 'Never' }, { 'job-name': 'migrate' }),
      status: { phase: 'Failed', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error', startedAt: '2026-01-01T00:00:05Z', finishedAt: '2026-01-01T00:00:09Z' } } }] },
    }
    expect(podLog(jobPod)).toContain('migrate failed')
  })
})
