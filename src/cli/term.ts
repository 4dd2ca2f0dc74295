// Terminal and CI detection: decides colour, prompts and the progress renderer.

type Env = Record<string, string | undefined>

const truthy = (value: string | undefined) => value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false'

/** CI detection the way azd and the Salesforce CLI do it: CI, CI_*, CONTINUOUS_INTEGRATION, TF_BUILD, GITHUB_ACTIONS, … */
export function isCI(env: Env = process.env): boolean {
  if (truthy(env.CI) || truthy(env.CONTINUOUS_INTEGRATION) || truthy(env.TF_BUILD) || truthy(env.GITHUB_ACTIONS)) return true
  if (env.BUILD_NUMBER !== undefined || env.RUN_ID !== undefined || env.BUILDKITE !== undefined || env.GITLAB_CI !== undefined) return true
  return Object.keys(env).some((key) => key.startsWith('CI_') && truthy(env[key]))
}

export interface TerminalInfo {
  stdinIsTTY: boolean
  stdoutIsTTY: boolean
  stderrIsTTY: boolean
}

export const currentTerminal = (): TerminalInfo => ({
  stdinIsTTY: process.stdin.isTTY === true,
  stdoutIsTTY: process.stdout.isTTY === true,
  stderrIsTTY: process.stderr.isTTY === true,
})

/** Prompts are allowed only with a human on both ends: TTY stdin and stderr, not CI, not --json. */
export function canPrompt(options: { json: boolean; env?: Env; terminal?: TerminalInfo }): boolean {
  const terminal = options.terminal ?? currentTerminal()
  return !options.json && terminal.stdinIsTTY && terminal.stderrIsTTY && !isCI(options.env ?? process.env)
}

/** Colour is off with --json, --no-color, NO_COLOR (any non-empty value), TERM=dumb, FORCE_COLOR=0 or a non-TTY stream. */
export function useColor(options: { json: boolean; noColor: boolean; env?: Env; isTTY: boolean }): boolean {
  const env = options.env ?? process.env
  if (options.json || options.noColor) return false
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  if (env.TERM === 'dumb') return false
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR.toLowerCase() !== 'false'
  return options.isTTY
}
