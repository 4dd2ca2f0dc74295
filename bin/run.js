#!/usr/bin/env node
// The built CLI (npm run build). Commands load lazily through oclif.manifest.json and SDKs load only
// in the code paths that need them, so `mkt --version` and `mkt components list` start fast.
import '../dist/cli/run.js'
