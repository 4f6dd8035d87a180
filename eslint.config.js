import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * src/sync's folders import one way: run → transfer → checkpoint → multi, and each of them down to
 * verify → transport or to local; no folder imports the entry points in src/sync itself, but
 * engine-thread, which is one (the service's runs on their own thread) and above them all.
 */
const SYNC_FOLDERS = ['engine-thread', 'run', 'transfer', 'checkpoint', 'multi', 'verify', 'local', 'transport'];
const SYNC_MAY_IMPORT = {
  'engine-thread': ['run', 'transfer', 'checkpoint', 'multi', 'verify', 'local', 'transport'],
  run: ['transfer', 'checkpoint', 'multi', 'verify', 'local', 'transport'],
  transfer: ['checkpoint', 'verify', 'local', 'transport'],
  checkpoint: ['multi', 'local', 'transport'],
  multi: [],
  verify: ['transport'],
  local: [],
  transport: [],
};
const syncLayerRules = SYNC_FOLDERS.map((folder) => {
  const banned = SYNC_FOLDERS.filter((other) => other !== folder && !SYNC_MAY_IMPORT[folder].includes(other));
  return {
    files: [`src/sync/${folder}/**`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...(banned.length
              ? [{ regex: `^\\.\\./(${banned.join('|')})/`, message: `src/sync/${folder} may import only ${SYNC_MAY_IMPORT[folder].join(', ') || 'no other sync folder'} (README: Architecture).` }]
              : []),
            ...(folder === 'engine-thread' ? [] : [{ regex: '^\\.\\./[^./][^/]*$', message: 'sync folders do not import the entry points in src/sync.' }]),
          ],
        },
      ],
    },
  };
});

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test/generated/', 'web/generated/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  { files: ['scripts/**', 'bench/**', 'test/**'], rules: { 'no-console': 'off' } },
  ...syncLayerRules,
);
