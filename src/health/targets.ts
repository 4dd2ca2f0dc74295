// Where `mkt health` sends its probes, resolved as Kubernetes resolves them: the pods a Deployment's label
// selector (matchLabels and matchExpressions) selects, and the Service port whose targetPort reaches the
// container's port, by number or by the container port's name (a Service on port 80 → targetPort `http`, the
// container's `http: 8080`). Pure functions over API objects.
import type { V1Container, V1Deployment, V1LabelSelector, V1Pod, V1Service, V1ServicePort } from '@kubernetes/client-node'

/** Whether `labels` satisfy a LabelSelector; an empty selector selects nothing (as for a Deployment). */
export function selectorMatches(selector: V1LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  const own = labels ?? {}
  const wanted = Object.entries(selector?.matchLabels ?? {})
  const expressions = selector?.matchExpressions ?? []
  if (wanted.length === 0 && expressions.length === 0) return false
  return (
    wanted.every(([k, v]) => own[k] === v) &&
    expressions.every((e) => {
      const has = Object.hasOwn(own, e.key)
      switch (e.operator) {
        case 'In':
          return has && (e.values ?? []).includes(own[e.key]!)
        case 'NotIn':
          return !has || !(e.values ?? []).includes(own[e.key]!)
        case 'Exists':
          return has
        case 'DoesNotExist':
          return !has
        default:
          return false
      }
    })
  )
}

export const podsOf = (deployment: V1Deployment, pods: readonly V1Pod[]): V1Pod[] => pods.filter((pod) => selectorMatches(deployment.spec?.selector, pod.metadata?.labels))

/** A Service's selector (a plain label map) selects the Deployment's pod template. */
function serviceSelects(service: V1Service, deployment: V1Deployment): boolean {
  const selector = service.spec?.selector ?? {}
  const labels = deployment.spec?.template?.metadata?.labels ?? {}
  return Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v)
}

/** The component's Service: the one named like it when it selects its pods, else any Service that does. */
export function serviceFor(name: string, deployment: V1Deployment, services: readonly V1Service[]): V1Service | undefined {
  const named = services.find((s) => s.metadata?.name === name)
  if (named && serviceSelects(named, deployment)) return named
  return services.find((s) => serviceSelects(s, deployment)) ?? named
}

export type ServicePortResolution = { ok: true; port: V1ServicePort; proxyPort: string } | { ok: false; reason: string }

/**
 * The Service port that reaches `containerPort` of `container`: targetPort equal to the number, or to the name
 * the container gives that port; a port without targetPort targets its own number. `proxyPort` is what goes in
 * `services/{name}:{port}/proxy` (the port's name when it has one, else its number).
 */
export function servicePortFor(service: V1Service, container: V1Container | undefined, containerPort: number): ServicePortResolution {
  const portName = container?.ports?.find((p) => p.containerPort === containerPort)?.name
  const ports = service.spec?.ports ?? []
  const port = ports.find((p) => {
    const target = p.targetPort ?? p.port
    return target === containerPort || String(target) === String(containerPort) || (portName !== undefined && target === portName)
  })
  if (!port) {
    const exposed = ports.map((p) => `${p.port}→${p.targetPort ?? p.port}`).join(', ') || 'none'
    return { ok: false, reason: `Service ${service.metadata?.name} has no port targeting container port ${containerPort}${portName ? ` (${portName})` : ''} (ports: ${exposed})` }
  }
  return { ok: true, port, proxyPort: port.name ? port.name : String(port.port) }
}
