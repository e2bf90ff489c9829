/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      {
        tsconfig: {
          isolatedModules: true,
          esModuleInterop: true,
          resolveJsonModule: true,
          target: 'ES2022',
          module: 'commonjs',
          types: ['node', 'jest'],
        },
      },
    ],
  },
  setupFiles: ['<rootDir>/test/support/setup-env.js'],
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  testTimeout: 60000,
  // Real components (etcd, HAProxy, network namespaces) must not run side by side on 2 cores.
  maxWorkers: 2,
};
