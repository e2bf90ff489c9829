/**
 * Node's `crypto.X509Certificate` as a type the package's declarations can name without requiring a recent
 * `@types/node`: the class's instance type where the consumer's `@types/node` has it (Node ≥ 15.6), `never` where it
 * does not (the cdk8s `typescript-app` template installs `@types/node@14`, which compiles the typings all the same).
 */
export type X509Certificate = typeof import('crypto') extends { X509Certificate: new (...args: any[]) => infer C } ? C : never;
