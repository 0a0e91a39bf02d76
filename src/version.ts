import pkg from "../package.json";

/** The deployster version, baked in at compile time. */
export const VERSION: string = pkg.version;
