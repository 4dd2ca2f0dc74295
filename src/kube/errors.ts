// Maps failures of the Kubernetes client to mkt's exit codes, naming where they happened.
import { authError, MktError, unavailableError, failedError } from '../errors.js'

interface ApiExceptionLike {
  code?: number
  body?: unknown
  message?: string
  cause?: { code?: string }
}

/** The Kubernetes Status `reason` and `message` of an ApiException body (which client-node keeps as raw text). */
export function kubeStatusOf(error: unknown): { code?: number; reason?: string; message?: string } {
  const e = error as ApiExceptionLike
  let body = e?.body
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body)
    } catch {
      body = undefined
    }
  }
  const status = body as { reason?: string; message?: string; code?: number } | undefined
  return { code: e?.code ?? status?.code, reason: status?.reason, message: status?.message }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE', 'UND_ERR_SOCKET'])

function networkCode(error: unknown): string | undefined {
  let e = error as { code?: string; cause?: unknown; errno?: string } | undefined
  for (let depth = 0; e && depth < 5; depth++) {
    if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return e.code
    if (typeof e.errno === 'string' && NETWORK_CODES.has(e.errno)) return e.errno
    e = e.cause as typeof e
  }
  const message = (error as Error)?.message ?? ''
  return [...NETWORK_CODES].find((code) => message.includes(code))
}

/** Turns a client error into an MktError: 401/403 exit 77, unreachable exit 69, anything else exit 1. */
export function toKubeError(error: unknown, where: { region: string; server?: string; action: string }): MktError {
  if (error instanceof MktError) return error
  const status = kubeStatusOf(error)
  const place = `region ${where.region}${where.server ? ` (${where.server})` : ''}`
  if (status.code === 401) {
    return authError(`Kubernetes API in ${place} rejected mkt's credentials while trying to ${where.action}`, {
      hints: ['Check the kubeconfig user, or log in again (az login for AKS).'],
    })
  }
  if (status.code === 403) {
    return authError(`permission denied in ${place} to ${where.action}: ${status.message ?? 'Forbidden'}`, {
      hints: ['Your identity needs a role that allows this (for deploys: update on deployments, create/update on leases).'],
    })
  }
  const net = networkCode(error)
  if (net) {
    return unavailableError(`cannot reach the Kubernetes API in ${place} to ${where.action}: ${net}`, {
      hints: ['Check the cluster is up and reachable from here (VPN, firewall), then retry.'],
    })
  }
  if (status.code === 429 || status.code === 503 || status.code === 504) {
    return unavailableError(`Kubernetes API in ${place} is unavailable (${status.code}) while trying to ${where.action}`, { hints: ['Retry in a moment.'] })
  }
  const detail = status.message ?? (error as Error)?.message ?? String(error)
  return failedError(`failed to ${where.action} in ${place}: ${detail}`)
}
