// mkt's exit codes and typed errors. Frozen: pipelines branch on these numbers (README, `mkt --help`).
// The engine throws MktError; the CLI layer (src/cli) turns it into one line on stderr or a --json envelope.

export const ExitCode = {
  OK: 0,
  FAILED: 1,
  CHANGES: 2,
  USAGE: 64,
  INVALID_INPUT: 65,
  UNAVAILABLE: 69,
  INTERNAL: 70,
  LOCKED: 73,
  TIMEOUT: 75,
  AUTH: 77,
  CONFIG: 78,
  ROLLED_BACK: 80,
  ROLLBACK_FAILED: 81,
  UNHEALTHY: 82,
  INTERRUPTED: 130,
} as const

export type ExitCodeName = keyof typeof ExitCode
export type ExitCodeValue = (typeof ExitCode)[ExitCodeName]

/** The table printed in the README and in `mkt --help`. */
export const EXIT_CODES: ReadonlyArray<{ code: ExitCodeValue; name: ExitCodeName; meaning: string }> = [
  { code: 0, name: 'OK', meaning: 'success; healthy' },
  { code: 1, name: 'FAILED', meaning: 'failed (generic)' },
  { code: 2, name: 'CHANGES', meaning: 'plan/diff has changes (only with --exit-code)' },
  { code: 64, name: 'USAGE', meaning: 'usage: bad flags or arguments' },
  { code: 65, name: 'INVALID_INPUT', meaning: 'invalid input file (mkt.yaml, topology, config)' },
  { code: 69, name: 'UNAVAILABLE', meaning: 'a dependency is unavailable (cluster, ARM, Service Bus, Key Vault, database)' },
  { code: 70, name: 'INTERNAL', meaning: 'internal error (a bug)' },
  { code: 73, name: 'LOCKED', meaning: 'lock held by another operation (names the holder)' },
  { code: 75, name: 'TIMEOUT', meaning: 'timed out; safe to retry or resume' },
  { code: 77, name: 'AUTH', meaning: 'authentication or permission denied' },
  { code: 78, name: 'CONFIG', meaning: 'missing configuration or secret' },
  { code: 80, name: 'ROLLED_BACK', meaning: 'deploy failed and was rolled back cleanly' },
  { code: 81, name: 'ROLLBACK_FAILED', meaning: 'deploy failed and the rollback failed too (page someone)' },
  { code: 82, name: 'UNHEALTHY', meaning: 'unhealthy (mkt health)' },
  { code: 130, name: 'INTERRUPTED', meaning: 'interrupted (SIGINT/SIGTERM), after cleanup' },
]

/** The stable error code of an exit code (`80` → `ROLLED_BACK`). */
export const exitCodeName = (code: number): ExitCodeName => EXIT_CODES.find((e) => e.code === code)?.name ?? 'FAILED'

/** An MktError whose code is the exit code's name. */
export const errorForExit = (exitCode: ExitCodeValue, message: string, options?: MktErrorOptions) => new MktError(exitCodeName(exitCode), exitCode, message, options)

export interface MktErrorOptions {
  hints?: string[]
  cause?: unknown
  /** A partial result to report with the failure (--json `result`). */
  result?: unknown
}

/** An expected failure: a stable code, the exit code pipelines branch on, a one-line message, and hints. */
export class MktError extends Error {
  readonly code: string
  readonly exitCode: ExitCodeValue
  readonly hints: string[]
  readonly result: unknown

  constructor(code: string, exitCode: ExitCodeValue, message: string, options: MktErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'MktError'
    this.code = code
    this.exitCode = exitCode
    this.hints = options.hints ?? []
    this.result = options.result ?? null
  }
}

export const usageError = (message: string, options?: MktErrorOptions) => new MktError('USAGE', ExitCode.USAGE, message, options)
export const invalidInputError = (message: string, options?: MktErrorOptions) =>
  new MktError('INVALID_INPUT', ExitCode.INVALID_INPUT, message, options)
export const unavailableError = (message: string, options?: MktErrorOptions) =>
  new MktError('UNAVAILABLE', ExitCode.UNAVAILABLE, message, options)
export const configError = (message: string, options?: MktErrorOptions) => new MktError('CONFIG', ExitCode.CONFIG, message, options)
export const timeoutError = (message: string, options?: MktErrorOptions) => new MktError('TIMEOUT', ExitCode.TIMEOUT, message, options)
export const authError = (message: string, options?: MktErrorOptions) => new MktError('AUTH', ExitCode.AUTH, message, options)
export const lockedError = (message: string, options?: MktErrorOptions) => new MktError('LOCKED', ExitCode.LOCKED, message, options)
export const failedError = (message: string, options?: MktErrorOptions) => new MktError('FAILED', ExitCode.FAILED, message, options)
export const internalError = (message: string, options?: MktErrorOptions) => new MktError('INTERNAL', ExitCode.INTERNAL, message, options)
