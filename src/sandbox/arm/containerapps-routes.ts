// The Microsoft.App paths of the sandbox ARM endpoint, as @azure/arm-appcontainers calls them:
//   …/resourceGroups/{rg}/providers/Microsoft.App/containerApps[/{app}]                      GET list|get, PUT, PATCH, DELETE
//   …/containerApps/{app}/revisions[/{revision}[/activate|deactivate|restart]]                GET (paged by nextLink), POST
//   …/containerApps/{app}/revisions/{revision}/replicas[/{replica}]                          GET
//   …/resourceGroups/{rg}/providers/Microsoft.App/managedEnvironments/{environment}          GET
//   /subscriptions/{s}/providers/Microsoft.App/locations/{l}/containerappOperationStatuses/{id}   the Azure-AsyncOperation URL
//   /subscriptions/{s}/providers/Microsoft.App/locations/{l}/containerappOperationResults/{id}    the Location URL (202 until done)
// PUT answers 201/200 with the app (InProgress) and Azure-AsyncOperation; PATCH and DELETE answer 202 with
// Azure-AsyncOperation and Location, like ARM's asynchronous operations. Returns undefined for any other path.
import { ContainerAppsError, REVISIONS_PAGE_SIZE, SANDBOX_CONTAINERAPPS, type AppRecord, type ContainerApps, type Operation } from './containerapps.js'

export interface ArmReply {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

export interface ArmRequest {
  method: string
  url: URL
  /** The parsed JSON body (PUT, PATCH). */
  body: unknown
  ifMatch: string | undefined
  /** `https://127.0.0.1:<port>`: the base of operation URLs and nextLinks. */
  baseUrl: string
}

const eq = (a: string | undefined, b: string) => a?.toLowerCase() === b.toLowerCase()

/** Routes a Microsoft.App request; undefined when the path is not one. Throws ContainerAppsError. */
export function routeContainerApps(apps: ContainerApps, request: ArmRequest, changed: () => void): ArmReply | undefined {
  const segments = request.url.pathname.split('/').slice(1).map((s) => decodeURIComponent(s))
  const apiVersion = request.url.searchParams.get('api-version') ?? ''
  const { method } = request
  // /subscriptions/{s}/providers/Microsoft.App/locations/{l}/containerappOperation(Statuses|Results)/{id}
  if (eq(segments[0], 'subscriptions') && eq(segments[2], 'providers') && eq(segments[3], 'Microsoft.App') && eq(segments[4], 'locations') && segments.length === 8) {
    const kind = segments[6]!.toLowerCase()
    if (kind !== 'containerappoperationstatuses' && kind !== 'containerappoperationresults') return undefined
    const operation = apps.operation(segments[7]!)
    if (!operation || operation.subscription.toLowerCase() !== segments[1]!.toLowerCase()) throw new ContainerAppsError(404, 'OperationNotFound', `The operation '${segments[7]}' was not found.`)
    if (kind === 'containerappoperationstatuses') return { status: 200, body: operationStatus(operation, segments) }
    if (operation.status === 'InProgress') return { status: 202, headers: { 'Retry-After': '1', Location: request.url.href.replace(/^https:\/\/[^/]+/, request.baseUrl) } }
    if (operation.deleted) return { status: 204 }
    const app = findApp(apps, operation)
    return app ? { status: 200, body: apps.view(app), headers: { ETag: app.etag } } : { status: 204 }
  }

  const [subscriptions, subscription, resourceGroups, resourceGroup, providers, namespace, type, name, sub, child, action, grandchild, extra] = segments
  if (!(eq(subscriptions, 'subscriptions') && eq(resourceGroups, 'resourceGroups') && eq(providers, 'providers') && eq(namespace, 'Microsoft.App')) || !subscription || !resourceGroup) return undefined

  if (eq(type, 'managedEnvironments') && name && sub === undefined) {
    if (method !== 'GET') throw methodNotAllowed(method)
    const known = eq(subscription, SANDBOX_CONTAINERAPPS.subscription) && eq(resourceGroup, SANDBOX_CONTAINERAPPS.resourceGroup) && eq(name, SANDBOX_CONTAINERAPPS.environment)
    if (!known) throw new ContainerAppsError(404, 'ResourceNotFound', `The Resource 'Microsoft.App/managedEnvironments/${name}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`)
    return {
      status: 200,
      body: {
        id: `/subscriptions/${subscription}/resourceGroups/${resourceGroup}/providers/Microsoft.App/managedEnvironments/${name}`,
        name,
        type: 'Microsoft.App/managedEnvironments',
        location: SANDBOX_CONTAINERAPPS.location,
        properties: { provisioningState: 'Succeeded', defaultDomain: SANDBOX_CONTAINERAPPS.defaultDomain, staticIp: '127.0.0.1', zoneRedundant: false },
      },
    }
  }
  if (!eq(type, 'containerApps')) return undefined

  if (name === undefined) {
    if (method !== 'GET') throw methodNotAllowed(method)
    return { status: 200, body: { value: apps.list(subscription, resourceGroup).map((a) => apps.view(a)) } }
  }
  const operationHeaders = (operation: Operation): Record<string, string> => {
    const base = `${request.baseUrl}/subscriptions/${subscription}/providers/Microsoft.App/locations/${SANDBOX_CONTAINERAPPS.location}`
    return {
      'Azure-AsyncOperation': `${base}/containerappOperationStatuses/${operation.id}?api-version=${apiVersion}`,
      Location: `${base}/containerappOperationResults/${operation.id}?api-version=${apiVersion}`,
    }
  }
  if (sub === undefined) {
    switch (method) {
      case 'GET': {
        const app = apps.get(subscription, resourceGroup, name)
        return { status: 200, body: apps.view(app), headers: { ETag: app.etag } }
      }
      case 'PUT': {
        const { app, created, operation } = apps.put(subscription, resourceGroup, name, request.body, request.ifMatch)
        changed()
        const headers = operationHeaders(operation)
        return { status: created ? 201 : 200, body: apps.view(app), headers: { 'Azure-AsyncOperation': headers['Azure-AsyncOperation']!, ETag: app.etag } }
      }
      case 'PATCH': {
        const { operation } = apps.patch(subscription, resourceGroup, name, request.body, request.ifMatch)
        changed()
        return { status: 202, headers: operationHeaders(operation) }
      }
      case 'DELETE': {
        const operation = apps.delete(subscription, resourceGroup, name)
        if (!operation) return { status: 204 }
        changed()
        return { status: 202, headers: operationHeaders(operation) }
      }
      default:
        throw methodNotAllowed(method)
    }
  }

  if (!eq(sub, 'revisions') || extra !== undefined) throw new ContainerAppsError(404, 'InvalidResourceType', `The sandbox ARM endpoint does not serve '${request.url.pathname}'.`)
  const app = apps.get(subscription, resourceGroup, name)
  if (child === undefined) {
    if (method !== 'GET') throw methodNotAllowed(method)
    return { status: 200, body: revisionsPage(apps, app, request) }
  }
  const revision = apps.revision(app, child)
  if (action === undefined) {
    if (method !== 'GET') throw methodNotAllowed(method)
    return { status: 200, body: apps.revisionView(app, revision) }
  }
  if (eq(action, 'replicas')) {
    if (method !== 'GET') throw methodNotAllowed(method)
    const replicas = apps.replicaViews(app, revision)
    if (grandchild === undefined) return { status: 200, body: { value: replicas } }
    const replica = replicas.find((r) => eq(String(r.name), grandchild))
    if (!replica) throw new ContainerAppsError(404, 'ResourceNotFound', `The Resource 'Microsoft.App/containerApps/${app.name}/revisions/${revision.name}/replicas/${grandchild}' under resource group '${resourceGroup}' was not found.`)
    return { status: 200, body: replica }
  }
  const verb = action.toLowerCase()
  if ((verb === 'activate' || verb === 'deactivate' || verb === 'restart') && grandchild === undefined) {
    if (method !== 'POST') throw methodNotAllowed(method)
    apps.revisionAction(app, revision.name, verb)
    changed()
    return { status: 200 }
  }
  throw new ContainerAppsError(404, 'InvalidResourceType', `The sandbox ARM endpoint does not serve '${action}' on Microsoft.App/containerApps/revisions.`)
}

/** One page of revisions, oldest first; `nextLink` carries a `$skipToken` (absolute URL, as ARM sends it). */
function revisionsPage(apps: ContainerApps, app: AppRecord, request: ArmRequest): { value: unknown[]; nextLink?: string } {
  const skip = Number(request.url.searchParams.get('$skipToken') ?? '0')
  const start = Number.isInteger(skip) && skip > 0 ? skip : 0
  const page = app.revisions.slice(start, start + REVISIONS_PAGE_SIZE).map((r) => apps.revisionView(app, r))
  if (start + REVISIONS_PAGE_SIZE >= app.revisions.length) return { value: page }
  const next = new URL(request.url.pathname, request.baseUrl)
  next.searchParams.set('api-version', request.url.searchParams.get('api-version') ?? '')
  next.searchParams.set('$skipToken', String(start + REVISIONS_PAGE_SIZE))
  return { value: page, nextLink: next.href }
}

function operationStatus(operation: Operation, segments: string[]): Record<string, unknown> {
  return {
    id: `/${segments.slice(0, 7).join('/')}/${operation.id}`,
    name: operation.id,
    status: operation.status,
    startTime: new Date(operation.startedAt).toISOString(),
    ...(operation.status === 'InProgress' ? {} : { endTime: new Date(operation.doneAt).toISOString() }),
    ...(operation.error ? { error: operation.error } : {}),
  }
}

function findApp(apps: ContainerApps, operation: Operation): AppRecord | undefined {
  const [subscription, resourceGroup, name] = operation.appKey.split('/')
  try {
    return apps.get(subscription!, resourceGroup!, name!)
  } catch {
    return undefined
  }
}

const methodNotAllowed = (method: string) => new ContainerAppsError(405, 'MethodNotAllowed', `The requested resource does not support http method '${method}'.`)
