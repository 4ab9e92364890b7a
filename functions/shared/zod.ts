import { config } from 'zod/mini';
import { en } from 'zod/locales';

/**
 * zod/mini, the tree-shakable form of zod, for every schema that is bundled into a Lambda
 * function. Import it as a namespace, `import * as z from '../shared/zod.ts'`, so that esbuild
 * bundles only the functions a file calls. Exporting a namespace object (`export { z }`) would
 * bundle all of zod, its JSON Schema code and every locale included.
 *
 * zod/mini loads no locale, so without one every issue message reads "Invalid input". Its English
 * locale produces the messages of classic zod, such as `Unrecognized key: "comand"`. The setting
 * is global to the process and is the one classic zod makes when it loads.
 */
config(en());

export * from 'zod/mini';
