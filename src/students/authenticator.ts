import { bearerToken, hashToken } from './tokens.js';
import type { Authenticator, Principal, StudentsStore } from './types.js';

/** Personal bearer tokens, looked up by their hash. */
export class TokenAuthenticator implements Authenticator {
  constructor(private readonly students: Pick<StudentsStore, 'findByTokenHash'>) {}

  async authenticate(request: {
    authorization?: string | undefined;
  }): Promise<Principal | undefined> {
    const token = bearerToken(request.authorization);
    if (token === undefined) return undefined;
    const found = await this.students.findByTokenHash(hashToken(token));
    if (!found || found.revoked) return undefined;
    return { student: found.student, method: 'token' };
  }
}
