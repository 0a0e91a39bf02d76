/** What a secret value is shown as, everywhere. */
export const SECRET_PLACEHOLDER = "***";

/**
 * Secrets shorter than this are masked by key only (in diffs, which never show secret
 * values), not by value in free text: masking every "1" in a log line would make output
 * unreadable and protect nothing.
 */
export const MIN_MASKED_LENGTH = 4;

/** Replaces every occurrence of the given secret values in text with `***`. */
export class Masker {
  private readonly secrets: string[];

  constructor(secrets: Iterable<string>) {
    // Longest first, so that a secret containing another is masked whole.
    this.secrets = [...new Set([...secrets].filter((s) => s.length >= MIN_MASKED_LENGTH))].sort((a, b) => b.length - a.length);
  }

  static none(): Masker {
    return new Masker([]);
  }

  mask(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join(SECRET_PLACEHOLDER);
    return out;
  }

  /** The error to rethrow: same class when it is a plain Error subclass, message masked. */
  maskError(err: unknown): unknown {
    if (!(err instanceof Error) || this.secrets.length === 0) return err;
    const masked = this.mask(err.message);
    if (masked === err.message) return err;
    err.message = masked;
    if (err.stack) err.stack = this.mask(err.stack);
    return err;
  }
}
