#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's ESM loader, from any working directory.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../src/main.ts', import.meta.url).href);
