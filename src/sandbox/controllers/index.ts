// The sandbox's controller manager: the Deployment, ReplicaSet, Endpoints and Job controllers, the
// HorizontalPodAutoscaler controller and KEDA's ScaledObject operator, and the pod simulator (scheduler + kubelet), wired to the store's change feed. Each controller has a
// work queue of object keys; store events and clock timers feed the queues; nothing polls.
import { SimulatedApp } from '../app.js'
import type { Clock } from '../clock.js'
import { FaultRegistry, registerFaultRoutes } from '../faults.js'
import type { ControllersHandle, KubeObject, SandboxApi, Store, StoreEvent } from '../types.js'
import type { Pod, ReplicaSet } from './api.js'
import { keyOf, R, splitKey } from './api.js'
import { HPA_RESOURCE, SCALED_OBJECT_RESOURCE, syncHpa, syncScaledObject, type AutoscalerDeps } from './autoscaler.js'
import { DeploymentController, deploymentKeyOfReplicaSet } from './deployment.js'
import { servicesSelecting, syncEndpoints } from './endpoints.js'
import { StoreEventRecorder } from './events.js'
import { jobKeyOfPod, syncJob } from './job.js'
import { Kubelet } from './kubelet.js'
import type { KubeletTiming } from './pod-sim.js'
import { defaultTiming, HostIP, NodeName } from './pod-sim.js'
import { replicaSetKeyOfPod, syncReplicaSet } from './replicaset.js'
import type { Logger } from './runtime.js'
import { Timers, WorkQueue } from './runtime.js'

export { podLog, PodLogError, type PodLogOptions } from './podlog.js'
export { JobBehaviorAnnotation } from './kubelet.js'
export { NodeName } from './pod-sim.js'

/** types.ts ControllerOptions, with what tests may also pass. */
export interface StartControllersOptions {
  /** Where faults.json lives; without it (and without `faults`) faults are kept in memory. */
  dataDir?: string
  /** Scheduled → running, ms (default 1500). The other kubelet timings derive from it unless given. */
  podStartDelayMs?: number
  /** Overrides of individual kubelet timings (see pod-sim.ts KubeletTiming). */
  timing?: Partial<KubeletTiming>
  /** The running API server: the simulated application, the API fault hook and /_sandbox/faults are registered on it. */
  api?: SandboxApi
  /** A fault registry to use instead of loading faults.json from dataDir. */
  faults?: FaultRegistry
  log?: Logger
  /** KEDA's azure-servicebus trigger: active messages of a queue (or `topic/Subscriptions/sub`); undefined when it does not exist. */
  queueDepth?: (entity: string) => number | undefined
  /** How often the HPA and KEDA re-read their metrics (default 1000 ms; the real ones: 15 s and 30 s). */
  autoscalerPeriodMs?: number
  /** While true, new pods start at once (a freshly seeded namespace; see Kubelet's warmStart). */
  warmStart?: () => boolean
}

export interface Controllers extends ControllersHandle {
  readonly faults: FaultRegistry
  readonly app: SimulatedApp
  stop(): void
}

/** The Node the pod simulator runs pods on, so `kubectl get nodes` and pod.spec.nodeName make sense. */
export function sandboxNode(now: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: NodeName,
      labels: {
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': NodeName,
        'kubernetes.io/os': 'linux',
        'node-role.kubernetes.io/agent': '',
        type: 'sandbox',
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: { podCIDR: '10.244.0.0/16', podCIDRs: ['10.244.0.0/16'] },
    status: {
      addresses: [
        { type: 'InternalIP', address: HostIP },
        { type: 'Hostname', address: NodeName },
      ],
      allocatable: { cpu: '8', memory: '32Gi', pods: '250' },
      capacity: { cpu: '8', memory: '32Gi', pods: '250' },
      conditions: [
        { type: 'Ready', status: 'True', lastHeartbeatTime: now, lastTransitionTime: now, reason: 'KubeletReady', message: 'kubelet is posting ready status' },
      ],
      nodeInfo: {
        architecture: 'amd64',
        containerRuntimeVersion: 'containerd://1.7.0',
        kernelVersion: '6.1.0',
        kubeProxyVersion: 'v1.20.2',
        kubeletVersion: 'v1.20.2',
        operatingSystem: 'linux',
        osImage: 'mkt sandbox',
      },
    },
  }
}

/**
 * Starts every controller against the store. Existing objects are synced at once (a restarted
 * sandbox carries on: pods keep their state, rollouts resume).
 */
export function startControllers(store: Store, clock: Clock, options: StartControllersOptions = {}): Controllers {
  const log: Logger = options.log ?? (() => {})
  const faults = options.faults ?? (options.dataDir !== undefined ? FaultRegistry.load(options.dataDir, { log }) : FaultRegistry.inMemory())
  const app = new SimulatedApp(faults, clock)
  let unregisterFaultRoutes: (() => void) | undefined
  if (options.api) {
    options.api.setPodHttpBackend(app)
    options.api.setApiFaultHook(faults)
    unregisterFaultRoutes = registerFaultRoutes(options.api, faults)
  }
  const now = () => clock.now()
  const timers = new Timers(clock)
  const recorder = new StoreEventRecorder(store, now, log)
  const timing: KubeletTiming = { ...defaultTiming(options.podStartDelayMs ?? 1500), ...options.timing }

  const queues: WorkQueue[] = []
  const queue = (name: string, sync: (key: string) => void): WorkQueue => {
    const q = new WorkQueue(name, sync, timers, log)
    queues.push(q)
    return q
  }

  const deploymentController = new DeploymentController({ store, now, events: recorder.forComponent('deployment-controller'), queue: () => deployments })
  const deployments = queue('deployment', (key) => deploymentController.sync(key))
  const replicaSets = queue('replicaset', (key) => syncReplicaSet({ store, now, events: recorder.forComponent('replicaset-controller'), queue: () => replicaSets }, key))
  const endpoints = queue('endpoints', (key) => syncEndpoints({ store, now }, key))
  const jobs = queue('job', (key) => syncJob({ store, now, events: recorder.forComponent('job-controller'), queue: () => jobs }, key))
  const kubelet = new Kubelet({
    store,
    now,
    faults,
    timing,
    events: recorder.forComponent('kubelet'),
    schedulerEvents: recorder.forComponent('default-scheduler'),
    queue: () => pods,
    log,
    warmStart: options.warmStart,
  })
  const pods = queue('kubelet', (key) => kubelet.sync(key))

  // The autoscalers re-read their metrics every period, and at once when their object or the faults change.
  const autoscalerPeriodMs = options.autoscalerPeriodMs ?? 1000
  const autoscalerDeps: AutoscalerDeps = {
    store,
    now,
    podFaults: (component) => faults.podFaults().filter((f) => f.component === component || f.component === '*'),
    queueDepth: (entity) => options.queueDepth?.(entity),
    log,
  }
  const autoscaler = (resource: string, sync: (deps: AutoscalerDeps, object: KubeObject) => void) => {
    const q: WorkQueue = queue(resource, (key) => {
      const { namespace, name } = splitKey(key)
      const object = store.get(resource, namespace, name)
      if (!object) return
      sync(autoscalerDeps, object)
      q.addAt(key, now() + autoscalerPeriodMs)
    })
    return q
  }
  const hpas = autoscaler(HPA_RESOURCE, syncHpa)
  const scaledObjects = autoscaler(SCALED_OBJECT_RESOURCE, syncScaledObject)

  const onEvent = (event: StoreEvent): void => {
    const object = event.object
    const key = keyOf(object)
    switch (event.resource) {
      case R.deployments:
        deployments.add(key)
        break
      case R.replicaSets: {
        replicaSets.add(key)
        for (const rs of [object, event.previous] as (ReplicaSet | undefined)[]) {
          const owner = rs && deploymentKeyOfReplicaSet(rs)
          if (owner) deployments.add(owner)
        }
        break
      }
      case R.pods: {
        const pod = object as Pod
        if (event.type === 'DELETED') kubelet.forget(pod)
        else pods.add(key)
        const rsKey = replicaSetKeyOfPod(pod)
        if (rsKey) {
          replicaSets.add(rsKey)
          // A Recreate rollout waits for the old pods to be gone (`deletePod` in the controller).
          if (event.type === 'DELETED') {
            const { namespace, name } = splitKey(rsKey)
            const rs = store.get(R.replicaSets, namespace, name) as ReplicaSet | undefined
            const owner = rs && deploymentKeyOfReplicaSet(rs)
            if (owner) deployments.add(owner)
          }
        }
        const jobKey = jobKeyOfPod(pod)
        if (jobKey) jobs.add(jobKey)
        for (const serviceKey of servicesSelecting(store, [pod, event.previous as Pod | undefined])) endpoints.add(serviceKey)
        break
      }
      case R.services:
        endpoints.add(key)
        break
      case R.endpoints:
        // Someone else changed or deleted Endpoints the controller owns: put them back.
        endpoints.add(key)
        break
      case R.jobs:
        jobs.add(key)
        break
      case HPA_RESOURCE:
        if (event.type !== 'DELETED') hpas.add(key)
        break
      case SCALED_OBJECT_RESOURCE:
        if (event.type !== 'DELETED') scaledObjects.add(key)
        break
    }
  }
  const unsubscribe = store.subscribe(onEvent)
  const unsubscribeFaults = faults.onChange(() => {
    kubelet.faultsChanged()
    for (const pod of store.list(R.pods, undefined)) pods.add(keyOf(pod))
    for (const hpa of store.list(HPA_RESOURCE, undefined)) hpas.add(keyOf(hpa))
  })

  try {
    if (!store.get(R.nodes, undefined, NodeName)) store.create(R.nodes, sandboxNode(new Date(now()).toISOString().replace(/\.\d{3}Z$/, 'Z')))
  } catch (error) {
    log('controllers: could not register the sandbox node', error)
  }
  for (const d of store.list(R.deployments, undefined)) deployments.add(keyOf(d))
  for (const rs of store.list(R.replicaSets, undefined)) replicaSets.add(keyOf(rs))
  for (const pod of store.list(R.pods, undefined)) pods.add(keyOf(pod))
  for (const service of store.list(R.services, undefined)) endpoints.add(keyOf(service))
  for (const job of store.list(R.jobs, undefined)) jobs.add(keyOf(job))
  for (const hpa of store.list(HPA_RESOURCE, undefined)) hpas.add(keyOf(hpa))
  for (const so of store.list(SCALED_OBJECT_RESOURCE, undefined)) scaledObjects.add(keyOf(so))

  return {
    faults,
    app,
    stop() {
      unsubscribe()
      unsubscribeFaults()
      for (const q of queues) q.stop()
      timers.stop()
      unregisterFaultRoutes?.()
      if (options.api) {
        options.api.setPodHttpBackend(undefined)
        options.api.setApiFaultHook(undefined)
      }
    },
  }
}
