// One reading of Azure SDK failures for every command and every `mkt login` check: no or rejected
// credential → 77, unreachable or throttled → 69, anything else → 1. Callers name the service and the action.
import { connect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { authError, failedError, MktError, unavailableError } from '../errors.js'

interface SdkErrorLike {
  name?: string
  code?: string
  statusCode?: number
  message?: string
  cause?: unknown
  errors?: unknown[]
}

const CREDENTIAL_ERRORS = new Set(['CredentialUnavailableError', 'AuthenticationError', 'AggregateAuthenticationError', 'AuthenticationRequiredError'])
const CREDENTIAL_TEXT = /ChainedTokenCredential authentication failed|CredentialUnavailable|AuthenticationRequired|az login|ManagedIdentityCredential/i
export const NETWORK_CODES = ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE', 'UND_ERR_SOCKET']
const NETWORK_TEXT = new RegExp(NETWORK_CODES.join('|'))

export type FailureKind = 'auth' | 'unavailable' | 'other'

/** What kind of failure an SDK error is, looking through causes. */
export function failureKind(error: unknown): FailureKind {
  let e = error as SdkErrorLike | undefined
  for (let depth = 0; e && depth < 5; depth++) {
    if (e.statusCode === 401 || e.statusCode === 403 || e.code === 'UnauthorizedRequestError' || (e.name && CREDENTIAL_ERRORS.has(e.name)) || CREDENTIAL_TEXT.test(e.message ?? '')) return 'auth'
    if (e.statusCode === 429 || e.statusCode === 503 || e.statusCode === 504 || e.code === 'ServiceBusyError' || NETWORK_TEXT.test(`${e.code ?? ''} ${e.message ?? ''}`)) return 'unavailable'
    e = e.cause as SdkErrorLike | undefined
  }
  return 'other'
}

/** An MktError for `service` (`Service Bus sb-x.servicebus.windows.net`) failing to `action`. */
export function azureFailure(error: unknown, service: string, action: string, hints: { auth: string; unavailable?: string }): MktError {
  if (error instanceof MktError) return error
  const detail = ((error as SdkErrorLike)?.message ?? String(error)).split('\n')[0]
  switch (failureKind(error)) {
    case 'auth':
      return authError(`${service} refused to ${action}: ${detail}`, { hints: [hints.auth] })
    case 'unavailable':
      return unavailableError(`cannot reach ${service} to ${action}: ${detail}`, { hints: [hints.unavailable ?? 'Check the network (VPN, proxy, firewall) and the address in mkt.yaml, then retry.'] })
    default:
      return failedError(`${service}: ${action} failed: ${detail}`)
  }
}

/**
 * Fails fast (69) when `host` cannot be reached at all, retrying for about a second: the SDKs' own retry
 * ladders spend 10 s and more on a name that does not resolve. Throttling and 5xx stay with the SDK's retries.
 */
export async function ensureReachable(service: string, host: string, port = 443, withinMs = 1_000): Promise<void> {
  // Behind a proxy only the SDK's own route is meaningful; a direct connection could fail where it works.
  if (process.env.HTTPS_PROXY || process.env.https_proxy) return
  const started = Date.now()
  let last: string
  for (let attempt = 0; ; attempt++) {
    const answer = await tryConnect(host, port, Math.max(250, withinMs - (Date.now() - started)))
    if (answer === undefined) return
    last = answer
    if (Date.now() - started >= withinMs) break
    await sleep(Math.min(200 * 2 ** attempt, Math.max(0, withinMs - (Date.now() - started))))
  }
  throw unavailableError(`cannot reach ${service} (${host}:${port}): ${last}`, { hints: ['Check the name in mkt.yaml, DNS and the network (VPN, proxy, firewall), then retry.'] })
}

/** undefined when a TCP connection opens, else why not. */
function tryConnect(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs })
    socket.once('connect', () => {
      socket.destroy()
      resolve(undefined)
    })
    socket.once('timeout', () => {
      socket.destroy()
      resolve(`no answer within ${timeoutMs} ms`)
    })
    socket.once('error', (error) => resolve((error as NodeJS.ErrnoException).code ?? error.message))
  })
}
