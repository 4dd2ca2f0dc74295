// The CLI entry, bundled to dist/cli/run.js (bin/run.js imports it).
import { execute } from '@oclif/core'
import { packageRoot } from '../paths.js'

await execute({ dir: packageRoot() })
// A finished command exits now: keep-alive sockets of the Kubernetes or Azure clients must not hold the
// process open. (stdout and stderr to pipes and files are written synchronously on Linux and macOS.)
process.exit(process.exitCode ?? 0)
