// What a fresh (or reset) sandbox contains, shaped like a real AKS namespace: the namespaces, and for each
// platform component a Deployment (2 replicas, a named container port `http`, readiness and liveness probes on
// /health/ready and /health/live, envFrom its ConfigMap) and its ConfigMap; for services a Service on port 80 →
// targetPort `http` and an autoscaling/v2 HorizontalPodAutoscaler on CPU; for workers a KEDA ScaledObject on the
// Service Bus queue they consume. Written by mkt as seed.json.
import { HPA_RESOURCE, SCALED_OBJECT_RESOURCE } from './controllers/autoscaler.js'
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
    const config = component.config !== undefined && typeof component.config === 'object' && !Array.isArray(component.config) ? Object.fromEntries(Object.entries(component.config).map(([k, v]) => [k, String(v)])) : undefined
    const secrets = Array.isArray(component.secrets) ? component.secrets.filter((n): n is string => typeof n === 'string') : undefined
    return { name: component.name, kind: component.kind, port: component.port, image: component.image, ...(config ? { config } : {}), ...(secrets ? { secrets } : {}) }
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
      replicas: SEED_REPLICAS,
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
              ...(component.config ? { envFrom: [{ configMapRef: { name: configMapName(component) } }] } : {}),
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
      // As in a real AKS namespace: the Service listens on 80 and targets the container's named port.
      ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
    },
  }
}

export const configMapName = (component: SeedComponent): string => `${component.name}-config`

/** The configuration mkt rendered for the component, as `mkt config push` would apply it. */
export function configMapFor(component: SeedComponent): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: configMapName(component), namespace: PLATFORM_NAMESPACE, labels: { 'app.kubernetes.io/name': component.name, 'app.kubernetes.io/managed-by': 'mkt' } },
    data: component.config ?? {},
  }
}

export const SEED_REPLICAS = 2
export const HPA_MAX_REPLICAS = 10
export const HPA_CPU_TARGET = 70
export const KEDA_MAX_REPLICAS = 10
/** Messages per replica KEDA aims for (the trigger's messageCount). */
export const KEDA_MESSAGES_PER_REPLICA = 100

/** A service scales on CPU between 2 and 10 replicas, as the platform's services do on AKS. */
export function hpaFor(component: SeedComponent): KubeObject {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: component.name, namespace: PLATFORM_NAMESPACE, labels: componentLabels(component) },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: component.name },
      minReplicas: SEED_REPLICAS,
      maxReplicas: HPA_MAX_REPLICAS,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: HPA_CPU_TARGET } } }],
    },
  }
}

/** A worker scales with KEDA on the depth of the queue it consumes (named after it). */
export function scaledObjectFor(component: SeedComponent): KubeObject {
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name: component.name, namespace: PLATFORM_NAMESPACE, labels: componentLabels(component) },
    spec: {
      scaleTargetRef: { name: component.name },
      pollingInterval: 30,
      cooldownPeriod: 300,
      minReplicaCount: SEED_REPLICAS,
      maxReplicaCount: KEDA_MAX_REPLICAS,
      triggers: [{ type: 'azure-servicebus', metadata: { queueName: component.name, messageCount: String(KEDA_MESSAGES_PER_REPLICA), activationMessageCount: '0' }, authenticationRef: { name: 'servicebus-auth' } }],
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
    if (component.config) createIfAbsent('configmaps', configMapFor(component))
    createIfAbsent('deployments.apps', deploymentFor(component))
    if (component.kind === 'service') {
      createIfAbsent('services', serviceFor(component))
      createIfAbsent(HPA_RESOURCE, hpaFor(component))
    } else {
      createIfAbsent(SCALED_OBJECT_RESOURCE, scaledObjectFor(component))
    }
  }
}
