// The service and pod proxy subresources. Target resolution follows the apiserver
// (pkg/registry/core/service/storage ResourceLocation and the pod equivalent); the HTTP exchange
// itself is handed to a PodHttpBackend (the simulated application, app.ts).
import { randomInt } from 'node:crypto'
import { badRequest, notFound, serviceUnavailable } from '../errors.js'
import { isPlainObject, type JsonObject } from '../json.js'
import type { FileStore } from '../store.js'
import type { HttpHeaders, KubeObject, PodHttpBackend, PodHttpResponse } from '../types.js'

export interface ProxyTarget {
  pod: KubeObject
  port: number
}

/** Splits `[scheme:]name[:port]` like apimachinery's SplitSchemeNamePort; undefined when malformed. */
export function splitSchemeNamePort(id: string): { scheme: string; name: string; port: string } | undefined {
  const parts = id.split(':')
  let scheme = ''
  let name: string
  let port = ''
  if (parts.length === 1) name = parts[0]!
  else if (parts.length === 2) [name, port] = parts as [string, string]
  else if (parts.length === 3) [scheme, name, port] = parts as [string, string, string]
  else return undefined
  if (name === '' || (scheme !== '' && scheme !== 'http' && scheme !== 'https')) return undefined
  return { scheme, name, port }
}

const objects = (value: unknown): JsonObject[] => (Array.isArray(value) ? value.filter(isPlainObject) : [])

function podOfAddress(store: FileStore, namespace: string, address: JsonObject): KubeObject | undefined {
  const ref = isPlainObject(address.targetRef) ? address.targetRef : undefined
  if (ref !== undefined && ref.kind === 'Pod' && typeof ref.name === 'string') {
    return store.get('pods', typeof ref.namespace === 'string' ? ref.namespace : namespace, ref.name)
  }
  return store.list('pods', namespace).find((p) => p.status?.podIP === address.ip)
}

/**
 * Resolves `services/{id}/proxy`: a numeric port selects the service port with that number (by its
 * name), then a random endpoints subset exposing a port of that name, then a random ready address.
 */
export function resolveServiceTarget(store: FileStore, namespace: string, id: string): ProxyTarget {
  const parsed = splitSchemeNamePort(id)
  if (parsed === undefined) throw badRequest(`invalid service request "${id}"`)
  const { name } = parsed
  const service = store.get('services', namespace, name)
  if (service === undefined) throw notFound({ group: '', plural: 'services' }, name)
  let portName = parsed.port
  if (/^\d+$/.test(portName)) {
    const servicePort = objects(service.spec?.ports).find((p) => p.port === Number(portName))
    if (servicePort === undefined) throw serviceUnavailable(`no service port ${portName} found for service "${name}"`)
    portName = typeof servicePort.name === 'string' ? servicePort.name : ''
  }
  const endpoints = store.get('endpoints', namespace, name)
  const subsets = objects(endpoints?.subsets)
  if (subsets.length === 0) throw serviceUnavailable(`no endpoints available for service "${name}"`)
  const start = randomInt(subsets.length)
  for (let i = 0; i < subsets.length; i++) {
    const subset = subsets[(start + i) % subsets.length]!
    const addresses = objects(subset.addresses)
    const port = objects(subset.ports).find((p) => (typeof p.name === 'string' ? p.name : '') === portName)
    if (port === undefined || addresses.length === 0 || typeof port.port !== 'number') continue
    const address = addresses[randomInt(addresses.length)]!
    const pod = podOfAddress(store, namespace, address)
    if (pod !== undefined) return { pod, port: port.port }
  }
  throw serviceUnavailable(`no endpoints available for service "${name}"`)
}

/** Resolves `pods/{id}/proxy`: the given port, else the first declared container port, else 80. */
export function resolvePodTarget(store: FileStore, namespace: string, id: string): ProxyTarget {
  const parsed = splitSchemeNamePort(id)
  if (parsed === undefined) throw badRequest(`invalid pod request "${id}"`)
  const pod = store.get('pods', namespace, parsed.name)
  if (pod === undefined) throw notFound({ group: '', plural: 'pods' }, parsed.name)
  if (typeof pod.status?.podIP !== 'string' || pod.status.podIP === '') {
    throw serviceUnavailable(`pod "${parsed.name}" has no IP address yet (phase ${String(pod.status?.phase ?? 'Unknown')})`)
  }
  let port = 80
  if (parsed.port !== '') {
    if (!/^\d+$/.test(parsed.port)) throw badRequest(`invalid pod request "${id}": port must be a number`)
    port = Number(parsed.port)
  } else {
    for (const container of objects(pod.spec?.containers)) {
      const first = objects(container.ports)[0]
      if (first !== undefined && typeof first.containerPort === 'number') {
        port = first.containerPort
        break
      }
    }
  }
  return { pod, port }
}

/** Headers that belong to one connection, or carry the caller's API credential: never forwarded. */
const NOT_FORWARDED = new Set(['authorization', 'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'content-length'])

export function forwardableHeaders(headers: HttpHeaders): HttpHeaders {
  const result: HttpHeaders = {}
  for (const [name, value] of Object.entries(headers)) if (!NOT_FORWARDED.has(name.toLowerCase())) result[name] = value
  return result
}

/** Response headers safe to copy back, with a Content-Type always present (client-node needs one). */
export function responseHeaders(response: PodHttpResponse): Record<string, string> {
  const result: Record<string, string> = {}
  for (const [name, value] of Object.entries(response.headers)) if (!NOT_FORWARDED.has(name.toLowerCase())) result[name] = value
  if (!Object.keys(result).some((n) => n.toLowerCase() === 'content-type')) result['Content-Type'] = 'text/plain; charset=utf-8'
  return result
}

/** Until the application simulator registers itself, pods answer 503. */
export const UNAVAILABLE_BACKEND: PodHttpBackend = {
  async handle(pod) {
    return {
      status: 503,
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
      body: `sandbox: no application backend is registered to answer for pod ${pod.metadata.namespace}/${pod.metadata.name}\n`,
    }
  },
}
