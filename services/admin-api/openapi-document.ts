export const openApiDocument = {} as const;
