// MktCommand: the one place that owns mkt's output and error contract (DESIGN.md "Contracts").
// Commands extend it, declare flags, and return a typed result from run(): that result is the --json
// contract (`{ ok: true, result, warnings }`). Failures become one line plus hints on stderr, or
// `{ ok: false, error: { code, exitCode, message, hints }, result }` under --json, with the frozen exit code.
import { Command, Errors, Flags, type Interfaces } from '@oclif/core'
import { ExitCode, MktError, internalError, usageError, type ExitCodeValue } from '../errors.js'
import { loadPlatform, type LoadedPlatform } from '../platform/load.js'
import { resolveEnvironment } from '../platform/environments.js'
import type { Environment } from '../platform/schema.js'
import { releaseHeld } from '../interrupt.js'
import { closestNames } from '../platform/components.js'
import { setNoticeSink } from '../notices.js'
import { redactor } from '../redact.js'
import { NO_TELEMETRY, startTelemetry, type Telemetry } from '../telemetry/index.js'
import { confirmProtectedChange } from './confirm.js'
import { errorAnnotation, maskSecretsForRunner, runnerOf } from './pipeline.js'
import { Output } from './output.js'
import { exitWhenFlushed, installRedactingStreams } from './streams.js'
import { canPrompt, useColor } from './term.js'

export type MktFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof MktCommand)['baseFlags'] & T['flags']>
export type MktArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

const isTruthy = (value: string | undefined) => value !== undefined && ['1', 'true', 'yes', 'y'].includes(value.toLowerCase())

/** Flags shared by commands that act on an environment. */
export const envFlag = Flags.string({
  char: 'e',
  summary: 'Environment to act on (default: defaults.environment in mkt.yaml, normally local).',
  env: 'MKT_ENV',
  helpValue: '<name>',
})

export const regionsFlag = Flags.string({
  summary: 'Only these regions (comma-separated; default all, primary first).',
  env: 'MKT_REGIONS',
  helpValue: '<a,b>',
})

/** Several components, by name, alias or .NET name. */
export const componentsFlag = Flags.string({ char: 'c', summary: 'Only these components (repeatable; names or aliases).', multiple: true, env: 'MKT_COMPONENT' })

export const yesFlag = Flags.boolean({
  char: 'y',
  summary: 'Confirm changes to protected environments without prompting.',
  env: 'MKT_YES',
  default: false,
})

export interface JsonSuccess<T> {
  ok: true
  result: T
  warnings: string[]
}

export interface JsonFailure {
  ok: false
  error: { code: string; exitCode: number; message: string; hints: string[] }
  result: unknown
  warnings: string[]
}

export abstract class MktCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    config: Flags.string({
      summary: 'Path to mkt.yaml (default: found by walking up from the working directory, else the built-in platform).',
      env: 'MKT_CONFIG',
      helpGroup: 'GLOBAL',
      helpValue: '<path>',
    }),
    quiet: Flags.boolean({ char: 'q', summary: 'Print only results and errors.', env: 'MKT_QUIET', helpGroup: 'GLOBAL', default: false }),
    verbose: Flags.boolean({ summary: 'Print more detail, and stack traces for internal errors (never secrets).', env: 'MKT_VERBOSE', helpGroup: 'GLOBAL', default: false }),
    'no-color': Flags.boolean({ summary: 'Turn colour off (also NO_COLOR, TERM=dumb; implied by --json).', env: 'MKT_NO_COLOR', helpGroup: 'GLOBAL', default: false }),
  }

  protected flags!: MktFlags<T>
  protected args!: MktArgs<T>
  /** Every positional argument, for commands that take several (static strict = false). */
  protected positional: string[] = []
  protected out: Output = new Output({ json: false, quiet: false, verbose: false, color: false })
  /** Aborted on SIGINT/SIGTERM: long operations watch it and clean up. */
  protected readonly abort = new AbortController()
  private readonly cleanups: Array<() => Promise<unknown> | unknown> = []
  /** The command's trace (OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, else a no-op that loads nothing). */
  protected telemetry: Telemetry = NO_TELEMETRY
  private loaded: LoadedPlatform | undefined

  override async init(): Promise<void> {
    await super.init()
    installRedactingStreams()
    // In GitHub Actions / Azure Pipelines every secret read from here on is masked by the runner first.
    maskSecretsForRunner()
    this.out = this.outputFor({ quiet: this.argv.includes('-q') || this.argv.includes('--quiet'), verbose: this.argv.includes('--verbose'), noColor: this.argv.includes('--no-color') })
    this.installSignalHandlers()
    setNoticeSink((message, level) => (level === 'warn' ? this.out.warn(message) : this.out.info(message)))
    const ctor = this.ctor as unknown as typeof MktCommand
    let parsed: Awaited<ReturnType<typeof this.parse>>
    try {
      parsed = await this.parse({
        flags: ctor.flags,
        baseFlags: (ctor as typeof MktCommand).baseFlags,
        enableJsonFlag: ctor.enableJsonFlag,
        args: ctor.args,
        strict: ctor.strict,
      })
    } catch (error) {
      // Whatever the parser rejects is the operator's input, never a bug: exit 64, with the closest flags.
      throw parseFailure(error, Object.keys({ ...ctor.baseFlags, ...ctor.flags, ...(ctor.enableJsonFlag ? { json: true } : {}) }))
    }
    const { args, argv, flags } = parsed
    this.flags = flags as MktFlags<T>
    this.args = args as MktArgs<T>
    this.positional = argv.map(String)
    this.out = this.outputFor({ quiet: Boolean(flags.quiet), verbose: Boolean(flags.verbose), noColor: Boolean(flags['no-color']) })
    this.telemetry = await startTelemetry((this.id ?? 'mkt').replaceAll(':', ' '), this.config.version)
    this.telemetry.root.setAttributes({ 'mkt.environment': (flags as { env?: string }).env })
  }

  /** Runs after run() or catch(): ends the command's span with the exit code the process will have. */
  override async finally(error: Error | undefined): Promise<void> {
    const exitCode = error === undefined ? Number(process.exitCode ?? 0) : ((error as Errors.CLIError).oclif?.exit ?? toMktError(error).exitCode)
    await this.telemetry.shutdown(exitCode, error === undefined || error instanceof Errors.ExitError ? undefined : toMktError(error).message)
    await super.finally(error)
  }

  override jsonEnabled(): boolean {
    return super.jsonEnabled() || isTruthy(process.env.MKT_JSON)
  }

  private outputFor(o: { quiet: boolean; verbose: boolean; noColor: boolean }): Output {
    const json = this.jsonEnabled()
    return new Output({
      json,
      quiet: o.quiet || isTruthy(process.env.MKT_QUIET),
      verbose: o.verbose || isTruthy(process.env.MKT_VERBOSE),
      color: useColor({ json, noColor: o.noColor || isTruthy(process.env.MKT_NO_COLOR), isTTY: process.stdout.isTTY === true }),
    })
  }

  /** The platform model: mkt.yaml (found or --config) or the built-in one. Loaded once. */
  protected async platform(): Promise<LoadedPlatform> {
    this.loaded ??= await loadPlatform({ configPath: (this.flags as { config?: string }).config })
    return this.loaded
  }

  protected async environment(name: string | undefined): Promise<Environment> {
    return resolveEnvironment((await this.platform()).platform, name)
  }

  protected get interactive(): boolean {
    return canPrompt({ json: this.jsonEnabled() })
  }

  /** Asks for consent before changing a protected environment (or fails fast naming --yes). */
  protected async confirmChange(environment: Environment, action: string, yes: boolean): Promise<void> {
    await confirmProtectedChange({ environment, action, yes, interactive: this.interactive })
  }

  /**
   * Registers cleanup that runs on SIGINT/SIGTERM before mkt exits 130. A cleanup may return the partial
   * result of the operation it wound down: it goes into the --json failure envelope.
   */
  protected onInterrupt(cleanup: () => Promise<unknown> | unknown): void {
    this.cleanups.push(cleanup)
  }

  /**
   * For run() after an operation noticed the interrupt and wound down: the signal handler reports and exits
   * 130 once its cleanups are done, so run() must neither print a result nor throw. It waits for that exit.
   */
  protected async waitForInterruptExit(): Promise<never> {
    return new Promise<never>(() => undefined)
  }

  /**
   * For long-running servers (`mkt health serve`): SIGTERM/SIGINT is how they are meant to stop, so after
   * this cleanup mkt exits 0 instead of reporting an interruption (130).
   */
  protected stopOnSignal: (() => Promise<void>) | undefined

  private installSignalHandlers(): void {
    // bin/run.js answered signals until now (exit 130 before anything started); from here the command does.
    const early = (globalThis as Record<symbol, unknown>)[Symbol.for('mkt.earlySignalHandler')] as ((signal: NodeJS.Signals) => void) | undefined
    if (early) {
      process.off('SIGINT', early)
      process.off('SIGTERM', early)
    }
    const handler = (signal: NodeJS.Signals) => void this.interrupted(signal)
    process.once('SIGINT', handler)
    process.once('SIGTERM', handler)
  }

  /**
   * For commands whose normal end is Ctrl-C (`health --watch`): the interrupt is reported without "Error:"
   * (still exit 130, so scripts can tell it from a finished run).
   */
  protected interruptEndsNormally = false

  private async interrupted(signal: NodeJS.Signals): Promise<void> {
    if (this.stopOnSignal) {
      await this.stopOnSignal().catch((error: Error) => this.out.warn(`stopping after ${signal}: ${error.message}`))
      await this.telemetry.shutdown(ExitCode.OK)
      await exitWhenFlushed(ExitCode.OK)
    }
    this.abort.abort(new MktError('INTERRUPTED', ExitCode.INTERRUPTED, `interrupted by ${signal}`))
    // A second signal while cleaning up: give back what we hold (locks) within about a second, then exit.
    const insist = (again: NodeJS.Signals) => void this.interruptedAgain(again)
    process.once('SIGINT', insist)
    process.once('SIGTERM', insist)
    let partial: unknown = null
    for (const cleanup of this.cleanups.reverse()) {
      try {
        partial = (await cleanup()) ?? partial
      } catch (error) {
        this.out.warn(`cleanup after ${signal} failed: ${(error as Error).message}`)
      }
    }
    if (this.interruptEndsNormally && !this.jsonEnabled()) {
      this.out.info(`stopped (${signal})`)
    } else {
      this.report(new MktError('INTERRUPTED', ExitCode.INTERRUPTED, `interrupted by ${signal}; cleaned up`, { result: partial }))
    }
    await this.telemetry.shutdown(ExitCode.INTERRUPTED, `interrupted by ${signal}`)
    await exitWhenFlushed(ExitCode.INTERRUPTED)
  }

  private async interruptedAgain(signal: NodeJS.Signals): Promise<void> {
    process.stderr.write(`${signal} again: releasing locks (up to 1s) and exiting without finishing the clean-up\n`)
    await releaseHeld(1_000)
    this.report(
      new MktError('INTERRUPTED', ExitCode.INTERRUPTED, `interrupted twice by ${signal}: exited before the clean-up finished`, {
        hints: ['Check what was left with `mkt history` and `mkt lock status`; `mkt rollback` restores the previous release.'],
      }),
    )
    await exitWhenFlushed(ExitCode.INTERRUPTED)
  }

  override toSuccessJson(result: unknown): JsonSuccess<unknown> {
    return { ok: true, result, warnings: this.out.warnings }
  }

  override logJson(json: unknown): void {
    process.stdout.write(`${redactor.redact(JSON.stringify(json, null, 2))}\n`)
  }

  override async catch(error: Error & { exitCode?: number }): Promise<never> {
    if (error instanceof Errors.ExitError) throw error
    const failure = toMktError(error)
    this.report(failure, error)
    return this.exit(failure.exitCode) as never
  }

  private report(failure: MktError, original?: Error): void {
    const runner = runnerOf()
    // The failure as the runner's annotation (on stderr: stdout stays the result or the --json envelope).
    if (runner) process.stderr.write(`${errorAnnotation(runner, `mkt ${(this.id ?? '').replaceAll(':', ' ')} (exit ${failure.exitCode})`, failure.message)}\n`)
    if (this.jsonEnabled()) {
      const envelope: JsonFailure = {
        ok: false,
        error: { code: failure.code, exitCode: failure.exitCode, message: failure.message, hints: failure.hints },
        result: failure.result ?? null,
        warnings: this.out.warnings,
      }
      this.logJson(envelope)
      return
    }
    process.stderr.write(`${this.out.style('Error:', 'red')} ${failure.message}\n`)
    for (const hint of failure.hints) process.stderr.write(`${this.out.style('Hint:', 'dim')} ${hint}\n`)
    if (failure.code === 'INTERNAL' && original?.stack) {
      if (this.out.options.verbose) process.stderr.write(`${original.stack}\n`)
    }
  }

  protected exitWith(code: ExitCodeValue): never {
    return this.exit(code) as never
  }
}

/** Maps anything thrown to an MktError with a frozen exit code. */
export function toMktError(error: unknown): MktError {
  if (error instanceof MktError) return error
  // oclif parse errors (CLIParseError) and flag values rejected by a flag's parse(): usage errors (64).
  if ((error instanceof Errors.CLIError && 'parse' in error) || (error instanceof Error && /^Parsing --[\w-]+/.test(error.message))) {
    return usageError(oneLine(error.message), { hints: ['Run the command with --help to see its flags and arguments.'] })
  }
  if (error instanceof Errors.CLIError) {
    const exit = (error as Errors.CLIError).oclif?.exit
    if (exit === ExitCode.USAGE) return usageError(error.message)
  }
  const message = error instanceof Error ? error.message : String(error)
  return internalError(`internal error: ${message}`, { hints: ['This is a bug in mkt. Run again with --verbose for the stack trace and report it.'] })
}

/** A parser failure as exit 64, one line, with did-you-mean for an unknown flag. Flag parse() may throw MktErrors: kept. */
export function parseFailure(error: unknown, flagNames: string[]): MktError {
  if (error instanceof MktError) return error
  const hints = ['Run the command with --help to see its flags and arguments.']
  const unknown = (error as { flags?: unknown }).flags
  if (Array.isArray(unknown) && unknown.length > 0) {
    const typed = String(unknown[0]).replace(/^-+/, '').replace(/=.*$/, '')
    const close = closestNames(typed, flagNames)
    if (close.length > 0) hints.unshift(`Did you mean ${close.map((name) => `--${name}`).join(' or ')}?`)
  }
  const message = error instanceof Error ? oneLine(error.message) : String(error)
  return usageError(message, { hints })
}

/** oclif's multi-line parse messages as one line: drop the preamble and the "See more help" trailer. */
export function oneLine(message: string): string {
  return message
    .split('\n')
    .map((line) => line.trim().replace(/^Error: /, ''))
    .filter((line) => line !== '' && !/^The following errors? occurred:$/.test(line) && !/^See more help with --help$/.test(line))
    .join(': ')
    .replace(/:\s*:/g, ':')
}
