// Maps node-postgres failures to mkt's exit codes, naming the database by host and port (never the connection
// string, which holds the password).
import { authError, configError, MktError, unavailableError } from '../errors.js'
import type { DatabaseTarget } from './connection.js'

export interface PgErrorLike {
  code?: string
  message?: string
  errno?: string
  cause?: unknown
  position?: string
  detail?: string
  hint?: string
  severity?: string
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE'])
/** Messages node-postgres uses for connections that never got going (it sets no code on them). */
const NETWORK_MESSAGES = [/timeout expired/i, /connection terminated/i, /Connection terminated due to connection timeout/i, /server closed the connection/i, /self[- ]signed certificate/i, /does not support SSL/i]

/** The first network error code in an error or its causes (AggregateError from dual-stack connects included). */
export function networkCodeOf(error: unknown): string | undefined {
  const seen = new Set<unknown>()
  const visit = (e: unknown): string | undefined => {
    if (!e || typeof e !== 'object' || seen.has(e)) return undefined
    seen.add(e)
    const candidate = e as PgErrorLike & { errors?: unknown[] }
    if (typeof candidate.code === 'string' && NETWORK_CODES.has(candidate.code)) return candidate.code
    for (const inner of candidate.errors ?? []) {
      const code = visit(inner)
      if (code) return code
    }
    return visit(candidate.cause)
  }
  return visit(error)
}

/** Errors while connecting (before any migration ran): unreachable 69, credentials 77, no such database 78. */
export function connectError(error: unknown, target: DatabaseTarget, source: string): MktError {
  if (error instanceof MktError) return error
  const e = (error ?? {}) as PgErrorLike
  const where = `${target.host}:${target.port}`
  if (e.code === '28P01' || e.code === '28000') {
    return authError(`the database at ${where} rejected the credentials of ${target.user ?? 'the configured user'}: ${e.message ?? e.code}`, {
      hints: [`Check the user and password in the connection string (from ${source}).`],
    })
  }
  if (e.code === '3D000') {
    return configError(`database "${target.database}" does not exist on ${where}`, { hints: [`Create it, or fix the database name in the connection string (from ${source}).`] })
  }
  const network = networkCodeOf(error)
  const known = network ?? (e.code === '57P03' || e.code === '53300' ? e.code : undefined) ?? NETWORK_MESSAGES.find((re) => re.test(e.message ?? ''))?.source
  if (known) {
    const detail = network ?? e.message ?? known
    return unavailableError(`cannot reach the database at ${where} (${target.database}): ${detail}`, {
      hints: [`Check that the server is up and reachable from here (VPN, firewall, private endpoint). The connection string came from ${source}.`],
    })
  }
  return unavailableError(`cannot connect to the database at ${where} (${target.database}): ${e.message ?? String(error)}`, { hints: [`The connection string came from ${source}.`] })
}

/** One line for a failed statement: the server's message, SQLSTATE, and detail/hint when it gave them. */
export function describePgError(error: unknown): string {
  const e = (error ?? {}) as PgErrorLike
  const parts = [e.message ?? String(error)]
  if (e.code && /^[0-9A-Z]{5}$/.test(e.code)) parts.push(`(SQLSTATE ${e.code})`)
  if (e.detail) parts.push(`detail: ${e.detail}`)
  if (e.hint) parts.push(`hint: ${e.hint}`)
  return parts.join(' ')
}

/** True when the connection itself broke mid-run (as opposed to a statement failing). */
export const isConnectionLoss = (error: unknown): boolean => networkCodeOf(error) !== undefined || /Connection terminated|connection is closed|Client has encountered a connection error/i.test((error as PgErrorLike)?.message ?? '')
