// What a fresh (or reset) sandbox contains: the namespaces, and for each platform component a
// Deployment (2 replicas, health probes) plus, for services, a Service. Written by mkt as seed.json.
import type { KubeObject, SeedComponent, Store } from './types.js'

export const PLATFORM_NAMESPACE = 'marketplace'
export const SEED_NAMESPACES = [PLATFORM_NAMESPACE, 'default', 'kube-system']

/** The on-disk seed.json: `{ "components": [...] }` (a bare array is accepted too). */
export interface SeedFile {
  components: SeedComponent[]
}

export function parseSeedFile(json: unknown): SeedComponent[] {
  const components = Array.isArray(json) ? json : (json as Partial<SeedFile> | undefined)?.components
  if (!Array.isArray(components)) throw new Error('seed.json must be {"components": [...]}')
  return components.map((c, i) => {
    const component = c as Partial<SeedComponent>
    if (typeof component.name !== 'string' || typeof component.image !== 'string' || typeof component.port !== 'number' || (component.kind !== 'service' && component.kind !== 'worker')) {
      throw new Error(`seed.json components[${i}] must have name, kind ('service'|'worker'), port and image`)
    }
    return { name: component.name, kind: component.kind, port: component.port, image: component.image }
  })
}

function componentLabels(component: SeedComponent): Record<string, string> {
  return {
    'app.kubernetes.io/name': component.name,
    'app.kubernetes.io/part-of': 'marketplace',
    'app.kubernetes.io/component': component.kind,
  }
}

export function namespaceObject(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }
}

export function deploymentFor(component: SeedComponent): KubeObject {
  const labels = componentLabels(component)
  const probe = (path: string): Record<string, unknown> => ({ httpGet: { path, port: 'http' }, periodSeconds: 5, failureThreshold: 3 })
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: component.name, namespace: PLATFORM_NAMESPACE, labels },
    spec: {
      replicas: 2,
      selector: { matchLabels: { 'app.kubernetes.io/name': component.name } },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: component.name,
              image: component.image,
              ports: [{ name: 'http', containerPort: component.port }],
              env: [{ name: 'ASPNETCORE_HTTP_PORTS', value: String(component.port) }],
              readinessProbe: probe('/health/ready'),
              livenessProbe: probe('/health/live'),
            },
          ],
        },
      },
    },
  }
}

export function serviceFor(component: SeedComponent): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: component.name, namespace: PLATFORM_NAMESPACE, labels: componentLabels(component) },
    spec: {
      selector: { 'app.kubernetes.io/name': component.name },
      ports: [{ name: 'http', port: component.port, targetPort: 'http', protocol: 'TCP' }],
    },
  }
}

/** Creates the namespaces and component objects (skipping any that already exist). */
export function seedStore(store: Store, components: readonly SeedComponent[]): void {
  const createIfAbsent = (resource: string, object: KubeObject): void => {
    if (store.get(resource, object.metadata.namespace, object.metadata.name) === undefined) store.create(resource, object)
  }
  for (const ns of SEED_NAMESPACES) createIfAbsent('namespaces', namespaceObject(ns))
  for (const component of components) {
    createIfAbsent('deployments.apps', deploymentFor(component))
    if (component.kind === 'service') createIfAbsent('services', serviceFor(component))
  }
}
