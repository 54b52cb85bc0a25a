/**
 * Whether kascade's encoders are kafkajs's in this process (kafkajs-patches.ts sets it; false when
 * kafkajs was loaded before kascade could install them). A leaf module, so that the encoders can
 * read it without importing the patches that import them.
 */
export const kafkajsPatchState = { installed: false };
