// The CLI entry, bundled to dist/cli/run.js (bin/run.js imports it).
import { execute } from '@oclif/core'
import { Exit } from '@oclif/core/handle'
import { packageRoot } from '../paths.js'
import { exitWhenFlushed } from './streams.js'

// oclif's error handler ends with process.exit(code), which would cut output still queued for a pipe:
// take the code from it and exit below, once stdout and stderr are flushed.
Exit.exit = ((code = 0) => {
  process.exitCode = code
}) as typeof Exit.exit

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
// process open.
await exitWhenFlushed(Number(process.exitCode ?? 0))
