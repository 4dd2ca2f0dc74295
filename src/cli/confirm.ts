// Consent for changes to protected environments: --yes, or typing the environment name on a TTY.
// Never prompts without a human on both ends (see canPrompt): fails fast naming --yes instead.
import { createInterface } from 'node:readline/promises'
import { failedError, usageError } from '../errors.js'

export interface ConfirmOptions {
  environment: { name: string; protected: boolean }
  action: string
  yes: boolean
  interactive: boolean
  /** Reads one line from the user; replaced in tests. */
  ask?: (question: string) => Promise<string>
}

export async function confirmProtectedChange(options: ConfirmOptions): Promise<void> {
  const { environment, action, yes } = options
  if (!environment.protected || yes) return
  if (!options.interactive) {
    throw usageError(`${environment.name} is a protected environment: refusing to ${action} without confirmation`, {
      hints: [`Pass --yes (or set MKT_YES=1) to ${action} in ${environment.name} non-interactively.`],
    })
  }
  const ask = options.ask ?? askOnTerminal
  const answer = await ask(`${environment.name} is protected. Type the environment name to ${action}: `)
  if (answer.trim() !== environment.name) {
    throw failedError(`confirmation did not match "${environment.name}": nothing was changed`, { hints: ['Run the command again and type the environment name exactly, or pass --yes.'] })
  }
}

async function askOnTerminal(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  try {
    return await rl.question(question)
  } finally {
    rl.close()
  }
}
