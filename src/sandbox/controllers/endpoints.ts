// The Endpoints controller (`pkg/controller/endpoint`): for every Service with a selector, one
// Endpoints object of the same name listing the selected pods, ready ones under `addresses` and the
// others under `notReadyAddresses`, with the Service's ports resolved to the pods' container ports.
import { formatTime } from '../clock.js'
import { deepEqual } from '../json.js'
import type { KubeObject, Store } from '../types.js'
import type { EndpointAddress, EndpointPort, EndpointSubset, Endpoints, Pod, Service, ServicePort } from './api.js'
import { R, splitKey } from './api.js'
import { mapSelectorMatches } from './labels.js'
import { isPodReady } from './pod-util.js'
import { isNotFound } from './replicaset.js'

export const LastChangeTriggerTimeAnnotation = 'endpoints.kubernetes.io/last-change-trigger-time'

// ---- Pure ------------------------------------------------------------------------------------------

/** `podutil.FindPort`: a numeric targetPort is itself; a named one is the pod's container port of that name. */
export function findPort(pod: Pod, servicePort: ServicePort): number | undefined {
  const target = servicePort.targetPort ?? servicePort.port
  if (typeof target === 'number') return target
  if (/^\d+$/.test(target)) return Number(target)
  const protocol = servicePort.protocol ?? 'TCP'
  for (const container of pod.spec.containers ?? []) {
    for (const port of container.ports ?? []) {
      if (port.name === target && (port.protocol ?? 'TCP') === protocol) return port.containerPort
    }
  }
  return undefined
}

/** `ShouldPodBeInEndpoints`: has an IP, is not finished, and (unless publishing not-ready) is not terminating. */
export function shouldPodBeInEndpoints(pod: Pod, publishNotReadyAddresses: boolean): boolean {
  if (!pod.status?.podIP) return false
  const phase = pod.status.phase
  if (phase === 'Succeeded' || phase === 'Failed') return false
  if (!publishNotReadyAddresses && pod.metadata.deletionTimestamp) return false
  return true
}

function addressOf(pod: Pod): EndpointAddress {
  const address: EndpointAddress = {
    ip: pod.status?.podIP ?? '',
    targetRef: { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid },
  }
  if (pod.spec.nodeName) address.nodeName = pod.spec.nodeName
  return address
}

const byIp = (a: EndpointAddress, b: EndpointAddress) => compareIp(a.ip, b.ip) || (a.targetRef?.uid ?? '').localeCompare(b.targetRef?.uid ?? '')

function compareIp(a: string, b: string): number {
  const pa = a.split('.').map(Number)
  const pb = b.split('.').map(Number)
  for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0)
  return 0
}

/**
 * The subsets for a Service and its selected pods, packed like `endpoints.RepackSubsets`: pods with
 * the same resolved ports share a subset; addresses sorted by IP. A pod whose container does not
 * declare a named targetPort is left out for that port.
 */
export function endpointSubsets(service: Service, pods: Pod[]): EndpointSubset[] {
  const publishNotReady = service.spec.publishNotReadyAddresses === true
  const groups = new Map<string, EndpointSubset>()
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, publishNotReady)) continue
    const ports: EndpointPort[] = []
    for (const servicePort of service.spec.ports ?? []) {
      const port = findPort(pod, servicePort)
      if (port === undefined) continue
      const endpointPort: EndpointPort = { port, protocol: servicePort.protocol ?? 'TCP' }
      if (servicePort.name) endpointPort.name = servicePort.name
      if (servicePort.appProtocol) endpointPort.appProtocol = servicePort.appProtocol
      ports.push(endpointPort)
    }
    if (ports.length === 0 && (service.spec.ports ?? []).length > 0) continue
    const key = JSON.stringify(ports)
    let subset = groups.get(key)
    if (!subset) {
      subset = { ports }
      groups.set(key, subset)
    }
    if (isPodReady(pod) || publishNotReady) (subset.addresses ??= []).push(addressOf(pod))
    else (subset.notReadyAddresses ??= []).push(addressOf(pod))
  }
  const subsets = [...groups.values()]
  for (const subset of subsets) {
    subset.addresses?.sort(byIp)
    subset.notReadyAddresses?.sort(byIp)
    if (subset.ports?.length === 0) delete subset.ports
  }
  return subsets.sort((a, b) => JSON.stringify(a.ports ?? []).localeCompare(JSON.stringify(b.ports ?? [])))
}

// ---- The loop ----------------------------------------------------------------------------------------

export interface EndpointsControllerDeps {
  store: Store
  now: () => number
}

export function syncEndpoints(deps: EndpointsControllerDeps, key: string): void {
  const { namespace, name } = splitKey(key)
  const { store } = deps
  const service = store.get(R.services, namespace, name) as Service | undefined
  const existing = store.get(R.endpoints, namespace, name) as Endpoints | undefined
  if (!service) {
    // The Service is gone: so are the Endpoints the controller kept for it.
    if (existing && existing.metadata.annotations?.[LastChangeTriggerTimeAnnotation] !== undefined) {
      try {
        store.delete(R.endpoints, namespace, name, { uid: existing.metadata.uid })
      } catch (error) {
        if (!isNotFound(error)) throw error
      }
    }
    return
  }
  const selector = service.spec.selector
  if (!selector || Object.keys(selector).length === 0) return // Endpoints of a selector-less Service are the user's

  const pods = (store.list(R.pods, namespace) as Pod[]).filter((pod) => mapSelectorMatches(selector, pod.metadata.labels))
  const subsets = endpointSubsets(service, pods)
  const labels = service.metadata.labels
  if (existing && deepEqual(existing.subsets ?? [], subsets) && deepEqual(existing.metadata.labels ?? {}, labels ?? {}) && existing.metadata.annotations?.[LastChangeTriggerTimeAnnotation]) return

  const metadata: Endpoints['metadata'] = {
    ...(existing?.metadata ?? { name, namespace }),
    annotations: { ...(existing?.metadata.annotations ?? {}), [LastChangeTriggerTimeAnnotation]: formatTime(deps.now()) },
  }
  if (labels && Object.keys(labels).length > 0) metadata.labels = { ...labels }
  else delete metadata.labels
  const endpoints: Endpoints = { apiVersion: 'v1', kind: 'Endpoints', metadata }
  if (subsets.length > 0) endpoints.subsets = subsets
  if (existing) store.update(R.endpoints, endpoints as KubeObject)
  else store.create(R.endpoints, endpoints as KubeObject)
}

/** The Services (keys) in the pod's namespace whose selector matches the pod now or matched it before. */
export function servicesSelecting(store: Store, pods: (Pod | undefined)[]): string[] {
  const keys = new Set<string>()
  for (const pod of pods) {
    if (!pod) continue
    for (const service of store.list(R.services, pod.metadata.namespace) as Service[]) {
      if (mapSelectorMatches(service.spec.selector, pod.metadata.labels)) keys.add(`${service.metadata.namespace ?? ''}/${service.metadata.name}`)
    }
  }
  return [...keys]
}
