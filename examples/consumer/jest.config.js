/**
 * jest with ts-jest, transpiling only (`isolatedModules` in tsconfig.json): `npm run build` and `npm run synth`
 * type-check main.ts and the tests with tsc.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
};
