/** @module The one error type the CLI shows to a person: what is wrong, and how to fix it. */

export class NanoKimiError extends Error {
  override name = 'NanoKimiError';
  readonly code: string;
  readonly hint: string | undefined;
  constructor(code: string, message: string, hint?: string) {
    super(message);
    this.code = code;
    this.hint = hint;
  }
}
