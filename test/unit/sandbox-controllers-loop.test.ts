// The controllers' reconcile loops against the real (in-memory) store, in-process: behaviour that
// needs the clock (deadlines, minReadySeconds), Recreate ordering, history cleanup and restarts.
import { afterEach, describe, expect, it } from 'vitest'
import { SandboxClock } from '../../src/sandbox/clock.js'
import type { Deployment, Pod, ReplicaSet } from '../../src/sandbox/controllers/api.js'
import { startControllers, type Controllers } from '../../src/sandbox/controllers/index.js'
import { FaultRegistry } from '../../src/sandbox/faults.js'
import { FileStore } from '../../src/sandbox/store.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}

let store: FileStore
let controllers: Controllers | undefined
let clock: SandboxClock

async function setup(faults = FaultRegistry.inMemory()): Promise<void> {
  clock = new SandboxClock()
  store = await FileStore.open({ clock })
  store.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } })
  controllers = startControllers(store, clock, { podStartDelayMs: 30, faults })
}

afterEach(async () => {
  controllers?.stop()
  controllers = undefined
  await store?.close()
})

function createDeployment(name: string, spec: Record<string, unknown> = {}, image = 'web:1'): void {
  store.create('deployments.apps', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name, 'app.kubernetes.io/name': name } }, spec: { containers: [{ name: 'app', image }] } },
      ...spec,
    },
  })
}

const getDeployment = (name: string) => store.get('deployments.apps', 'default', name) as Deployment
const replicaSets = () => store.list('replicasets.apps', 'default') as ReplicaSet[]
const pods = () => store.list('pods', 'default') as Pod[]

function setImage(name: string, image: string): void {
  const d = getDeployment(name)
  d.spec.template!.spec!.containers![0].image = image
  store.update('deployments.apps', d)
}

function complete(name: string): boolean {
  const d = getDeployment(name)
  const s = d.status ?? {}
  const replicas = d.spec.replicas ?? 1
  return (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) && s.updatedReplicas === replicas && s.replicas === replicas && s.availableReplicas === replicas
}

describe('controller loops', () => {
  it('the kubelet honours the readinessProbe: no probe before initialDelaySeconds, one per periodSeconds, a Warning each time', async () => {
    const faults = FaultRegistry.inMemory()
    faults.add({ type: 'pod', component: 'probed', kind: 'not-ready' })
    await setup(faults)
    const probe = { httpGet: { path: '/health/ready', port: 8080 }, initialDelaySeconds: 20, periodSeconds: 10, failureThreshold: 3 }
    createDeployment('probed', { replicas: 1, template: { metadata: { labels: { app: 'probed', 'app.kubernetes.io/name': 'probed' } }, spec: { containers: [{ name: 'app', image: 'web:1', readinessProbe: probe }] } } })
    const running = await waitFor('the container running', () => pods().find((p) => p.status?.containerStatuses?.[0]?.state?.running))
    const failedProbes = () =>
      (store.list('events', 'default') as unknown as Array<{ reason: string; type: string; message: string; count?: number; involvedObject: { name: string } }>)
        .filter((e) => e.reason === 'Unhealthy' && e.involvedObject.name === running.metadata.name)
        .reduce((sum, e) => sum + (e.count ?? 1), 0)
    // The clock jumps; the kubelet's timers follow. A probe due within a jump runs once, at the jump.
    clock.advance(15_000)
    await sleep(200)
    expect(failedProbes()).toBe(0) // initialDelaySeconds: 20
    clock.advance(6_000)
    await waitFor('the first probe', () => failedProbes() === 1)
    clock.advance(5_000)
    await sleep(200)
    expect(failedProbes()).toBe(1) // periodSeconds: 10, not the simulator's 30 ms
    clock.advance(5_000)
    await waitFor('the second probe', () => failedProbes() === 2)
    const [event] = store.list('events', 'default').filter((e) => (e as { reason?: string }).reason === 'Unhealthy') as unknown as Array<{ type: string; message: string }>
    expect(event).toMatchObject({ type: 'Warning', message: 'Readiness probe failed: HTTP probe failed with statuscode: 503' })
    expect(pods()[0]!.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False')
  })

  it('detects the default 600 s progress deadline when the clock jumps, without waiting', async () => {
    await setup(FaultRegistry.inMemory([{ component: 'web', imageTag: '2', kind: 'not-ready' }]))
    createDeployment('web')
    await waitFor('rollout', () => complete('web'))
    setImage('web', 'web:2')
    await waitFor('a stuck new pod', () => pods().some((p) => p.spec.containers?.[0].image === 'web:2' && p.status?.phase === 'Running'))
    await sleep(100)
    expect(getDeployment('web').status?.conditions?.find((c) => c.type === 'Progressing')?.reason).toBe('ReplicaSetUpdated')
    clock.advance(601_000)
    const condition = await waitFor('ProgressDeadlineExceeded', () => getDeployment('web').status?.conditions?.find((c) => c.reason === 'ProgressDeadlineExceeded'), 3000)
    expect(condition.status).toBe('False')
  })

  it('minReadySeconds holds availability back until pods have been ready that long', async () => {
    await setup()
    createDeployment('slow', { minReadySeconds: 30 })
    await waitFor('ready pods', () => getDeployment('slow').status?.readyReplicas === 2)
    await sleep(100)
    expect(getDeployment('slow').status?.availableReplicas).toBeUndefined()
    expect(getDeployment('slow').status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('False')
    clock.advance(31_000)
    await waitFor('available', () => getDeployment('slow').status?.availableReplicas === 2, 3000)
  })

  it('Recreate: every old pod is gone before the first new pod exists', async () => {
    await setup()
    createDeployment('batch', { replicas: 3, strategy: { type: 'Recreate' } })
    await waitFor('rollout', () => complete('batch'))
    let overlap = false
    const unsubscribe = store.subscribe((event) => {
      if (event.resource !== 'pods') return
      const images = new Set(pods().map((p) => p.spec.containers?.[0].image))
      if (images.has('web:1') && images.has('web:2')) overlap = true
    })
    setImage('batch', 'web:2')
    await waitFor('rollout', () => complete('batch') && pods().every((p) => p.spec.containers?.[0].image === 'web:2'))
    unsubscribe()
    expect(overlap).toBe(false)
    expect(replicaSets().map((rs) => rs.spec.replicas).sort()).toEqual([0, 3])
  })

  it('keeps at most revisionHistoryLimit old ReplicaSets', async () => {
    await setup()
    createDeployment('hist', { replicas: 1, revisionHistoryLimit: 1 })
    for (const image of ['web:1', 'web:2', 'web:3', 'web:4']) {
      if (image !== 'web:1') setImage('hist', image)
      await waitFor(`rollout of ${image}`, () => complete('hist') && getDeployment('hist').metadata.annotations?.['deployment.kubernetes.io/revision'] !== undefined)
    }
    await waitFor('cleanup', () => replicaSets().length === 2)
    expect(replicaSets().map((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision']).sort()).toEqual(['3', '4'])
  })

  it('a restarted controller manager carries on from the stored state', async () => {
    await setup()
    createDeployment('keep')
    await waitFor('rollout', () => complete('keep'))
    const before = pods().map((p) => [p.metadata.name, p.status?.podIP, p.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime])
    controllers!.stop()
    controllers = startControllers(store, clock, { podStartDelayMs: 30, faults: FaultRegistry.inMemory() })
    await sleep(300)
    expect(pods().map((p) => [p.metadata.name, p.status?.podIP, p.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime])).toEqual(before)
    // and still reconciles
    const d = getDeployment('keep')
    d.spec.replicas = 3
    store.update('deployments.apps', d)
    await waitFor('scaled', () => complete('keep') && pods().length === 3)
    expect(new Set(pods().map((p) => p.status?.podIP)).size).toBe(3)
  })
})
