// The PKI's user-facing error, in a module of its own: the synth's input checks raise it without loading the PKI code.
/**
 * A failure the user has to fix by hand (corrupt or mismatched files, an expired CA, a state path that is a file or
 * cannot be read). Each problem names the file and what to do.
 */
export class PkiError extends Error {
  constructor(
    /** Every problem found, each naming its file. */
    readonly problems: string[],
    dir?: string,
  ) {
    super(`PKI state${dir ? ` in ${dir}` : ''} needs attention:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'PkiError';
  }
}
