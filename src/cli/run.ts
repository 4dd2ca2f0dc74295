// The CLI entry, bundled to dist/cli/run.js (bin/run.js imports it).
import { execute } from '@oclif/core'
import { packageRoot } from '../paths.js'

// Node 24 warns once about url.parse() unless the caller sits under node_modules; node-fetch 2 (inside
// @kubernetes/client-node) calls it on every request, and bundled it no longer sits there, so every command
// that talks to a cluster would print the warning. Only that one is dropped.
const emitWarning = process.emitWarning.bind(process)
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const code = typeof rest[0] === 'object' && rest[0] !== null ? (rest[0] as { code?: string }).code : rest[1]
  if (code === 'DEP0169') return
  emitWarning(warning, ...(rest as [string]))
}) as typeof process.emitWarning

await execute({ dir: packageRoot() })
// A finished command exits now: keep-alive sockets of the Kubernetes or Azure clients must not hold the
// process open. (stdout and stderr to pipes and files are written synchronously on Linux and macOS.)
process.exit(process.exitCode ?? 0)
