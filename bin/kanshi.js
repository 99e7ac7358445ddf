#!/usr/bin/env node
import '../packages/cli/dist/main.js';
