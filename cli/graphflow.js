#!/usr/bin/env node
// The package's bin: loads tsx so the TypeScript CLI runs straight from a clone or an install, with no build step.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
