// oclif help plus the exit code table: pipelines branch on these numbers, so --help documents them.
import { Help, type Command, type Interfaces } from '@oclif/core'
import { EXIT_CODES } from '../errors.js'

export function exitCodeSection(): string {
  const rows = EXIT_CODES.map((e) => `  ${String(e.code).padEnd(4)} ${e.meaning}`)
  return ['EXIT CODES', ...rows].join('\n')
}

export default class MktHelp extends Help {
  override async showRootHelp(): Promise<void> {
    await super.showRootHelp()
    this.log(`\n${exitCodeSection()}\n`)
  }

  override async showCommandHelp(command: Command.Loadable): Promise<void> {
    // Descriptions are hard-wrapped in the source; oclif wraps them again to the terminal, leaving ragged
    // half-lines. Join the lines of each paragraph (blank lines stay) and let oclif wrap once.
    await super.showCommandHelp(command.description ? { ...command, description: unwrapParagraphs(command.description) } : command)
    this.log(`${exitCodeSection()}\n`)
  }

  // Keep the signature oclif expects; topics have no exit codes of their own.
  override async showTopicHelp(topic: Interfaces.Topic): Promise<void> {
    await super.showTopicHelp(topic)
  }
}

/** Single newlines inside a paragraph become spaces; blank lines and indented lines (examples, lists) stay. */
export function unwrapParagraphs(text: string): string {
  return text.replace(/([^\n])\n(?=[^\n\s-])/g, '$1 ')
}
