// MktCommand: the one place that owns mkt's output and error contract (DESIGN.md "Contracts").
// Commands extend it, declare flags, and return a typed result from run(): that result is the --json
// contract (`{ ok: true, result, warnings }`). Failures become one line plus hints on stderr, or
// `{ ok: false, error: { code, exitCode, message, hints }, result }` under --json, with the frozen exit code.
import { Command, Errors, Flags, type Interfaces } from '@oclif/core'
import { ExitCode, MktError, internalError, usageError, type ExitCodeValue } from '../errors.js'
import { loadPlatform, type LoadedPlatform } from '../platform/load.js'
import { resolveEnvironment } from '../platform/environments.js'
import type { Environment } from '../platform/schema.js'
import { redactor } from '../redact.js'
import { confirmProtectedChange } from './confirm.js'
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
  private loaded: LoadedPlatform | undefined

  override async init(): Promise<void> {
    await super.init()
    installRedactingStreams()
    this.out = this.outputFor({ quiet: this.argv.includes('-q') || this.argv.includes('--quiet'), verbose: this.argv.includes('--verbose'), noColor: this.argv.includes('--no-color') })
    this.installSignalHandlers()
    const ctor = this.ctor as unknown as typeof MktCommand
    const { args, argv, flags } = await this.parse({
      flags: ctor.flags,
      baseFlags: (ctor as typeof MktCommand).baseFlags,
      enableJsonFlag: ctor.enableJsonFlag,
      args: ctor.args,
      strict: ctor.strict,
    })
    this.flags = flags as MktFlags<T>
    this.args = args as MktArgs<T>
    this.positional = argv.map(String)
    this.out = this.outputFor({ quiet: Boolean(flags.quiet), verbose: Boolean(flags.verbose), noColor: Boolean(flags['no-color']) })
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

  private installSignalHandlers(): void {
    const handler = (signal: NodeJS.Signals) => void this.interrupted(signal)
    process.once('SIGINT', handler)
    process.once('SIGTERM', handler)
  }

  private async interrupted(signal: NodeJS.Signals): Promise<void> {
    this.abort.abort(new MktError('INTERRUPTED', ExitCode.INTERRUPTED, `interrupted by ${signal}`))
    // A second signal while cleaning up exits at once.
    process.once('SIGINT', () => process.exit(ExitCode.INTERRUPTED))
    process.once('SIGTERM', () => process.exit(ExitCode.INTERRUPTED))
    let partial: unknown = null
    for (const cleanup of this.cleanups.reverse()) {
      try {
        partial = (await cleanup()) ?? partial
      } catch (error) {
        this.out.warn(`cleanup after ${signal} failed: ${(error as Error).message}`)
      }
    }
    this.report(new MktError('INTERRUPTED', ExitCode.INTERRUPTED, `interrupted by ${signal}; cleaned up`, { result: partial }))
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

/** oclif's multi-line parse messages as one line: drop the preamble and the "See more help" trailer. */
export function oneLine(message: string): string {
  return message
    .split('\n')
    .map((line) => line.trim().replace(/^Error: /, ''))
    .filter((line) => line !== '' && !/^The following errors? occurred:$/.test(line) && !/^See more help with --help$/.test(line))
    .join(': ')
    .replace(/:\s*:/g, ':')
}
