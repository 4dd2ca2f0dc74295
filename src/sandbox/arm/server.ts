// The sandbox ARM endpoint's HTTPS listener: the part of Azure Resource Manager mkt uses for AKS, as
// @azure/arm-containerservice calls it (any api-version, any subscription and resource group):
// managedClusters get and listClusterUserCredential / listClusterAdminCredential, behind a bearer
// token check, with the sandbox's API fault hook applied. Which clusters exist is clusters.ts.
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml'
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { applyApiFault, SandboxHttpsEndpoint } from '../listener.js'
import type { ApiFaultHook, PodHttpResponse } from '../types.js'
import type { ClusterRegistry } from './clusters.js'
import type { ArmReply } from './containerapps-routes.js'

/** The identity ARM errors name (a fixed, obviously fake one: the sandbox has no Entra ID). */
export const SANDBOX_CLIENT = 'mkt-sandbox-user'
export const SANDBOX_OBJECT_ID = '00000000-0000-0000-0000-000000000001'
export const SANDBOX_KUBERNETES_VERSION = '1.32.0'
const RESOURCE_TYPE = 'Microsoft.ContainerService/managedClusters'

export interface ArmServerOptions {
  clusters: ClusterRegistry
  /** PEM server certificate and key (the sandbox CA's, covering 127.0.0.1 and localhost). */
  tls: { cert: string; key: string }
  /** The only bearer token accepted (the sandbox token). */
  token: string
  /** The kubeconfig YAML handed out as a cluster's credentials (the sandbox's own, or a regional cluster's). */
  kubeconfig: (cluster: string) => string
  /** The Azure region a cluster is in (default `local`). */
  locationOf?: (cluster: string) => string | undefined
  /** The current API fault hook, if any (read on every request). */
  faultHook?: () => ApiFaultHook | undefined
  /** Requests to an ingress host (a container app's FQDN, by Host header): the app's answer, else undefined. */
  ingress?: (host: string, method: string, path: string) => PodHttpResponse | undefined
  /** Other resource providers (Microsoft.App): a reply, or undefined when the path is not theirs. */
  providers?: (request: { method: string; url: URL; body: unknown; ifMatch: string | undefined; baseUrl: string }) => ArmReply | undefined
  log: (message: string) => void
}

/** An ARM error: `{"error": {"code", "message"}}` with its HTTP status. */
export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
  }

  toBody(): { error: { code: string; message: string } } {
    return { error: { code: this.code, message: this.message } }
  }
}

type Reply = ArmReply

/** A managed cluster addressed by the request path. */
interface ClusterRef {
  subscription: string
  resourceGroup: string
  name: string
  /** `/subscriptions/…/managedClusters/{name}`: the resource id and the scope of authorization errors. */
  id: string
}

export class ArmServer extends SandboxHttpsEndpoint {
  constructor(private readonly options: ArmServerOptions) {
    super(options.tls, options.token)
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET'
    const url = new URL(req.url ?? '/', 'https://127.0.0.1')
    // Virtual hosting: a container app's FQDN reaches the app (no ARM token), like the environment's ingress.
    const answer = this.options.ingress?.(req.headers.host ?? '', method, `${url.pathname}${url.search}`)
    if (answer) {
      req.resume()
      res.writeHead(answer.status, answer.headers)
      res.end(answer.body)
      return
    }
    try {
      // Only PUT and PATCH carry a body (the credential POSTs have none): discard whatever else comes.
      const body = method === 'PUT' || method === 'PATCH' ? await readJson(req) : (req.resume(), undefined)
      this.authenticate(req)
      // The sandbox's API fault rules, applied to this listener's paths (`/subscriptions/**`).
      if (await applyApiFault(this.options.faultHook?.(), req, url.pathname, (fault) => sendFault(res, fault.status, fault.retryAfter))) return
      const ifMatch = typeof req.headers['if-match'] === 'string' ? req.headers['if-match'] : undefined
      const reply = this.options.providers?.({ method, url, body, ifMatch, baseUrl: this.url }) ?? this.route(method, url)
      if (method !== 'GET' || reply.status >= 400) this.options.log(`arm: ${method} ${url.pathname} -> ${reply.status}`)
      send(res, reply.status, reply.body, reply.headers)
    } catch (error) {
      let failure: ArmError
      if (error instanceof ArmError) failure = error
      else {
        this.options.log(`arm: internal error on ${method} ${url.pathname}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
        failure = new ArmError(500, 'InternalServerError', 'The sandbox ARM endpoint failed to handle the request; see the sandbox log.')
      }
      this.options.log(`arm: ${method} ${url.pathname} -> ${failure.status} ${failure.code}`)
      if (res.headersSent) res.destroy()
      else send(res, failure.status, failure.toBody(), failure.headers)
    }
  }

  /** Throws the 401 ARM answers unless the request carries `Bearer <sandbox token>`. */
  private authenticate(req: IncomingMessage): void {
    const header = req.headers.authorization
    const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header)
    if (match !== null && this.isSandboxToken(match[1]!)) return
    const message = match === null ? "Authentication failed. The 'Authorization' header is missing or not a Bearer token." : 'The access token is invalid (the sandbox accepts only its own token).'
    throw new ArmError(401, 'InvalidAuthenticationToken', message, {
      'WWW-Authenticate': `Bearer authorization_uri="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000", error="invalid_token", error_description="${message.replace(/"/g, "'")}"`,
    })
  }

  private route(method: string, url: URL): Reply {
    if (!url.searchParams.get('api-version')) throw new ArmError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.')
    const segments = url.pathname.split('/').slice(1).map(decodeSegment)
    const [subscriptions, subscription, resourceGroups, resourceGroup, providers, namespace, type, name, action, extra] = segments
    const matches =
      subscriptions?.toLowerCase() === 'subscriptions' &&
      resourceGroups?.toLowerCase() === 'resourcegroups' &&
      providers?.toLowerCase() === 'providers' &&
      namespace?.toLowerCase() === 'microsoft.containerservice' &&
      type?.toLowerCase() === 'managedclusters' &&
      !!subscription &&
      !!resourceGroup &&
      !!name &&
      extra === undefined
    if (!matches) {
      throw new ArmError(404, 'InvalidResourceType', `The sandbox ARM endpoint serves only ${RESOURCE_TYPE} get, listClusterUserCredential and listClusterAdminCredential; not '${url.pathname}'.`)
    }
    const ref: ClusterRef = {
      subscription,
      resourceGroup,
      name,
      id: `/subscriptions/${subscription}/resourceGroups/${resourceGroup}/providers/${RESOURCE_TYPE}/${name}`,
    }
    if (action === undefined) {
      if (method !== 'GET') throw methodNotAllowed(method, ref.id)
      this.check(ref, `${RESOURCE_TYPE}/read`)
      return { status: 200, body: managedCluster(ref, this.options.clusters.stateOf(ref.name) === 'aad', this.options.locationOf?.(ref.name)) }
    }
    const credentialKind = { listclusterusercredential: 'clusterUser', listclusteradmincredential: 'clusterAdmin' }[action.toLowerCase()]
    if (credentialKind === undefined) throw new ArmError(404, 'InvalidResourceType', `The sandbox ARM endpoint does not serve '${action}' on ${RESOURCE_TYPE}.`)
    if (method !== 'POST') throw methodNotAllowed(method, `${ref.id}/${action}`)
    this.check(ref, `${RESOURCE_TYPE}/${credentialKind === 'clusterUser' ? 'listClusterUserCredential' : 'listClusterAdminCredential'}/action`)
    // An Entra ID (AAD) cluster's user kubeconfig carries no token: its user runs kubelogin, like real AKS.
    const kubeconfig = this.options.clusters.stateOf(ref.name) === 'aad' && credentialKind === 'clusterUser' ? withKubeloginUser(this.options.kubeconfig(ref.name)) : this.options.kubeconfig(ref.name)
    return { status: 200, body: { kubeconfigs: [{ name: credentialKind, value: Buffer.from(kubeconfig, 'utf8').toString('base64') }] } }
  }

  /** Throws 404 for a cluster the sandbox does not have, 403 for one marked forbidden. */
  private check(ref: ClusterRef, action: string): void {
    const state = this.options.clusters.stateOf(ref.name)
    if (state === 'missing') {
      throw new ArmError(404, 'ResourceNotFound', `The Resource '${RESOURCE_TYPE}/${ref.name}' under resource group '${ref.resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`)
    }
    if (state === 'forbidden') {
      throw new ArmError(
        403,
        'AuthorizationFailed',
        `The client '${SANDBOX_CLIENT}' with object id '${SANDBOX_OBJECT_ID}' does not have authorization to perform action '${action}' over scope '${ref.id}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
      )
    }
  }
}

/** The AKS AAD server application id (the audience kubelogin asks tokens for). */
const AKS_AAD_SERVER_ID = '6dae42f8-4368-4678-94ff-3960e28e3630'

/** The kubeconfig with its users' tokens replaced by the kubelogin exec plugin AKS hands out for AAD clusters. */
function withKubeloginUser(kubeconfig: string): string {
  const document = parseYaml(kubeconfig) as { users?: Array<{ name: string; user: Record<string, unknown> }> }
  for (const user of document.users ?? []) {
    user.user = {
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1beta1',
        command: 'kubelogin',
        args: ['get-token', '--login', 'devicecode', '--server-id', AKS_AAD_SERVER_ID, '--client-id', '80faf920-1908-4b52-b5ef-a8e7bedfc67a', '--tenant-id', '00000000-0000-0000-0000-000000000000'],
        interactiveMode: 'IfAvailable',
        provideClusterInfo: false,
      },
    }
  }
  return stringifyYaml(document)
}

/** A plausible managedCluster resource: local accounts with Kubernetes RBAC; Entra ID (aadProfile) when marked `aad`. */
function managedCluster(ref: ClusterRef, aad = false, location = 'local'): Record<string, unknown> {
  return {
    id: ref.id,
    location,
    name: ref.name,
    type: RESOURCE_TYPE,
    tags: {},
    sku: { name: 'Base', tier: 'Free' },
    identity: { type: 'SystemAssigned', principalId: SANDBOX_OBJECT_ID, tenantId: '00000000-0000-0000-0000-000000000000' },
    properties: {
      provisioningState: 'Succeeded',
      powerState: { code: 'Running' },
      kubernetesVersion: SANDBOX_KUBERNETES_VERSION,
      currentKubernetesVersion: SANDBOX_KUBERNETES_VERSION,
      dnsPrefix: `${ref.name}-dns`,
      fqdn: '127.0.0.1',
      agentPoolProfiles: [
        {
          name: 'nodepool1',
          count: 1,
          vmSize: 'Standard_D2s_v3',
          osDiskSizeGB: 128,
          osType: 'Linux',
          osSKU: 'Ubuntu',
          type: 'VirtualMachineScaleSets',
          mode: 'System',
          maxPods: 110,
          provisioningState: 'Succeeded',
          powerState: { code: 'Running' },
          orchestratorVersion: SANDBOX_KUBERNETES_VERSION,
          currentOrchestratorVersion: SANDBOX_KUBERNETES_VERSION,
        },
      ],
      nodeResourceGroup: `MC_${ref.resourceGroup}_${ref.name}_local`,
      enableRBAC: true,
      aadProfile: aad ? { managed: true, enableAzureRBAC: true, tenantID: '00000000-0000-0000-0000-000000000000' } : null,
      disableLocalAccounts: false,
      supportPlan: 'KubernetesOfficial',
      networkProfile: { networkPlugin: 'kubenet', podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/16', dnsServiceIP: '10.96.0.10', outboundType: 'loadBalancer', loadBalancerSku: 'standard' },
    },
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const requestId = randomUUID()
  const common = { 'Cache-Control': 'no-cache', 'x-ms-request-id': requestId, 'x-ms-correlation-request-id': requestId, ...headers }
  if (body === undefined) {
    res.writeHead(status, { ...common, 'Content-Length': '0' })
    res.end()
    return
  }
  const payload = Buffer.from(JSON.stringify(body), 'utf8')
  res.writeHead(status, { ...common, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(payload.length) })
  res.end(payload)
}

/** The request's JSON body; a body that is not JSON is ARM's 400 InvalidRequestContent. */
async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > 4 * 1024 * 1024) throw new ArmError(413, 'RequestEntityTooLarge', 'The request content is larger than 4 MB.')
    chunks.push(chunk)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  if (text.trim() === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    throw new ArmError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.')
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    throw new ArmError(400, 'InvalidRequestUri', 'The request URI is not valid.')
  }
}

const methodNotAllowed = (method: string, path: string): ArmError => new ArmError(405, 'MethodNotAllowed', `The requested resource does not support http method '${method}' (${path}).`)

/** The error an injected fault answers with, shaped like ARM's. */
function faultError(status: number): ArmError {
  if (status === 429) return new ArmError(429, 'TooManyRequests', 'The request was throttled (fault injected by the mkt sandbox).')
  if (status === 503) return new ArmError(503, 'ServiceUnavailable', 'The service is temporarily unavailable (fault injected by the mkt sandbox).')
  return new ArmError(status, 'InternalServerError', `Injected fault (HTTP ${status}).`)
}

/** Answers an injected fault: ARM's error for the status, with Retry-After when the rule sets one. */
function sendFault(res: ServerResponse, status: number, retryAfter: number | undefined): void {
  const failure = faultError(status)
  send(res, failure.status, failure.toBody(), retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) })
}
