#!/usr/bin/env node
// The built CLI (npm run build). Commands load lazily through oclif.manifest.json and SDKs load only
// in the code paths that need them, so `mkt --version` and `mkt components list` start fast.
import module from 'node:module'

// V8's compile cache (Node >= 22.1; absent on Node 20): a later run reuses the code compiled for the bundled
// chunks instead of parsing megabytes of SDK again. Its directory is NODE_COMPILE_CACHE or the OS temp dir.
module.enableCompileCache?.()
await import('../dist/cli/run.js')
