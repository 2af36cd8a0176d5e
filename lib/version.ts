/** syd's version, kept equal to deno.json's by a test. */
export const VERSION = "0.1.0";
/** The original syd's API version, printed by `syd --api`. */
export const API = 3;
