/**
 * Descope error bodies (docs/descope-api-notes.md §3.2): `{errorCode, errorDescription, errorMessage}`.
 * Which code and status go with which condition is mostly undocumented; the choices are listed in README.md.
 */

export const ErrorCode = {
  badRequest: "E011001",
  missingArguments: "E011002",
  invalidRequest: "E011003",
  invalidArguments: "E011004",
  userNotFound: "E112102",
  rateLimitExceeded: "E130429",
} as const;

export interface DescopeErrorBody {
  errorCode: string;
  errorDescription: string;
  errorMessage?: string;
}

/** Thrown by handlers; the server turns it into the status and error body. */
export class DescopeError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    readonly errorDescription: string,
    readonly errorMessage?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(`${status} ${errorCode}: ${errorDescription}`);
  }

  get body(): DescopeErrorBody {
    const body: DescopeErrorBody = { errorCode: this.errorCode, errorDescription: this.errorDescription };
    if (this.errorMessage) body.errorMessage = this.errorMessage;
    return body;
  }
}

export function invalidRequest(errorMessage: string): DescopeError {
  return new DescopeError(400, ErrorCode.invalidRequest, "Request is invalid", errorMessage);
}

export function missingArgument(name: string): DescopeError {
  return new DescopeError(400, ErrorCode.missingArguments, "Missing arguments", `${name} is required`);
}

export function notFound(errorCode: string, errorDescription: string, errorMessage?: string): DescopeError {
  return new DescopeError(404, errorCode, errorDescription, errorMessage);
}

/** 429 as Descope sends it; `retryAfterSeconds: null` leaves the Retry-After header out. */
export function rateLimited(retryAfterSeconds: number | null): DescopeError {
  const headers: Record<string, string> = retryAfterSeconds === null ? {} : { "Retry-After": String(retryAfterSeconds) };
  return new DescopeError(429, ErrorCode.rateLimitExceeded, "Rate limit exceeded", undefined, headers);
}
