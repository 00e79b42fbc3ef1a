/** A request the teaching runtime refuses, with the HTTP status and the message the attendee sees. */
export class TeachError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
