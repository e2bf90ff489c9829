/**
 * Node's `crypto.X509Certificate` as a type the package's declarations can name without requiring a recent
 * `@types/node`: the class's instance type where the consumer's `@types/node` has it (Node ≥ 15.6), `never` where it
 * does not (the cdk8s `typescript-app` template installs `@types/node@14`, which compiles the typings all the same).
 */
export type X509Certificate = typeof import('crypto') extends {
  /** The `X509Certificate` class of Node's `crypto` module, where the consumer's `@types/node` declares it. */
  X509Certificate: {
    /** Its constructor (from a PEM or DER certificate): the instance type it returns is the type named here. */
    new (...args: any[]): infer C;
  };
}
  ? C
  : never;
