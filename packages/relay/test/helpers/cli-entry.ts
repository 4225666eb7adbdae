// The CLI from sources, for process tests that should not depend on a build.
import { main } from '../../src/cli.js';

void main(process.argv.slice(2));
