// Parses API paths into what they address: discovery documents or a resource request
// (type, namespace, name, subresource, proxy subpath). Segments are percent-decoded one by one,
// so `services/svc%3A8080/proxy/healthz%2Fready` addresses service `svc:8080`, path `healthz/ready`.
import { resourceTypeByPath } from '../resources.js'
import type { ResourceType } from '../types.js'

export type ApiRoute =
  | { kind: 'versions' } // /api
  | { kind: 'groups' } // /apis
  | { kind: 'group'; group: string } // /apis/apps
  | { kind: 'resources'; group: string; version: string } // /api/v1, /apis/apps/v1
  | ResourceRoute

export interface ResourceRoute {
  kind: 'resource'
  type: ResourceType
  namespace?: string
  name?: string
  subresource?: string
  /** For proxy subresources: the rest of the path after `/proxy` (no leading slash). */
  subpath?: string
  /** The old `/watch/` path prefix. */
  watchPrefix: boolean
}

/** Subresources of a namespace object, which would otherwise read as resource names. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize'])

function decodeSegments(rawPath: string): string[] | undefined {
  try {
    return rawPath.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s))
  } catch {
    return undefined
  }
}

/** The route for a raw (still percent-encoded) path, or undefined when nothing is served there. */
export function parseApiPath(rawPath: string): ApiRoute | undefined {
  const segments = decodeSegments(rawPath)
  if (segments === undefined) return undefined
  let group: string
  let version: string
  let rest: string[]
  if (segments[0] === 'api') {
    if (segments.length === 1) return { kind: 'versions' }
    group = ''
    version = segments[1]!
    rest = segments.slice(2)
  } else if (segments[0] === 'apis') {
    if (segments.length === 1) return { kind: 'groups' }
    if (segments.length === 2) return { kind: 'group', group: segments[1]! }
    group = segments[1]!
    version = segments[2]!
    rest = segments.slice(3)
  } else {
    return undefined
  }
  if (rest.length === 0) return { kind: 'resources', group, version }

  let watchPrefix = false
  if (rest[0] === 'watch') {
    watchPrefix = true
    rest = rest.slice(1)
  }
  let namespace: string | undefined
  if (rest[0] === 'namespaces' && rest.length >= 3 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) {
    namespace = rest[1]
    rest = rest.slice(2)
  }
  const [plural, name, subresource, ...subpath] = rest
  const type = resourceTypeByPath(group, version, plural!)
  if (type === undefined) return undefined
  if (namespace !== undefined && !type.namespaced) return undefined
  if (subresource !== undefined && !(type.subresources ?? []).includes(subresource)) return undefined
  if (subpath.length > 0 && subresource !== 'proxy') return undefined
  const route: ResourceRoute = { kind: 'resource', type, watchPrefix }
  if (namespace !== undefined) route.namespace = namespace
  if (name !== undefined) route.name = name
  if (subresource !== undefined) route.subresource = subresource
  if (subresource === 'proxy') route.subpath = subpath.join('/') + (rawPath.endsWith('/') && subpath.length > 0 ? '/' : '')
  return route
}
