// ESLint (flat config): typescript-eslint's recommended rules on the sources, the tests, the scripts and the
// benchmarks; formatting is Prettier's (.prettierrc.json, 120 columns), so eslint-config-prettier turns off the
// stylistic rules that would disagree with it.
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const prettier = require('eslint-config-prettier');

module.exports = tseslint.config(
  {
    ignores: [
      'node_modules/',
      'build/',
      'dist/',
      'pki/',
      'coverage/',
      'docs/api/',
      'bench/out/',
      'imports/',
      'lib/spec/_spec-validator.ts',
      'examples/*/node_modules/',
      'examples/*/dist/',
      'examples/*/build/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        __dirname: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
      },
    },
    rules: {
      // Parsed YAML and JSON are untyped by nature; the checks narrow them where they read them.
      '@typescript-eslint/no-explicit-any': 'off',
      // Lazy require() keeps start-up cheap (hacp loads a command's dependencies only when it runs).
      '@typescript-eslint/no-require-imports': 'off',
      // `FooProps extends BaseProps {}`: each construct names its own props type (cdk8s-plus, aws-cdk).
      '@typescript-eslint/no-empty-object-type': ['error', { allowInterfaces: 'with-single-extends' }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-var': 'error',
      'prefer-const': 'error',
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
  },
);
