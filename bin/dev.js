#!/usr/bin/env node
// Development entry: like bin/run.js but oclif ignores the manifest and reads dist/cli/commands directly.
import { execute } from '@oclif/core'

await execute({ development: true, dir: import.meta.url })
