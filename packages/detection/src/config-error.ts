/** A detection option that cannot be used, named by its path (`weights.login.newDevice`). */
export class InvalidConfig extends Error {
  override readonly name = 'InvalidConfig';
  constructor(readonly option: string, reason: string) {
    super(`detection option ${option}: ${reason}`);
  }
}
