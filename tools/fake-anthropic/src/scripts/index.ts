import type { Script } from '../script';
import { mathlib } from './mathlib';
import { mathlibLong } from './mathlib-long';

export { mathlib, mathlibBook, mathlibCoding, mathlibInitializer, isInitializerRequest, nextFeature, exitedZero, INITIALIZER_TOOL } from './mathlib';
export { mathlibLong } from './mathlib-long';
export { MATHLIB_FEATURES, MATHLIB_FILES, MATHLIB_PACKAGE_JSON } from './mathlib-code';
export type { MathlibFeature, SourceFile } from './mathlib-code';

/** The scripts by name, for `main.ts --script <name>`. */
export const SCRIPTS: Record<string, Script> = { mathlib, 'mathlib-long': mathlibLong };
