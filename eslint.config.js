import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const USE_OUTBOUND = 'Use outboundFetch (src/net/outbound.ts), which refuses private and loopback addresses';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.data/', 'coverage/', 'test-output/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  { files: ['scripts/**', 'test/**'], rules: { 'no-console': 'off' } },
  {
    // Every server-side HTTP request goes through the guarded client (SSRF); see src/net/outbound.ts.
    files: ['src/**/*.ts'],
    ignores: ['src/net/**'],
    rules: {
      'no-restricted-globals': ['error', { name: 'fetch', message: USE_OUTBOUND }],
      'no-restricted-properties': [
        'error',
        { object: 'globalThis', property: 'fetch', message: USE_OUTBOUND },
      ],
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'undici', message: USE_OUTBOUND },
            ...['node:http', 'node:https', 'http', 'https'].map((name) => ({
              name,
              importNames: ['request', 'get', 'Agent'],
              message: USE_OUTBOUND,
            })),
          ],
        },
      ],
    },
  },
  {
    files: ['src/net/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../*'], message: 'src/net is the bottom floor: it imports nothing else of src/' },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
);
