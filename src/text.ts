// Small wording helpers shared by the engine and the commands.

/** `1 restart`, `0 secrets`, `6 restarts`: a count with its noun in the right number. */
export const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`
