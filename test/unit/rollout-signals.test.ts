import { describe, expect, it } from 'vitest'
import { describePodState, observePods, podFailureSignals, restartsWithin, summarizePods, type PodObservations, type SignalOptions } from '../../src/rollout/signals.js'
import { APP, REPO, T0, pod, replicaSet, typed } from '../helpers/rollout-fixtures.js'

const now = T0
const options: SignalOptions = { now, restartBurst: { count: 3, windowMs: 5 * 60_000 } }
const newRs = replicaSet({ image: `${REPO}:2.0.0`, hash: '5f6d8c7b9', revision: 3, created: T0 - 120_000, replicas: 2 })
const oldRs = replicaSet({ image: `${REPO}:1.4.0`, hash: '7d9c8b6f5', revision: 2, created: T0 - 86_400_000, replicas: 2 })
const name = (suffix: string) => `${APP}-5f6d8c7b9-${suffix}`

describe('podFailureSignals', () => {
  it('finds nothing in healthy running pods', () => {
    expect(podFailureSignals([pod({ rs: newRs, suffix: 'x7k2p' }), pod({ rs: newRs, suffix: 'q9w4z' })], options)).toEqual([])
  })

  it('catches CrashLoopBackOff on its first back-off', () => {
    const crashing = pod({
      rs: newRs,
      suffix: 'x7k2p',
      ready: false,
      container: {
        restartCount: 1,
        waiting: { reason: 'CrashLoopBackOff', message: `back-off 10s restarting failed container=${APP} pod=${name('x7k2p')}` },
        lastTerminated: { exitCode: 139, reason: 'Error', finishedAt: now - 2_000 },
      },
    })
    expect(podFailureSignals([crashing], options)).toEqual([
      { pod: name('x7k2p'), container: APP, reason: 'CrashLoopBackOff', restarts: 1, message: `container "${APP}" is in CrashLoopBackOff, 1 restart, last exit code 139 (Error)` },
    ])
  })

  it.each([
    ['ImagePullBackOff', 'Back-off pulling image "mktacr.azurecr.io/marketplace-catalog-service:2.0.1"', 'cannot pull image'],
    ['InvalidImageName', 'Failed to apply default image tag "Bad:Image": couldn\'t parse image reference', 'has an invalid image name'],
  ])('treats %s as decisive on sight', (reason, message, phrase) => {
    const stuck = pod({ rs: newRs, suffix: 'x7k2p', ready: false, container: { waiting: { reason, message } } })
    const [signal] = podFailureSignals([stuck], options)
    expect(signal).toMatchObject({ pod: name('x7k2p'), container: APP, reason, restarts: 0 })
    expect(signal!.message).toContain(phrase)
    expect(signal!.message).toContain(message)
  })

  describe.each([
    ['ErrImagePull', 'rpc error: code = Unknown desc = failed to pull: 429 Too Many Requests (ACR throttling)', 'cannot pull image'],
    ['CreateContainerConfigError', 'secret "catalog-db" not found', 'cannot be created'],
  ])('%s fails only when it persists', (reason, message, phrase) => {
    const stuck = pod({ rs: newRs, suffix: 'x7k2p', ready: false, container: { waiting: { reason, message } } })
    /** Watches the pod from `since` to `until`, once a second, and returns what was observed. */
    const watched = (since: number, until: number): PodObservations => {
      let seen: PodObservations = new Map()
      for (let at = since; at <= until; at += 1_000) seen = observePods(seen, [stuck], at, 5 * 60_000)
      return seen
    }

    it('is not a failure on first sight, nor within the 20 s window', () => {
      expect(podFailureSignals([stuck], options)).toEqual([])
      expect(podFailureSignals([stuck], { ...options, observations: watched(now - 19_000, now) })).toEqual([])
    })

    it('fails once it has lasted the window, saying for how long', () => {
      const [signal] = podFailureSignals([stuck], { ...options, observations: watched(now - 20_000, now) })
      expect(signal).toMatchObject({ pod: name('x7k2p'), reason })
      expect(signal!.message).toContain(phrase)
      expect(signal!.message).toContain(`(${reason} for 20s)`)
      expect(signal!.message).toContain(message)
    })

    it('starts the window over when the state changes in between (the Secret arrived, a pull succeeded)', () => {
      const running = pod({ rs: newRs, suffix: 'x7k2p', ready: false })
      let seen: PodObservations = watched(now - 60_000, now - 30_000)
      seen = observePods(seen, [running], now - 29_000, 5 * 60_000)
      seen = observePods(seen, [stuck], now - 10_000, 5 * 60_000)
      expect(podFailureSignals([stuck], { ...options, observations: seen })).toEqual([])
    })

    it('is decisive on sight with a window of 0 (migration Jobs)', () => {
      expect(podFailureSignals([stuck], { ...options, transientWindowMs: 0 })[0]?.reason).toBe(reason)
    })
  })

  it('names OOMKilled with the memory limit, over CrashLoopBackOff', () => {
    const oom = pod({
      rs: newRs,
      suffix: 'x7k2p',
      ready: false,
      container: { restartCount: 2, waiting: { reason: 'CrashLoopBackOff' }, lastTerminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: now - 5_000 } },
    })
    expect(podFailureSignals([oom], options)).toEqual([
      { pod: name('x7k2p'), container: APP, reason: 'OOMKilled', restarts: 2, message: `container "${APP}" was OOMKilled (memory limit 512Mi), now in CrashLoopBackOff, 2 restarts` },
    ])
    const terminatedNow = pod({ rs: newRs, suffix: 'q9w4z', ready: false, container: { terminated: { exitCode: 137, reason: 'OOMKilled' } } })
    expect(podFailureSignals([terminatedNow], options)[0]?.reason).toBe('OOMKilled')
  })

  it('flags a restart burst of a running container (young pod)', () => {
    const flapping = pod({
      rs: newRs,
      suffix: 'x7k2p',
      created: now - 90_000,
      container: { restartCount: 3, lastTerminated: { exitCode: 137, reason: 'Error', finishedAt: now - 10_000 } },
    })
    expect(podFailureSignals([flapping], options)).toEqual([
      {
        pod: name('x7k2p'),
        container: APP,
        reason: 'RestartBurst',
        restarts: 3,
        message: `container "${APP}" restarted 3 times within 5m (threshold 3), 3 restarts in all, last exit code 137 (Error)`,
      },
    ])
  })

  describe('restart bursts in a real window', () => {
    const window = 5 * 60_000
    const at = (restartCount: number, created: number) =>
      pod({ rs: newRs, suffix: 'x7k2p', created, container: { restartCount, lastTerminated: { exitCode: 1, reason: 'Error', finishedAt: now - 5_000 } } })
    /** Observes the pod every 10 s over [from, to], its restartCount given by `count(at)`. */
    const observe = (from: number, to: number, created: number, count: (t: number) => number): PodObservations => {
      let seen: PodObservations = new Map()
      for (let t = from; t <= to; t += 10_000) seen = observePods(seen, [at(count(t), created)], t, window)
      return seen
    }

    it('catches an 8-minute-old pod that restarted 3 times in the last minute (a lifetime average would not)', () => {
      const created = now - 8 * 60_000
      const seen = observe(created, now, created, (t) => (t >= now - 50_000 ? 1 : 0) + (t >= now - 30_000 ? 1 : 0) + (t >= now - 10_000 ? 1 : 0))
      const [signal] = podFailureSignals([at(3, created)], { ...options, observations: seen })
      expect(signal).toMatchObject({ reason: 'RestartBurst', restarts: 3 })
      expect(signal!.message).toContain('restarted 3 times within 5m (threshold 3)')
    })

    it('does not count restarts that happened before the window', () => {
      const created = now - 20 * 60_000
      // 3 restarts 15 minutes ago, 1 in the last minute: 1 within the window.
      const seen = observe(created, now, created, (t) => (t >= now - 15 * 60_000 ? 3 : 0) + (t >= now - 60_000 ? 1 : 0))
      const pod4 = at(4, created)
      expect(restartsWithin(pod4, pod4.status!.containerStatuses![0]!, seen.values().next().value, now, window)).toBe(1)
      expect(podFailureSignals([pod4], { ...options, observations: seen })).toEqual([])
    })

    it('counts only increases it saw for an older pod watched for less than the window', () => {
      const created = now - 60 * 60_000
      const seen = observe(now - 60_000, now, created, (t) => (t >= now - 30_000 ? 7 : 5))
      const pod7 = at(7, created)
      expect(restartsWithin(pod7, pod7.status!.containerStatuses![0]!, seen.values().next().value, now, window)).toBe(2)
    })

    it('keeps only the window and one look before it', () => {
      const created = now - 60 * 60_000
      const seen = observe(created, now, created, (t) => Math.floor((t - created) / (10 * 60_000)))
      const restarts = [...seen.values()][0]!.restarts
      expect(restarts[0]!.at).toBeLessThanOrEqual(now - window)
      expect(restarts.slice(1).every((o) => o.at > now - window)).toBe(true)
    })
  })

  it('does not flag restarts below the count, or of an older pod that mkt did not see restart', () => {
    const few = pod({ rs: newRs, suffix: 'a', created: now - 90_000, container: { restartCount: 2, lastTerminated: { exitCode: 1, reason: 'Error', finishedAt: now - 10_000 } } })
    const settled = pod({ rs: newRs, suffix: 'b', created: now - 3_600_000, container: { restartCount: 5, lastTerminated: { exitCode: 1, reason: 'Error', finishedAt: now - 20 * 60_000 } } })
    // 4 restarts over 2 hours, the last a minute ago: when the others happened is unknown, so they do not count.
    const slow = pod({ rs: newRs, suffix: 'c', created: now - 7_200_000, container: { restartCount: 4, lastTerminated: { exitCode: 1, reason: 'Error', finishedAt: now - 60_000 } } })
    expect(podFailureSignals([few, settled, slow], options)).toEqual([])
  })

  it('waits out the grace period before calling a pod Unschedulable', () => {
    const message = '0/3 nodes are available: 3 Insufficient cpu.'
    const fresh = pod({ rs: newRs, suffix: 'a', unschedulable: { since: now - 30_000, message } })
    const stuck = pod({ rs: newRs, suffix: 'b', unschedulable: { since: now - 150_000, message } })
    expect(podFailureSignals([fresh, stuck], options)).toEqual([
      { pod: name('b'), reason: 'Unschedulable', restarts: 0, message: `pod cannot be scheduled for 2m30s: ${message}` },
    ])
    expect(podFailureSignals([fresh], { ...options, unschedulableAfterMs: 10_000 })).toHaveLength(1)
  })

  it('ignores pods of other ReplicaSets when given the new one, and terminating pods always', () => {
    const oldCrashing = pod({ rs: oldRs, suffix: 'old1', ready: false, container: { restartCount: 9, waiting: { reason: 'CrashLoopBackOff' } } })
    const terminating = pod({ rs: newRs, suffix: 'gone', terminating: true, ready: false, container: { waiting: { reason: 'ErrImagePull' } } })
    const healthy = pod({ rs: newRs, suffix: 'ok' })
    expect(podFailureSignals([oldCrashing, terminating, healthy], { ...options, replicaSet: newRs })).toEqual([])
    expect(podFailureSignals([oldCrashing, terminating, healthy], options).map((s) => s.pod)).toEqual([`${APP}-7d9c8b6f5-old1`])
  })

  it('reads typed pods (Date timestamps) the same way', () => {
    const flapping = pod({ rs: newRs, suffix: 'x7k2p', created: now - 90_000, container: { restartCount: 3, lastTerminated: { exitCode: 137, reason: 'Error', finishedAt: now - 10_000 } } })
    expect(podFailureSignals([typed(flapping, 'V1Pod')], { ...options, replicaSet: typed(newRs, 'V1ReplicaSet') })[0]?.reason).toBe('RestartBurst')
  })
})

describe('summarizePods', () => {
  it('says how many are ready and why the others are not', () => {
    const ready = pod({ rs: newRs, suffix: 'a1b2c' })
    const crashing = pod({ rs: newRs, suffix: 'x7k2p', ready: false, container: { restartCount: 6, waiting: { reason: 'CrashLoopBackOff' } } })
    expect(summarizePods([crashing, ready])).toBe(`1/2 ready: pod ${name('x7k2p')} CrashLoopBackOff, 6 restarts`)
  })

  it('lists at most three pods, then counts the rest, and skips terminating ones', () => {
    const pods = ['a', 'b', 'c', 'd', 'e'].map((suffix) => pod({ rs: newRs, suffix, ready: false, container: { waiting: { reason: 'ContainerCreating' } } }))
    pods.push(pod({ rs: newRs, suffix: 'z', terminating: true }))
    expect(summarizePods(pods)).toBe(
      `0/5 ready: pod ${name('a')} ContainerCreating; pod ${name('b')} ContainerCreating; pod ${name('c')} ContainerCreating; +2 more`,
    )
  })

  it('covers all ready, no pods, not-ready running pods and pending ones', () => {
    expect(summarizePods([pod({ rs: newRs, suffix: 'a' })])).toBe('1/1 ready')
    expect(summarizePods([])).toBe('no pods')
    expect(describePodState(pod({ rs: newRs, suffix: 'a', ready: false }))).toBe('Running, not ready')
    expect(describePodState(pod({ rs: newRs, suffix: 'a', unschedulable: { since: now, message: 'no nodes' } }))).toBe('Pending (Unschedulable)')
    expect(describePodState(pod({ rs: newRs, suffix: 'a', ready: false, container: { restartCount: 1, terminated: { exitCode: 137, reason: 'OOMKilled' } } }))).toBe(
      'Terminated (OOMKilled), 1 restart',
    )
  })
})
