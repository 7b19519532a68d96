#!/usr/bin/env node
/**
 * The `keywarden` executable. See docs/cli.md.
 *
 * @example
 * ```sh
 * npx keywarden init --write-env .env
 * ```
 * @module
 */
import { runCli } from './program.js';

process.exitCode = await runCli(process.argv);
