/**
 * Error classes. src/exit-codes.ts maps them to exit codes; src/main.ts prints them.
 *
 * - UserError: the user's mistake or an environment problem they can fix (bad manifest,
 *   engine down). One clear message, no stack trace unless -v.
 * - ExitError: leave with a code and no further message (what was worth saying was said).
 * - ProtocolError: a resource type broke the protocol; names resource and phase.
 * - InternalError: a bug in deployster; always shows the stack.
 */
export class UserError extends Error {
  override name = "UserError";
  constructor(message: string, readonly exitCode = 1, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class ExitError extends Error {
  override name = "ExitError";
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

export class ProtocolError extends UserError {
  override name = "ProtocolError";
  constructor(readonly resource: string, readonly phase: string, message: string) {
    super(message);
  }
}

export class InternalError extends Error {
  override name = "InternalError";
}

/** Collects several problems (e.g. every schema violation of a manifest) into one failure. */
export class ValidationError extends UserError {
  override name = "ValidationError";
  constructor(readonly problems: string[], heading?: string) {
    super([heading, ...problems.map((p) => (heading ? `  - ${p}` : p))].filter(Boolean).join("\n"));
  }
}
