// An unknown command is a usage error (exit 64) with the closest commands, not oclif's exit 1.
import type { Hook } from '@oclif/core'
import { ExitCode } from '../../errors.js'
import { closestNames } from '../../platform/components.js'
import { exitWhenFlushed } from '../streams.js'

const hook: Hook.CommandNotFound = async function (options) {
  const typed = options.id.replace(/:/g, ' ')
  const ids = options.config.commandIDs.filter((id) => !id.startsWith('autocomplete:')).map((id) => id.replace(/:/g, ' '))
  const close = closestNames(typed, ids)
  const hints = [close.length > 0 ? `Did you mean ${close.map((c) => `"mkt ${c}"`).join(' or ')}?` : 'Run `mkt --help` to see the commands.']
  const message = `unknown command "mkt ${typed}"`
  if (options.argv?.includes('--json') || process.env.MKT_CONTENT_TYPE?.toLowerCase() === 'json') {
    process.stdout.write(`${JSON.stringify({ ok: false, error: { code: 'USAGE', exitCode: ExitCode.USAGE, message, hints }, result: null, warnings: [] }, null, 2)}\n`)
  } else {
    process.stderr.write(`Error: ${message}\n${hints.map((h) => `Hint: ${h}\n`).join('')}`)
  }
  await exitWhenFlushed(ExitCode.USAGE)
}

export default hook
