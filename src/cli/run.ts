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

await execute({ dir: packageRoot() })
// A finished command exits now: keep-alive sockets of the Kubernetes or Azure clients must not hold the
// process open.
await exitWhenFlushed(Number(process.exitCode ?? 0))
