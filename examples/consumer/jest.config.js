/**
 * jest with ts-jest. `isolatedModules` in tsconfig.json makes ts-jest only transpile (fast); `npm run build` / `npm run
 * synth` type-check main.ts and the tests with tsc.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
};
