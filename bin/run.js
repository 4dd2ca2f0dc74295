#!/usr/bin/env node
// The built CLI (npm run build). Commands load lazily through oclif.manifest.json and SDKs load only
// in the code paths that need them, so `mkt --version` and `mkt components list` start fast.
import module from 'node:module'

// V8's compile cache (Node >= 22.1; absent on Node 20): a later run reuses the code compiled for the bundled
// chunks instead of parsing megabytes of SDK again. Its directory is NODE_COMPILE_CACHE or the OS temp dir.
module.enableCompileCache?.()
//
// Signals are answered from the first instant: until a command installs its own handler (which removes this
// one), SIGINT/SIGTERM exit 130 with nothing started, instead of killing the process by the raw signal.
const earlySignal = (signal) => {
  const message = `interrupted by ${signal} before the command started; nothing was changed`
  const json = process.argv.includes('--json') || ['1', 'true', 'yes', 'y'].includes((process.env.MKT_JSON ?? '').toLowerCase())
  if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: { code: 'INTERRUPTED', exitCode: 130, message, hints: [] }, result: null, warnings: [] }, null, 2)}\n`)
  else process.stderr.write(`Error: ${message}\n`)
  process.exit(130)
}
globalThis[Symbol.for('mkt.earlySignalHandler')] = earlySignal
process.on('SIGINT', earlySignal)
process.on('SIGTERM', earlySignal)
await import('../dist/cli/run.js')
