#!/usr/bin/env node
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS bin: the TypeScript hook must load before the CLI */
// Runs the TypeScript CLI as the repo's scripts run theirs: compiled on load by @swc-node/register.
require('@swc-node/register');
require('../src/main.ts')
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
