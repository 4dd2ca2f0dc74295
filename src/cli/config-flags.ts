import { Flags } from '@oclif/core'

/** Where secret values come from: an environment variable, a file, or stdin. Never a flag value. */
export const secretValueFlags = {
  'from-env': Flags.string({ summary: 'Secret NAME takes the value of environment variable VAR (repeatable).', multiple: true, env: 'MKT_FROM_ENV', helpValue: 'NAME=VAR' }),
  'from-file': Flags.string({ summary: "Secret NAME takes a file's content (repeatable).", multiple: true, env: 'MKT_FROM_FILE', helpValue: 'NAME=PATH' }),
  stdin: Flags.string({ summary: 'Secret NAME takes what is piped to stdin.', env: 'MKT_STDIN', helpValue: 'NAME' }),
  'allow-unreferenced': Flags.boolean({
    summary: 'Write a secret that no configuration file of the environment references (an app that reads Key Vault directly).',
    default: false,
    env: 'MKT_ALLOW_UNREFERENCED',
  }),
}

export const configDirFlag = Flags.string({ summary: 'Configuration folder (default: config/ beside mkt.yaml, else the built-in examples).', env: 'MKT_CONFIG_DIR', helpValue: '<path>' })

