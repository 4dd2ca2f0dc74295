// The CLI entry, bundled to dist/cli/run.js (bin/run.js imports it).
import { execute } from '@oclif/core'
import { packageRoot } from '../paths.js'

await execute({ dir: packageRoot() })
